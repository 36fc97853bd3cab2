"""The personal examples file: its schema, its limits, reading it (as hostile) and writing it.

The file is what the page exports (web/examples-file.js writes and reads the same schema
with the same limits; keep the two in step). JSON, FORMAT and VERSION::

    {"format": "pycnn-examples", "version": 1,
     "examples": [{"label": "g",
                   "strokes": [{"brush": 0.045, "points": [[0.31, 0.42], [0.33, 0.47]]}],
                   "pad_side": 320, "created": "2026-11-29T19:00:00Z"}]}

Points are fractions of the pad's side, x to the right and y down (slightly outside 0..1
when a stroke left the pad); `brush` is the line width as a fraction of the pad's side.
`pad_side` (CSS px) and `created` are documentation. The limits, each refused by
`load_examples` with its own sentence: the text at most MAX_TEXT_BYTES, at most MAX_EXAMPLES
examples, labels of 1 to MAX_LABEL_CHARS printable characters, at most MAX_STROKES strokes
and MAX_POINTS points an example, coordinates within COORDINATE_LIMITS, a brush within
BRUSH_LIMITS, at least one point per example; at most MAX_CLASSES_ADDED new labels per model
(checked by `pycnn.learn.adaptation.Adaptation`, which knows the model).
"""

import math

import numpy as np

from ..nn.serialize import parse_json, printable
from .errors import AdaptError, show

FORMAT = "pycnn-examples"
VERSION = 1

# Limits of an examples file. A person teaching a page makes tens to a few hundred drawings
# of about 50-300 points each (about 3 kB of JSON apiece).
MAX_TEXT_BYTES = 16 * 2 ** 20
MAX_EXAMPLES = 2000
MAX_LABEL_CHARS = 16
MAX_STROKES = 100
MAX_POINTS = 2000
MAX_CLASSES_ADDED = 64
COORDINATE_LIMITS = (-1.0, 2.0)  # fractions of the pad: a stroke may leave the pad a little
BRUSH_LIMITS = (0.005, 0.25)  # the page's slider covers 0.025..0.08
MIN_PAD_SIDE, MAX_PAD_SIDE = 16, 4096


class Example:
    """One personal example: its label and either strokes or a ready 28x28 image.

    strokes: list of (brush, points (n, 2) float64 in pad fractions); image: float32 (28, 28)
    from `pycnn.read.preprocess` (an example read from an image file has no strokes to augment).
    """

    def __init__(self, label, strokes=None, pad_side=320, image=None):
        self.label = label
        self.strokes = strokes or []
        self.pad_side = pad_side
        self.image = image


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AdaptError("%s must be a number, not %s" % (what, show(value)))
    return float(value)


def check_label(label, where="the label"):
    """A label of 1..MAX_LABEL_CHARS printable characters, or AdaptError."""
    if not isinstance(label, str):
        raise AdaptError("%s must be text, not %s" % (where, show(label)))
    if not label:
        raise AdaptError("%s is empty: give the character (or a short name) it shows" % where)
    if len(label) > MAX_LABEL_CHARS:
        raise AdaptError("%s %s has %d characters; at most %d are allowed"
                         % (where, show(label), len(label), MAX_LABEL_CHARS))
    if not label.isprintable() or label.strip() != label:
        raise AdaptError("%s %s holds a control character or leading or trailing space"
                         % (where, show(label)))
    return label


def _stroke(value, where):
    if not isinstance(value, dict):
        raise AdaptError("%s must be an object {brush, points}" % where)
    brush = _number(value.get("brush"), where + " brush")
    if not BRUSH_LIMITS[0] <= brush <= BRUSH_LIMITS[1]:
        raise AdaptError("%s has a brush of %g of the pad; it must be from %g to %g"
                         % (where, brush, BRUSH_LIMITS[0], BRUSH_LIMITS[1]))
    points = value.get("points")
    if not isinstance(points, list):
        raise AdaptError("%s points must be a list of [x, y] pairs" % where)
    return brush, points


def _example(value, k):
    where = "example %d" % (k + 1)
    if not isinstance(value, dict):
        raise AdaptError("%s must be an object {label, strokes, pad_side, created}" % where)
    label = check_label(value.get("label"), "the label of %s" % where)
    where = "example %d (%s)" % (k + 1, show(label))
    strokes = value.get("strokes")
    if not isinstance(strokes, list):
        raise AdaptError("%s has no list of strokes" % where)
    if len(strokes) > MAX_STROKES:
        raise AdaptError("%s has %d strokes; at most %d are allowed"
                         % (where, len(strokes), MAX_STROKES))
    pad_side = value.get("pad_side", 320)
    pad_side = _number(pad_side, where + " pad_side")
    if not MIN_PAD_SIDE <= pad_side <= MAX_PAD_SIDE:
        raise AdaptError("%s has a pad_side of %g px; it must be from %d to %d"
                         % (where, pad_side, MIN_PAD_SIDE, MAX_PAD_SIDE))
    parsed, total = [], 0
    for j, stroke in enumerate(strokes):
        brush, points = _stroke(stroke, "%s stroke %d" % (where, j + 1))
        total += len(points)
        if total > MAX_POINTS:
            raise AdaptError("%s has more than %d points; at most %d are allowed"
                             % (where, MAX_POINTS, MAX_POINTS))
        if not points:
            continue
        if not all(isinstance(p, list) and len(p) == 2 and all(
                not isinstance(c, bool) and isinstance(c, (int, float)) for c in p)
                for p in points):
            raise AdaptError("%s stroke %d: points must be [x, y] pairs of numbers"
                             % (where, j + 1))
        xy = np.array(points, dtype=np.float64)
        if not (np.all(np.isfinite(xy)) and xy.min() >= COORDINATE_LIMITS[0]
                and xy.max() <= COORDINATE_LIMITS[1]):
            raise AdaptError("%s stroke %d has points outside %g..%g of the pad"
                             % (where, j + 1, COORDINATE_LIMITS[0], COORDINATE_LIMITS[1]))
        parsed.append((brush, xy))
    if not parsed:
        raise AdaptError("%s has no ink: draw the character before keeping it" % where)
    return Example(label, parsed, pad_side)


def load_examples(obj_or_text):
    """The examples of a personal examples file -> [Example], or AdaptError with a sentence.

    obj_or_text: the parsed JSON object, or its text (str or bytes). The text is parsed as
    hostile (`serialize.parse_json`: no NaN, bounded nesting and integers); every limit of
    the module docstring is checked before anything is rendered.
    """
    obj = obj_or_text
    if isinstance(obj, (bytes, bytearray, memoryview)):
        if len(obj) > MAX_TEXT_BYTES:
            raise AdaptError("the examples file is %.1f MB; at most %d MB is allowed"
                             % (len(obj) / 2 ** 20, MAX_TEXT_BYTES // 2 ** 20))
        try:
            obj = bytes(obj).decode("utf-8")
        except UnicodeDecodeError:
            raise AdaptError("the examples file is not UTF-8 text") from None
    if isinstance(obj, str):
        if len(obj) > MAX_TEXT_BYTES:
            raise AdaptError("the examples file is %.1f MB; at most %d MB is allowed"
                             % (len(obj) / 2 ** 20, MAX_TEXT_BYTES // 2 ** 20))
        try:
            obj = parse_json(obj)
        except ValueError as err:
            raise AdaptError("the examples file is not valid JSON (%s)"
                             % printable(str(err).splitlines()[0][:80])) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise AdaptError("this is not a pycnn examples file (its format is not %r)" % FORMAT)
    version = obj.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise AdaptError("the examples file has no whole-number version")
    if version > VERSION:
        raise AdaptError("the examples file is version %d, from a newer pycnn; this one reads "
                         "version %d" % (version, VERSION))
    if version < 1:
        raise AdaptError("the examples file has version %d; versions start at 1" % version)
    examples = obj.get("examples")
    if not isinstance(examples, list):
        raise AdaptError("the examples file has no list of examples")
    if len(examples) > MAX_EXAMPLES:
        raise AdaptError("the examples file holds %d examples; at most %d are allowed"
                         % (len(examples), MAX_EXAMPLES))
    return [_example(value, k) for k, value in enumerate(examples)]


def examples_json(examples):
    """[Example with strokes] -> the examples file's object (the inverse of load_examples)."""
    return {"format": FORMAT, "version": VERSION, "examples": [
        {"label": e.label, "pad_side": e.pad_side,
         "strokes": [{"brush": brush, "points": xy.tolist()} for brush, xy in e.strokes]}
        for e in examples]}
