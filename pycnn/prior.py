"""python -m pycnn.prior: stop the model favouring the classes UNIPEN happens to hold most.

    python -m pycnn.prior --model weights/model.npz [--out weights/model.npz]

UNIPEN's training writers gave 60% lowercase letters, so a model trained on them learns
p(class) from that mix and, when a shape is ambiguous (0/o, 1/l, 5/s), answers lowercase.
A person at the page draws digits and capitals as often as anything else. Logit adjustment
(Menon et al., "Long-tail learning via logit adjustment", ICLR 2021) removes the learnt
prior: with pi(c) the class frequency in the training split and K classes,

    logit'(c) = logit(c) - tau * log(K * pi(c))

tau = 1 swaps the training prior for a uniform one; tau = 0 changes nothing. The strength
tau is chosen on the validation writers (never the test split) as the value with the best
top-1 under the 47-class merge when digits, uppercase and lowercase (and symbols, for a
model that reads them) weigh the same. Within one section's set (what "Read as" digits,
capitals, small letters or symbols reads) only tau matters.

The page's default reading, "All", meets another mix: a person at a one-character pad draws
far more letters and digits than symbols. Weighing the symbols section like each letter
section gives symbols a quarter of the objective, and the symbols then take letters and
digits (5 -> $, l -> /, S -> 5). So a model that reads symbols gets a second term, the
prior of use: every symbol's logit moves by the same bias b <= 0, which is log of how much
rarer a symbol is at the pad than the balanced objective assumed. b is chosen on the
validation writers as the best expected top-1 in "All" (47-class merge) when symbols are
SYMBOL_SHARE of what people draw and digits, capitals and small letters share the rest
equally. Being the same for every symbol, b changes no reading within a set: only "All"
and the sets that mix symbols with letters or digits.

The last layers are Dense -> Softmax, so both shifts fold into the Dense bias: the page and
every tool run the adjusted model unchanged. The choices are recorded in the model's
metadata, and a model is adjusted at most once.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, model, stroke file or --out,
130 when interrupted. --out is checked before the minutes of evaluation.
"""

import sys

import numpy as np

from .cli import (
    ProgressBar,
    UsageError,
    check_model_input,
    check_output_file,
    data_for_model,
    load_usable_model,
    parse_model_step_args,
    run_cli,
)
from .data.unipen import load_stroke_files, writer_split
from .evaluate import model_targets, predict_strokes
from .measure.metrics import accuracy_report
from .nn import Dense, Softmax, save_model
from .nn.layers import softmax
from .nn.serialize import printable
from .read.charsets import SYMBOLS

TAUS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
REQUIRED_SECTIONS = ("1a", "1b", "1c")
BALANCED_OVER = REQUIRED_SECTIONS + ("1d",)  # 1d only where the validation drawings have it
# The share of symbols among what people draw at the page's one-character pad, as the default
# reading assumes it: one drawing in ten (written text has 2-3% punctuation; a visitor trying
# the network draws symbols more often than text holds them).
SYMBOL_SHARE = 0.10
SYMBOL_BIASES = tuple(-0.25 * k for k in range(17))  # 0 to -4


def class_prior(targets, n_classes):
    """Class frequencies (K,), with one pseudo-count each so no class has log(0)."""
    counts = np.bincount(np.asarray(targets), minlength=n_classes).astype(np.float64) + 1.0
    return counts / counts.sum()


def logit_shift(prior, tau):
    """-tau * log(K * pi(c)) per class: what adjustment adds to each logit."""
    return -tau * np.log(len(prior) * np.asarray(prior, dtype=np.float64))


def shift_probabilities(probabilities, shift):
    """softmax(log p + shift): the adjusted model's output, computed from the original's."""
    return softmax(np.log(np.maximum(probabilities, 1e-30)) + shift)


def balanced_merged_top1(report):
    """Mean over the sections present of top-1 under the 47-class merge."""
    present = [s for s in BALANCED_OVER if report["sections"].get(s, {}).get("n")]
    return float(np.mean([report["sections"][s]["top1_merged"] for s in present]))


def choose_tau(probabilities, targets, labels, sections, prior, taus=TAUS):
    """(best tau, [(tau, report), ...]). Ties go to the smaller tau: change only what helps."""
    tried = []
    for tau in taus:
        adjusted = shift_probabilities(probabilities, logit_shift(prior, tau))
        tried.append((tau, accuracy_report(adjusted, targets, labels, sections)))
    best = max(tried, key=lambda item: (round(balanced_merged_top1(item[1]), 12), -item[0]))
    return best[0], tried


def symbol_classes(labels):
    """(K,) bool: which classes are symbols (neither letters nor digits)."""
    return np.array([str(label) in SYMBOLS for label in labels], dtype=bool)


def use_weighted_top1(report, share=SYMBOL_SHARE):
    """Expected top-1 (47-class merge) in "All" when symbols are `share` of the drawings and
    digits, capitals and small letters share the rest equally."""
    letters = np.mean([report["sections"][s]["top1_merged"] for s in REQUIRED_SECTIONS])
    symbols = report["sections"].get("1d", {})
    if not symbols.get("n"):
        return float(letters)
    return float((1.0 - share) * letters + share * symbols["top1_merged"])


def choose_symbol_bias(probabilities, targets, labels, sections, biases=SYMBOL_BIASES,
                       share=SYMBOL_SHARE):
    """(best bias, [(bias, report), ...]) for the symbols' prior of use. Ties go to the bias
    nearer 0. A model without symbol classes keeps 0."""
    is_symbol = symbol_classes(labels)
    if not is_symbol.any():
        return 0.0, []
    tried = []
    for bias in biases:
        adjusted = shift_probabilities(probabilities, np.where(is_symbol, bias, 0.0))
        tried.append((bias, accuracy_report(adjusted, targets, labels, sections)))
    best = max(tried, key=lambda item: (round(use_weighted_top1(item[1], share), 12), item[0]))
    return best[0], tried


def final_dense(model):
    """The Dense layer whose bias takes the shift: the one just before the closing Softmax."""
    layers = model.layers
    if len(layers) < 2 or not isinstance(layers[-1], Softmax) or not isinstance(layers[-2], Dense):
        raise UsageError("the model must end with Dense then Softmax to take a prior adjustment")
    return layers[-2]


def fold_shift_into_model(model, shift):
    """Add `shift` to the bias of the final Dense layer."""
    bias = final_dense(model).params["bias"]
    bias += np.asarray(shift, dtype=bias.dtype)


def parse_args(argv):
    return parse_model_step_args("python -m pycnn.prior", __doc__.split("\n")[0], "adjusted",
                                 argv)


def main(argv=None):
    args = parse_args(argv)
    check_output_file(args.out, "--out")
    model = load_usable_model(args.model, check_input=False)
    if "prior_adjustment" in model.metadata:
        done = model.metadata["prior_adjustment"]
        raise UsageError("%s already has a prior adjustment (tau %s); adjust the model that "
                         "training wrote instead" % (printable(args.model), printable(
                             done.get("tau") if isinstance(done, dict) else done)))
    final_dense(model)  # refuse an unsuitable model before the minutes of evaluation
    check_model_input(model, args.model)
    data = load_stroke_files(data_for_model(args.data, model.labels))
    split = writer_split(data)
    val = split["val"]
    missing = [s for s in REQUIRED_SECTIONS if not np.any(data.section[val] == s)]
    if missing:
        raise UsageError("%s has no validation samples of section %s; the adjustment is "
                         "chosen on digits, uppercase and lowercase together"
                         % (printable(data.path), ", ".join(missing)))
    prior = class_prior(model_targets(model, data, split["train"]), len(model.labels))
    targets = model_targets(model, data, val)
    probabilities = predict_strokes(model, data, val, None if args.quiet else ProgressBar())
    tau, tried = choose_tau(probabilities, targets, model.labels, data.section[val], prior)

    print("validation writers (%d samples): top-1 under the 47-class merge" % len(val))
    print("%6s %18s %10s %8s" % ("tau", "sections balanced", "as drawn", "top-3"))
    for t, report in tried:
        print("%6.2f %17.2f%% %9.2f%% %7.2f%%%s" % (
            t, 100 * balanced_merged_top1(report), 100 * report["top1_merged"],
            100 * report["top3"], "  <- chosen" if t == tau else ""))

    shift = logit_shift(prior, tau)
    bias, tried_bias = choose_symbol_bias(
        shift_probabilities(probabilities, shift), targets, model.labels, data.section[val])
    if tried_bias:
        print("\nthe prior of use: symbols are %d%% of drawings; top-1 in All (47-class merge)"
              % round(100 * SYMBOL_SHARE))
        print("%6s %10s %8s %8s %8s %8s %10s" % ("bias", "expected", "1a", "1b", "1c", "1d",
                                                  "balanced"))
        for b, report in tried_bias:
            parts = [100 * report["sections"][s]["top1_merged"] for s in BALANCED_OVER]
            print("%6.2f %9.2f%% %7.2f%% %7.2f%% %7.2f%% %7.2f%% %9.2f%%%s" % (
                b, 100 * use_weighted_top1(report), *parts, 100 * balanced_merged_top1(report),
                "  <- chosen" if b == bias else ""))
    shift = shift + np.where(symbol_classes(model.labels), bias, 0.0)

    fold_shift_into_model(model, shift)
    model.metadata["prior_adjustment"] = {
        "tau": tau,
        "symbol_share": SYMBOL_SHARE,
        "symbol_bias": bias,
        "validation_use_weighted_top1": {str(b): round(use_weighted_top1(r), 6)
                                         for b, r in tried_bias},
        "train_class_prior": [round(float(p), 6) for p in prior],
        "chosen_on": "validation writers, top-1 under the 47-class merge with the sections "
                     "weighed equally",
        "validation_balanced_merged_top1": {str(t): round(balanced_merged_top1(r), 6)
                                            for t, r in tried},
    }
    save_model(model, args.out)
    print("wrote %s (tau %.2f, symbol bias %.2f)" % (printable(args.out), tau, bias))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
