"""A word list with frequencies, for reading handwritten words (`pycnn.read.word_decode`).

A lexicon file is plain ASCII text, one entry a line,

    word<TAB>frequency<LF>

optionally gzip-compressed (recognised by its magic bytes, not by its name). The shipped one,
`weights/lexicon-en.tsv.gz`, is made by `tools/make_lexicon.py` from wordfreq's English list
(CC BY-SA 4.0, see weights/LEXICON-LICENSE.md); its words are lowercase and the decoder
makes "Word" and "WORD" from "word" itself. A custom lexicon may hold any case ("NASA",
"iPhone"): an entry is read as written, and also capitalised and in capitals.

Every file is read as hostile input, and anything wrong raises `LexiconError` with one
sentence naming the line:

- at most MAX_FILE_BYTES are read, and a gzip stream is inflated in steps that stop as soon
  as the text passes MAX_TEXT_BYTES, so a small file that inflates to gigabytes (a gzip
  bomb) costs at most that much memory; a truncated or corrupt stream, or bytes after it,
  are refused;
- at most MAX_ENTRIES lines, counted before anything is split;
- a word is 1 to MAX_WORD_CHARS printable ASCII characters, `!` to `~`: no space, tab,
  control character or non-ASCII byte; the line is exactly a word, one tab, a frequency;
- a frequency is a finite positive number (a count, or a relative frequency: only ratios
  matter);
- a word appears once. Duplicates are refused, not merged: the tool never writes them, so a
  duplicate means a file that was edited or put together by hand, and whether its two
  frequencies should be added or one of them is a mistake is not the reader's to guess.

`Lexicon` keeps the words sorted as one NumPy bytes array, their log prior probabilities
log(f / sum f), and, built on first use, a trie laid out as flat arrays per depth (`trie`),
which is what the decoder walks. Nothing here loops over the entries in Python except to
word an error. For the shipped 50,984 words, in CPython 3.11 on two cores shared with a
training run: loading 30 to 50 ms and the trie 25 ms on first use (with Python 3.8 and
NumPy 1.17.5, the page's versions, about 40 and 22 ms); Pyodide is some 3 to 10 times
slower. Runs on the page's Python (3.8, NumPy 1.17).
"""

import bisect
import os
import zlib

import numpy as np

from ..nn.serialize import UnreadableFile, open_regular_file

MAX_FILE_BYTES = 20 * 2 ** 20  # the file as read, compressed or not
MAX_TEXT_BYTES = 20 * 2 ** 20  # the text once inflated (the shipped one is about 0.7 MB)
MAX_ENTRIES = 500000
MAX_WORD_CHARS = 48

# Bytes a lexicon's text may hold: printable ASCII without the space, the tab, the newline.
_ALLOWED = bytes(range(0x21, 0x7F)) + b"\t\n"
_GZIP_MAGIC = b"\x1f\x8b"


class LexiconError(ValueError):
    """A lexicon that can't be used: unreadable, too large, or a line that is not a word,
    a tab and a positive frequency."""


def load_lexicon(source, name=None, max_file_bytes=MAX_FILE_BYTES,
                 max_text_bytes=MAX_TEXT_BYTES, max_entries=MAX_ENTRIES):
    """A Lexicon from a path (str or os.PathLike) or from the file's bytes, gzip or plain."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "the lexicon"
        if len(data) > max_file_bytes:
            raise LexiconError("%s is %d bytes, more than the %d a lexicon may have"
                               % (name, len(data), max_file_bytes))
    elif isinstance(source, (str, os.PathLike)):
        name = name or "lexicon %s" % _shown_path(source)
        try:
            stream, _ = open_regular_file(source, "a lexicon file")
            with stream:
                data = stream.read(max_file_bytes + 1)
        except UnreadableFile as err:  # a FIFO or a device is refused, never waited on
            raise LexiconError("cannot read %s: %s" % (name, err)) from None
        except OSError as err:
            raise LexiconError("cannot read %s: %s" % (name, err.strerror or err)) from None
        if len(data) > max_file_bytes:
            raise LexiconError("%s is larger than the %d bytes a lexicon may have"
                               % (name, max_file_bytes))
    else:
        raise LexiconError("a lexicon is a path or the file's bytes, not %s"
                           % type(source).__name__)
    if data[:2] == _GZIP_MAGIC:
        text = _inflate(data, name, max_text_bytes)
    elif len(data) > max_text_bytes:
        raise LexiconError("%s is %d bytes of text, more than the %d a lexicon may have"
                           % (name, len(data), max_text_bytes))
    else:
        text = data
    return parse_lexicon(text, name, max_entries)


def _shown_path(path):
    return repr(os.fsdecode(path))


def _inflate(data, name, limit):
    """The gzip stream `data` inflated, refusing it as soon as it passes `limit` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pieces = []
    total = 0
    pending = data
    try:
        while True:
            # A megabyte at a time, so that the pieces never hold much more than `limit`.
            piece = inflater.decompress(pending, min(2 ** 20, limit + 1 - total))
            total += len(piece)
            if total > limit:
                raise LexiconError("%s inflates to more than the %d bytes a lexicon may have"
                                   % (name, limit))
            pieces.append(piece)
            pending = inflater.unconsumed_tail
            if inflater.eof or (not pending and not piece):
                break
    except zlib.error as err:
        raise LexiconError("%s is not a valid gzip file (%s)" % (name, err)) from None
    if not inflater.eof:
        raise LexiconError("%s is a truncated gzip file" % name)
    if inflater.unused_data:
        raise LexiconError("%s has %d bytes after the end of its gzip stream"
                           % (name, len(inflater.unused_data)))
    return b"".join(pieces)


def _byte_named(byte):
    names = {0x20: "a space", 0x0D: "a carriage return (lines must end in LF alone)",
             0x09: "a tab", 0x00: "a NUL byte"}
    if byte in names:
        return names[byte]
    if byte >= 0x80:
        return "the byte 0x%02x, which is not ASCII (a word is printable ASCII)" % byte
    return "the control character 0x%02x" % byte


def parse_lexicon(text, name="the lexicon", max_entries=MAX_ENTRIES):
    """A Lexicon from the plain text of a lexicon file (bytes); see the module docstring."""
    if not isinstance(text, bytes):
        raise LexiconError("the text of %s must be bytes, not %s" % (name, type(text).__name__))
    bad = text.translate(None, _ALLOWED)
    if bad:
        at = text.index(bad[:1])
        raise LexiconError("line %d of %s holds %s"
                           % (text.count(b"\n", 0, at) + 1, name, _byte_named(bad[0])))
    if text.endswith(b"\n"):
        text = text[:-1]
    if not text:
        raise LexiconError("%s holds no words" % name)
    lines = text.count(b"\n") + 1
    if lines > max_entries:
        raise LexiconError("%s has %d lines, more than the %d entries a lexicon may have"
                           % (name, lines, max_entries))
    codes = np.frombuffer(text + b"\n", dtype=np.uint8)
    separators = _separators(codes, lines)
    if separators is None:
        _raise_first_malformed(text, name)
    tabs = separators[0::2]
    ends = separators[1::2]
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = tabs - starts
    longest = int(lengths.max())
    if longest > MAX_WORD_CHARS:
        line = int(np.flatnonzero(lengths > MAX_WORD_CHARS)[0])
        raise LexiconError("line %d of %s holds a word of %d characters, longer than the %d "
                           "a word may have" % (line + 1, name, lengths[line], MAX_WORD_CHARS))
    frequencies = _frequencies(text, codes, tabs, ends, name)
    with np.errstate(invalid="ignore"):  # nan > 0 warns in old NumPy
        wrong = ~(np.isfinite(frequencies) & (frequencies > 0))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise LexiconError("line %d of %s: the frequency %r of %r is not a finite positive "
                           "number" % (i + 1, name, _field(text, tabs[i] + 1, ends[i]),
                                       _field(text, starts[i], tabs[i])))
    # The words as an (N, longest) byte matrix, zero-padded: viewed as one bytes array.
    n = lengths.size
    source = _runs(starts, lengths)
    target = source + np.repeat((np.arange(n) * longest - starts).astype(np.intp),
                                lengths.astype(np.intp))
    chars = np.zeros(n * longest, dtype=np.uint8)
    chars[target] = codes[source]
    chars = chars.reshape(n, longest)
    keys = chars.view("S%d" % longest).ravel()
    words = None
    if keys.size < 2 or (keys[1:] > keys[:-1]).all():  # sorted, as the shipped file is
        words = text.decode("ascii").split()[0::2]  # the str list, faster than from keys
    else:
        order = np.argsort(keys, kind="mergesort")
        keys = keys[order]
        chars = chars[order]
        frequencies = frequencies[order]
        same = np.flatnonzero(keys[1:] == keys[:-1])
        if same.size:
            first = int(same[0])
            lines_of = sorted((int(order[first]) + 1, int(order[first + 1]) + 1))
            raise LexiconError("the word %r is on lines %d and %d of %s: each word may "
                               "appear once (add up its frequencies on one line)"
                               % (keys[first].decode("ascii"), lines_of[0], lines_of[1], name))
    return Lexicon(keys, frequencies, name, chars=chars, words=words)


def _field(text, start, stop):
    return text[int(start):int(stop)].decode("ascii")


def _runs(first, counts):
    """The positions first[i], first[i] + 1, ..., first[i] + counts[i] - 1 of every run,
    one run after another (intp, as np.repeat and indexing want them in Pyodide too)."""
    counts = counts.astype(np.intp)
    offsets = np.cumsum(counts) - counts
    return np.repeat((first - offsets).astype(np.intp), counts) + np.arange(
        int(counts.sum()), dtype=np.intp)


def _frequencies(text, codes, tabs, ends, name):
    """The frequency of every line, float64. Whole numbers of up to 15 digits (what the
    tool writes, exact in float64) are read with NumPy over all lines at once; anything
    else through float()."""
    widths = (ends - tabs - 1).astype(np.intp)
    if widths.max() <= 15:
        source = _runs(tabs + 1, widths)
        digits = codes[source].astype(np.intp) - 48
        if ((digits >= 0) & (digits <= 9)).all():
            power = np.repeat((ends - 1).astype(np.intp), widths) - source
            return np.add.reduceat(digits * (10.0 ** np.arange(16))[power],
                                   np.cumsum(widths) - widths)
    values = np.empty(tabs.size)
    for i in range(tabs.size):
        count = text[int(tabs[i]) + 1:int(ends[i])]
        try:
            values[i] = float(count)
        except ValueError:
            raise LexiconError("line %d of %s: the frequency %r is not a number"
                               % (i + 1, name, count.decode("ascii"))) from None
    return values


def _separators(codes, lines):
    """The positions of the tabs and line ends, tab first on every line, when each line is
    exactly: some bytes, one tab, some bytes; else None."""
    separators = np.flatnonzero((codes == 9) | (codes == 10))
    if separators.size != 2 * lines:
        return None
    kinds = codes[separators]
    if not ((kinds[0::2] == 9).all() and (kinds[1::2] == 10).all()):
        return None
    if separators[0] == 0 or (separators.size > 1 and np.diff(separators).min() <= 1):
        return None
    return separators


def _raise_first_malformed(text, name):
    for number, line in enumerate(text.split(b"\n"), 1):
        parts = line.split(b"\t")
        if not line:
            problem = "is empty"
        elif len(parts) == 1:
            problem = "has no tab: a line is a word, a tab and its frequency"
        elif len(parts) > 2:
            problem = "has %d tabs: a line is a word, one tab and its frequency" % (len(parts)
                                                                                    - 1)
        elif not parts[0]:
            problem = "has no word before its tab"
        elif not parts[1]:
            problem = "has no frequency after its tab"
        else:
            continue
        raise LexiconError("line %d of %s %s" % (number, name, problem))
    raise LexiconError("%s is malformed" % name)  # not reached


def lexicon_from_words(words, frequencies=None, name="the word list"):
    """A Lexicon from Python strings (and frequencies, all 1 when None), checked exactly as a
    file is: line numbers in errors count the words from 1."""
    words = list(words)
    if frequencies is None:
        frequencies = [1] * len(words)
    frequencies = list(frequencies)
    if len(frequencies) != len(words):
        raise LexiconError("%d frequencies for %d words" % (len(frequencies), len(words)))
    lines = []
    for i, (word, frequency) in enumerate(zip(words, frequencies), 1):
        if not isinstance(word, str):
            raise LexiconError("word %d of %s is %s, not a string"
                               % (i, name, type(word).__name__))
        if not word or any(not "!" <= c <= "~" for c in word):
            bad = next((c for c in word if not "!" <= c <= "~"), None)
            raise LexiconError("word %d of %s, %r, %s" % (
                i, name, word, "is empty" if bad is None else
                "holds %r, which is not a printable ASCII character other than the space"
                % bad))
        if isinstance(frequency, bool) or not isinstance(frequency, (int, float, np.number)):
            raise LexiconError("the frequency of word %d of %s, %r, is not a number"
                               % (i, name, frequency))
        lines.append("%s\t%r" % (word, float(frequency)))
    return parse_lexicon("\n".join(lines).encode("ascii"), name, max_entries=MAX_ENTRIES)


class Lexicon:
    """Words with log prior probabilities, sorted (byte order), and a trie over them.

    keys: (N,) NumPy bytes array, sorted and unique; frequencies: (N,) positive floats in
    the same order; chars: the same words as an (N, width) zero-padded uint8 matrix, or None
    to make it from keys; words: the same as a list of str, or None to make it when asked.
    Made by `load_lexicon`, `parse_lexicon` or `lexicon_from_words`, which check what this
    trusts.
    """

    def __init__(self, keys, frequencies, name="the lexicon", chars=None, words=None):
        self.name = name
        self.keys = keys
        if chars is None:
            chars = np.frombuffer(keys.tobytes(), dtype=np.uint8).reshape(
                keys.size, keys.dtype.itemsize)
        self.chars = chars
        self.frequencies = np.asarray(frequencies, dtype=np.float64)
        self.log_prior = np.log(self.frequencies) - np.log(self.frequencies.sum())
        self.min_log_prior = float(self.log_prior.min())
        self.max_log_prior = float(self.log_prior.max())
        self._trie = None
        self._words = words

    def __len__(self):
        return int(self.keys.size)

    def __repr__(self):
        return "<Lexicon %s: %d words>" % (self.name, len(self))

    @property
    def words(self):
        """The words as str, in the lexicon's (byte) order."""
        if self._words is None:
            self._words = [key.decode("ascii") for key in self.keys.tolist()]
        return self._words

    def _index(self, word):
        # bisect on the sorted str list: ASCII str order is the keys' byte order.
        words = self.words
        i = bisect.bisect_left(words, word) if isinstance(word, str) else len(words)
        return i if i < len(words) and words[i] == word else -1

    def __contains__(self, word):
        return self._index(word) >= 0

    def log_prior_of(self, word):
        """log P(word) as written (case matters), or None for a word not in the lexicon."""
        i = self._index(word)
        return None if i < 0 else float(self.log_prior[i])

    @property
    def trie(self):
        """The trie (`Trie`), built on first use."""
        if self._trie is None:
            self._trie = Trie(self.chars, self.log_prior)
        return self._trie


class Trie:
    """The lexicon's prefixes as flat arrays, one `TrieLevel` per depth: levels[d - 1] holds
    the prefixes of d characters, in the words' sorted order.

    A prefix of d characters starts at the first sorted word that has it: word i starts
    the prefixes of lengths first[i] + 1 .. len(word i), first[i] being the first column
    where word i differs from word i - 1. So each level is found with NumPy from the words
    still long enough, the work over all levels being the total length of the words.
    """

    def __init__(self, chars, log_prior):
        n, width = chars.shape
        lengths = (chars != 0).sum(axis=1)
        first = np.zeros(n, dtype=np.intp)
        if n > 1:
            first[1:] = (chars[1:] != chars[:-1]).argmax(axis=1)
        self.levels = []
        alive = np.arange(n)
        parent_starts = None
        for depth in range(1, width + 1):
            alive = alive[lengths[alive] >= depth]
            if not alive.size:
                break
            start = alive[first[alive] < depth]
            level = TrieLevel(start, chars[start, depth - 1], lengths[start] == depth)
            if parent_starts is not None:
                # Each node's parent: the last node one level up starting at or before it.
                parent = np.searchsorted(parent_starts, start, side="right") - 1
                above = self.levels[-1]
                counts = np.bincount(parent.astype(np.intp), minlength=parent_starts.size)
                above.child_hi = np.cumsum(counts).astype(np.intp)
                above.child_lo = above.child_hi - counts.astype(np.intp)
            self.levels.append(level)
            parent_starts = start
        # Best log prior under each node, from the deepest level up: its own word's, and
        # its children's best (their ranges tile the level below, so one reduceat).
        below = None
        for level in reversed(self.levels):
            best = np.where(level.is_word, log_prior[level.start], -np.inf)
            if below is not None:
                has = level.child_hi > level.child_lo
                if has.any():
                    best[has] = np.maximum(best[has], np.maximum.reduceat(
                        below, level.child_lo[has]))
            level.best_log_prior = best
            below = best
        self.size = sum(level.start.size for level in self.levels)


class TrieLevel:
    """The nodes of one depth d: start, the first of the sorted words holding the prefix;
    char, its d-th byte; is_word, whether the prefix is itself a word (then words[start]);
    best_log_prior, the highest log prior among the words under it; child_lo/child_hi, its
    children's index range in the next level (equal when it has none)."""

    def __init__(self, start, char, is_word):
        self.start = start
        self.char = char
        self.is_word = is_word
        self.child_lo = np.zeros(start.size, dtype=np.intp)
        self.child_hi = np.zeros(start.size, dtype=np.intp)
        self.best_log_prior = None
