"""Lexicons (pycnn/read/lexicon.py): the shipped word list, parsing, the trie, and hostile
files, each refused with one sentence naming the problem and its line.

Only pytest, numpy and pycnn: this file also runs on the page's Python 3.8 + NumPy 1.17
(`make compat`), which copies the shipped word list in too.
"""

import gzip
import os
import re
import zlib

import numpy as np
import pytest

from pycnn.read.lexicon import (
    MAX_ENTRIES,
    MAX_TEXT_BYTES,
    MAX_WORD_CHARS,
    Lexicon,
    LexiconError,
    lexicon_from_words,
    load_lexicon,
    parse_lexicon,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(ROOT, "weights", "lexicon-en.tsv.gz")
LICENCE = os.path.join(ROOT, "weights", "LEXICON-LICENSE.md")
# What tools/make_lexicon.py keeps: small letters, apostrophes or hyphens inside.
SHIPPED_LINE = re.compile(rb"[a-z]+(?:['-][a-z]+)*\t[1-9][0-9]*\Z")


@pytest.fixture(scope="module")
def shipped_bytes():
    if not os.path.exists(SHIPPED):
        pytest.fail("weights/lexicon-en.tsv.gz is missing: it is committed (make it with "
                    "tools/make_lexicon.py)")
    with open(SHIPPED, "rb") as stream:
        return stream.read()


@pytest.fixture(scope="module")
def shipped(shipped_bytes):
    return load_lexicon(shipped_bytes)


# --- the shipped file ------------------------------------------------------------------------

def test_shipped_lexicon_loads_within_its_limits(shipped_bytes, shipped):
    assert shipped_bytes[:2] == b"\x1f\x8b"
    assert len(shipped_bytes) < 300 * 1024  # about 238 kB; the page downloads it
    assert 40000 <= len(shipped) <= MAX_ENTRIES
    text = gzip.decompress(shipped_bytes)
    assert len(text) < MAX_TEXT_BYTES // 10
    assert abs(np.exp(shipped.log_prior).sum() - 1.0) < 1e-9


def test_shipped_lexicon_has_common_words_most_frequent_first(shipped):
    for word in ("the", "and", "of", "a", "i", "hello", "don't", "handwriting", "write"):
        assert word in shipped, word
    assert shipped.log_prior_of("the") == shipped.max_log_prior
    assert shipped.log_prior_of("the") > shipped.log_prior_of("house") > \
        shipped.log_prior_of("handwriting")
    for absent in ("The", "0000", "u.s", "", "qwzxv"):
        assert absent not in shipped, absent


def test_every_shipped_line_is_a_lowercase_word_a_tab_and_a_count(shipped_bytes, shipped):
    lines = gzip.decompress(shipped_bytes).split(b"\n")
    assert lines[-1] == b""  # one LF after the last line too
    lines = lines[:-1]
    bad = [line for line in lines if not SHIPPED_LINE.match(line)]
    assert not bad, bad[:5]
    words = [line.split(b"\t")[0].decode("ascii") for line in lines]
    assert words == sorted(words) == shipped.words  # byte order: the loader sorts nothing
    assert len(set(words)) == len(words)
    assert max(len(w) for w in words) <= MAX_WORD_CHARS


def test_shipped_lexicon_is_credited_under_cc_by_sa():
    with open(LICENCE, encoding="utf-8") as stream:
        text = stream.read()
    for needed in ("CC BY-SA 4.0", "creativecommons.org/licenses/by-sa/4.0", "wordfreq",
                   "Robyn Speer", "SUBTLEX", "OpenSubtitles", "books.google.com/ngrams",
                   "UNIPEN"):
        assert needed in text, needed


# --- parsing ---------------------------------------------------------------------------------

def test_words_and_frequencies_are_read_sorted_with_log_priors():
    lexicon = parse_lexicon(b"the\t60\nThe\t10\na\t20\nzebra\t10\n")
    assert lexicon.words == ["The", "a", "the", "zebra"]
    assert list(lexicon.frequencies) == [10, 20, 60, 10]
    assert np.allclose(lexicon.log_prior, np.log([0.1, 0.2, 0.6, 0.1]))
    assert lexicon.log_prior_of("the") == pytest.approx(np.log(0.6))
    assert lexicon.log_prior_of("THE") is None  # case matters: the decoder makes variants
    assert "The" in lexicon and "the" in lexicon and "thee" not in lexicon
    assert "" not in lexicon and 5 not in lexicon and "caf\u00e9" not in lexicon
    assert len(lexicon) == 4 and "4 words" in repr(lexicon)


def test_any_order_and_a_missing_final_newline_give_the_same_lexicon():
    a = parse_lexicon(b"b\t2\na\t1\nc\t3")
    b = parse_lexicon(b"a\t1\nb\t2\nc\t3\n")
    assert a.words == b.words and np.array_equal(a.frequencies, b.frequencies)


def test_frequencies_may_be_decimals_or_exponents():
    lexicon = parse_lexicon(b"a\t0.5\nb\t2e-3\nc\t7\nd\t0012\n")
    assert list(lexicon.frequencies) == [0.5, 0.002, 7.0, 12.0]


def test_whole_number_frequencies_are_exact():
    lexicon = parse_lexicon(b"a\t999999999999999\nb\t1\nc\t100000000\n")
    assert list(lexicon.frequencies) == [999999999999999.0, 1.0, 100000000.0]


def test_a_lexicon_from_python_words_is_checked_like_a_file():
    lexicon = lexicon_from_words(["cat", "dog", "x=y+1;"], [3, 1, 1])
    assert lexicon.words == ["cat", "dog", "x=y+1;"]
    assert lexicon.log_prior_of("cat") == pytest.approx(np.log(0.6))
    assert np.array_equal(lexicon_from_words(["b", "a"]).frequencies, [1.0, 1.0])


def test_load_from_a_path_or_bytes_gzip_or_plain(tmp_path):
    text = b"one\t5\ntwo\t3\n"
    plain = tmp_path / "words.tsv"
    plain.write_bytes(text)
    packed = tmp_path / "words.tsv.gz"
    packed.write_bytes(gzip.compress(text))
    for source in (str(plain), packed, text, gzip.compress(text), bytearray(text)):
        lexicon = load_lexicon(source)
        assert lexicon.words == ["one", "two"], source


def brute_force_prefixes(words, log_prior):
    best = {}
    for word, value in zip(words, log_prior):
        for depth in range(1, len(word) + 1):
            best[word[:depth]] = max(best.get(word[:depth], -np.inf), value)
    return best


def test_trie_holds_every_prefix_its_words_and_best_prior():
    rng = np.random.RandomState(3)
    words = sorted(set("".join(rng.choice(list("abcAB'"), rng.randint(1, 7)))
                       for _ in range(300)))
    lexicon = lexicon_from_words(words, rng.randint(1, 100, len(words)))
    trie = lexicon.trie
    found = {}

    def walk(depth, nodes, prefix):
        if not len(nodes):
            return
        level = trie.levels[depth]
        for k in nodes:
            text = prefix + chr(level.char[k])
            assert text not in found
            first = lexicon.words[level.start[k]]
            assert first.startswith(text)
            found[text] = (level.best_log_prior[k], bool(level.is_word[k]) == (first == text))
            walk(depth + 1, range(level.child_lo[k], level.child_hi[k]), text)

    walk(0, range(trie.levels[0].start.size), "")
    expected = brute_force_prefixes(lexicon.words, lexicon.log_prior)
    assert set(found) == set(expected)
    assert trie.size == len(expected)
    for prefix, (best, word_ok) in found.items():
        assert best == expected[prefix] and word_ok, prefix
    assert lexicon.trie is trie  # built once


# --- hostile files ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    (b"", "holds no words"),
    (b"\n", "holds no words"),
    (b"a\t1\nb\t2\na\t3\n", "the word 'a' is on lines 1 and 3 of the lexicon: each word may "
                            "appear once"),
    (b"new york\t1\n", "line 1 of the lexicon holds a space"),
    (b"a\t1\r\nb\t2\r\n", "line 1 of the lexicon holds a carriage return"),
    (b"a\t1\ncaf\xc3\xa9\t1\n", "line 2 of the lexicon holds the byte 0xc3, which is not ASCII"),
    (b"a\t1\nb\t1\nx\x07\t1\n", "line 3 of the lexicon holds the control character 0x07"),
    (b"a\x00\t1\n", "line 1 of the lexicon holds a NUL byte"),
    (b"a\t1\n\t5\n", "line 2 of the lexicon has no word before its tab"),
    (b"a\t\n", "line 1 of the lexicon has no frequency after its tab"),
    (b"a\t1\nb\n", "line 2 of the lexicon has no tab"),
    (b"a\t1\t2\n", "line 1 of the lexicon has 2 tabs"),
    (b"a\t1\n\nb\t2\n", "line 2 of the lexicon is empty"),
    (b"a\t1\nb\t-1\n", "line 2 of the lexicon: the frequency '-1' of 'b' is not a finite "
                       "positive number"),
    (b"a\t0\n", "the frequency '0' of 'a' is not a finite positive number"),
    (b"a\t1\nb\tnan\n", "the frequency 'nan' of 'b' is not a finite positive number"),
    (b"a\tinf\n", "the frequency 'inf' of 'a' is not a finite positive number"),
    (b"a\t1\nb\tmany\n", "line 2 of the lexicon: the frequency 'many' is not a number"),
    (b"a\t1.5.2\n", "line 1 of the lexicon: the frequency '1.5.2' is not a number"),
    (b"a\t1\n" + b"w" * (MAX_WORD_CHARS + 1) + b"\t1\n",
     "line 2 of the lexicon holds a word of 49 characters, longer than the 48"),
])
def test_hostile_text_is_refused_with_a_sentence_naming_the_line(text, message):
    with pytest.raises(LexiconError) as caught:
        load_lexicon(text)
    assert message in str(caught.value)
    with pytest.raises(LexiconError) as packed:  # the same, gzipped
        load_lexicon(gzip.compress(text))
    assert message in str(packed.value)


def test_too_many_entries_are_refused_before_anything_is_split():
    with pytest.raises(LexiconError, match="has 4 lines, more than the 3 entries"):
        load_lexicon(b"a\t1\nb\t1\nc\t1\nd\t1\n", max_entries=3)
    assert len(load_lexicon(b"a\t1\nb\t1\nc\t1\n", max_entries=3)) == 3


def test_too_large_files_are_refused_before_reading_them_whole(tmp_path):
    path = tmp_path / "big.tsv"
    path.write_bytes(b"a\t1\n" * 100)
    with pytest.raises(LexiconError, match="larger than the 64 bytes"):
        load_lexicon(str(path), max_file_bytes=64)
    with pytest.raises(LexiconError, match="400 bytes, more than the 64"):
        load_lexicon(b"a\t1\n" * 100, max_file_bytes=64)
    with pytest.raises(LexiconError, match="400 bytes of text, more than the 64"):
        load_lexicon(b"a\t1\n" * 100, max_text_bytes=64)


def gzip_bomb(size, piece=2 ** 20):
    """A gzip stream of `size` zero bytes, made a piece at a time (never `size` in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(piece)
    parts = [packer.compress(zeros) for _ in range(size // piece)]
    return b"".join(parts) + packer.flush()


def peak_memory(call):
    """(what call raised, the peak of Python's traced allocations during it), or None for
    the peak where tracemalloc is missing."""
    try:
        import tracemalloc
    except ImportError:
        tracemalloc = None
    if tracemalloc is not None:
        tracemalloc.start()
    try:
        call()
    except LexiconError as err:
        raised = err
    else:
        raised = None
    peak = None
    if tracemalloc is not None:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return raised, peak


def test_a_gzip_bomb_is_refused_without_inflating_it():
    bomb = gzip_bomb(16 * 2 ** 20)
    assert len(bomb) < 64 * 1024
    raised, peak = peak_memory(lambda: load_lexicon(bomb, max_text_bytes=2 ** 20))
    assert raised is not None and "inflates to more than the 1048576 bytes" in str(raised)
    if peak is not None:
        assert peak < 4 * 2 ** 20, peak  # the 1 MB cap and change, never the 16 MB


def test_the_default_cap_stops_a_bomb_just_past_it():
    bomb = gzip_bomb(MAX_TEXT_BYTES + 2 ** 20)
    raised, peak = peak_memory(lambda: load_lexicon(bomb))
    assert raised is not None and "inflates to more than the %d bytes" % MAX_TEXT_BYTES \
        in str(raised)
    if peak is not None:
        assert peak < MAX_TEXT_BYTES + 4 * 2 ** 20, peak


def test_broken_gzip_streams_are_refused():
    packed = gzip.compress(b"a\t1\nb\t2\n")
    with pytest.raises(LexiconError, match="truncated gzip file"):
        load_lexicon(packed[:-8])
    with pytest.raises(LexiconError, match="3 bytes after the end of its gzip stream"):
        load_lexicon(packed + b"abc")
    corrupt = bytearray(packed)
    corrupt[-6] ^= 0xFF  # the CRC
    with pytest.raises(LexiconError, match="not a valid gzip file"):
        load_lexicon(bytes(corrupt))
    with pytest.raises(LexiconError, match="not a valid gzip file"):
        load_lexicon(b"\x1f\x8b" + b"\x00" * 30)


def test_unreadable_sources_are_refused(tmp_path):
    with pytest.raises(LexiconError, match="cannot read lexicon .*missing.tsv"):
        load_lexicon(str(tmp_path / "missing.tsv"))
    with pytest.raises(LexiconError, match="cannot read"):
        load_lexicon(str(tmp_path))  # a folder
    with pytest.raises(LexiconError, match="a path or the file's bytes, not int"):
        load_lexicon(5)
    with pytest.raises(LexiconError, match="must be bytes"):
        parse_lexicon("a\t1\n")


@pytest.mark.parametrize("words, frequencies, message", [
    (["a", 5], None, "word 2 of the word list is int, not a string"),
    (["a", ""], None, "word 2 of the word list, '', is empty"),
    (["new york"], None, "holds ' ', which is not a printable ASCII character"),
    (["tab\there"], None, "holds '\\t'"),
    (["caf\u00e9"], None, "holds '\u00e9'"),
    (["a", "b"], [1], "1 frequencies for 2 words"),
    (["a"], [True], "is not a number"),
    (["a"], ["5"], "is not a number"),
    (["a", "b"], [1, -2], "the frequency '-2.0' of 'b' is not a finite positive number"),
    (["a", "b", "a"], None, "the word 'a' is on lines 1 and 3"),
])
def test_hostile_python_word_lists_are_refused(words, frequencies, message):
    with pytest.raises(LexiconError) as caught:
        lexicon_from_words(words, frequencies)
    assert message in str(caught.value)


def test_corrupted_files_give_a_lexicon_or_a_lexicon_error():
    """Seeded random damage to a good file, plain and gzipped: flipped, inserted and deleted
    bytes, cuts. Nothing but a usable Lexicon or a LexiconError may come out."""
    rng = np.random.RandomState(0)
    good = b"".join(b"%s\t%d\n" % (w.encode(), rng.randint(1, 10 ** 6)) for w in
                    ("the", "of", "and", "don't", "x=y+1;", "Zebra", "a", "I", "hello"))
    outcomes = set()
    for case in range(400):
        data = bytearray(gzip.compress(good) if case % 2 else good)
        for _ in range(rng.randint(1, 4)):
            if not data:
                break
            at = rng.randint(0, len(data))
            what = rng.randint(0, 4)
            if what == 0:
                data[at] = rng.randint(0, 256)
            elif what == 1:
                data.insert(at, rng.choice([9, 10, 13, 32, 0, 0x2D, 0x31, 0x80, 0x61]))
            elif what == 2 and len(data) > 1:
                del data[at]
            else:
                del data[at:]
        try:
            lexicon = load_lexicon(bytes(data))
        except LexiconError as err:
            assert str(err) and "\n" not in str(err)
            outcomes.add("refused")
        else:
            assert len(lexicon) and np.isfinite(lexicon.log_prior).all()
            outcomes.add("read")
    assert outcomes == {"read", "refused"}


def test_a_lexicon_error_is_a_value_error():
    assert issubclass(LexiconError, ValueError)
    assert isinstance(parse_lexicon(b"a\t1\n"), Lexicon)
