"""Read one drawing: canvas pixels in, the five most likely characters out.

The core of the page: `pycnn.page_api`, the thin layer its Web Worker calls inside Pyodide
0.17 (Python 3.8, NumPy 1.17.5), wraps it, and the end-to-end tests call it in CPython to
check that both agree. The pixels go through the same `preprocess` that training uses, so
the network sees in the page exactly what it saw while learning.
"""

import numbers

import numpy as np

from pycnn.nn.layers import Conv2D
from pycnn.nn.serialize import load_model
from pycnn.preprocess import EmptyImageError, check_model_compatible, preprocess

# The largest canvas side accepted, in pixels. The page's pad is at most 26rem wide, so
# about 420 CSS px, 1250 device px at a device pixel ratio of 3 (web/app.js caps its pad at
# 2048). A 4096x4096 canvas is 67 MB of RGBA that preprocessing briefly needs again in
# float32; anything larger is a bug or an attack, not a drawing.
MAX_CANVAS_SIDE = 4096


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


class Recognizer:
    """A loaded model plus the latest drawing it read.

    `last_input` keeps the (28, 28) image of the latest recognition. With `trace=True`,
    `last_trace` keeps every layer's output from the very forward pass that made the
    prediction ([(layer name, array), ...], as `Sequential.forward_trace` returns), so a view
    of the network's insides costs no second pass.
    """

    def __init__(self, model_path, top_k=5):
        self.model = load_model(model_path)
        check_model_compatible(self.model)
        self.labels = [str(label) for label in self.model.labels]
        self.metadata = dict(getattr(self.model, "metadata", {}) or {})
        self.top_k = min(top_k, len(self.labels))
        self.last_input = None
        self.last_trace = None

    def recognise_rgba(self, pixels, width, height, trace=False):
        """Recognise RGBA canvas pixels, row-major, 4 bytes per pixel, ink in alpha.

        `pixels` holds width*height*4 uint8 values: a bytes-like object of unsigned bytes
        (bytes, bytearray, a memoryview of format "B"), or a uint8 NumPy array, flat or of
        shape (height, width, 4). Anything else is refused, never cast: a TypeError names the
        dtype or type expected, and a ValueError the size. width and height are whole numbers
        from 1 to MAX_CANVAS_SIDE.

        Returns a dict:
          empty: True when there is no ink (then top5 is [] and input is None),
          top5:  [[label, probability], ...] most likely first,
          input: the (28, 28) float32 image the network saw.
        trace=True also keeps every layer's activations in `last_trace`.
        """
        width = canvas_side("width", width)
        height = canvas_side("height", height)
        flat = rgba_bytes(pixels, width, height)
        try:
            image = np.asarray(preprocess(flat, width, height), dtype=np.float32)
        except EmptyImageError:
            self.last_input = None
            self.last_trace = None
            return {"empty": True, "top5": [], "input": None}
        self.last_input = image
        if trace:
            self.last_trace = self.model.forward_trace(image.reshape(1, 1, 28, 28))
            probabilities = np.asarray(self.last_trace[-1][1])[0]
        else:
            self.last_trace = None
            probabilities = self.predict_image(image)
        return {"empty": False, "top5": self.top(probabilities), "input": image}

    def predict_image(self, image):
        """Class probabilities (n_classes,) for one preprocessed (28, 28) image."""
        batch = np.asarray(image, dtype=np.float32).reshape(1, 1, 28, 28)
        return np.asarray(self.model.predict_proba(batch))[0]

    def top(self, probabilities):
        # A stable sort, so ties keep the label order and CPython and Pyodide agree.
        order = np.argsort(-probabilities, kind="mergesort")[: self.top_k]
        return [[self.labels[i], float(probabilities[i])] for i in order]

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

    def layer_activations(self):
        """Every layer's output for the latest drawing, from `last_trace` (the pass that
        made the prediction), packed for the page: (layout, values).

        values is one float32 vector holding each layer's output for the single drawing
        in C order, one after the other; layout has one dict per layer, in order:
        {"index", "name", "shape" (without the batch axis), "offset" (into values)}.
        None when the latest recognition kept no trace (empty pad, or trace=False).
        Packing copies, so it happens only when someone asks, never during recognition.
        """
        if self.last_trace is None:
            return None
        layout, parts, offset = [], [], 0
        for index, (name, output) in enumerate(self.last_trace):
            sample = np.asarray(output[0], dtype=np.float32)
            layout.append({"index": index, "name": name, "shape": list(sample.shape),
                           "offset": offset})
            parts.append(sample.reshape(-1))
            offset += sample.size
        return layout, np.concatenate(parts)
