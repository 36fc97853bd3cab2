"""Build weights/lexicon-en.tsv.gz: the English words the word reader prefers, with frequencies.

    python tools/make_lexicon.py [--size 50000] [--no-unipen] [--out weights/lexicon-en.tsv.gz]

Source: wordfreq (PyPI, `pip install wordfreq`; pinned in requirements-dev.txt), its English
"best" list, whose data is CC BY-SA 4.0 (weights/LEXICON-LICENSE.md credits it and its
sources). wordfreq lowercases, and it writes every multi-digit number as zeros ("0000"), so
only words of small letters are kept, with apostrophes or hyphens inside ("don't",
"o'clock"): no digits (numbers are read as they are written, not looked up), no "u.s" or
"e.g" (wordfreq drops their final dot, so no one writes them that way), nothing outside
ASCII. The SIZE most frequent of those are written, each with its frequency in occurrences
per billion words (wordfreq keeps its figures in steps of a centibel, about 2.3%, anyway).

Then, unless --no-unipen, the words of the TRAINING split of the UNIPEN words file
(`pycnn.data.words.load_words`, `writer_split(words)["train"]`; never a validation or test
word), lowercased and of the same form, that wordfreq's top SIZE lack, each with the
frequency of the least frequent word already in the list: a word someone wrote for UNIPEN is
worth reading, but the training split says nothing about how common it is. Only words that
wordfreq knows at all are added: the training split also holds fragments of words ("hallenge",
"lourishes", cut where UNIPEN's segmentation cut them) and strings of random letters, which a
reader should not prefer to what it sees.

The file is sorted by word in byte order, which is the order `pycnn.read.lexicon` keeps (a
sorted file spares the page a sort when it loads; `zcat FILE | sort -t$'\\t' -k2nr` lists it
by frequency), one `word<TAB>count` a line, gzip at level 9 without a time stamp, so two runs
give the same bytes. Needs wordfreq only here: the page and the tests read the committed file.
"""

import argparse
import gzip
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*\Z")
PER = 1e9  # frequencies are written as occurrences per billion words


def wordfreq_words(size):
    """[(word, count per billion)] of wordfreq's English list, most frequent first."""
    from importlib.metadata import version

    import wordfreq

    table = wordfreq.get_frequency_dict("en", wordlist="best")
    kept = sorted(((w, f) for w, f in table.items() if WORD.match(w)),
                  key=lambda item: (-item[1], item[0]))
    return [(w, max(1, int(round(f * PER)))) for w, f in kept[:size]], version("wordfreq")


def unipen_training_words():
    """The distinct lowercased training-split UNIPEN words of the kept form that wordfreq
    knows."""
    import wordfreq

    from pycnn.data.unipen import writer_split
    from pycnn.data.words import load_words

    words = load_words()
    train = writer_split(words)["train"]
    found = set(str(words.text[i]).lower() for i in train)
    return sorted(w for w in found if WORD.match(w) and wordfreq.word_frequency(w, "en") > 0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=50000, help="how many wordfreq words")
    p.add_argument("--no-unipen", action="store_true",
                   help="leave out the UNIPEN training-split words")
    p.add_argument("--out", default=os.path.join(REPO, "weights", "lexicon-en.tsv.gz"))
    args = p.parse_args(argv)

    entries, version = wordfreq_words(args.size)
    added = []
    if not args.no_unipen:
        have = set(w for w, _ in entries)
        floor = entries[-1][1]
        added = [(w, floor) for w in unipen_training_words() if w not in have]
        entries = entries + added
    entries.sort()  # byte order, the loader's: it then has nothing to sort
    text = "".join("%s\t%d\n" % entry for entry in entries).encode("ascii")
    data = gzip.compress(text, compresslevel=9, mtime=0)

    # Check it as the page will read it before writing anything.
    from pycnn.read.lexicon import load_lexicon

    lexicon = load_lexicon(data, name="the new lexicon")
    with open(args.out, "wb") as stream:
        stream.write(data)
    print("%s: %d words (%d from wordfreq %s, %d from UNIPEN training words), %d bytes of "
          "text, %d gzip bytes" % (args.out, len(lexicon), len(entries) - len(added), version,
                                   len(added), len(text), len(data)))


if __name__ == "__main__":
    main()
