"""Read one handwritten word: pixels in, the raw reading and the three best words out.

The one path from a word's picture to its reading, for the page (through `pycnn.page.api`)
and the command-line tools (`pycnn.predict --words`, `pycnn.evaluate --words`):

    preprocess_word (pycnn.read.word_preprocess)   the picture -> float32 (32, W)
    Sequential.forward_sequence                    -> logits (T, 1 + characters), T = W / 4
    word_decode.decode                             -> raw reading, best words, spans

A word model file (written by `python -m pycnn.train --task words`, pycnn/train_words.py)
is a sequence model whose labels are BLANK_LABEL followed by its characters: its output
class 0 is CTC's blank and class k the character labels[k]. Its metadata says
{"task": "words", "blank": 0, "word_preprocess_version": ...}. `check_word_model` refuses,
with a WordModelError naming the reason, a model that is not that: a classifier (refused
by `load_model(path, sequence=True)` itself, a ModelFileError), another task, a blank that
is not class 0, input that is not (1, 32, W) with W up to the widest word image, a network
that cannot read the narrowest word image, or another word preprocessing version.
Models without the metadata keys (made by hand, in tests) are judged by their labels and
shapes alone.

Runs on the page's Python (3.8, NumPy 1.17).
"""

import numpy as np

from pycnn.nn.sequence import frame_lengths, min_width
from pycnn.nn.serialize import load_model
from pycnn.read import word_decode
from pycnn.read.charsets import CharsetError, set_mask
from pycnn.read.lexicon import load_lexicon
from pycnn.read.preprocess import EmptyImageError
from pycnn.read.recognizer import MAX_SET_LENGTH, canvas_side, rgba_bytes
from pycnn.read.word_preprocess import (
    HEIGHT,
    MAX_WIDTH,
    MIN_WIDTH,
    WordTooLongError,
    check_model_compatible,
    preprocess_word,
)

# A word model's conventions, which the word trainer (pycnn/train_words.py) takes from here:
# class 0 is CTC's blank, named so.
BLANK = 0
BLANK_LABEL = "<blank>"
TASK = "words"
TOP = 3  # words offered: the best and two more
BATCH = 32  # word images read together by `read_inputs`
UNSURE_MARGIN = float(np.log(2.0))


class WordModelError(ValueError):
    """A model file that loads but is no word model this reader can use."""


def check_word_model(model):
    """Refuse (WordModelError) a sequence model that is not a word model made for this
    pycnn's word preprocessing; see the module docstring."""
    metadata = getattr(model, "metadata", None) or {}
    task = metadata.get("task")
    if task is not None and task != TASK:
        raise WordModelError("the model's task is %r, not %r: it is not a word model"
                             % (task, TASK))
    blank = metadata.get("blank", BLANK)
    if isinstance(blank, bool) or blank != BLANK:
        raise WordModelError("the model's blank is class %r; a word model's blank is class %d"
                             % (blank, BLANK))
    labels = [str(label) for label in model.labels]
    if len(labels) < 2 or labels[0] != BLANK_LABEL:
        raise WordModelError("the model's first label is %r, not %r: it is not a word model "
                             "(CTC's blank first, then its characters)"
                             % (labels[0] if labels else None, BLANK_LABEL))
    if any(len(label) != 1 for label in labels[1:]):
        raise WordModelError("a word model's labels are single characters after %r"
                             % BLANK_LABEL)
    shape = tuple(model.input_shape)
    if len(shape) != 3 or shape[0] != 1 or shape[1] != HEIGHT or shape[2] < MAX_WIDTH:
        raise WordModelError("the model takes input of shape %s, but the word preprocessing "
                             "makes (1, %d, W) with W up to %d" % (shape, HEIGHT, MAX_WIDTH))
    try:
        narrowest = min_width(model.layers)
    except ValueError as err:
        raise WordModelError(str(err)) from None
    if narrowest > MIN_WIDTH:
        raise WordModelError("the model needs images at least %d px wide; the word "
                             "preprocessing makes them from %d px" % (narrowest, MIN_WIDTH))
    try:
        check_model_compatible(model)
    except ValueError as err:
        raise WordModelError(str(err)) from None


def load_word_model(path):
    """The word model at `path`: ModelFileError for a bad file or a classifier,
    WordModelError for a sequence model that is no usable word model."""
    model = load_model(path, sequence=True)
    check_word_model(model)
    return model


class WordReader:
    """A word model, its lexicon (or None) and the latest word it read.

    model_path: a word model file; lexicon_path: a lexicon file (`pycnn.read.lexicon`, the
    shipped one is weights/lexicon-en.tsv.gz) or None to read without one (then the words
    are the likeliest texts by the frames alone). Raises ModelFileError, WordModelError or
    LexiconError, each with a sentence. `lexicon=` takes an already loaded Lexicon instead.
    """

    def __init__(self, model_path, lexicon_path=None, lexicon=None, top=TOP):
        self.model = load_word_model(model_path)
        self.labels = [str(label) for label in self.model.labels[1:]]  # class k + 1
        self.metadata = dict(getattr(self.model, "metadata", {}) or {})
        if lexicon is None and lexicon_path is not None:
            lexicon = load_lexicon(lexicon_path)
        self.lexicon = lexicon
        self.top = int(top)
        # Input columns per output frame: the network's pooling along the width (4 for the
        # trainer's networks), to place each frame under the word's image.
        self.columns_per_frame = float(MAX_WIDTH) / int(
            frame_lengths(self.model.layers, [MAX_WIDTH])[-1][0])
        # The decoder's weights chosen on validation writers (`python -m
        # pycnn.fit_word_decoder`, stored in the model's metadata), else word_decode's
        # first guesses.
        self.decoder = decoder_settings(self.metadata)
        self.last_input = None
        self.last_logits = None

    def charset_mask(self, charset):
        """The mask of `charset` over the characters (`charsets.set_mask`) after refusing a
        set too long to be meant; CharsetError otherwise. "all" or None: every character."""
        if isinstance(charset, str) and len(charset) > MAX_SET_LENGTH:
            raise CharsetError("a character set of %d characters is too long (at most %d)"
                               % (len(charset), MAX_SET_LENGTH))
        if charset is None:
            return np.ones(len(self.labels), dtype=bool)
        return set_mask(charset, self.labels)

    # --- pictures -> network input -----------------------------------------------------------
    def read_pixels(self, pixels, width, height, charset="all"):
        """Read the word pad's RGBA canvas pixels (row-major, 4 bytes a pixel, the page's
        `getImageData().data`; bytes-like or a uint8 array, never cast, as
        `Recognizer.recognise_rgba` takes them). width, height: 1 to MAX_CANVAS_SIDE.
        Returns the dict of `read_input`, or {"empty": True, ...} for a pad without ink.
        Raises WordTooLongError for writing too long to read as one word, CharsetError for
        a bad set (before any work), TypeError / ValueError for unusable pixels."""
        self.charset_mask(charset)
        width = canvas_side("width", width)
        height = canvas_side("height", height)
        return self.read_image(rgba_bytes(pixels, width, height).reshape(height, width, 4),
                               charset)

    def read_image(self, image, charset="all"):
        """Read an image of one word: an array (H, W), (H, W, 3) or (H, W, 4), uint8 or
        float in 0..1 (what `pycnn.predict.read_image` gives: a canvas export with the ink
        in alpha, a photo or a scan). The same dict and errors as `read_pixels`."""
        self.charset_mask(charset)
        try:
            x = preprocess_word(image)
        except EmptyImageError:
            self.last_input = self.last_logits = None
            return empty_reading()
        return self.read_input(x, charset)

    def read_input(self, x, charset="all"):
        """Read one preprocessed word image, float32 (32, W); see `reading`."""
        return self.read_inputs([x], charset)[0]

    def read_inputs(self, images, charset="all"):
        """Read preprocessed word images (each float32 (32, W)), BATCH at a time, in batches
        of similar width: a list of `reading` dicts in the order of `images`."""
        self.charset_mask(charset)
        images = [np.asarray(im, dtype=np.float32) for im in images]
        for im in images:
            if im.ndim != 2 or im.shape[0] != HEIGHT or not MIN_WIDTH <= im.shape[1] <= MAX_WIDTH:
                raise ValueError("a word image is (%d, %d..%d), not %s"
                                 % (HEIGHT, MIN_WIDTH, MAX_WIDTH, im.shape))
        logits = self.frames_of(images)
        readings = [self.read_logits(z, charset) for z in logits]
        if images:
            self.last_input, self.last_logits = images[-1], logits[-1]
        return readings

    def frames_of(self, images):
        """The network's frames for preprocessed word images (each float32 (32, W)): a list
        of float64 logits (T_i, 1 + characters), computed BATCH at a time in batches of
        similar width (a word's padding never changes its frames)."""
        logits = [None] * len(images)
        order = np.argsort([im.shape[1] for im in images], kind="mergesort")
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            widths = np.array([images[i].shape[1] for i in batch], dtype=np.int64)
            x = np.zeros((len(batch), 1, HEIGHT, int(widths.max())), dtype=np.float32)
            for n, i in enumerate(batch):
                x[n, 0, :, :widths[n]] = images[i]
            out, lengths = self.model.forward_sequence(x, widths)
            for n, i in enumerate(batch):
                logits[i] = np.asarray(out[n, :lengths[n]], dtype=np.float64)
        return logits

    # --- frames -> reading --------------------------------------------------------------------
    def read_logits(self, logits, charset="all"):
        """The reading of one word's frames, logits (T, 1 + characters):

          empty:  False (True only for a picture without ink; see `empty_reading`);
          raw:    the best-path reading (argmax per frame, repeats merged, blanks dropped),
                  whatever it spells;
          spans:  for each character of raw, the frames (start, stop), stop exclusive, that
                  made it;
          words:  [(word, score), ...], at most `top`, best first: the decoder's scores
                  (natural logs: CTC likelihood + weighted lexicon prior - case penalty,
                  see `word_decode`), or the likeliest texts without a lexicon;
          kinds:  for each word, "lexicon", "oov" (letters outside the lexicon), "nonword"
                  (no letters: a number, a mark) or "text" (no lexicon);
          word_spans: for each character of the best word, its frames (Viterbi), or None;
          frames: the most likely class of every frame, "" for the blank: a strip to show
                  under the word;
          frame_confidence: that class's probability in each frame (within the set);
          columns_per_frame: input columns per frame (the network's pooling along the
                  width: frame t stems from columns t * it to (t + 1) * it of the (32, W)
                  image), to place frames under the word's image;
          unsure: the best two words' scores are within UNSURE_MARGIN (log 2) of each
                  other: on the decoder's scale the first is at most twice as likely as the
                  second (a first guess, not calibrated on validation writers).
        charset: a set name or its characters (`pycnn.read.charsets`); "all" reads every
        character. A non-finite output is a WordModelError (the model is broken).
        """
        self.charset_mask(charset)
        z = np.asarray(logits, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] != len(self.labels) + 1:
            raise ValueError("logits must have shape (T, %d), not %s"
                             % (len(self.labels) + 1, z.shape))
        if not np.all(np.isfinite(z)):
            raise WordModelError("the model's output is not a number (NaN or infinite): the "
                             "model is broken")
        spec = None if charset in (None, "all") else charset
        result = word_decode.decode(z, self.labels, lexicon=self.lexicon, charset=spec,
                                    top=self.top, **self.decoder)
        log_p = word_decode.log_probs(z, self.labels, spec)
        best = log_p.argmax(axis=1) if len(log_p) else np.zeros(0, dtype=np.intp)
        classes = [""] + self.labels
        words = [(str(text), float(score)) for text, score in result["words"]]
        unsure = len(words) > 1 and words[0][1] - words[1][1] < UNSURE_MARGIN
        return {
            "empty": False,
            "raw": result["raw"],
            "spans": [[int(a), int(b)] for a, b in result["spans"]],
            "words": words,
            "kinds": [str(c["kind"]) for c in result["candidates"]],
            "word_spans": (None if result["word_spans"] is None
                           else [[int(a), int(b)] for a, b in result["word_spans"]]),
            "frames": [classes[int(k)] for k in best],
            "frame_confidence": [float(p) for p in np.exp(log_p[np.arange(len(best)), best])],
            "columns_per_frame": self.columns_per_frame,
            "unsure": unsure,
        }


def decoder_settings(metadata):
    """The decoder weights recorded in a word model's metadata ("decoder": {name: number}
    for the names in word_decode.TUNABLE), as keyword arguments of word_decode.decode; {}
    without them. A value that is no finite number, or an unknown name, is a
    WordModelError: a model file is hostile input."""
    chosen = metadata.get("decoder") or {}
    if not isinstance(chosen, dict):
        raise WordModelError("the model's decoder settings are not a table of numbers")
    settings = {}
    for name, value in chosen.items():
        if name not in word_decode.TUNABLE:
            raise WordModelError("the model's decoder settings name %r, which the decoder "
                                 "does not have" % (name,))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not np.isfinite(value) or abs(value) > 1e3:
            raise WordModelError("the model's decoder setting %s is %r, not a number"
                                 % (name, value))
        settings[str(name)] = float(value)
    return settings


def empty_reading():
    """What a picture without ink reads as."""
    return {"empty": True, "raw": "", "spans": [], "words": [], "kinds": [],
            "word_spans": None, "frames": [], "frame_confidence": [],
            "columns_per_frame": None, "unsure": False}


__all__ = ["BLANK", "BLANK_LABEL", "TOP", "WordModelError", "WordReader", "WordTooLongError",
           "check_word_model", "decoder_settings", "empty_reading", "load_word_model"]
