"""python -m pycnn.evaluate: accuracy of a model on UNIPEN-format pen strokes.

    python -m pycnn.evaluate --model weights/model.npz --split test [--set SET] [--json]
    python -m pycnn.evaluate --model weights/model.npz --strokes other.npz [--set SET] [--json]

Strokes are rendered the canonical way (no augmentation) and go through the page's
preprocessing. Reports, overall and per section (1a digits, 1b capitals, 1c small letters,
1d symbols, as in `pycnn.measure.metrics`):
  top1            the answer over the model's classes (or within --set);
  top3            the truth among the three leading answers;
  top1_merged     top-1 with the EMNIST "balanced" case merge (47 classes);
  top1_lookalike  the answer is the truth or one of its look-alikes (pycnn/read/lookalikes.json);
  top1_within     each sample read within its own section's set: UNIPEN's benchmark task.
--set NAME_OR_CHARS (a name of `pycnn.read.charsets`, or the characters themselves) reads every
answer within that set, as the page's "Read as" does; top1_within is always the section's
own set. The symbols file (`--strokes data/unipen/unipen_symbols_strokes.npz`) is section
1d, read within `symbols` for top1_within. With --json the last line is one JSON object.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, set, model or stroke file, or a
model whose output is not a number, 130 when interrupted.
"""

import json
import sys

import numpy as np

from .cli import (
    ArgumentParser,
    ProgressBar,
    UsageError,
    add_data_option,
    add_set_option,
    data_for_model,
    load_usable_model,
    run_cli,
    set_mask_of,
)
from .data.dataset import render_batch
from .data.unipen import SECTION_NAMES, load_stroke_files, load_unipen, writer_split
from .measure.metrics import accuracy_report
from .nn.serialize import inference_cost, printable
from .read.charsets import restrict

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
    add_data_option(p)
    add_set_option(p)
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


def predict_strokes(model, data, indices, progress=None, logits=False):
    """Class probabilities (or with `logits`, the scores before the final softmax) for the
    given samples, rendered and preprocessed in chunks. A model whose output is not a number
    (NaN or infinite) is refused with a UsageError."""
    out = []
    batch_size = batch_size_for(model)
    for start in range(0, len(indices), CHUNK):
        x, _ = render_batch(data, indices[start:start + CHUNK], augment=False)
        predict = model.predict_logits if logits else model.predict_proba
        probs = predict(x, batch_size=batch_size)
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
    columns = ("top-1", "top-3", "merged", "look-alike", "within set")
    keys = ("top1", "top3", "top1_merged", "top1_lookalike", "top1_within")
    lines = ["%-16s %7s " % ("", "n") + " ".join("%10s" % c for c in columns)]

    def row(name, r):
        cells = ["%10s" % ("-" if r[k] is None else "%.2f%%" % (100 * r[k])) for k in keys]
        return "%-16s %7d " % (name, r["n"]) + " ".join(cells)

    for section, r in sorted(report.get("sections", {}).items()):
        lines.append(row("%s %s" % (section, SECTION_NAMES.get(section, "")), r))
    lines.append(row("overall", report))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    model = load_usable_model(args.model)
    mask = set_mask_of(args.set, model.labels)
    if args.strokes:
        data = load_unipen(args.strokes)
        indices = np.arange(len(data))
        what = args.strokes
    else:
        data = load_stroke_files(data_for_model(args.data, model.labels))
        indices = writer_split(data)[args.split]
        what = "%s split of %s" % (args.split, data.path)
    if len(indices) == 0:
        raise UsageError("%s holds no samples to evaluate" % what)
    targets = model_targets(model, data, indices)
    progress = None if args.quiet else ProgressBar()
    logits = predict_strokes(model, data, indices, progress, logits=True)
    report = accuracy_report(restrict(logits, mask), targets, model.labels,
                             data.section[indices], within_scores=logits)
    print("model %s on %s%s" % (printable(args.model), printable(what),
                                "" if args.set == "all" else ", read as %s" % printable(args.set)))
    print(format_report(report))
    if args.json:
        print(json.dumps(report, sort_keys=True, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
