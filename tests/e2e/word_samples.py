"""Write UNIPEN test-split words as strokes in word-pad coordinates, for the Word mode tests.

    python tests/e2e/word_samples.py --count 4 --out words.json

Words come from the writer-disjoint test split of `pycnn.data.words` (writers no model ever
saw), chosen with a fixed seed among words of --min-letters to --max-letters letters. Each
word is placed as `pycnn.data.word_render` places it for training, without augmentation:
scaled by its writer's usual word height (WORD_FILL of the pad's height, never taller than
MAX_FILL), its box centred. Points are written in units of the pad's height, x from the
word's centre and y from the pad's top, so a test can replay the word as mouse drags on a
word pad of any width: x = centre + x * height. Points closer than --min-step (of the pad's
height) are merged: a mouse move per tablet sample would only slow the replay.
"""

import argparse
import json
import sys

import numpy as np

from pycnn.data.render import DEFAULT_LINE_WIDTH_FRACTION, sample_bounds
from pycnn.data.unipen import DataFileError, writer_split
from pycnn.data.word_render import MAX_FILL, WORD_FILL, reference_heights
from pycnn.data.words import load_words


def pad_strokes(data, index, min_step):
    """Word `index` -> (strokes [[[x, y], ...], ...] in pad heights, its width in pad heights)."""
    xy, connects, owner = data.gather_points(np.array([index]))
    reference = reference_heights(data)[index]
    lower, upper = sample_bounds(xy, owner, 1)
    unit = (xy - (lower + upper)[0] / 2.0) / reference
    extent = (upper - lower)[0] / reference
    scale = WORD_FILL
    if extent[1] * scale + DEFAULT_LINE_WIDTH_FRACTION > MAX_FILL:
        scale = (MAX_FILL - DEFAULT_LINE_WIDTH_FRACTION) / max(extent[1], 1e-12)
    placed = unit * scale + np.array([0.0, 0.5])
    ends = np.flatnonzero(~connects) + 1
    strokes = []
    for stroke in np.split(placed, ends[:-1]):
        kept = [stroke[0]]
        for point in stroke[1:-1]:
            if np.hypot(*(point - kept[-1])) >= min_step:
                kept.append(point)
        if len(stroke) > 1:
            kept.append(stroke[-1])
        strokes.append([[round(float(x), 5), round(float(y), 5)] for x, y in kept])
    return strokes, float(extent[0] * scale)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=4, help="words (4)")
    parser.add_argument("--seed", type=int, default=7, help="which words (7)")
    parser.add_argument("--min-letters", type=int, default=3)
    parser.add_argument("--max-letters", type=int, default=7)
    parser.add_argument("--max-width", type=float, default=3.0,
                        help="only words at most this many pad heights wide (3)")
    parser.add_argument("--min-step", type=float, default=0.008,
                        help="merge points closer than this fraction of the pad's height")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)

    try:
        data = load_words()
    except DataFileError as error:
        print("word_samples.py: %s" % error, file=sys.stderr)
        return 1
    test = writer_split(data)["test"]
    texts = [data.label(int(i)) for i in test]
    pool = [int(i) for i, text in zip(test, texts)
            if text.isalpha() and args.min_letters <= len(text) <= args.max_letters]
    rng = np.random.RandomState(args.seed)
    samples = []
    for index in rng.permutation(pool):
        strokes, width = pad_strokes(data, int(index), args.min_step)
        if width > args.max_width:
            continue
        samples.append({"index": int(index), "text": data.label(int(index)),
                        "width": round(width, 4), "strokes": strokes})
        if len(samples) >= args.count:
            break
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"split": "test", "seed": args.seed, "samples": samples}, f)
    print("wrote %d test-split words to %s" % (len(samples), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
