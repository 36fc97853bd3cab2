"""Write UNIPEN test-split characters as strokes in pad coordinates, for the page tests.

    python tests/e2e/export_samples.py --count 150 --out samples.json

Samples come from the writer-disjoint test split of `pycnn.data.unipen` (writers the model
never saw), the same number from each section (digits, uppercase, lowercase, and symbols when
the stroke files read include the symbols file: by default, the files that hold --model's
classes), chosen with a fixed seed. Each character is placed as the training renderer
places it (scaled by its own bounding box, centred) and written as fractions of the pad side,
so the test can replay it as mouse drags on a pad of any size. Points closer than
`--min-step` of the pad are merged: a mouse move per tablet sample would only slow the
replay.

    python tests/e2e/export_samples.py --count 300 --lookalikes-under MODEL --out looks.json

keeps only the samples that MODEL, reading in set "all", answers with leading look-alikes
that the named sets tell apart ("0 or O", not "n or m"), rendered the way the page draws a
mouse drag; clearest first (the largest share of the weakest look-alike), each with the
look-alikes CPython saw.
"""

import argparse
import json
import sys

import numpy as np

from pycnn.cli import data_for_model
from pycnn.data.render import DEFAULT_FILL, flatten_strokes, place_in_pad, render_strokes
from pycnn.data.unipen import DataFileError, load_stroke_files, writer_split
from pycnn.nn import load_model
from pycnn.read.recognizer import Recognizer

# The pad's backing store on a screen with device pixel ratio 2, as in the page tests.
PAD_SIDE = 560


def mouse_strokes(placed, connects, min_step):
    """Points placed on a pad, (N, 2), and whether each connects to the next ->
    [[[x, y], ...], ...]: each stroke thinned to points at least min_step apart, its first
    and last point kept, as a mouse drag replays it."""
    ends = np.flatnonzero(~connects) + 1
    result = []
    for stroke in np.split(placed, ends[:-1]):
        kept = [stroke[0]]
        for point in stroke[1:-1]:
            if np.hypot(*(point - kept[-1])) >= min_step:
                kept.append(point)
        if len(stroke) > 1:
            kept.append(stroke[-1])
        result.append([[round(float(x), 5), round(float(y), 5)] for x, y in kept])
    return result


def pad_strokes(strokes, fill, min_step):
    """A character's strokes -> [[[x, y], ...], ...] in pad fractions (0..1)."""
    xy, connects = flatten_strokes(strokes)
    placed = place_in_pad(xy, np.zeros(len(xy), dtype=np.int64), 1, 1.0, fill=fill)
    return mouse_strokes(placed, connects, min_step)


def lookalike_share(recognizer, strokes, fill):
    """(the weakest leading look-alike's probability, their labels) for one character drawn
    as the page draws it and read in set "all", or None when its answer stands alone or no
    named set tells its look-alikes apart."""
    alpha = render_strokes(strokes, pad_size=PAD_SIDE, fill=fill)
    rgba = np.zeros((PAD_SIDE, PAD_SIDE, 4), np.uint8)
    rgba[..., 3] = np.round(255 * alpha).astype(np.uint8)
    result = recognizer.recognise_rgba(rgba, PAD_SIDE, PAD_SIDE)
    if result["empty"] or result["lookalikes"] is None or not result["lookalikes"]["sets"]:
        return None
    labels = result["lookalikes"]["labels"]
    return min(p for label, p in result["top5"] if label in labels), labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=150, help="samples in all (150)")
    parser.add_argument("--seed", type=int, default=4, help="which samples (4)")
    parser.add_argument("--fill", type=float, default=DEFAULT_FILL,
                        help="character size / pad size (%.2f, as training)" % DEFAULT_FILL)
    parser.add_argument("--min-step", type=float, default=0.004,
                        help="merge points closer than this fraction of the pad (0.004)")
    parser.add_argument("--data", nargs="+", default=None,
                        help="stroke file(s) (default: those holding --model's classes)")
    parser.add_argument("--model", default="weights/model.npz",
                        help="the model whose classes choose the default --data")
    parser.add_argument("--lookalikes-under", metavar="MODEL", default=None,
                        help="keep only the samples MODEL reads as look-alikes, clearest first")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)

    try:
        labels = [] if args.data else load_model(args.model).labels
        data = load_stroke_files(data_for_model(args.data, labels))
    except DataFileError as error:
        print("export_samples.py: %s" % error, file=sys.stderr)
        return 1
    test = writer_split(data)["test"]
    rng = np.random.RandomState(args.seed)
    sections = sorted(set(data.section.tolist()))
    per_section = -(-args.count // len(sections))
    chosen = []
    for section in sections:
        pool = test[data.section[test] == section]
        chosen.extend(rng.choice(pool, size=min(per_section, len(pool)), replace=False))
    samples = [
        {
            "index": int(i),
            "label": data.label_char(i),
            "section": str(data.section[i]),
            "strokes": pad_strokes(data.strokes(i), args.fill, args.min_step),
        }
        for i in sorted(int(i) for i in chosen)[: max(args.count, 0)]
    ]
    if args.lookalikes_under:
        recognizer = Recognizer(args.lookalikes_under)
        found = []
        for sample in samples:
            seen = lookalike_share(recognizer, data.strokes(sample["index"]), args.fill)
            if seen is not None:
                found.append((-seen[0], sample["index"], dict(sample, lookalikes=seen[1])))
        samples = [sample for _, _, sample in sorted(found, key=lambda f: f[:2])]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"split": "test", "seed": args.seed, "fill": args.fill, "samples": samples}, f)
    print("wrote %d test-split samples to %s" % (len(samples), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
