"""Read a handwritten word from a CTC network's frames: the raw reading, and the best words.

A word model gives per-frame logits z, shape (T, C), over C = 1 + len(labels) classes: the
blank (class 0, `pycnn.nn.ctc`) and then the model's characters, labels[i] being class
i + 1. `decode` gives two readings:

- raw: the best path (`pycnn.nn.ctc.best_path`, argmax per frame, repeats merged, blanks
  dropped), whatever it spells: a word in no dictionary, a number, code. With the frames
  that made each character (`spans`), to show which ink made which letter.
- words: the `top` most likely words with their scores, best first. A candidate's score is

      score = log p(text | frames) + lm_weight * log_prior(text) - case_penalty(text)

  where log p(text | frames) is CTC's exact likelihood (all alignments summed), and

      log_prior = log of the word's share of the lexicon's frequencies  for a lexicon word,
                  that + affix_log_prior  for a lexicon word with marks before or after
                                      it ("holiday.", "(before", "Computer,": words written
                                      out of a sentence keep its punctuation),
                  nonword_log_prior   for text without letters (numbers, marks: "1998", ","),
                  oov_log_prior       for any other text (a word the lexicon lacks);
      case_penalty = 0 for a lexicon entry as written (the shipped entries are lowercase),
                     title_penalty for "Word" and upper_penalty for "WORD" (made from the
                     entry "word" by the decoder, or read outside the lexicon; the frames
                     tell the cases apart), mixed_case_penalty for any other mix of cases
                     ("MissioN"), which only text outside the lexicon can have.

  Affixed words are found as texts outside the lexicon are, by the free search below, and
  scored with their core's prior; the trie search reads bare words only.

  So the raw reading always competes (with the out-of-vocabulary prior), and a lexicon word
  beats it only when the frames leave the difference to the prior.

The search, `_lexicon_search`, walks the lexicon's trie (`pycnn.read.lexicon.Trie`) depth by
depth, carrying for every prefix its CTC forward variables over all frames (the prefix
probabilities of CTC prefix beam search, computed exactly, not per frame but per prefix:
each step is a first-order linear recursion over t, which NumPy does in one
`logaddexp.accumulate` over all frames for all prefixes at once). Each prefix also has its
prefix score Psi(p) = log p(the reading begins with p), which bounds p(w | frames) for every
word w below it; Psi + lm_weight * (best log prior below the node) - penalty bounds the
score of everything under a node, and a node whose bound cannot reach the current
`top`-th best score (among distinct texts) is dropped: that pruning is exact. The only
approximation is `beam`, the most prefixes carried from one depth to the next (ranked by
that bound): with it unbounded the search returns exactly the best `top` (a test checks this
against scoring every word). The same machinery without a trie (`_free_search`, over every
character of the set, whose prefix scores one matrix product gives at once) finds the most
likely readings of any text, `free_beam` prefixes at a time; they compete as
out-of-vocabulary or non-word candidates, and run first, so that their scores start the
pruning.

Character sets (`pycnn.read.charsets`): with charset "digits" every frame is renormalised
over the digits and the blank, so the raw reading and every candidate are numbers, and
lexicon words holding anything outside the set are never considered.

One-character readings: a lone mark is a non-word, not dragged to a short word by its
frequency unless the frames leave it in doubt; on top of the scores, when the raw reading is
one character that is not a letter and CTC gives it a probability of at least `keep_mark`,
it is listed first whatever the lexicon says.

The weights' defaults (LM_WEIGHT, ...) are first guesses, to be chosen on validation
writers. Runs on the page's Python (3.8, NumPy 1.17): no numpy.fft, nothing newer.
"""

import heapq

import numpy as np

from pycnn.nn.ctc import CTCLoss, best_path, collapse
from pycnn.read.charsets import set_mask

LM_WEIGHT = 0.5
OOV_LOG_PRIOR = -20.0  # the shipped lexicon's rarest word has log prior -14.8
NONWORD_LOG_PRIOR = -7.0  # about a thousandth: a number or a mark as a word on its own
TITLE_PENALTY = 1.0
UPPER_PENALTY = 2.0
MIXED_CASE_PENALTY = 2.0
KEEP_MARK = 0.7
AFFIX_LOG_PRIOR = -5.0  # marks around a lexicon word: about one word in 150
BEAM = 64  # lexicon prefixes carried from one depth to the next
FREE_BEAM = 16  # free-text prefixes carried from one depth to the next
FREE_LONGER = 2  # free texts at most this many characters longer than the raw reading
WORD_BATCH = 64  # lexicon words scored at a time, most promising first
# The weights `python -m pycnn.fit_word_decoder` chooses on validation writers and stores in
# a word model's metadata ("decoder"), as keyword arguments of `decode`.
TUNABLE = ("lm_weight", "oov_log_prior", "nonword_log_prior", "title_penalty",
           "upper_penalty", "mixed_case_penalty", "keep_mark", "affix_log_prior")
MAX_FRAMES = 4096
MAX_TOP = 100
MAX_FREE_LENGTH = 64

_NEG_INF = -np.inf


# --- frames ----------------------------------------------------------------------------------

def _checked_logits(logits, labels):
    labels = [str(label) for label in labels]
    z = np.asarray(logits)
    if z.ndim != 2:
        raise ValueError("logits must have shape (T, C), not %s" % (z.shape,))
    if not (np.issubdtype(z.dtype, np.floating) or np.issubdtype(z.dtype, np.integer)):
        raise ValueError("logits must be numbers, not %s" % z.dtype)
    frames, classes = z.shape
    if classes != len(labels) + 1:
        raise ValueError("logits have %d classes, but the blank and %d labels make %d"
                         % (classes, len(labels), len(labels) + 1))
    if frames > MAX_FRAMES:
        raise ValueError("%d frames is more than the %d a word may have" % (frames, MAX_FRAMES))
    z = z.astype(np.float64)
    if not np.isfinite(z).all():
        raise ValueError("logits must be finite")
    return z, labels


def class_mask(labels, charset=None):
    """(C,) bool: the blank and the classes of `charset` (None: all), via charsets.set_mask."""
    mask = np.ones(len(labels) + 1, dtype=bool)
    if charset is not None:
        mask[1:] = set_mask(charset, labels)
    return mask


def log_probs(logits, labels, charset=None):
    """(T, C) float64 log-softmax of each frame over the blank and the charset's classes,
    -inf for the classes outside it. The same renormalisation as charsets.restrict."""
    z, labels = _checked_logits(logits, labels)
    mask = class_mask(labels, charset)
    z = np.where(mask, z, _NEG_INF)
    if not z.size:
        return z
    peak = z.max(axis=1, keepdims=True)
    return z - (peak + np.log(np.exp(z - peak).sum(axis=1, keepdims=True)))


def _indices(text, labels):
    """The class of every character of `text`, or None when one is not a label."""
    index = {label: i + 1 for i, label in enumerate(labels)}
    classes = [index.get(char) for char in text]
    return None if None in classes else classes


# --- the raw reading, one text's likelihood and alignment -----------------------------------

def greedy(logits, labels, charset=None):
    """(text, spans): the best-path reading, and for each of its characters the frames
    (start, stop), stop exclusive, of the run of frames whose best class made it.

    Characters are labels joined, so a label longer than one character reads as itself."""
    z, labels = _checked_logits(logits, labels)
    if charset is not None:
        z = log_probs(z, labels, charset)
    return _greedy(z, labels)


def _greedy(z, labels):
    if not z.shape[0]:
        return "", []
    path = best_path(z[None])[0]
    classes = collapse(path, blank=0)
    # The runs of equal classes that are not the blank: one per character of the reading.
    starts = np.flatnonzero(np.concatenate([[True], path[1:] != path[:-1]]))
    stops = np.append(starts[1:], path.size)
    spans = [(int(a), int(b)) for a, b in zip(starts, stops) if path[a] != 0]
    return "".join(labels[k - 1] for k in classes), spans


def ctc_log_likelihood(log_probs, text, labels):
    """log p(text | frames), exactly: the CTC forward recursion of pycnn.nn.ctc.CTCLoss
    over one sequence. log_probs: (T, C) log-probabilities (or logits: each frame is
    normalised). -inf when text cannot be read there: a character that is no label (or is
    outside a charset that log_probs were restricted to), or too few frames."""
    y = np.asarray(log_probs, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != len(labels) + 1:
        raise ValueError("log_probs must have shape (T, %d), not %s"
                         % (len(labels) + 1, y.shape))
    classes = _indices(text, [str(label) for label in labels])
    if classes is None or not y.shape[0]:
        return _NEG_INF if (classes is None or text) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = CTCLoss(blank=0, reduction="sum", zero_infinity=False).forward(
            y[None], np.array([y.shape[0]]), np.array([classes], dtype=np.int64).reshape(1, -1),
            np.array([len(classes)]))
    return -float(loss)


def align(log_probs, text, labels):
    """The most likely alignment (Viterbi) of `text` to the frames: for each character, the
    frames (start, stop) in which the path sits on it; None when text cannot be read there.
    Where `greedy` gives the raw reading's spans, this gives any candidate's."""
    y = np.asarray(log_probs, dtype=np.float64)
    classes = _indices(text, [str(label) for label in labels])
    frames = y.shape[0]
    if classes is None or frames == 0:
        return None if (classes is None or text) else []
    ext = np.zeros(2 * len(classes) + 1, dtype=np.intp)
    ext[1::2] = classes
    states = ext.size
    skip = np.zeros(states, dtype=bool)
    skip[3::2] = ext[3::2] != ext[1:-2:2]
    delta = np.full(states, _NEG_INF)
    delta[:2] = y[0, ext[:2]]
    moves = np.zeros((frames, states), dtype=np.int8)
    options = np.full((3, states), _NEG_INF)  # stay, move on one state, skip a blank
    for t in range(1, frames):
        options[0] = delta
        options[1, 1:] = delta[:-1]
        options[2, 2:] = np.where(skip[2:], delta[:-2], _NEG_INF)
        moves[t] = options.argmax(axis=0)
        delta = options.max(axis=0) + y[t, ext]
    ends = [states - 1] + ([states - 2] if states > 1 else [])
    state = max(ends, key=lambda s: delta[s])
    if not np.isfinite(delta[state]):
        return None
    path = np.empty(frames, dtype=np.intp)
    for t in range(frames - 1, -1, -1):
        path[t] = state
        state -= moves[t, state]
    spans = []
    for k in range(len(classes)):
        where = np.flatnonzero(path == 2 * k + 1)
        spans.append((int(where[0]), int(where[-1]) + 1))
    return spans


# --- prefixes of many texts at once ----------------------------------------------------------

def _logsumexp_rows(x):
    peak = x.max(axis=1)
    safe = np.where(np.isfinite(peak), peak, 0.0)
    return np.log(np.exp(x - safe[:, None]).sum(axis=1)) + safe  # log(0): -inf, as meant


class _Frames:
    """A word's log-probabilities laid out for extending many prefixes at once.

    For a prefix p and frame t, Pn(p, t) and Pb(p, t) are the log-probabilities that frames
    0..t read p, frame t sitting on p's last character (n) or on a blank (b). With c the
    last character of p = q + c and phi(t) = Pb(q, t) + [Pn(q, t) unless q ends in c]:

        Pn(p, t) = y_t(c) + logaddexp(Pn(p, t - 1), phi(t - 1))
        Pb(p, t) = y_t(blank) + logaddexp(Pb(p, t - 1), Pn(p, t - 1))

    (phi(-1) is 1 for the empty q, else 0; Pb(p, -1) = Pn(p, -1) = 0). Both are first-order
    linear in t: with Y(t) = sum of y_u(c) over u <= t, Pn(p, t) - Y(t) is the log-sum of
    phi(u - 1) - Y(u - 1) over u <= t, one logaddexp.accumulate over all frames. Then
    p(p | frames) = logaddexp(Pn, Pb) at t = T - 1, and the prefix score (any text that
    begins with p) is Psi(p) = log-sum over t of phi(t - 1) + y_t(c): for every character c
    at once, one matrix product of exp(phi(t - 1)) with the frames' probabilities.
    """

    def __init__(self, y):
        self.frames = y.shape[0]
        self.p = np.exp(y)  # (T, C)
        self.y = np.ascontiguousarray(y.T)  # (C, T)
        self.cum = np.cumsum(self.y, axis=1)
        self.cum_before = np.zeros_like(self.cum)  # sum over u < t
        self.cum_before[:, 1:] = self.cum[:, :-1]
        self.blank = self.cum[0]
        self.blank_before = self.cum_before[0]

    def root(self):
        """(pb, total, last) of the empty prefix, as one-row arrays."""
        pb = self.blank[None, :].copy()
        return pb, pb.copy(), np.array([-1], dtype=np.intp)

    def prefix_scores(self, pb, total, last, at_root):
        """(before_total, before_blank, psi): phi(t - 1) of the A prefixes' children when
        the child's character differs from the prefix's last one, and when it is the same,
        each (A, T); psi, (A, C), the prefix score of every prefix + every class."""
        before_total = self._shifted(total, at_root)
        before_blank = self._shifted(pb, at_root)
        peak = before_total.max(axis=1)
        safe = np.where(np.isfinite(peak), peak, 0.0)
        psi = np.log(np.exp(before_total - safe[:, None]).dot(self.p)) + safe[:, None]
        again = np.flatnonzero(last >= 0)
        if again.size:  # the prefix's own last character again: from the blank only
            psi[again, last[again]] = _logsumexp_rows(before_blank[again]
                                                      + self.y[last[again]])
        return before_total, before_blank, psi

    @staticmethod
    def _shifted(values, at_root):
        shifted = np.empty_like(values)
        shifted[:, 0] = 0.0 if at_root else _NEG_INF
        shifted[:, 1:] = values[:, :-1]
        return shifted

    def finish(self, before_total, before_blank, last, parent, cls):
        """(pn, pb), each (K, T), of the children parent[k] + class cls[k]."""
        before = np.where((cls == last[parent])[:, None], before_blank[parent],
                          before_total[parent])
        pn = self.cum[cls] + np.logaddexp.accumulate(before - self.cum_before[cls], axis=1)
        pn_before = np.empty_like(pn)
        pn_before[:, 0] = _NEG_INF
        pn_before[:, 1:] = pn[:, :-1]
        pb = self.blank + np.logaddexp.accumulate(pn_before - self.blank_before, axis=1)
        return pn, pb


class _Best:
    """The best candidates so far, one per text; threshold: the `top`-th best score, below
    which nothing can enter (-inf until there are `top`)."""

    def __init__(self, top):
        self.top = top
        self.entries = {}
        self.threshold = _NEG_INF

    def offer(self, entry):
        if entry["score"] <= self.threshold:
            return
        old = self.entries.get(entry["text"])
        if old is not None and old["score"] >= entry["score"]:
            return
        self.entries[entry["text"]] = entry
        if len(self.entries) >= self.top:
            self.threshold = heapq.nlargest(self.top, (e["score"] for e in
                                                       self.entries.values()))[-1]

    def ranked(self):
        return sorted(self.entries.values(), key=lambda e: (-e["score"], e["text"]))


def _children(lo, hi):
    """(parent, child) for every child index in the ranges lo[a]..hi[a] - 1."""
    counts = (hi - lo).astype(np.intp)
    parent = np.repeat(np.arange(counts.size), counts)
    offsets = np.cumsum(counts) - counts
    child = np.arange(parent.size) - np.repeat(offsets - lo, counts)
    return parent, child.astype(np.intp)


# --- the decoder -----------------------------------------------------------------------------

class _Scorer:
    """The prior part of the score of any text (see the module docstring)."""

    def __init__(self, lexicon, lm_weight, oov_log_prior, nonword_log_prior, penalties,
                 mixed_case_penalty, affix_log_prior=AFFIX_LOG_PRIOR):
        self.lexicon = lexicon
        self.affix_log_prior = affix_log_prior
        self.lm_weight = lm_weight
        self.oov_log_prior = oov_log_prior
        self.nonword_log_prior = nonword_log_prior
        self.penalties = penalties  # as written, title, upper
        self.mixed_case_penalty = mixed_case_penalty

    def best_free(self):
        """The highest prior part a text outside the lexicon can get (the free search's
        bound: what is in the lexicon, the lexicon's search finds)."""
        if self.lexicon is None:
            return 0.0
        affixed = self.lexicon.max_log_prior + self.affix_log_prior if len(self.lexicon) \
            else _NEG_INF
        return self.lm_weight * max(self.oov_log_prior, self.nonword_log_prior, affixed)

    def prior(self, text):
        """(log_prior, penalty, kind) of `text`: kind is "lexicon", "oov", "nonword" or,
        without a lexicon, "text"."""
        if self.lexicon is None:
            return 0.0, 0.0, "text"
        found = self._lexicon_prior(text)
        if found is not None:
            return found[0], found[1], "lexicon"
        core, affixed = strip_marks(text)
        if affixed:
            found = self._lexicon_prior(core)
            if found is not None:
                return found[0] + self.affix_log_prior, found[1], "lexicon"
        letters = [c for c in text if c.isalpha()]
        if not letters:
            return self.nonword_log_prior, 0.0, "nonword"
        if all(c.islower() for c in letters):
            penalty = 0.0
        elif len(letters) > 1 and all(c.isupper() for c in letters):
            penalty = self.penalties[2]
        elif letters[0].isupper() and all(c.islower() for c in letters[1:]):
            penalty = self.penalties[1]
        else:
            penalty = self.mixed_case_penalty
        return self.oov_log_prior, penalty, "oov"

    def _lexicon_prior(self, text):
        """(log_prior, penalty) of `text` as a lexicon entry written as is, as "Word" or
        as "WORD" (the best of these), or None when it is none of them."""
        found = None
        for entry, mode in ((text, 0), (text[:1].lower() + text[1:], 1), (text.lower(), 2)):
            if mode == 1 and not (entry[:1].islower() and entry != text):
                continue
            if mode == 2 and (entry.upper() != text or entry == text):
                continue
            log_prior = self.lexicon.log_prior_of(entry)
            if log_prior is not None:
                option = (self.lm_weight * log_prior - self.penalties[mode], log_prior,
                          self.penalties[mode])
                if found is None or option[0] > found[0]:
                    found = option
        return None if found is None else found[1:]

    def entry(self, text, log_likelihood, log_prior=None, penalty=None, kind=None):
        if log_prior is None:
            log_prior, penalty, kind = self.prior(text)
        score = log_likelihood + self.lm_weight * log_prior - penalty
        return {"text": text, "score": float(score), "log_likelihood": float(log_likelihood),
                "log_prior": float(log_prior), "penalty": float(penalty), "kind": kind}


def strip_marks(text):
    """(core, affixed): text without the marks (neither letters nor digits) at its start
    and end, and whether there were any and a letter is left: "(before" -> ("before",
    True), "..." -> ("", False)."""
    begin, end = 0, len(text)
    while begin < end and not text[begin].isalnum():
        begin += 1
    while end > begin and not text[end - 1].isalnum():
        end -= 1
    core = text[begin:end]
    return core, (begin > 0 or end < len(text)) and any(c.isalpha() for c in core)


def _class_tables(labels, mask):
    """(first, rest), each (3, 256): the class of every byte in the modes as written, title
    ("Word": the first character made a capital, only from a small letter) and upper;
    -1 for a character with no class in the set."""
    index = {label: i + 1 for i, label in enumerate(labels) if mask[i + 1]}
    first = np.full((3, 256), -1, dtype=np.intp)
    for byte in range(0x21, 0x7F):
        char = chr(byte)
        first[0, byte] = index.get(char, -1)
        first[2, byte] = index.get(char.upper(), -1)
        if char.islower():
            first[1, byte] = index.get(char.upper(), -1)
    rest = first.copy()
    rest[1] = first[0]
    return first, rest


def _lexicon_search(frames, lexicon, tables, scorer, beam, best):
    """Offer to `best` the lexicon's words (as written, capitalised, in capitals) that can
    reach it; see the module docstring."""
    levels = lexicon.trie.levels
    lm = scorer.lm_weight
    penalties = np.asarray(scorer.penalties, dtype=np.float64)
    pb, total, last = frames.root()
    modes = np.arange(3)
    pb, total, last = (np.repeat(a, 3, axis=0) for a in (pb, total, last))
    node = np.zeros(3, dtype=np.intp)
    for depth in range(1, min(len(levels), frames.frames) + 1):
        level = levels[depth - 1]
        if depth == 1:
            lo = np.zeros(modes.size, dtype=np.intp)
            hi = np.full(modes.size, level.start.size, dtype=np.intp)
        else:
            above = levels[depth - 2]
            lo, hi = above.child_lo[node], above.child_hi[node]
        parent, child = _children(lo, hi)
        mode = modes[parent]
        cls = tables[0 if depth == 1 else 1][mode, level.char[child]]
        usable = cls >= 0
        parent, child, mode, cls = parent[usable], child[usable], mode[usable], cls[usable]
        if not parent.size:
            break
        before_total, before_blank, psi_all = frames.prefix_scores(pb, total, last, depth == 1)
        psi = psi_all[parent, cls]
        penalty = penalties[mode]
        word_prior = lexicon.log_prior[level.start[child]]
        word_bound = psi + lm * word_prior - penalty
        words = np.flatnonzero(level.is_word[child] & (word_bound > best.threshold))
        words = words[np.argsort(-word_bound[words], kind="mergesort")]
        # Words in batches, most promising first: each batch raises the threshold, and once
        # a word's bound falls below it, so have all the words after it.
        for batch in range(0, words.size, WORD_BATCH):
            chosen = words[batch:batch + WORD_BATCH]
            chosen = chosen[word_bound[chosen] > best.threshold]
            if not chosen.size:
                break
            pn, pb_word = frames.finish(before_total, before_blank, last, parent[chosen],
                                        cls[chosen])
            likelihood = np.logaddexp(pn[:, -1], pb_word[:, -1])
            score = likelihood + lm * word_prior[chosen] - penalty[chosen]
            for k in np.argsort(-score, kind="mergesort"):
                if score[k] <= best.threshold:
                    break
                i = chosen[k]
                text = lexicon.words[level.start[child[i]]]
                if mode[i] == 1:
                    text = text[0].upper() + text[1:]
                elif mode[i] == 2:
                    text = text.upper()
                best.offer(scorer.entry(text, likelihood[k], word_prior[i], penalty[i],
                                        "lexicon"))
        bound = psi + lm * level.best_log_prior[child] - penalty
        going = np.flatnonzero((level.child_hi[child] > level.child_lo[child])
                               & (bound > best.threshold))
        if going.size > beam:
            going = going[np.argsort(-bound[going], kind="mergesort")[:beam]]
        if not going.size:
            break
        pn, pb = frames.finish(before_total, before_blank, last, parent[going], cls[going])
        total = np.logaddexp(pn, pb)
        last = cls[going]
        node = child[going]
        modes = mode[going]


def _free_search(frames, allowed, labels, scorer, beam, best, max_length):
    """Offer to `best` the most likely texts over the `allowed` classes (no lexicon)."""
    pb, total, last = frames.root()
    texts = [""]
    ceiling = scorer.best_free()
    outside = ~allowed
    outside[0] = True  # the blank is no character
    for depth in range(1, min(frames.frames, max_length) + 1):
        before_total, before_blank, psi = frames.prefix_scores(pb, total, last, depth == 1)
        psi[:, outside] = _NEG_INF
        flat = psi.ravel()
        hopeful = np.flatnonzero(flat + ceiling > best.threshold)
        hopeful = hopeful[np.argsort(-flat[hopeful], kind="mergesort")[:max(beam, best.top)]]
        if not hopeful.size:
            break
        parent, cls = hopeful // psi.shape[1], hopeful % psi.shape[1]
        pn, pb_all = frames.finish(before_total, before_blank, last, parent, cls)
        likelihood = np.logaddexp(pn[:, -1], pb_all[:, -1])
        child_texts = [texts[a] + labels[c - 1] for a, c in zip(parent, cls)]
        # Only the likeliest `top` of a depth can make the list (within the priors of text
        # outside the lexicon, which differ by case penalties only).
        for k in np.argsort(-likelihood, kind="mergesort")[:best.top]:
            if likelihood[k] + ceiling > best.threshold:
                best.offer(scorer.entry(child_texts[k], likelihood[k]))
        going = np.flatnonzero(flat[hopeful] + ceiling > best.threshold)[:beam]
        if not going.size:
            break
        pb = pb_all[going]
        total = np.logaddexp(pn[going], pb)
        last = cls[going]
        texts = [child_texts[k] for k in going]


def decode(logits, labels, lexicon=None, charset=None, top=3, lm_weight=LM_WEIGHT,
           oov_log_prior=OOV_LOG_PRIOR, nonword_log_prior=NONWORD_LOG_PRIOR,
           title_penalty=TITLE_PENALTY, upper_penalty=UPPER_PENALTY,
           mixed_case_penalty=MIXED_CASE_PENALTY, keep_mark=KEEP_MARK,
           affix_log_prior=AFFIX_LOG_PRIOR, beam=BEAM, free_beam=FREE_BEAM):
    """Read one word. logits: (T, C) with C = 1 + len(labels), blank first; lexicon: a
    `pycnn.read.lexicon.Lexicon` or None (then words are the most likely texts by CTC
    alone); charset: a set name or its characters (`pycnn.read.charsets`), or None.

    Returns {"raw": the best-path text, "spans": its characters' (start, stop) frames,
    "words": [(text, score), ...] at most `top`, best first, "candidates": the same as
    dicts with the parts of each score (log_likelihood, log_prior, penalty, kind:
    "lexicon", "oov", "nonword" or "text"), "word_spans": the first word's frames (Viterbi),
    or None when there is no word}. Scores are natural logs (see the module docstring).
    """
    z, labels = _checked_logits(logits, labels)
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or \
            not 0 <= top <= MAX_TOP:
        raise ValueError("top must be a whole number from 0 to %d, not %r" % (MAX_TOP, top))
    mask = class_mask(labels, charset)
    y = log_probs(z, labels, charset)
    raw, spans = _greedy(y, labels)
    result = {"raw": raw, "spans": spans, "words": [], "candidates": [], "word_spans": None}
    if not y.shape[0] or top == 0:
        return result

    scorer = _Scorer(lexicon, float(lm_weight), float(oov_log_prior),
                     float(nonword_log_prior), (0.0, float(title_penalty),
                                                float(upper_penalty)),
                     float(mixed_case_penalty), float(affix_log_prior))
    best = _Best(top)
    raw_entry = None
    if raw:
        raw_entry = scorer.entry(raw, ctc_log_likelihood(y, raw, labels))
        best.offer(raw_entry)
    # One errstate for the whole search (entering one costs more than many of its steps in
    # NumPy 1.17): log(0) = -inf and exp underflowing to 0 are what the searches mean.
    with np.errstate(divide="ignore", under="ignore"):
        frames = _Frames(y)
        _free_search(frames, mask, labels, scorer, free_beam, best,
                     min(MAX_FREE_LENGTH, len(raw) + FREE_LONGER))
        if lexicon is not None and len(lexicon):
            _lexicon_search(frames, lexicon, _class_tables(labels, mask), scorer, beam, best)

    ranked = best.ranked()
    if (raw_entry is not None and len(raw) == 1 and not raw.isalpha()
            and raw_entry["log_likelihood"] >= np.log(keep_mark)):
        ranked = [raw_entry] + [e for e in ranked if e["text"] != raw]
    ranked = ranked[:top]
    result["candidates"] = ranked
    result["words"] = [(e["text"], e["score"]) for e in ranked]
    if ranked:
        # The best path is the most likely alignment of the raw reading: its spans are it.
        result["word_spans"] = (spans if ranked[0]["text"] == raw
                                else align(y, ranked[0]["text"], labels))
    return result
