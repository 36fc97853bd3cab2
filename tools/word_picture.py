"""Draw how the word model reads a few validation words, for the README and the model card:

    python tools/word_picture.py [--model weights/words.npz] [--out weights/word-reading.png]

Each word's network input, with the model's best class for every frame under the columns it
stems from (a dot for CTC's blank), the raw reading and the best words with the lexicon.
The words are the first validation words (held-out writers, never the test split) with the
texts in WORDS, so the picture shows the same words whenever the model changes.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pycnn.cli import load_word_reader  # noqa: E402
from pycnn.data.unipen import writer_split  # noqa: E402
from pycnn.data.word_render import render_words  # noqa: E402
from pycnn.data.words import load_words  # noqa: E402
from pycnn.measure.report import plot_word_readings  # noqa: E402

WORDS = ("meeting", "Seattle", "September", "1973")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/words.npz")
    p.add_argument("--out", default="weights/word-reading.png")
    args = p.parse_args()
    reader = load_word_reader(args.model)
    data = load_words()
    val = writer_split(data)["val"]
    examples = []
    for text in WORDS:
        found = [int(i) for i in val if data.label(int(i)) == text][:1]
        if not found:
            print("no validation word %r; left out" % text)
            continue
        images, texts, _ = render_words(data, found, augment=False)
        reading = reader.read_input(images[0])
        examples.append(("truth %r:" % texts[0], images[0], reading))
    plot_word_readings(examples, args.out)
    print("wrote %s (%d words)" % (args.out, len(examples)))


if __name__ == "__main__":
    main()
