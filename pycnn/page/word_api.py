"""The page's word reading: what `pycnn.page.api.PageApi`'s word requests do.

PageApi imports this module on the first word request, so the page's start-up (Character
mode) imports none of the word modules: this file, pycnn.read.word_*, pycnn.read.lexicon
and pycnn.nn.ctc are fetched by the worker on the first `words_load` (files.json's "words").

One `WordApi` holds a `pycnn.read.word_reader.WordReader` (the word model and the shipped
word list), the person's own words, and the latest word read, whose frames (logits) it keeps
so that another character set reads it again without a second pass. The readings are the
reader's own: a pad's pixels give exactly what `WordReader.read_pixels` gives (tested), with
what the page needs beside them (the frames' place on the pad, the network's input).

Personal words (`set_personal`). Words the person wrote and corrected join the word list
with a prior at least that of the list's PERSONAL_RANK-th most frequent word (about "way"
or "good" in English), raised by half the log of how often they were used (at most
PERSONAL_COUNT_CAP times): a corrected word is read as corrected next time it is written
about as clearly as a common word would need. The list and the personal words are merged
into one lexicon once per change (the trie is built then, not on the next reading). The
merged lexicon renormalises its frequencies, which lowers every prior by the same amount;
the decoder's out-of-vocabulary and non-word priors are lowered by that amount too, and the
scores raised by it, so every word not in the personal list scores exactly as without it.

Runs on the page's Python (3.8, NumPy 1.17).
"""

import math

import numpy as np

from pycnn.read import word_decode
from pycnn.read.lexicon import Lexicon, load_lexicon
from pycnn.read.preprocess import INK_THRESHOLD, EmptyImageError, ink_from_pixels
from pycnn.read.recognizer import rgba_bytes
from pycnn.read.word_preprocess import WordTooLongError, frame_columns, preprocess_word_ink
from pycnn.read.word_reader import WordReader, empty_reading

TOO_LONG = "Too long to read as one word: write a shorter word or split it."

MAX_PERSONAL_WORDS = 10000
MAX_PERSONAL_CHARS = 64
MAX_COUNT = 10 ** 9
PERSONAL_RANK = 100  # a personal word's prior is at least this frequent word's ...
PERSONAL_COUNT_CAP = 100  # ... raised by log(min(count, this)) / 2

# Keyword arguments of word_decode.decode the page adds to the model's own decoder settings
# (none: the page reads exactly as `python -m pycnn.predict --words` does).
PAGE_DECODER = {}


class WordsNotLoadedError(ValueError):
    """A word request before `words_load`."""


class PersonalWordsError(ValueError):
    """A personal word list that cannot be used, said in a sentence."""


def ink_box(ink):
    """(left, height, width) of the ink's box as `preprocess.crop_to_ink` takes it: the
    pixels with at least INK_THRESHOLD ink. The ink is known to hold such a pixel."""
    strong = ink >= INK_THRESHOLD
    rows = np.flatnonzero(strong.any(axis=1))
    cols = np.flatnonzero(strong.any(axis=0))
    return int(cols[0]), int(rows[-1] + 1 - rows[0]), int(cols[-1] + 1 - cols[0])


def check_personal_words(words):
    """The personal list [[word, count], ...] as {word: count} (repeated words' counts
    added), or a PersonalWordsError saying what is wrong with it."""
    if not isinstance(words, list):
        raise PersonalWordsError("Your words must be a list of [word, count] pairs.")
    if len(words) > MAX_PERSONAL_WORDS:
        raise PersonalWordsError("Your dictionary can hold at most {:,} words, not {:,}."
                                 .format(MAX_PERSONAL_WORDS, len(words)))
    personal = {}
    for number, item in enumerate(words, 1):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise PersonalWordsError("Entry %d of your words is not a [word, count] pair."
                                     % number)
        word, count = item
        if not isinstance(word, str):
            raise PersonalWordsError("Entry %d of your words is not a word." % number)
        if not 1 <= len(word) <= MAX_PERSONAL_CHARS:
            raise PersonalWordsError(
                "Entry %d of your words has %d characters: a word has 1 to %d."
                % (number, len(word), MAX_PERSONAL_CHARS))
        bad = next((c for c in word if not "!" <= c <= "~"), None)
        if bad is not None:
            what = ("a space" if bad.isspace() else "%r, which cannot be written on the pad"
                    % bad if bad.isprintable() else "a character that is not printable")
            raise PersonalWordsError(
                "Entry %d of your words holds %s: a word is printable characters without "
                "spaces." % (number, what))
        if isinstance(count, bool) or not isinstance(count, int) or \
                not 1 <= count <= MAX_COUNT:
            raise PersonalWordsError(
                "Entry %d of your words, %r, has the count %r: a count is a whole number "
                "from 1 to %d." % (number, word, count, MAX_COUNT))
        personal[word] = min(personal.get(word, 0) + count, MAX_COUNT)
    return personal


def personal_floor(lexicon):
    """The log prior of the lexicon's PERSONAL_RANK-th most frequent word (of its rarest
    when it has fewer): the least a personal word gets."""
    k = min(PERSONAL_RANK, len(lexicon)) - 1
    return float(-np.partition(-lexicon.log_prior, k)[k])


def with_personal_words(lexicon, personal):
    """(a Lexicon of `lexicon`'s words and the personal ones, the amount by which its
    priors of `lexicon`'s words are lower than `lexicon`'s own).

    personal: {word: count}. A personal word gets the log prior personal_floor(lexicon) +
    log(min(count, PERSONAL_COUNT_CAP)) / 2, or its own if it is in `lexicon` with a higher
    one. The result's trie is built here.
    """
    floor = personal_floor(lexicon)
    words = sorted(personal)
    wanted = np.array([floor + 0.5 * math.log(min(personal[w], PERSONAL_COUNT_CAP))
                       for w in words], dtype=np.float64)
    new_keys = np.array([w.encode("ascii") for w in words])
    width = max(lexicon.keys.dtype.itemsize, new_keys.dtype.itemsize)
    keys = lexicon.keys.astype("S%d" % width)
    new_keys = new_keys.astype(keys.dtype)
    log_prior = lexicon.log_prior.copy()
    at = np.searchsorted(keys, new_keys)
    found = at < keys.size
    found[found] = keys[at[found]] == new_keys[found]
    log_prior[at[found]] = np.maximum(log_prior[at[found]], wanted[found])
    added = np.flatnonzero(~found)
    keys = np.insert(keys, at[added], new_keys[added])
    log_prior = np.insert(log_prior, at[added], wanted[added])
    old_words = lexicon.words
    merged_words, start = [], 0
    for i in added:
        merged_words.extend(old_words[start:at[i]])
        merged_words.append(words[i])
        start = at[i]
    merged_words.extend(old_words[start:])
    # Frequencies in proportion to the wanted priors (from the highest, so none underflows):
    # Lexicon divides them by their sum, which lowers every log prior by `shift`.
    top = float(log_prior.max())
    frequencies = np.exp(log_prior - top)
    merged = Lexicon(keys, frequencies, name="the word list and your words",
                     words=merged_words)
    _ = merged.trie  # built now, so the next reading does not wait for it
    return merged, top + float(np.log(frequencies.sum()))


class WordApi:
    """The word model, its word list, the personal words and the latest word read."""

    def __init__(self):
        self.reader = None
        self.paths = None
        self.lexicon = None  # the shipped word list, without the personal words
        self.personal = {}
        self.decoder = {}  # the model's own decoder settings (WordReader.decoder)
        self.shift = 0.0
        self.latest = None  # {"id", "logits", "input", "pad"} of the latest word with ink

    # --- requests ---------------------------------------------------------------------------
    def load(self, model_path, lexicon_path):
        """Load the word model and the word list (once: the same paths again cost nothing)."""
        for name, value in (("model", model_path), ("lexicon", lexicon_path)):
            if not isinstance(value, str) or not value:
                raise ValueError("the words_load request needs the %s's path, not %r"
                                 % (name, value))
        if self.paths != (model_path, lexicon_path):
            lexicon = load_lexicon(lexicon_path)
            reader = WordReader(model_path, lexicon=lexicon)
            _ = lexicon.trie  # built now, not on the first reading
            self.reader, self.lexicon, self.paths = reader, lexicon, None
            self.decoder = dict(getattr(reader, "decoder", None) or {})
            self.latest = None
            self._use_personal(self.personal)
            self._warm_up()
            self.paths = (model_path, lexicon_path)
        return self.description()

    def description(self):
        reader = self._loaded()
        return {"characters": reader.labels, "lexicon_words": len(self.lexicon),
                "columns_per_frame": reader.columns_per_frame,
                "personal": len(self.personal)}

    def read(self, request_id, pixels, width, height, charset="all"):
        """Read the word pad's RGBA pixels (width x height, each from 1 to the recognizer's
        MAX_CANVAS_SIDE) within `charset`: (reply, the network's input as float32 (32, W), or
        None). See docs/worker-protocol.md for the reply."""
        reader = self._loaded()
        reader.charset_mask(charset)  # a bad set is refused before any work
        if pixels is None:
            raise ValueError("the words_read request needs the pad's RGBA pixels as its data")
        self.latest = None
        ink = ink_from_pixels(rgba_bytes(pixels, width, height).reshape(height, width, 4))
        try:
            x = preprocess_word_ink(ink)
        except EmptyImageError:
            return self._reply(empty_reading(), charset), None
        except WordTooLongError:
            return self._reply(empty_reading(), charset, too_long=True), None
        left, box_h, box_w = ink_box(ink)
        x0, dx = frame_columns(left, box_h, box_w, height, width, reader.columns_per_frame)
        reading = self._decoded(reader.read_input(x, charset))
        self.latest = {"id": request_id, "logits": reader.last_logits, "input": x,
                       "pad": {"x0": x0, "dx": dx}}
        return self._reply(reading, charset), x

    def reread(self, recognition, charset):
        """The latest word read again within `charset` from its kept frames, or None when
        `recognition` is not the latest word read with ink."""
        reader = self._loaded()
        reader.charset_mask(charset)  # a bad set is an error even for a stale id
        if self.latest is None or recognition != self.latest["id"]:
            return None
        return self._reply(self._decoded(reader.read_logits(self.latest["logits"], charset)),
                           charset)

    def set_personal(self, words):
        """Replace the personal words ([[word, count], ...]); their number."""
        self._loaded()
        personal = check_personal_words(words)
        self._use_personal(personal)
        return len(personal)

    def inspect(self, recognition, charset="all"):
        """(layout, float32 values) of every layer's output for the latest word read, then
        its per-frame probabilities within `charset`; None when `recognition` is not the
        latest word read with ink. The layers run again on the word's kept input (one
        word, no padding: the very computation that made its frames)."""
        reader = self._loaded()
        reader.charset_mask(charset)
        if self.latest is None or recognition != self.latest["id"]:
            return None
        from pycnn.nn.sequence import set_input_shape

        model = reader.model
        x = np.asarray(self.latest["input"], dtype=model.dtype)[None, None]
        set_input_shape(model.layers, x.shape[1:])
        outputs = []
        for layer in model.layers:
            x = layer.forward(x, training=False)
            outputs.append((layer.name, x[0]))
        spec = None if charset in (None, "all") else charset
        probabilities = np.exp(word_decode.log_probs(self.latest["logits"], reader.labels, spec))
        outputs.append(("Probabilities", probabilities))
        layout, parts, offset = [], [], 0
        for index, (name, output) in enumerate(outputs):
            sample = np.asarray(output, dtype=np.float32)
            layout.append({"index": index, "name": name, "shape": list(sample.shape),
                           "offset": offset})
            parts.append(sample.reshape(-1))
            offset += sample.size
        return layout, np.concatenate(parts)

    # --- helpers ----------------------------------------------------------------------------
    def _loaded(self):
        if self.reader is None:
            raise WordsNotLoadedError("Word reading is not loaded yet: send words_load first.")
        return self.reader

    def _use_personal(self, personal):
        """Read with `personal` ({word: count}) from now on: the merged lexicon, and the
        decoder's priors of other text shifted with it (see the module docstring)."""
        reader = self.reader
        if personal:
            lexicon, shift = with_personal_words(self.lexicon, personal)
        else:
            lexicon, shift = self.lexicon, 0.0
        decoder = dict(self.decoder, **PAGE_DECODER)
        if shift:
            for name, default in (("oov_log_prior", word_decode.OOV_LOG_PRIOR),
                                  ("nonword_log_prior", word_decode.NONWORD_LOG_PRIOR)):
                decoder[name] = decoder.get(name, default) - shift
        reader.lexicon = lexicon
        reader.decoder = decoder
        self.personal, self.shift = personal, shift

    def _decoded(self, reading):
        """A reading with its scores on the scale of the word list without personal words."""
        if self.shift:
            lift = self.reader.decoder.get("lm_weight", word_decode.LM_WEIGHT) * self.shift
            reading["words"] = [(word, score + lift) for word, score in reading["words"]]
        return reading

    def _reply(self, reading, charset, too_long=False):
        reply = dict(reading)
        reply["words"] = [list(pair) for pair in reading["words"]]
        latest = self.latest
        reply.update({"set": charset, "too_long": too_long,
                      "message": TOO_LONG if too_long else None,
                      "pad": None if reading["empty"] or latest is None else latest["pad"],
                      "input_shape": None if reading["empty"] or latest is None
                      else list(latest["input"].shape)})
        return reply

    def _warm_up(self):
        """One throwaway reading of a blank word image, so the first real one is not slowed
        by first-call costs."""
        reader = self.reader
        reader.read_input(np.zeros((32, 32), dtype=np.float32))
        reader.last_input = reader.last_logits = None
