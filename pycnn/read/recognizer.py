"""Read one drawing: canvas pixels in, the five most likely characters out.

The core of the page: `pycnn.page.api`, the thin layer its Web Worker calls inside Pyodide
0.17 (Python 3.8, NumPy 1.17.5), wraps it, and the end-to-end tests call it in CPython to
check that both agree. The pixels go through the same `preprocess` that training uses, so
the network sees in the page exactly what it saw while learning.

A drawing is read within a character set (`pycnn.read.charsets`: "digits", "upper", ... or the
characters themselves): the set is applied to the logits by `charsets.restrict`, and the
logits are kept, so the same drawing can be read again under another set without a second
pass through the network.
"""

import numbers

import numpy as np

from pycnn.nn.layers import Conv2D
from pycnn.nn.serialize import load_model
from pycnn.read.charsets import NAMED_SETS, CharsetError, restrict, set_mask
from pycnn.read.lookalikes import GROUPS, MIN_SHARE, shown_answer
from pycnn.read.preprocess import EmptyImageError, check_model_compatible, preprocess

# The largest canvas side accepted, in pixels. The page's pad is at most 26rem wide, so
# about 420 CSS px, 1250 device px at a device pixel ratio of 3 (web/app.js caps its pad at
# 2048). A 4096x4096 canvas is 67 MB of RGBA that preprocessing briefly needs again in
# float32; anything larger is a bug or an attack, not a drawing.
MAX_CANVAS_SIDE = 4096

# The longest character set accepted. A set names at most the model's classes (94 printable
# characters once symbols are read); repeats are harmless, but a set of thousands of
# characters comes from a broken link, not from a person.
MAX_SET_LENGTH = 256

# The sets that tell look-alikes apart, narrowest first: each look-alike is named with the
# first of these that holds it, so "0 or O" is told apart by "digits" and "upper".
SEPARATING_SETS = ("digits", "upper", "lower", "symbols")


def canvas_side(name, value):
    """`value` as an int from 1 to MAX_CANVAS_SIDE, or a clear error naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be a whole number of pixels, got %r" % (name, value))
    if not 1 <= value <= MAX_CANVAS_SIDE:
        raise ValueError("%s must be from 1 to %d pixels, got %d"
                         % (name, MAX_CANVAS_SIDE, value))
    return int(value)


def rgba_bytes(pixels, width, height):
    """`pixels` as a flat uint8 array of width*height*4 values, never cast from another type.

    A wrong dtype silently cast would still give an answer, just not for the drawing: floats
    in 0..1 would all become 0, int16 would wrap. So only unsigned bytes are taken.
    """
    expected = width * height * 4
    if isinstance(pixels, np.ndarray):
        if pixels.dtype != np.uint8:
            raise TypeError("pixels must be RGBA bytes of dtype uint8, got dtype %s"
                            % pixels.dtype)
        if pixels.shape not in ((expected,), (height, width, 4)):
            raise ValueError("expected %d RGBA bytes for a %dx%d canvas, flat or of shape "
                             "(%d, %d, 4), got shape %s"
                             % (expected, width, height, height, width, pixels.shape))
        return pixels.reshape(-1)
    try:
        view = memoryview(pixels)
    except TypeError:
        raise TypeError("pixels must be bytes-like (bytes, bytearray, memoryview) or a uint8 "
                        "NumPy array, got %s" % type(pixels).__name__) from None
    if view.format != "B":
        raise TypeError("pixels must be unsigned bytes (uint8, buffer format 'B'), got a "
                        "buffer of format %r" % view.format)
    if view.nbytes != expected:
        raise ValueError("expected %d RGBA bytes for a %dx%d canvas, got %d"
                         % (expected, width, height, view.nbytes))
    return np.frombuffer(view, dtype=np.uint8)


def separating_sets(chars):
    """The named sets that tell look-alikes `chars` apart, one for each in order (e.g.
    ["digits", "upper"] for "0" and "O"), or [] when no two of them fall in different sets."""
    names = []
    for char in chars:
        name = next((n for n in SEPARATING_SETS if char in NAMED_SETS[n]), None)
        if name is None or name in names:
            return []
        names.append(name)
    return names


def unsure_below(metadata):
    """The summed probability of what is shown under which it is more often wrong than right
    on the validation writers (`pycnn.derive_lookalikes`); 0 for a model without that
    choice: never unsure."""
    unsure = (metadata or {}).get("unsure")
    below = unsure.get("below", 0.0) if isinstance(unsure, dict) else 0.0
    usable = isinstance(below, (int, float)) and not isinstance(below, bool) and 0 <= below <= 1
    return float(below) if usable else 0.0


def top_labels(labels, probabilities, mask=None, k=5):
    """The k most probable [[label, p], ...] among the classes where `mask` is True."""
    # A stable sort, so ties keep the label order and CPython and Pyodide agree.
    order = np.argsort(-np.asarray(probabilities), kind="mergesort")
    if mask is not None:
        order = order[np.asarray(mask, dtype=bool)[order]]
    return [[str(labels[i]), float(probabilities[i])] for i in order[:k]]


def shown(top, groups, min_share, unsure_threshold):
    """{"top5", "lookalikes", "unsure"} for a top list: the one way the page and
    `pycnn.predict` present an answer. lookalikes: the leading look-alike labels or None
    (pass no groups to name none, as within a set)."""
    labels, confidence = shown_answer(top, groups, min_share)
    return {"top5": top, "lookalikes": labels if len(labels) > 1 else None,
            "unsure": bool(top) and confidence < unsure_threshold}


class Recognizer:
    """A loaded model plus the latest drawing it read.

    `last_input` keeps the (28, 28) image of the latest recognition and `last_logits` its
    logits (the scores before the final softmax), which `reread` reads under another set.
    With `trace=True`, `last_trace` keeps every layer's output from the very forward pass
    that made the prediction ([(layer name, array), ...], as `Sequential.forward_trace`
    returns), so a view of the network's insides costs no second pass.
    """

    def __init__(self, model_path, top_k=5):
        self.model = load_model(model_path)
        check_model_compatible(self.model)
        self.labels = [str(label) for label in self.model.labels]
        self.metadata = dict(getattr(self.model, "metadata", {}) or {})
        self.top_k = min(top_k, len(self.labels))
        self.lookalike_groups = list(GROUPS)
        self.lookalike_min_share = MIN_SHARE
        self.unsure_below = unsure_below(self.metadata)
        self.last_input = None
        self.last_logits = None
        self.last_trace = None

    def charset_mask(self, charset):
        """The boolean mask of set `charset` over the labels (`charsets.set_mask`), after
        refusing a set too long to be meant; CharsetError with a sentence otherwise."""
        if isinstance(charset, str) and len(charset) > MAX_SET_LENGTH:
            raise CharsetError("a character set of %d characters is too long (at most %d)"
                               % (len(charset), MAX_SET_LENGTH))
        return set_mask(charset, self.labels)

    def recognise_rgba(self, pixels, width, height, trace=False, charset="all"):
        """Recognise RGBA canvas pixels, row-major, 4 bytes per pixel, ink in alpha.

        `pixels` holds width*height*4 uint8 values: a bytes-like object of unsigned bytes
        (bytes, bytearray, a memoryview of format "B"), or a uint8 NumPy array, flat or of
        shape (height, width, 4). Anything else is refused, never cast: a TypeError names the
        dtype or type expected, and a ValueError the size. width and height are whole numbers
        from 1 to MAX_CANVAS_SIDE. `charset` is the set to read within (see `read`); a bad
        one is refused with a CharsetError before any work.

        Returns a dict:
          empty: True when there is no ink (then top5 is [], input and lookalikes None),
          top5:  [[label, probability], ...] most likely first, only labels in the set,
          lookalikes: the leading look-alikes and the sets that tell them apart, or None
                 (see `read`),
          input: the (28, 28) float32 image the network saw.
        trace=True also keeps every layer's activations in `last_trace`.
        """
        mask = self.charset_mask(charset)
        width = canvas_side("width", width)
        height = canvas_side("height", height)
        flat = rgba_bytes(pixels, width, height)
        try:
            image = np.asarray(preprocess(flat, width, height), dtype=np.float32)
        except EmptyImageError:
            self.last_input = None
            self.last_logits = None
            self.last_trace = None
            return {"empty": True, "top5": [], "lookalikes": None, "unsure": False,
                    "input": None}
        self.last_input = image
        batch = image.reshape(1, 1, 28, 28)
        if trace:
            self.last_trace = self.model.forward_trace(batch)
            # forward_trace ends with the probabilities (adding a softmax to a model that
            # outputs scores), so the logits are always the entry before the last.
            self.last_logits = np.asarray(self.last_trace[-2][1])[0]
        else:
            self.last_trace = None
            self.last_logits = np.asarray(self.model.predict_logits(batch))[0]
        answer = self.read(self.last_logits, charset, mask)
        return dict(answer, empty=False, input=image)

    def read(self, logits, charset="all", mask=None):
        """The answer for `logits` within set `charset`: {"top5", "lookalikes", "unsure"}.

        top5: [[label, probability], ...] from `charsets.restrict` (the softmax over the
        set), most likely first, never a label outside the set (fewer than 5 for a smaller
        set). lookalikes, only when the set is "all" (elsewhere nothing competes with a
        look-alike): {"labels": the leading answers that look alike, e.g. ["0", "O"],
        "sets": the named sets that tell them apart, e.g. ["digits", "upper"], or []}, or
        None when the first answer stands alone. unsure: what is shown (the look-alikes
        together, or the first answer) has a summed probability below the model's
        `unsure_below` (see `pycnn.read.lookalikes.shown_answer`).
        """
        if mask is None:
            mask = self.charset_mask(charset)
        top = top_labels(self.labels, restrict(logits, mask), mask, self.top_k)
        answer = shown(top, self.lookalike_groups if charset == "all" else (),
                       self.lookalike_min_share, self.unsure_below)
        if answer["lookalikes"]:
            answer["lookalikes"] = {"labels": answer["lookalikes"],
                                    "sets": separating_sets(answer["lookalikes"])}
        return answer

    def reread(self, charset):
        """The latest drawing's answer within another set, from its kept logits: no second
        pass. Same dict as `read`; None when the latest recognition had no ink."""
        mask = self.charset_mask(charset)
        if self.last_logits is None:
            return None
        return self.read(self.last_logits, charset, mask)

    def predict_image(self, image):
        """Class probabilities (n_classes,) for one preprocessed (28, 28) image."""
        batch = np.asarray(image, dtype=np.float32).reshape(1, 1, 28, 28)
        return np.asarray(self.model.predict_proba(batch))[0]

    # --- the page's "Look inside" view -------------------------------------------------
    def network(self):
        """The architecture, for the page's diagram: the same `layer_table()` that
        `summary()` prints, plus the input shape and the total parameter count."""
        return {"input_shape": [int(d) for d in self.model.input_shape],
                "layers": self.model.layer_table(),
                "parameters": int(self.model.parameter_count())}

    def first_conv_filters(self):
        """The first Conv2D layer's learned weights (F, C, kh, kw) as float32, or None."""
        for index, layer in enumerate(self.model.layers):
            if isinstance(layer, Conv2D):
                return index, np.ascontiguousarray(layer.params["weight"], dtype=np.float32)
        return None

    def layer_activations(self, charset="all"):
        """Every layer's output for the latest drawing, from `last_trace` (the pass that
        made the prediction), packed for the page: (layout, values).

        values is one float32 vector holding each layer's output for the single drawing
        in C order, one after the other; layout has one dict per layer, in order:
        {"index", "name", "shape" (without the batch axis), "offset" (into values)}.
        The last entry, the probabilities, is read within `charset` as the answer is: the
        softmax of the logits over the set (`charsets.restrict`), 0 outside it.
        None when the latest recognition kept no trace (empty pad, or trace=False).
        Packing copies, so it happens only when someone asks, never during recognition.
        """
        mask = self.charset_mask(charset)
        if self.last_trace is None:
            return None
        outputs = [output for _, output in self.last_trace[:-1]]
        outputs.append(restrict(self.last_logits, mask)[None])
        layout, parts, offset = [], [], 0
        for index, ((name, _), output) in enumerate(zip(self.last_trace, outputs)):
            sample = np.asarray(output[0], dtype=np.float32)
            layout.append({"index": index, "name": name, "shape": list(sample.shape),
                           "offset": offset})
            parts.append(sample.reshape(-1))
            offset += sample.size
        return layout, np.concatenate(parts)
