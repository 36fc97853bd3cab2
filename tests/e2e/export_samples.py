"""Write UNIPEN test-split characters as strokes in pad coordinates, for the page tests.

    python tests/e2e/export_samples.py --count 150 --out samples.json

Samples come from the writer-disjoint test split of `pycnn.data.unipen` (writers the model
never saw), the same number from each section (digits, uppercase, lowercase), chosen with a
fixed seed. Each character is placed as the training renderer places it (scaled by its own
bounding box, centred) and written as fractions of the pad side, so the test can replay it
as mouse drags on a pad of any size. Points closer than `--min-step` of the pad are merged:
a mouse move per tablet sample would only slow the replay.
"""

import argparse
import json
import sys

import numpy as np

from pycnn.data.render import DEFAULT_FILL, flatten_strokes, place_in_pad
from pycnn.data.unipen import SECTIONS, DataFileError, load_unipen, writer_split


def pad_strokes(strokes, fill, min_step):
    """A character's strokes -> [[[x, y], ...], ...] in pad fractions (0..1)."""
    xy, connects = flatten_strokes(strokes)
    placed = place_in_pad(xy, np.zeros(len(xy), dtype=np.int64), 1, 1.0, fill=fill)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=150, help="samples in all (150)")
    parser.add_argument("--seed", type=int, default=4, help="which samples (4)")
    parser.add_argument("--fill", type=float, default=DEFAULT_FILL,
                        help="character size / pad size (%.2f, as training)" % DEFAULT_FILL)
    parser.add_argument("--min-step", type=float, default=0.004,
                        help="merge points closer than this fraction of the pad (0.004)")
    parser.add_argument("--data", default=None, help="stroke .npz (default: the shared UNIPEN)")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)

    try:
        data = load_unipen(args.data)
    except DataFileError as error:
        print("export_samples.py: %s" % error, file=sys.stderr)
        return 1
    test = writer_split(data)["test"]
    rng = np.random.RandomState(args.seed)
    per_section = -(-args.count // len(SECTIONS))
    chosen = []
    for section in SECTIONS:
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
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"split": "test", "seed": args.seed, "fill": args.fill, "samples": samples}, f)
    print("wrote %d test-split samples to %s" % (len(samples), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
