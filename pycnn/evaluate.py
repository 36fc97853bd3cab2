"""python -m pycnn.evaluate: accuracy of a model on UNIPEN-format pen strokes.

    python -m pycnn.evaluate --model weights/model.npz --split test [--json]
    python -m pycnn.evaluate --model weights/model.npz --strokes other.npz [--json]

Strokes are rendered the canonical way (no augmentation) and go through the page's
preprocessing. Reports top-1 over the model's classes, top-3, and top-1 with the EMNIST
"balanced" case merge (47 classes), overall and per section (1a digits, 1b uppercase,
1c lowercase). Per section it also gives top-1 within the section's own classes, which is
how UNIPEN's 1a/1b/1c benchmarks are defined. With --json the last line printed is one
JSON object.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, model or stroke file, or a model
whose output is not a number, 130 when interrupted.
"""

import json
import sys

import numpy as np

from .cli import ArgumentParser, ProgressBar, UsageError, load_usable_model, run_cli
from .data.dataset import render_batch
from .data.unipen import SECTION_NAMES, load_unipen, writer_split
from .metrics import accuracy_report
from .nn.serialize import inference_cost, printable

CHUNK = 1024
# Values a batch may hold in its largest layer buffer: 256 images for the shipped model, and
# a smaller batch for a model that needs more per image, so memory stays bounded.
BATCH_VALUES = 16000000


def parse_args(argv):
    p = ArgumentParser(prog="python -m pycnn.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/model.npz")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--strokes", metavar="FILE.npz",
                        help="evaluate on every sample of this stroke file")
    source.add_argument("--split", choices=("train", "val", "test"),
                        help="evaluate on this writer-disjoint split of --data")
    p.add_argument("--data", default=None, help="stroke file for --split (default: shared copy)")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def model_targets(model, data, indices):
    """Data labels as indices into the model's labels (the two may order classes differently)."""
    position = {label: i for i, label in enumerate(model.labels)}
    chars = data.mapping[data.labels[indices]]
    unknown = sorted(set(str(c) for c in chars) - set(position))
    if unknown:
        raise UsageError("the data has labels the model does not know: %s" % " ".join(unknown))
    return np.array([position[str(c)] for c in chars], dtype=np.int64)


def batch_size_for(model):
    """The largest batch (at most 256) whose biggest layer buffer holds BATCH_VALUES."""
    return int(max(1, min(256, BATCH_VALUES // inference_cost(model)["largest_buffer"])))


def predict_strokes(model, data, indices, progress=None):
    """Class probabilities for the given samples, rendered and preprocessed in chunks.
    A model whose output is not a number (NaN or infinite) is refused with a UsageError."""
    out = []
    batch_size = batch_size_for(model)
    for start in range(0, len(indices), CHUNK):
        x, _ = render_batch(data, indices[start:start + CHUNK], augment=False)
        probs = model.predict_proba(x, batch_size=batch_size)
        if not np.all(np.isfinite(probs)):
            raise UsageError("the model's output is not a number (NaN or infinite) for some "
                             "of the samples: the model is broken")
        out.append(probs)
        if progress:
            progress.update(min(start + CHUNK, len(indices)), len(indices), prefix="evaluating",
                            final=start + CHUNK >= len(indices))
    if not out:
        return np.zeros((0, len(model.labels)), dtype=np.float32)
    return np.concatenate(out)


def format_report(report):
    lines = ["%-16s %7s %8s %8s %13s %15s" % ("", "n", "top-1", "top-3", "top-1 merged",
                                              "within section")]

    def row(name, r):
        if not r["n"]:
            return "%-16s %7d %8s %8s %13s" % (name, 0, "-", "-", "-")
        within = r.get("top1_within_section")
        return "%-16s %7d %7.2f%% %7.2f%% %12.2f%% %15s" % (
            name, r["n"], 100 * r["top1"], 100 * r["top3"], 100 * r["top1_merged"],
            "" if within is None else "%.2f%%" % (100 * within))

    for section, r in sorted(report.get("sections", {}).items()):
        lines.append(row("%s %s" % (section, SECTION_NAMES.get(section, "")), r))
    lines.append(row("overall", report))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    model = load_usable_model(args.model)
    if args.strokes:
        data = load_unipen(args.strokes)
        indices = np.arange(len(data))
        what = args.strokes
    else:
        data = load_unipen(args.data)
        indices = writer_split(data)[args.split]
        what = "%s split of %s" % (args.split, data.path)
    if len(indices) == 0:
        raise UsageError("%s holds no samples to evaluate" % what)
    targets = model_targets(model, data, indices)
    progress = None if args.quiet else ProgressBar()
    probs = predict_strokes(model, data, indices, progress)
    report = accuracy_report(probs, targets, model.labels, data.section[indices])
    print("model %s on %s" % (printable(args.model), printable(what)))
    print(format_report(report))
    if args.json:
        print(json.dumps(report, sort_keys=True, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
