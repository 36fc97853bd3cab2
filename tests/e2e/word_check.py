"""Read the word pad's pixels the page sent with CPython pycnn, for the Word mode tests.

    python tests/e2e/word_check.py RUN_DIR --model words.npz --lexicon lexicon-en.tsv.gz

RUN_DIR/index.json lists {"items": [{"file", "width", "height", "set"}, ...]}: each file
holds the RGBA bytes of the word pad as the page sent them to its worker. Each is read by
`pycnn.read.word_reader.WordReader.read_pixels` within its set, with the model and word
list the page was served, and the readings are printed as JSON: {"readings": [{"empty",
"too_long", "raw", "words", "spans", "word_spans", "frames"}, ...]} (words as [word, score]).
"""

import argparse
import json
import os
import sys

import numpy as np

from pycnn.read.word_reader import WordReader, WordTooLongError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--model", required=True)
    parser.add_argument("--lexicon", required=True)
    args = parser.parse_args(argv)
    reader = WordReader(args.model, args.lexicon)
    with open(os.path.join(args.run_dir, "index.json"), encoding="utf-8") as f:
        items = json.load(f)["items"]
    readings = []
    for item in items:
        with open(os.path.join(args.run_dir, item["file"]), "rb") as f:
            pixels = np.frombuffer(f.read(), dtype=np.uint8)
        try:
            reading = reader.read_pixels(pixels, item["width"], item["height"], item["set"])
        except WordTooLongError:
            readings.append({"empty": True, "too_long": True, "raw": "", "words": [],
                             "spans": [], "word_spans": None, "frames": []})
            continue
        readings.append({"empty": reading["empty"], "too_long": False, "raw": reading["raw"],
                         "words": [[w, s] for w, s in reading["words"]],
                         "spans": reading["spans"], "word_spans": reading["word_spans"],
                         "frames": reading["frames"]})
    json.dump({"readings": readings}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
