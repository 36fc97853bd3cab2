"""python -m pycnn.prior: stop the model favouring the classes UNIPEN happens to hold most.

    python -m pycnn.prior --model weights/model.npz [--out weights/model.npz]

UNIPEN's training writers gave 60% lowercase letters, so a model trained on them learns
p(class) from that mix and, when a shape is ambiguous (0/o, 1/l, 5/s), answers lowercase.
A person at the page draws digits and capitals as often as anything else. Logit adjustment
(Menon et al., "Long-tail learning via logit adjustment", ICLR 2021) removes the learnt
prior: with pi(c) the class frequency in the training split and K classes,

    logit'(c) = logit(c) - tau * log(K * pi(c))

tau = 1 swaps the training prior for a uniform one; tau = 0 changes nothing.

What the prior should become is the mix the page meets. Its default reading, "All", reads
every class at once, and a person at a one-character pad draws letters and digits far more
than symbols. Weighing the symbols section like each letter section gave symbols a quarter
of the objective, and the symbols then took letters and digits (5 -> $, l -> /, S -> 5).
So a model that reads symbols also gets a prior of use: every symbol's logit moves by the
same bias b <= 0.

tau and b are chosen together on the validation writers (never the test split) as the pair
with the best expected top-1 in "All", a letter read in the other case counting as right,
when digits, capitals and small letters are drawn alike and symbols are SYMBOL_SHARE of
the drawings. Within one section's set (what "Read as" digits, capitals, small letters or
symbols reads) b changes nothing, being the same for every symbol; only tau does.

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
from .nn import Dense, Softmax, save_model
from .nn.layers import softmax
from .nn.serialize import printable
from .read.charsets import SYMBOLS

TAUS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
LETTER_SECTIONS = ("1a", "1b", "1c")
# The share of symbols among what people draw at the page's one-character pad, as the default
# reading assumes it: about the share of punctuation in written English, and twice what
# UNIPEN's handwritten words hold (1.3% of their characters are symbols).
SYMBOL_SHARE = 0.03
SYMBOL_BIASES = tuple(-0.5 * k for k in range(9))  # 0 to -4


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


def symbol_classes(labels):
    """(K,) bool: which classes are symbols (neither letters nor digits)."""
    return np.array([str(label) in SYMBOLS for label in labels], dtype=bool)


def all_reading_by_section(probabilities, targets, labels, sections):
    """{section: top-1 in "All"}, a letter read in the other case counting as right."""
    caseless = np.char.lower(np.asarray([str(label) for label in labels]))
    right = caseless[np.asarray(probabilities).argmax(axis=1)] == caseless[targets]
    sections = np.asarray(sections)
    return {str(s): float(right[sections == s].mean()) for s in sorted(set(sections.tolist()))}


def use_weighted_top1(by_section, share=SYMBOL_SHARE):
    """Expected top-1 in "All" when symbols (1d) are `share` of the drawings and digits,
    capitals and small letters share the rest equally."""
    letters = float(np.mean([by_section[s] for s in LETTER_SECTIONS]))
    if "1d" not in by_section:
        return letters
    return (1.0 - share) * letters + share * by_section["1d"]


def choose_adjustment(probabilities, targets, labels, sections, prior, taus=TAUS,
                      biases=SYMBOL_BIASES, share=SYMBOL_SHARE):
    """(tau, symbol bias, [(tau, bias, {section: top-1}, expected top-1), ...]): the pair with
    the best expected top-1 in "All". Ties go to the smaller change: the smaller tau, then the
    bias nearer 0. A model without symbol classes keeps the bias at 0."""
    is_symbol = symbol_classes(labels)
    if not is_symbol.any():
        biases = (0.0,)
    tried = []
    for tau in taus:
        shift = logit_shift(prior, tau)
        for bias in biases:
            adjusted = shift_probabilities(probabilities, shift + np.where(is_symbol, bias, 0.0))
            by_section = all_reading_by_section(adjusted, targets, labels, sections)
            tried.append((tau, bias, by_section, use_weighted_top1(by_section, share)))
    best = max(tried, key=lambda t: (round(t[3], 12), -t[0], t[1]))
    return best[0], best[1], tried


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
    missing = [s for s in LETTER_SECTIONS if not np.any(data.section[val] == s)]
    if missing:
        raise UsageError("%s has no validation samples of section %s; the adjustment is "
                         "chosen on digits, uppercase and lowercase together"
                         % (printable(data.path), ", ".join(missing)))
    prior = class_prior(model_targets(model, data, split["train"]), len(model.labels))
    targets = model_targets(model, data, val)
    probabilities = predict_strokes(model, data, val, None if args.quiet else ProgressBar())
    sections = data.section[val]
    tau, bias, tried = choose_adjustment(probabilities, targets, model.labels, sections, prior)

    present = [s for s in LETTER_SECTIONS + ("1d",) if np.any(sections == s)]
    print("validation writers (%d samples): top-1 in All, letters in either case right;"
          % len(val))
    print("expected: digits, capitals and small letters alike%s" % (
        ", symbols %d%% of drawings" % round(100 * SYMBOL_SHARE) if "1d" in present else ""))
    print("%6s %6s %9s" % ("tau", "bias", "expected") + "".join("%8s" % s for s in present))
    for t, b, by_section, score in tried:
        print("%6.2f %6.2f %8.2f%%" % (t, b, 100 * score)
              + "".join("%7.2f%%" % (100 * by_section[s]) for s in present)
              + ("  <- chosen" if (t, b) == (tau, bias) else ""))

    fold_shift_into_model(model, logit_shift(prior, tau)
                          + np.where(symbol_classes(model.labels), bias, 0.0))
    model.metadata["prior_adjustment"] = {
        "tau": tau,
        "symbol_bias": bias,
        "symbol_share": SYMBOL_SHARE,
        "train_class_prior": [round(float(p), 6) for p in prior],
        "chosen_on": "validation writers: the best expected top-1 in All (letters in either "
                     "case right) with digits, capitals and small letters alike and symbols "
                     "%g of drawings" % SYMBOL_SHARE,
        "validation_expected_top1": {"%g/%g" % (t, b): round(score, 6)
                                     for t, b, _, score in tried},
    }
    save_model(model, args.out)
    print("wrote %s (tau %.2f, symbol bias %.2f)" % (printable(args.out), tau, bias))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
