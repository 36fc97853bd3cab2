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

    python tests/e2e/word_samples.py --count 3 --unsure MODEL LEXICON --out unsure.json

keeps only the words that WordReader (MODEL, LEXICON), reading them drawn as the page draws
mouse drags on a --pad-width x --pad-height pad, reads as unsure, the closest calls first
(the smallest gap between the best two words' scores).
"""

import argparse
import json
import sys

import numpy as np
from export_samples import mouse_strokes  # a script beside this one

from pycnn.data.render import DEFAULT_LINE_WIDTH_FRACTION, sample_bounds
from pycnn.data.unipen import DataFileError, writer_split
from pycnn.data.word_render import MAX_FILL, WORD_FILL, ink_on_word_pad, reference_heights
from pycnn.data.words import load_words
from pycnn.read.word_reader import WordReader, WordTooLongError


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
    return mouse_strokes(placed, connects, min_step), float(extent[0] * scale)


def unsure_gap(reader, strokes, pad_width, pad_height):
    """The gap between the best two words' scores when `reader` reads the word drawn as the
    page draws it (centred on a pad_width x pad_height pad) as unsure, else None."""
    pixels = [np.asarray(stroke, dtype=np.float64) * pad_height + [pad_width / 2.0, 0.0]
              for stroke in strokes]
    ink = ink_on_word_pad(pixels, pad_width, pad_height)
    try:
        reading = reader.read_image(ink)
    except WordTooLongError:
        return None
    if reading["empty"] or not reading["unsure"]:
        return None
    return float(reading["words"][0][1] - reading["words"][1][1])


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
    parser.add_argument("--unsure", nargs=2, metavar=("MODEL", "LEXICON"), default=None,
                        help="keep only the words MODEL reads as unsure, closest calls first")
    parser.add_argument("--pad-width", type=int, default=922, help="the page's pad (922)")
    parser.add_argument("--pad-height", type=int, default=240, help="the page's pad (240)")
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
    reader = WordReader(*args.unsure) if args.unsure else None
    samples = []
    for index in rng.permutation(pool):
        strokes, width = pad_strokes(data, int(index), args.min_step)
        if width > args.max_width:
            continue
        sample = {"index": int(index), "text": data.label(int(index)),
                  "width": round(width, 4), "strokes": strokes}
        if reader is not None:
            gap = unsure_gap(reader, strokes, args.pad_width, args.pad_height)
            if gap is None:
                continue
            sample["gap"] = gap
        samples.append(sample)
        if len(samples) >= args.count * (4 if reader else 1):
            break
    if reader is not None:
        samples = sorted(samples, key=lambda s: s["gap"])[:args.count]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"split": "test", "seed": args.seed, "samples": samples}, f)
    print("wrote %d test-split words to %s" % (len(samples), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
