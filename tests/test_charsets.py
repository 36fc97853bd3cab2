"""Character sets: which classes a set names, and the masked softmax that reads within it.

Only pytest, numpy and pycnn: this file also runs on the page's Python 3.8 + NumPy 1.17.
"""

import string

import numpy as np
import pytest

from pycnn.read.charsets import NAMED_SETS, SYMBOLS, CharsetError, restrict, set_mask

LABELS_62 = list(string.digits + string.ascii_uppercase + string.ascii_lowercase)
LABELS_94 = LABELS_62 + list(SYMBOLS)


def chosen(mask, labels):
    return "".join(label for label, keep in zip(labels, mask) if keep)


def test_symbols_are_every_printable_ascii_but_letters_digits_and_space():
    printable = set(string.printable) - set(string.whitespace)
    assert set(SYMBOLS) == printable - set(string.ascii_letters + string.digits)
    assert len(SYMBOLS) == len(set(SYMBOLS)) == 32


@pytest.mark.parametrize(
    "name, expected",
    [
        ("digits", string.digits),
        ("upper", string.ascii_uppercase),
        ("lower", string.ascii_lowercase),
        ("letters", string.ascii_uppercase + string.ascii_lowercase),
        ("alnum", string.digits + string.ascii_uppercase + string.ascii_lowercase),
    ],
)
def test_named_sets_pick_their_classes_in_model_order(name, expected):
    assert chosen(set_mask(name, LABELS_62), LABELS_62) == expected


def test_all_is_every_class_and_symbols_need_a_model_that_reads_them():
    assert set_mask("all", LABELS_62).all() and len(set_mask("all", LABELS_62)) == 62
    assert chosen(set_mask("symbols", LABELS_94), LABELS_94) == SYMBOLS
    with pytest.raises(CharsetError, match="does not know .* in set 'symbols'"):
        set_mask("symbols", LABELS_62)


def test_explicit_characters_and_names_winning_over_spelling():
    assert chosen(set_mask("0123456789ABCDEF", LABELS_62), LABELS_62) == "0123456789ABCDEF"
    assert chosen(set_mask("FEDCBA9876543210", LABELS_62), LABELS_62) == "0123456789ABCDEF"
    assert chosen(set_mask("aab", LABELS_62), LABELS_62) == "ab"  # repeats are harmless
    assert chosen(set_mask("digits", LABELS_62), LABELS_62) == string.digits  # not d,i,g,t,s
    assert chosen(set_mask("dgs", LABELS_62), LABELS_62) == "dgs"  # too short to be a name
    assert chosen(set_mask("aeiou", LABELS_62), LABELS_62) == "aeiou"  # no name is near


def test_aliases_name_sets_in_plain_words():
    for alias, name in (("numbers", "digits"), ("capitals", "upper"), ("uppercase", "upper"),
                        ("lowercase", "lower"), ("small", "lower")):
        assert (set_mask(alias, LABELS_62) == set_mask(name, LABELS_62)).all()
    with pytest.raises(CharsetError, match="in set 'symbols'"):
        set_mask("punctuation", LABELS_62)


@pytest.mark.parametrize("spec, meant", [
    ("digts", "digits"), ("lowercas", "lower"), ("leters", "letters"), ("alnun", "alnum"),
    ("nmbers", "digits"),
])
def test_a_misspelt_name_is_refused_not_read_as_its_letters(spec, meant):
    with pytest.raises(CharsetError, match="no set named %r: did you mean %r" % (spec, meant)):
        set_mask(spec, LABELS_62)


@pytest.mark.parametrize("spec, message", [
    ("", "empty"),
    ("0€", "does not know '€'"),
    ("+-", "does not know '\\+' '-'"),
])
def test_bad_sets_are_refused_with_a_sentence(spec, message):
    with pytest.raises(CharsetError, match=message):
        set_mask(spec, LABELS_62)


def test_a_set_must_be_a_string():
    with pytest.raises(CharsetError, match="name or a string"):
        set_mask(["0", "1"], LABELS_62)


def test_restrict_is_the_softmax_renormalised_over_the_set():
    rng = np.random.RandomState(0)
    logits = rng.randn(5, 62) * 3
    mask = set_mask("digits", LABELS_62)
    p = restrict(logits, mask)
    assert p.shape == (5, 62)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p[:, ~mask] == 0).all()
    full = np.exp(logits - logits.max(axis=1, keepdims=True))
    full /= full.sum(axis=1, keepdims=True)
    expected = np.where(mask, full, 0) / (full * mask).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    # Within the set the order of the classes is unchanged.
    for row, prow in zip(logits, p):
        assert np.array_equal(np.argsort(-row[mask], kind="stable"),
                              np.argsort(-prow[mask], kind="stable"))


def test_restrict_stays_exact_where_the_full_softmax_underflows():
    logits = np.full(62, -200.0)
    logits[LABELS_62.index("A")] = 200.0  # a sure "A": every digit's probability is 0 in float64
    logits[LABELS_62.index("4")] = -100.0
    p = restrict(logits, set_mask("digits", LABELS_62))
    assert np.isfinite(p).all()
    assert LABELS_62[int(p.argmax())] == "4"
    assert p.max() == pytest.approx(1.0)


def test_restrict_refuses_an_empty_mask():
    with pytest.raises(CharsetError, match="empty"):
        restrict(np.zeros(3), np.zeros(3, dtype=bool))


def test_every_named_set_is_listed():
    assert set(NAMED_SETS) == {"all", "digits", "upper", "lower", "letters", "symbols", "alnum"}
