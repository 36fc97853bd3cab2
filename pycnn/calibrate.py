"""python -m pycnn.calibrate: make the model's confidence mean what it says.

A network trained with cross-entropy is often over-confident: it says 100% for a "+" it has
never seen. Temperature scaling divides the logits by one number T > 0,

    p(c | x) = softmax(z / T)_c,

which leaves every answer and its rank unchanged and only moves the confidence. T is chosen
on the **validation** writers as the value with the least negative log-likelihood (a grid of
`TEMPERATURES`), then folded into the last Dense layer (weights and bias divided by T), so
the page and the tools run the calibrated model unchanged.

The "I'm not sure" threshold is chosen after this, by `pycnn.derive_lookalikes`: it judges
what the page shows ("0 or O" counts as one answer), so it needs the look-alike table that
step makes from the calibrated model. It is stored beside the temperature, in the model's
`calibration.unsure_below`.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, model, stroke file or --out, or a
model already calibrated; 130 when interrupted.
"""

import sys

import numpy as np

from .cli import (
    ProgressBar,
    UsageError,
    check_output_file,
    data_for_model,
    load_usable_model,
    parse_model_step_args,
    run_cli,
)
from .data.unipen import load_stroke_files, writer_split
from .evaluate import model_targets, predict_strokes
from .nn import save_model
from .nn.serialize import printable
from .prior import final_dense

TEMPERATURES = tuple(float(t) for t in np.round(np.exp(np.linspace(np.log(0.5), np.log(4.0),
                                                                   43)), 4))
ECE_BINS = 15


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def nll(logits, targets, temperature):
    """Mean negative log-likelihood of the targets under softmax(logits / temperature)."""
    logp = log_softmax(np.asarray(logits, np.float64) / temperature)
    return float(-logp[np.arange(len(targets)), targets].mean())


def expected_calibration_error(probabilities, targets, bins=ECE_BINS):
    """Sum over equal-width confidence bins of |accuracy - confidence| times the bin's share."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == np.asarray(targets)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(error)


def choose_temperature(logits, targets, temperatures=TEMPERATURES):
    """(best T, [(T, nll), ...]): the least validation NLL; ties go to the T nearest 1."""
    tried = [(t, nll(logits, targets, t)) for t in temperatures]
    best = min(tried, key=lambda item: (round(item[1], 12), abs(np.log(item[0]))))
    return best[0], tried


def softmax(z):
    return np.exp(log_softmax(z))


def parse_args(argv):
    return parse_model_step_args("python -m pycnn.calibrate", __doc__.split("\n")[0], "calibrated",
                                 argv)


def main(argv=None):
    args = parse_args(argv)
    check_output_file(args.out, "--out")
    model = load_usable_model(args.model)
    if "calibration" in model.metadata:
        raise UsageError("%s is already calibrated; calibrate the model that training (and "
                         "the prior step) wrote instead" % printable(args.model))
    dense = final_dense(model)  # refuse an unsuitable model before minutes of evaluation
    data = load_stroke_files(data_for_model(args.data, model.labels))
    val = writer_split(data)["val"]
    if len(val) == 0:
        raise UsageError("%s has no validation writers" % printable(data.path))
    targets = model_targets(model, data, val)
    logits = predict_strokes(model, data, val, None if args.quiet else ProgressBar(),
                             logits=True).astype(np.float64)
    temperature, tried = choose_temperature(logits, targets)
    before = softmax(logits)
    after = softmax(logits / temperature)

    print("validation writers (%d samples)" % len(val))
    print("temperature %.3f (least NLL on a grid of %d from %.2f to %.2f): NLL %.4f -> %.4f, "
          "expected calibration error %.2f%% -> %.2f%%"
          % (temperature, len(tried), tried[0][0], tried[-1][0], nll(logits, targets, 1.0),
             nll(logits, targets, temperature), 100 * expected_calibration_error(before, targets),
             100 * expected_calibration_error(after, targets)))
    for name in ("weight", "bias"):
        dense.params[name] /= np.asarray(temperature, dtype=dense.params[name].dtype)
    model.metadata["calibration"] = {
        "temperature": temperature,
        "chosen_on": "validation writers: the temperature with the least NLL",
        "validation_nll": [round(nll(logits, targets, 1.0), 6),
                           round(nll(logits, targets, temperature), 6)],
        "validation_ece": [round(expected_calibration_error(before, targets), 6),
                           round(expected_calibration_error(after, targets), 6)],
    }
    save_model(model, args.out)
    print("wrote %s (temperature %.3f); choose \"I'm not sure\" next with "
          "python -m pycnn.derive_lookalikes" % (printable(args.out), temperature))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
