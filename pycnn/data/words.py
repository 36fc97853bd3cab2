"""Load the UNIPEN words file: handwritten words as pen strokes, with their text.

The file and its format are described in data/unipen/README.md (`unipen_words_strokes.npz`).
It is read as hostile input, as the character files are (`pycnn.data.unipen.load_unipen`),
with the same checks of the ink (`unipen.validate_ink`) and word-sized limits on each sample.

Labels are cleaned as the data README says (`clean_text`): the UNIPEN escapes `\\"` and `\\\\`
become `"` and `\\` (`unipen.unescape`, which the symbols' labels go through too), kai's `\\@`
tags for ligatures and delayed strokes are removed (`m\\@usi\\@c\\@` is `music`), and
surrounding whitespace goes (`car\\t\\t\\t` is `car`). Then a word is dropped, unless `keep_all`,
for the first of these reasons that applies (DROP_REASONS): it is flagged `suspect`; its label
is `XXX`, a placeholder of sites hpp and hpb; its label is empty; its label holds a character
outside printable ASCII `!`..`~` (a space, a tab, anything non-ASCII). `WordData.dropped`
counts each.

Writers: every word carries its `writer`, and the split of the words is the one table of
`pycnn.data.unipen` (`writer_split(words)`), dealt over the character and word files together
so that a person is on one side in all three files.

This module is not loaded by the page; it keeps to Python 3.8 and NumPy 1.17 anyway.
"""

import os
import re

import numpy as np

from ..nn import serialize
from . import unipen
from .unipen import DataFileError

FILE_NAME = unipen.WORDS_FILE_NAME
REQUIRED_ARRAYS = ("text", "writer", "points", "stroke_offsets", "sample_stroke_offsets")
PLACEHOLDERS = ("XXX",)
DROP_REASONS = ("suspect", "placeholder", "empty", "unprintable")

# Limits on a words file, on top of unipen's (file and array sizes, coordinates, ink length).
# For scale, the shared words file holds 80 MB of arrays and 15.7 million points; its largest
# words are two hpp `XXX` placeholders of 5,405 points and 124 strokes (dropped as
# placeholders); the largest kept word has 1,970 points, and no word's ink is longer than
# 13 times the longest side of its box.
MAX_POINTS_PER_WORD = 8000
MAX_STROKES_PER_WORD = 200
MAX_LABEL_CHARS = 100  # as stored, tags and escapes included; the file's longest has 27

_PRINTABLE_ASCII = re.compile(r"[!-~]+\Z")


def default_words_path():
    """The words file the repository carries (data/unipen/)."""
    return unipen.default_data_path(FILE_NAME)


def clean_text(label):
    """A word's label as stored -> its text: escapes undone, `\\@` tags removed, surrounding
    whitespace stripped. The result may be empty or unprintable; `drop_reason` says so."""
    return unipen.unescape(label, drop_tags=True).strip()


def drop_reason(text, suspect=False):
    """Why a word with this cleaned text is dropped (one of DROP_REASONS), or None."""
    if suspect:
        return "suspect"
    if text in PLACEHOLDERS:
        return "placeholder"
    if not text:
        return "empty"
    if not _PRINTABLE_ASCII.match(text):
        return "unprintable"
    return None


class WordData(unipen.InkData):
    """The words of a words file, with those that `drop_reason` rejects dropped unless
    `keep_all` (then every word is kept, with its cleaned text).

    Word i (0 <= i < len(data)) has text `text[i]` (str, cleaned), `section[i]` (`6` or `7`,
    the UNIPEN section), `source[i]`, writer `writers[i]` and strokes `strokes(i)`; the ink is
    laid out as `unipen.InkData` says, and `gather_points` works as for characters.
    `dropped`: {reason: words dropped for it}, in DROP_REASONS order.
    """

    def __init__(self, arrays, path="<memory>", keep_all=False):
        raw = arrays["text"].tolist()
        text = [clean_text(label) for label in raw]
        if "suspect" in arrays:
            suspect = arrays["suspect"].astype(bool).tolist()
        else:
            suspect = [False] * len(raw)
        reasons = [drop_reason(t, s) for t, s in zip(text, suspect)]
        self.dropped = {reason: 0 for reason in DROP_REASONS}
        keep = np.ones(len(raw), dtype=bool)
        if not keep_all:
            for i, reason in enumerate(reasons):
                if reason is not None:
                    self.dropped[reason] += 1
                    keep[i] = False
        unipen.InkData.__init__(self, arrays, keep, path)
        self.text = np.array(text, dtype=str)[keep]
        self.section = unipen.per_sample_strings(arrays, "section", keep, "7")
        self.source = unipen.per_sample_strings(arrays, "source", keep, "unknown")
        self.writers = arrays["writer"].astype(str)[keep]

    def label(self, i):
        return str(self.text[i])

    def alphabet(self):
        """The characters the kept words use, in `unipen.class_order` (digits, capitals,
        small letters, symbols)."""
        return unipen.class_order(sorted(set("".join(self.text.tolist()))))


def load_words(path=None, keep_all=False):
    """Load a words file in the format of data/unipen/; raise DataFileError if unusable.

    path: defaults to the repository's copy. Required arrays: text, writer, points,
    stroke_offsets, sample_stroke_offsets. Optional: section (default `7`), source, datfile
    and datfile_names, suspect (default none). Other arrays (the character segmentation,
    `char_*`) are read, within the size limits, and not used.
    """
    path = os.fspath(path) if path is not None else default_words_path()
    data = WordData(read_word_arrays(path), path=path, keep_all=keep_all)
    if len(data) == 0:
        unipen._fail(path, "all %d words were dropped (%s): nothing left to use" % (
            sum(data.dropped.values()),
            ", ".join("%d %s" % (n, reason) for reason, n in data.dropped.items() if n)))
    return data


def read_word_arrays(path):
    """{name: array} of a words file, every array checked (see the module docstring)."""
    if not os.path.lexists(path):
        unipen._fail(path, "no such file (the words file is %s in data/unipen/)" % FILE_NAME)
    # LZMA members (a deflated words file would be 42 MB), read in small pieces.
    arrays = serialize.read_npz(path, DataFileError, unipen.MAX_FILE_BYTES,
                                unipen.MAX_ARRAY_BYTES, what="a words .npz file",
                                allow_lzma=True)
    unipen.require_arrays(path, arrays, REQUIRED_ARRAYS, "a UNIPEN words file")
    text = arrays["text"]
    if text.ndim != 1 or text.dtype.kind != "U":
        unipen._fail(path, "text must be a 1-D array of strings, got %s %r"
                     % (text.dtype, text.shape))
    if text.dtype.itemsize // 4 > MAX_LABEL_CHARS:
        unipen._fail(path, "text holds labels of up to %d characters; the limit is %d"
                     % (text.dtype.itemsize // 4, MAX_LABEL_CHARS))
    unipen.validate_ink(path, arrays, len(text), MAX_POINTS_PER_WORD, MAX_STROKES_PER_WORD,
                        noun="word")
    return arrays


