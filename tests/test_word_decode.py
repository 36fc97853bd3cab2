"""Reading a word from CTC frames (pycnn/read/word_decode.py): the raw reading and its spans,
exact likelihoods, and the lexicon search with its priors, case variants and character sets.

The frames are synthetic: `spell` makes logits whose frames are sure of one character each
with a blank frame between, and a slot may instead be a {character: probability} dict, so
each test states the evidence it reads. Only pytest, numpy and pycnn: this file also runs on
the page's Python 3.8 + NumPy 1.17 (`make compat`).
"""

import itertools
import os

import numpy as np
import pytest

from pycnn.read.charsets import CharsetError
from pycnn.read.lexicon import lexicon_from_words, load_lexicon
from pycnn.read.word_decode import (
    MAX_FRAMES,
    align,
    ctc_log_likelihood,
    decode,
    greedy,
    log_probs,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The 94 printable ASCII characters, class i + 1; class 0 is the blank.
LABELS = [chr(c) for c in range(33, 127)]
BLANK = None
SURE = 0.98


def frame(probabilities):
    """One frame's logits: log-probabilities with `probabilities` ({character or BLANK: p})
    and what is left spread evenly over the other classes."""
    p = np.full(len(LABELS) + 1, (1.0 - sum(probabilities.values()))
                / (len(LABELS) + 1 - len(probabilities)))
    for char, value in probabilities.items():
        p[0 if char is BLANK else LABELS.index(char) + 1] = value
    return np.log(p)


def spell(*slots, char_frames=1, blank_frames=1, noise=0.0, seed=0):
    """Logits reading `slots` (characters, or {character: p} for an unsure frame), each for
    char_frames frames, with blank_frames blank frames before, between and after."""
    blank = [frame({BLANK: SURE})] * blank_frames
    rows = list(blank)
    for slot in slots:
        rows += [frame(slot if isinstance(slot, dict) else {slot: SURE})] * char_frames + blank
    z = np.array(rows)
    if noise:
        z = z + np.random.RandomState(seed).normal(0.0, noise, z.shape)
    return z


# A small lexicon with the frequencies' proportions of real English.
SMALL = lexicon_from_words(
    ["the", "hello", "help", "world", "word", "a", "i", "mission", "cat", "car", "don't"],
    [53703180, 91201, 281838, 630957, 524807, 22908677, 12302688, 58884, 67608, 245471,
     1096478])


@pytest.fixture(scope="module")
def shipped():
    path = os.path.join(ROOT, "weights", "lexicon-en.tsv.gz")
    return load_lexicon(path)


def first(result):
    return result["words"][0][0]


# --- the raw reading -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["hello", "x=y+1;", "2024", "C++", "Mississippi", "a",
                                  "\"'`~", "aa", "e.g.", "J'adore!"])
def test_raw_reading_spells_any_text_with_the_frames_of_each_character(text):
    raw, spans = greedy(spell(*text, char_frames=2), LABELS)
    assert raw == text
    assert spans == [(1 + 3 * k, 3 + 3 * k) for k in range(len(text))]


def test_raw_reading_without_characters_and_without_frames():
    assert greedy(spell(), LABELS) == ("", [])
    assert greedy(np.zeros((0, len(LABELS) + 1)), LABELS) == ("", [])
    result = decode(spell(), LABELS, SMALL)
    assert result["raw"] == "" and result["spans"] == []
    empty = decode(np.zeros((0, len(LABELS) + 1)), LABELS, SMALL)
    assert empty["raw"] == "" and empty["words"] == [] and empty["word_spans"] is None


def test_the_raw_reading_follows_the_character_set():
    z = spell({"O": 0.6, "0": 0.35}, {"l": 0.55, "1": 0.4})
    assert greedy(z, LABELS)[0] == "Ol"
    assert greedy(z, LABELS, charset="digits")[0] == "01"
    assert decode(z, LABELS, SMALL, charset="digits")["raw"] == "01"


def test_decode_returns_the_raw_reading_alongside_the_words():
    result = decode(spell(*"hcllo"), LABELS, SMALL)
    assert result["raw"] == "hcllo"
    assert result["spans"] == greedy(spell(*"hcllo"), LABELS)[1]


# --- exact likelihoods and alignments --------------------------------------------------------

def brute_force(y, classes):
    """log p(classes | frames) by summing over every frame-by-frame path, and the best path."""
    total, best, best_path = -np.inf, -np.inf, None
    for path in itertools.product(range(y.shape[1]), repeat=y.shape[0]):
        read = [k for i, k in enumerate(path) if k and (i == 0 or path[i - 1] != k)]
        if read == classes:
            value = sum(y[t, k] for t, k in enumerate(path))
            total = np.logaddexp(total, value)
            if value > best:
                best, best_path = value, path
    return total, best_path


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ctc_log_likelihood_is_the_sum_over_all_alignments(seed):
    labels = ["a", "b", "c"]
    y = log_probs(np.random.RandomState(seed).normal(0, 2, (4, 4)), labels)
    for text in ["", "a", "aa", "ab", "aba", "abc", "abca", "aaa", "bb"]:
        expected, best_path = brute_force(y, [labels.index(c) + 1 for c in text])
        got = ctc_log_likelihood(y, text, labels)
        if np.isfinite(expected):
            assert got == pytest.approx(expected, abs=1e-10), text
            spans = align(y, text, labels)  # Viterbi: the best path's frames per character
            states = [k for k in best_path]
            for c, (start, stop) in enumerate(spans):
                run = [t for t in range(len(states)) if states[t] == labels.index(text[c]) + 1
                       and sum(1 for u in range(t + 1) if states[u] and
                               (u == 0 or states[u - 1] != states[u])) == c + 1]
                assert (start, stop) == (run[0], run[-1] + 1), text
        else:
            assert got == -np.inf and align(y, text, labels) is None, text


def test_likelihood_of_text_the_model_cannot_write_is_minus_infinity():
    y = log_probs(spell(*"cat"), LABELS)
    assert ctc_log_likelihood(y, "caf\u00e9", LABELS) == -np.inf
    assert ctc_log_likelihood(log_probs(spell(*"cat"), LABELS, "digits"), "cat", LABELS) \
        == -np.inf
    assert ctc_log_likelihood(y, "c" * 10, LABELS) == -np.inf  # more than the 7 frames allow
    assert ctc_log_likelihood(y, "cat", LABELS) > np.log(0.85)  # 0.98 ** 7 and a little


def test_the_best_path_is_the_raw_readings_alignment():
    z = spell("w", {"o": 0.5, "a": 0.4}, "r", "d", char_frames=3, noise=0.5)
    raw, spans = greedy(z, LABELS)
    assert align(log_probs(z, LABELS), raw, LABELS) == spans


# --- the lexicon search ----------------------------------------------------------------------

def test_every_score_is_its_texts_exact_likelihood_plus_its_prior():
    z = spell("h", {"c": 0.6, "e": 0.35}, "l", "l", "o", noise=0.3)
    y = log_probs(z, LABELS)
    result = decode(z, LABELS, SMALL, top=5)
    assert len(result["candidates"]) == 5
    for entry in result["candidates"]:
        assert entry["log_likelihood"] == pytest.approx(
            ctc_log_likelihood(y, entry["text"], LABELS), abs=1e-8)
        assert entry["score"] == pytest.approx(entry["log_likelihood"] + 0.5
                                               * entry["log_prior"] - entry["penalty"])


@pytest.mark.parametrize("seed", range(3))
def test_search_finds_what_scoring_every_word_finds(seed):
    """With no beam limit the search is exact: its top 5 are the top 5 of every lexicon word
    in every case variant, scored one by one."""
    rng = np.random.RandomState(seed)
    labels = list("abcdeABCDE,")
    words = sorted(set("".join(rng.choice(list("abcde"), rng.randint(1, 6)))
                       for _ in range(150)))
    lexicon = lexicon_from_words(words, rng.randint(1, 1000, len(words)))
    z = rng.normal(0, 2.5, (int(rng.randint(4, 12)), len(labels) + 1))
    y = log_probs(z, labels)
    result = decode(z, labels, lexicon, top=5, beam=10 ** 6, oov_log_prior=-1e6,
                    nonword_log_prior=-1e6)
    scored = {}
    for word, prior in zip(lexicon.words, lexicon.log_prior):
        for text, penalty in ((word, 0.0), (word[0].upper() + word[1:], 1.0),
                              (word.upper(), 2.0)):
            score = ctc_log_likelihood(y, text, labels) + 0.5 * prior - penalty
            scored[text] = max(scored.get(text, -np.inf), score)
    expected = sorted(scored.values(), reverse=True)[:5]
    assert [s for _, s in result["words"]] == pytest.approx(expected, abs=1e-8)
    assert all(scored[text] == pytest.approx(s) for text, s in result["words"])


def test_the_lexicon_corrects_one_unsure_character_of_a_frequent_word():
    z = spell("h", {"c": 0.6, "e": 0.38}, "l", "l", "o")
    result = decode(z, LABELS, SMALL)
    assert result["raw"] == "hcllo"
    assert first(result) == "hello" and result["candidates"][0]["kind"] == "lexicon"
    assert "hcllo" in [text for text, _ in result["words"]]  # the raw reading competes
    assert result["word_spans"] == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]


def test_a_clearly_written_word_outside_the_lexicon_stays_as_written():
    result = decode(spell(*"qwzxv"), LABELS, SMALL)
    assert first(result) == "qwzxv" and result["candidates"][0]["kind"] == "oov"
    result = decode(spell(*"x=y+1;"), LABELS, SMALL)
    assert first(result) == "x=y+1;"


def test_the_frames_choose_the_case_and_the_prior_breaks_ties_to_lowercase():
    assert first(decode(spell(*"hello"), LABELS, SMALL)) == "hello"
    assert first(decode(spell(*"Hello"), LABELS, SMALL)) == "Hello"
    assert first(decode(spell(*"HELLO"), LABELS, SMALL)) == "HELLO"
    assert first(decode(spell(*"DON'T"), LABELS, SMALL)) == "DON'T"
    unsure = decode(spell({"H": 0.5, "h": 0.48}, *"ello"), LABELS, SMALL)
    assert first(unsure) == "hello"
    assert [t for t, _ in unsure["words"][:2]] == ["hello", "Hello"]
    kinds = {e["text"]: e for e in unsure["candidates"]}
    assert kinds["Hello"]["penalty"] == 1.0 and kinds["Hello"]["kind"] == "lexicon"


def test_mixed_case_is_penalised_but_kept_when_written_clearly():
    clear = decode(spell(*"MissioN"), LABELS, SMALL)
    assert first(clear) == "MissioN"
    assert clear["candidates"][0]["kind"] == "oov" and clear["candidates"][0]["penalty"] == 2.0
    unsure = decode(spell(*"Missio", {"N": 0.5, "n": 0.48}), LABELS, SMALL)
    assert first(unsure) == "Mission"


def test_a_lexicon_word_keeps_the_marks_written_around_it():
    # "hello," and "(world": the frames say the marks, and the core word is in the list.
    for text in ("hello,", "(world", "Hello.", "\"word\""):
        result = decode(spell(*text), LABELS, SMALL)
        entry = result["candidates"][0]
        assert first(result) == text and entry["kind"] == "lexicon"
        core = text.strip(",.(\"").lower()
        assert entry["log_prior"] == pytest.approx(SMALL.log_prior_of(core) - 5.0)
    # A lexicon word with an unsure mark after it: the prior on marks decides.
    z = spell(*"hello", {",": 0.8, BLANK: 0.18})
    assert first(decode(z, LABELS, SMALL, affix_log_prior=-1.0)) == "hello,"
    assert first(decode(z, LABELS, SMALL, affix_log_prior=-10.0)) == "hello"
    # Marks around text outside the list are still text outside the list.
    assert decode(spell(*"qwzxv."), LABELS, SMALL)["candidates"][0]["kind"] == "oov"
    assert decode(spell(*"(1998)"), LABELS, SMALL)["candidates"][0]["kind"] == "nonword"


def test_digits_read_a_number_and_skip_the_lexicon():
    z = spell({"l": 0.55, "1": 0.4}, {"O": 0.6, "0": 0.35}, {"S": 0.5, "5": 0.45})
    everything = decode(z, LABELS, SMALL)
    assert everything["raw"] == "lOS"
    result = decode(z, LABELS, SMALL, charset="digits")
    assert result["raw"] == "105" and first(result) == "105"
    assert result["candidates"][0]["kind"] == "nonword"
    assert all(text.isdigit() for text, _ in result["words"])
    assert decode(spell(*"1998"), LABELS, SMALL)["words"][0][0] == "1998"


def test_a_set_of_capitals_reads_lowercase_entries_in_capitals():
    z = spell({"W": 0.5, "w": 0.45}, {"O": 0.5, "o": 0.45}, *"RD")
    result = decode(z, LABELS, SMALL, charset="upper")
    assert first(result) == "WORD" and result["candidates"][0]["kind"] == "lexicon"
    assert all(text.isupper() for text, _ in result["words"])


def test_top_words_are_distinct_best_first_and_as_many_as_asked():
    z = spell("c", {"a": 0.5, "o": 0.4}, {"t": 0.5, "r": 0.45}, noise=0.2)
    for top in (1, 3, 5, 8):
        result = decode(z, LABELS, SMALL, top=top)
        words = result["words"]
        assert len(words) == top
        assert len(set(t for t, _ in words)) == top
        assert all(a[1] >= b[1] for a, b in zip(words, words[1:]))
        assert words == [(e["text"], e["score"]) for e in result["candidates"]]
    assert set(t for t, _ in decode(z, LABELS, SMALL)["words"][:2]) == {"cat", "car"}
    assert decode(z, LABELS, SMALL, top=0)["words"] == []


def test_a_lone_mark_is_not_dragged_into_a_word():
    z = spell({",": 0.75, "a": 0.23})
    assert first(decode(z, LABELS, SMALL)) == ","
    # Without the rule, "a" (a fifth of this lexicon) would outscore the likelier mark.
    assert first(decode(z, LABELS, SMALL, keep_mark=1.0)) == "a"
    assert first(decode(spell("("), LABELS, SMALL)) == "("
    assert first(decode(spell("a"), LABELS, SMALL)) == "a"
    assert first(decode(spell("I"), LABELS, SMALL)) == "I"


def test_without_a_lexicon_the_words_are_the_likeliest_texts():
    z = spell("c", {"a": 0.6, "o": 0.38}, "t")
    result = decode(z, LABELS)
    assert [t for t, _ in result["words"][:2]] == ["cat", "cot"]
    y = log_probs(z, LABELS)
    for entry in result["candidates"]:
        assert entry["kind"] == "text"
        assert entry["score"] == pytest.approx(ctc_log_likelihood(y, entry["text"], LABELS))


def test_the_shipped_lexicon_reads_noisy_words(shipped):
    for text in ("understanding", "the", "Handwriting", "because"):
        z = spell(*text, char_frames=2, blank_frames=2, noise=1.0, seed=len(text))
        assert first(decode(z, LABELS, shipped)) == text
    wrong = spell("b", {"e": 0.55, "c": 0.43}, "c", {"a": 0.45, "o": 0.5}, "u", "s", "e")
    result = decode(wrong, LABELS, shipped)
    assert result["raw"] == "becouse" and first(result) == "because"


@pytest.mark.parametrize("scale", [1e-6, 1.0, 30.0, 1e4, 1e8])
def test_any_finite_logits_give_a_sound_answer(scale):
    rng = np.random.RandomState(int(np.log10(scale)) + 10)
    for frames in (1, 2, 7, 30):
        z = rng.normal(0, scale, (frames, len(LABELS) + 1))
        result = decode(z, LABELS, SMALL)
        words = result["words"]
        assert 1 <= len(words) <= 3 and len(set(t for t, _ in words)) == len(words)
        assert all(not np.isnan(s) and s < 0 for _, s in words)
        assert all(a[1] >= b[1] for a, b in zip(words, words[1:]))
        assert len(result["spans"]) == len(result["raw"])
        assert len(result["word_spans"]) == len(words[0][0])


# --- bad input -------------------------------------------------------------------------------

def test_bad_frames_and_options_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="96 classes, but the blank and 94 labels make 95"):
        decode(np.zeros((5, 96)), LABELS)
    with pytest.raises(ValueError, match=r"shape \(T, C\)"):
        decode(np.zeros(95), LABELS)
    with pytest.raises(ValueError, match="finite"):
        decode(np.full((3, 95), np.nan), LABELS)
    with pytest.raises(ValueError, match="more than the %d" % MAX_FRAMES):
        greedy(np.zeros((MAX_FRAMES + 1, 95)), LABELS)
    with pytest.raises(ValueError, match="top must be"):
        decode(spell("a"), LABELS, top=-1)
    with pytest.raises(ValueError, match="top must be"):
        decode(spell("a"), LABELS, top=True)
    with pytest.raises(CharsetError):
        decode(spell("a"), LABELS, charset="digts")
    with pytest.raises(ValueError, match="must be numbers"):
        decode(np.array([["a"] * 95]), LABELS)
