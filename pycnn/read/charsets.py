"""Character sets: read a drawing as digits, capitals, small letters, symbols or any set.

A person filling in a field knows what it holds: a PIN is digits. `restrict` turns that
knowledge into the answer by masking the logits of every class outside the set and taking
the softmax over the rest,

    p_set(c | x) = exp(z_c) / sum_{k in set} exp(z_k)   for c in the set, 0 outside,

which equals the model's own probabilities renormalised over the set, but stays exact where
those probabilities underflow (a confident "A" read as a digit). Training's within-section
scores, the CLI, the page and the Look-inside view all go through this one function.

A set is named (`SET_NAMES`, or a plain-English alias such as "capitals", `ALIASES`) or
spelled out as its characters (`"0123456789ABCDEF"`). A name wins over spelling, so "digits"
is the ten digits, never the letters d, i, g, t, s; and a word a letter or two away from a
name or alias ("digts", "lowercas") is taken for a misspelt name and refused, not read as
its letters. Runs on the page's Python (3.8, NumPy 1.17).
"""

import numpy as np

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
# Every printable ASCII character that is neither a letter, a digit nor the space.
SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

# None stands for every class of the model.
NAMED_SETS = {
    "all": None,
    "digits": DIGITS,
    "upper": UPPER,
    "lower": LOWER,
    "letters": UPPER + LOWER,
    "alnum": DIGITS + UPPER + LOWER,
    "symbols": SYMBOLS,
}
SET_NAMES = tuple(NAMED_SETS)
ALIASES = {"numbers": "digits", "capitals": "upper", "uppercase": "upper",
           "lowercase": "lower", "small": "lower", "punctuation": "symbols"}


class CharsetError(ValueError):
    """A set that can't be used with this model: unknown name, empty, or unknown characters."""


def _shown(chars):
    return " ".join(repr(c) for c in chars)


def edit_distance(a, b):
    """Levenshtein distance: insertions, deletions and substitutions, each costing 1."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def misspelt_name(spec):
    """The set name `spec` seems to mean (a word of 4+ small letters within two edits of a
    name or alias), or None."""
    if len(spec) < 4 or not (spec.isalpha() and spec.isascii() and spec.islower()):
        return None
    for word in SET_NAMES + tuple(ALIASES):
        if edit_distance(spec, word) <= 2:
            return ALIASES.get(word, word)
    return None


def set_mask(spec, labels):
    """Boolean mask over `labels` of the classes in set `spec` (a name or the characters).

    Raises CharsetError for an empty set, or for characters the model does not know (a named
    set must be wholly known too: "symbols" on a model without symbols is an error).
    """
    labels = [str(label) for label in labels]
    if not isinstance(spec, str):
        raise CharsetError("a character set is a name or a string of characters, got %s"
                           % type(spec).__name__)
    spec = ALIASES.get(spec, spec)
    if spec not in NAMED_SETS and misspelt_name(spec):
        raise CharsetError("there is no set named %r: did you mean %r? (sets: %s, or the "
                           "characters themselves)" % (spec, misspelt_name(spec),
                                                       ", ".join(SET_NAMES)))
    if spec in NAMED_SETS:
        chars = NAMED_SETS[spec]
        if chars is None:
            return np.ones(len(labels), dtype=bool)
    else:
        chars = spec
    if not chars:
        raise CharsetError("the character set is empty (name one of %s, or give its characters)"
                           % ", ".join(SET_NAMES))
    known = set(labels)
    unknown = sorted(set(c for c in chars if c not in known))
    if unknown:
        what = "set %r" % spec if spec in NAMED_SETS else "the set"
        raise CharsetError("the model does not know %s in %s (it reads %d classes)"
                           % (_shown(unknown[:12]) + (" ..." if len(unknown) > 12 else ""),
                              what, len(labels)))
    wanted = set(chars)
    return np.array([label in wanted for label in labels], dtype=bool)


def restrict(logits, mask):
    """Softmax over the classes where `mask` is True; exactly 0 elsewhere.

    logits: (..., C) float; mask: (C,) bool with at least one True. Returns float64 of the
    same shape, each row summing to 1 over the set.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise CharsetError("the character set is empty")
    z = np.where(mask, np.asarray(logits, dtype=np.float64), -np.inf)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)

