"""Teach a trained model someone's handwriting: fine-tune it on their own examples.

    python -m pycnn.adapt --model weights/model.npz (--examples FILE.json | --images LIST.csv)
                          --out my-model.npz [--steps N] [--seed N] [--json] [--quiet]
    python -m pycnn.adapt --make-rehearsal [--model weights/model.npz] [--out FILE]

The page's worker runs the very same `Adaptation` (through `pycnn.page.api`), in short slices
so that it keeps answering drawings while it learns; this module therefore runs on Python 3.8
with NumPy 1.17.5 (the command-line part imports Pillow only for --images).

Personal examples file (JSON, what the page exports; FORMAT, VERSION)::

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
BRUSH_LIMITS, at least one point per example; at most MAX_CLASSES_ADDED new labels per model.

How it learns (the choices are measured by bench/adapt_hand.py and bench/new_symbol.py):

1. A label the model lacks becomes a class once it has MIN_NEW_CLASS_EXAMPLES examples
   (fewer are held back, unused). The last Dense layer (W (D, K), b (K,)) grows one column
   per new label (`grow_output`): w_new = m / |m| * mean_k |W[:, k]|, where m is the mean of
   the new label's examples' penultimate features (the last Dense layer's input), and a bias
   that ties it with the best old class at m ("imprinting"). Old logits are unchanged by
   the growth.
2. Each example is drawn as the page drew it (`render_examples`: the strokes' own positions
   and brushes), and AUGMENTED_IMAGES // n more times (MIN_COPIES to MAX_COPIES) from its
   strokes with `pycnn.data.augment` (elastic jitter, aspect, shear, rotation, size,
   position and brush width), then through `pycnn.read.preprocess.preprocess_ink`.
3. The convolutional trunk stays frozen: only the dense head (the layers after the last
   Flatten) learns. The head's input (the trunk's features) is then computed once per
   image, so the training steps cost a tiny fraction of a full backward pass, which is what
   makes learning affordable in the page (its NumPy has no BLAS).
4. REHEARSAL_USED images of the shipped rehearsal set (`weights/rehearsal.npz`, training
   writers only, evenly per class) fill half of every batch; their targets are the model's
   own answers before learning (distillation), so untaught classes keep their answers.
5. `steps` Adam steps (LEARNING_RATE) on batches of BATCH_PERSONAL personal and
   BATCH_REHEARSAL rehearsal features, dropout on as in training, with the logits adjusted
   by the log share of each class in the batches (`_train_unit`), so a new symbol that is
   half of every batch is not learnt as the commonest drawing.

Every unit of work (a chunk of images through the trunk, one Adam step) is small, and
`Adaptation.step(max_seconds)` runs whole units until the time is up: the same seed gives
the same model however the work is sliced.
"""

import json
import math
import os
import sys
import time

import numpy as np

from .data.augment import augment_points, random_placement
from .data.render import (
    TRAINING_PAD_SIZE,
    canvas_alpha,
    normalize_points,
    place_in_pad,
    rasterize,
)
from .nn.layers import Dense, Dropout, ReLU, Softmax
from .nn.model import Sequential
from .nn.optim import Adam
from .nn.serialize import parse_json, printable, read_npz
from .read.preprocess import OUTPUT_SIZE, EmptyImageError, preprocess_ink

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

MIN_NEW_CLASS_EXAMPLES = 3

# Training recipe (see the module docstring and the benches).
RENDER_PAD = TRAINING_PAD_SIZE  # pad side (px) of augmented renderings, as training uses
AUGMENTED_IMAGES = 300
MIN_COPIES, MAX_COPIES = 1, 16
REHEARSAL_USED = 300
BATCH_PERSONAL, BATCH_REHEARSAL = 16, 16
LEARNING_RATE = 3e-4  # 1e-3 cut more errors on validation writers but forgot up to 1.1 points
EPOCHS = 3  # passes over the personal images, bounded by MIN_STEPS..MAX_STEPS
MIN_STEPS, MAX_STEPS = 60, 300
FEATURE_CHUNK = 4  # images through the trunk per unit of work: ~30-60 ms in the page
CACHED_CHUNK = 64  # rehearsal images per unit whose trunk features are already cached

REHEARSAL_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights", "rehearsal.npz")
REHEARSAL_PER_CLASS = 10  # in the shipped rehearsal file
REHEARSAL_SEED = 20261129
MAX_REHEARSAL_FILE_BYTES = 16 * 2 ** 20


class AdaptError(ValueError):
    """Examples or a request that cannot be learnt from; the message is one sentence."""


# --- the examples file --------------------------------------------------------------------

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
        raise AdaptError("%s must be a number, not %s" % (what, _show(value)))
    return float(value)


def _show(value):
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) \
        else type(value).__name__
    return printable(text if len(text) <= 40 else text[:37] + "...")


def check_label(label, where="the label"):
    """A label of 1..MAX_LABEL_CHARS printable characters, or AdaptError."""
    if not isinstance(label, str):
        raise AdaptError("%s must be text, not %s" % (where, _show(label)))
    if not label:
        raise AdaptError("%s is empty: give the character (or a short name) it shows" % where)
    if len(label) > MAX_LABEL_CHARS:
        raise AdaptError("%s %s has %d characters; at most %d are allowed"
                         % (where, _show(label), len(label), MAX_LABEL_CHARS))
    if not label.isprintable() or label.strip() != label:
        raise AdaptError("%s %s holds a control character or leading or trailing space"
                         % (where, _show(label)))
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
    where = "example %d (%s)" % (k + 1, _show(label))
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


# --- drawing examples as the page draws them ------------------------------------------------

def render_examples(examples, rng=None, pad_size=None):
    """Examples with strokes -> (N, 1, 28, 28) float32 network inputs.

    rng None: each drawn as the page drew it, points at (x, y) * S px and every stroke with
    its own brush * S px, on a pad of S = pad_size px (default RENDER_PAD, the side training
    renders at: the 28x28 input hardly depends on it, the time it takes does). With rng: a
    seeded augmentation of each, `pycnn.data.augment` on its strokes and a random size,
    place and brush (one per example), on a RENDER_PAD pad, as training renders UNIPEN.
    Then the canvas's 8-bit alpha and `preprocess_ink`. An example whose ink does not
    reach the pad gives an all-zero image.

    Each stroke is rasterised as its own "sample" of `render.rasterize`, so it keeps its
    own width, and an example's ink is the maximum over its strokes (ink coverage on a
    canvas is the union of the discs, the maximum of their coverages).
    """
    images = np.zeros((len(examples), 1, OUTPUT_SIZE, OUTPUT_SIZE), dtype=np.float32)
    for k, example in enumerate(examples):
        if example.image is not None:
            images[k, 0] = example.image
            continue
        brushes = np.array([brush for brush, _ in example.strokes])
        counts = np.array([len(xy) for _, xy in example.strokes], dtype=np.intp)
        xy = np.concatenate([xy for _, xy in example.strokes])
        stroke_of_point = np.repeat(np.arange(len(counts)), counts)
        connects = np.ones(len(xy), dtype=bool)
        connects[np.cumsum(counts) - 1] = False
        side = pad_size or RENDER_PAD
        if rng is None:
            placed = xy * side
            widths = brushes * side
        else:
            whole = np.zeros(len(xy), dtype=np.int64)
            unit = augment_points(normalize_points(xy, whole, 1), whole, 1, rng)
            fill, centre, width = random_placement(1, rng, side)
            placed = place_in_pad(unit, whole, 1, side, fill=fill, centre=centre)
            widths = np.full(len(counts), width[0] * side)
        pads = rasterize(placed, connects, stroke_of_point, len(counts), side, widths)
        alpha = canvas_alpha(pads.max(axis=0))
        try:
            images[k, 0] = preprocess_ink(alpha)
        except EmptyImageError:
            pass
    return images


# --- the rehearsal set ----------------------------------------------------------------------

def load_rehearsal(path=REHEARSAL_PATH):
    """(images uint8 (N, 28, 28), labels [str]) of a rehearsal file, read as hostile."""
    arrays = read_npz(path, AdaptError, MAX_REHEARSAL_FILE_BYTES, 4 * MAX_REHEARSAL_FILE_BYTES,
                      what="a rehearsal file")
    images, labels = arrays.get("images"), arrays.get("labels")
    if (images is None or labels is None or images.dtype != np.uint8 or images.ndim != 3
            or images.shape[1:] != (OUTPUT_SIZE, OUTPUT_SIZE) or labels.dtype.kind != "U"
            or labels.shape != images.shape[:1]):
        raise AdaptError("%s: not a rehearsal file (uint8 images (N, 28, 28) and N labels)"
                         % printable(path))
    return images, [str(label) for label in labels]


def make_rehearsal(out=REHEARSAL_PATH, per_class=REHEARSAL_PER_CLASS, seed=REHEARSAL_SEED):
    """Write the rehearsal file: `per_class` samples of every class of the alnum and symbols
    stroke files, from training-split writers only, each rendered once with training's
    augmentation (seeded), as uint8 28x28 images with their labels. Returns its size."""
    from .data.dataset import render_batch
    from .data.unipen import SYMBOLS_FILE_NAME, default_data_path, load_unipen, writer_split

    rng = np.random.RandomState(seed)
    images, labels = [], []
    for name in (None, SYMBOLS_FILE_NAME):
        data = load_unipen(default_data_path(name) if name else None)
        train = writer_split(data)["train"]
        for c in range(len(data.mapping)):
            members = train[data.labels[train] == c]
            if len(members) == 0:
                continue
            chosen = np.sort(rng.choice(members, min(per_class, len(members)), replace=False))
            x, _ = render_batch(data, chosen, rng=np.random.default_rng(rng.randint(2 ** 31)),
                                augment=True)
            images.append(np.round(x[:, 0] * 255).astype(np.uint8))
            labels.extend([str(data.mapping[c])] * len(chosen))
    images = np.concatenate(images)
    folder = os.path.dirname(os.path.abspath(out))
    tmp = os.path.join(folder, ".tmp-rehearsal-%d.npz" % os.getpid())
    try:
        np.savez_compressed(tmp, images=images, labels=np.array(labels))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return len(images), os.path.getsize(out)


def stratified(labels, classes, count, rng):
    """Sorted indices of about `count` of `labels`, as many of each of `classes` as it
    has up to ceil(count / len(classes)), chosen at random."""
    labels = np.array(labels, dtype=np.str_)  # an empty list would be float, never equal
    each = -(-count // max(len(classes), 1))
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:each] for c in classes]
    chosen = [c for c in chosen if len(c)]
    return np.sort(np.concatenate(chosen)).astype(np.intp) if chosen \
        else np.zeros(0, dtype=np.intp)


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def ink_on_pad(example):
    """Whether any stroke's ink (its points, widened by half the brush) reaches the pad."""
    for brush, xy in example.strokes:
        low, high = xy.min(axis=0) + brush / 2, xy.max(axis=0) - brush / 2
        if np.all(low < 1.0) and np.all(high > 0.0):
            return True
    return False


def fingerprint(arrays):
    """SHA-1 of the arrays' bytes."""
    import hashlib

    digest = hashlib.sha1()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def trunk_fingerprint(model, upto):
    """The fingerprint of the parameters of the layers before `upto`: the trunk's identity."""
    return fingerprint([layer.params[name] for layer in model.layers[:upto]
                        for name in sorted(layer.params)])


# --- the model's head -----------------------------------------------------------------------

HEAD_LAYERS = (Dense, ReLU, Dropout, Softmax)
# What learns: "head", every layer after the trunk; "last", the last Dense layer; "new", only
# the new classes' columns of the last Dense layer (old logits stay exactly as they were).
TRAIN_CHOICES = ("head", "last", "new")


def head_start(model):
    """Index of the first layer of the dense head: the layers after the last one that is
    not Dense, ReLU, Dropout or Softmax (the trunk, frozen while adapting)."""
    start = len(model.layers)
    while start > 0 and isinstance(model.layers[start - 1], HEAD_LAYERS):
        start -= 1
    if not any(isinstance(layer, Dense) for layer in model.layers[start:]):
        raise AdaptError("the model has no Dense output layer to adapt")
    return start


def last_dense(model):
    return max(i for i, layer in enumerate(model.layers) if isinstance(layer, Dense))


def _rebuilt(model, config, labels, skip_layer=None):
    """A new Sequential from `config` with `model`'s settings and a copy of its parameters,
    but those of layer `skip_layer` (left to the caller)."""
    built = Sequential.from_config(config, input_shape=model.input_shape, labels=list(labels),
                                   metadata=json.loads(json.dumps(model.metadata)),
                                   seed=model.seed, dtype=model.dtype)
    for (key, target, _), (_, source, _) in zip(built.parameters(), model.parameters()):
        if skip_layer is None or not key.startswith("%d." % skip_layer):
            target[...] = source
    return built


def copy_model(model, labels=None):
    """A new Sequential with the same architecture and a copy of every parameter."""
    return _rebuilt(model, model.config(), labels or model.labels)


def grow_output(model, new_labels, features_of_label):
    """`model` with one more output per new label, the rest of it unchanged (a copy).

    features_of_label[label]: (n, D) penultimate features of that label's examples (the
    last Dense layer's input). The new column of the last Dense layer is their mean m scaled
    to the mean norm of the existing columns, w = m / |m| * mean_k |W[:, k]|, and its bias
    b = mean_i max_k z_ik - w . m, with z_ik the old logits of example i: at the mean of its
    examples the new class ties with the class the model read them as, so it neither
    swallows every drawing (features are ReLU outputs, so w . x > 0 for nearly any x) nor
    starts unreachable.
    """
    if not new_labels:
        return copy_model(model)
    index = last_dense(model)
    dense = model.layers[index]
    weight, bias = dense.params["weight"], dense.params["bias"]
    w64, b64 = weight.astype(np.float64), bias.astype(np.float64)
    norm = float(np.mean(np.sqrt((w64 ** 2).sum(axis=0))))
    columns, biases = [], []
    for label in new_labels:
        features = np.asarray(features_of_label[label], dtype=np.float64)
        mean = features.mean(axis=0)
        length = float(np.sqrt((mean ** 2).sum()))
        column = mean / length * norm if length > 0 else np.zeros_like(mean)
        best_old = (features @ w64 + b64).max(axis=1).mean()
        columns.append(column)
        biases.append(best_old - float(column @ mean))
    config = model.config()
    config[index]["config"]["units"] = dense.units + len(new_labels)
    grown = _rebuilt(model, config, list(model.labels) + list(new_labels), skip_layer=index)
    out = grown.layers[index]
    out.params["weight"][...] = np.concatenate(
        [weight, np.stack(columns, axis=1).astype(weight.dtype)], axis=1)
    out.params["bias"][...] = np.concatenate([bias, np.array(biases, dtype=bias.dtype)])
    return grown


# --- the adaptation, in slices --------------------------------------------------------------

class Adaptation:
    """Fine-tune a copy of `model` on `examples`, a unit of work at a time.

    model: a loaded Sequential (left untouched). examples: [Example]. rehearsal: (uint8
    images (N, 28, 28), labels) or None for the shipped file, () for none. train: "head"
    (every layer after the trunk) or "last" (the last Dense layer only). steps: Adam steps,
    default from EPOCHS. `step(max_seconds)` works until the time is up and returns the
    progress; `result()` the adapted model once `done`. feature_cache: a dict kept by the
    caller between adaptations (the page's worker), where the trunk's features of rehearsal
    images are kept, keyed by a fingerprint of the trunk, which never learns.
    """

    def __init__(self, model, examples, rehearsal=None, seed=0, steps=None, train="head",
                 rehearsal_used=REHEARSAL_USED, augmented_images=AUGMENTED_IMAGES,
                 learning_rate=LEARNING_RATE, feature_cache=None):
        if train not in TRAIN_CHOICES:
            raise AdaptError("train must be one of %s, not %s"
                             % (", ".join(TRAIN_CHOICES), _show(train)))
        if not examples:
            raise AdaptError("there are no examples to learn from")
        if len(examples) > MAX_EXAMPLES:
            raise AdaptError("%d examples are too many; at most %d are allowed"
                             % (len(examples), MAX_EXAMPLES))
        self.started = time.time()
        self.seed = int(seed)
        self.rng = np.random.RandomState(self.seed)
        known = set(model.labels)
        counts = {}
        for e in examples:
            counts[e.label] = counts.get(e.label, 0) + 1
        new = [label for label in counts if label not in known]
        self.held_back = sorted(label for label in new if counts[label] < MIN_NEW_CLASS_EXAMPLES)
        self.labels_added = [label for label in new if label not in self.held_back]
        if len(self.labels_added) > MAX_CLASSES_ADDED:
            raise AdaptError("%d new labels are too many; at most %d can be added at once"
                             % (len(self.labels_added), MAX_CLASSES_ADDED))
        already = (model.metadata.get("adaptation") or {}).get("labels_added", [])
        if len(self.labels_added) + len(already) > MAX_CLASSES_ADDED:
            raise AdaptError("this model already has %d added labels; at most %d can be added"
                             % (len(already), MAX_CLASSES_ADDED))
        self.examples = [e for e in examples if e.label not in self.held_back]
        if not self.examples:
            raise AdaptError("every label is new and has fewer than %d examples: draw more "
                             "of them first" % MIN_NEW_CLASS_EXAMPLES)

        for k, e in enumerate(self.examples):
            if e.image is None and not ink_on_pad(e):
                raise AdaptError("example %d (%s) has no ink on the pad" % (k + 1, _show(e.label)))
        self.head = head_start(model)
        self.out_index = last_dense(model)
        # The first layer that learns; every image's features are computed up to it once.
        self.first_learning = self.head if train == "head" else self.out_index
        self.model = copy_model(model)  # grown once the new labels' features are known
        self.old_classes = len(model.labels)
        labels = list(model.labels) + self.labels_added
        index = {label: i for i, label in enumerate(labels)}
        self.personal_labels = np.array([index[e.label] for e in self.examples], np.intp)
        if rehearsal is None:
            rehearsal = load_rehearsal()
        rehearsal = rehearsal if len(rehearsal) else (np.zeros((0, 28, 28), np.uint8), [])
        chosen = stratified(rehearsal[1], list(model.labels), rehearsal_used, self.rng)
        self.rehearsal_images = rehearsal[0]
        self.rehearsal_labels = np.array([index[rehearsal[1][k]] for k in chosen], np.intp)
        self.cache = feature_cache if feature_cache is not None else {}
        self.cache_key = (trunk_fingerprint(self.model, self.first_learning),
                          fingerprint([np.ascontiguousarray(rehearsal[0])]))

        # The work plan, in units of at most FEATURE_CHUNK images through the trunk: each
        # example as drawn, then growing the output layer (from those), then augmented
        # copies of the examples with strokes, then the rehearsal images; then Adam steps.
        with_strokes = [k for k, e in enumerate(self.examples) if e.image is None]
        self.copies = 0 if not with_strokes else min(
            MAX_COPIES, max(MIN_COPIES, augmented_images // len(self.examples)))
        canonical = [("canonical", k) for k in range(len(self.examples))]
        augmented = [("augmented", k) for _ in range(self.copies) for k in with_strokes]
        cached = self.cache.get(self.cache_key, {})
        fresh = [("rehearsal", int(k)) for k in chosen if int(k) not in cached]
        known = [("rehearsal", int(k)) for k in chosen if int(k) in cached]
        self.units = (chunks(canonical, FEATURE_CHUNK) + [[("grow", None)]]
                      + chunks(augmented, FEATURE_CHUNK) + chunks(fresh, FEATURE_CHUNK)
                      + chunks(known, CACHED_CHUNK))
        self.feature_units = len(self.units)
        n_personal = len(canonical) + len(augmented)
        if steps is None:
            steps = min(MAX_STEPS, max(MIN_STEPS, EPOCHS * n_personal // BATCH_PERSONAL))
        self.train_steps = int(steps)
        self.steps_total = self.feature_units + self.train_steps
        self.steps_done = 0
        self.personal_features, self.personal_targets = [], []
        self.rehearsal_features, self.rehearsal_soft, self.rehearsal_order = [], [], []
        self.losses = []
        self.unit_seconds = {"features": [], "train": []}
        self.learning_rate = learning_rate
        self.train = train

    @property
    def done(self):
        return self.steps_done >= self.steps_total

    @property
    def classes_added(self):
        return len(self.labels_added)

    def _grow(self):
        """Add the new labels' outputs (`grow_output`, from the penultimate features of
        their examples as drawn), then set up what learns."""
        features = np.array(self.personal_features[:len(self.examples)])
        for layer in self.model.layers[self.first_learning:self.out_index]:
            features = layer.forward(features, training=False)
        targets = self.personal_labels
        of_label = {label: features[targets == self.old_classes + i]
                    for i, label in enumerate(self.labels_added)}
        self.model = grow_output(self.model, self.labels_added, of_label)
        self.trainable = [layer for layer in self.model.layers[self.first_learning:]
                          if layer.params]
        self.optimizer = Adam(self.learning_rate)
        for i, layer in enumerate(self.model.layers):
            if isinstance(layer, Dropout):
                layer.rng = np.random.RandomState([self.seed, i])

    def _features_unit(self):
        unit = self.units[self.steps_done]
        if unit[0][0] == "grow":
            self._grow()
            return
        kind = unit[0][0]
        cached = self.cache.setdefault(self.cache_key, {})
        if kind == "rehearsal" and unit[0][1] in cached:
            features = np.stack([cached[k] for _, k in unit])
        else:
            if kind == "canonical":
                images = render_examples([self.examples[k] for _, k in unit])
            elif kind == "augmented":
                images = render_examples([self.examples[k] for _, k in unit], rng=self.rng)
            else:
                images = self.rehearsal_images[[k for _, k in unit]][:, None] / np.float32(255)
            features = self.model.forward(images.astype(self.model.dtype),
                                          upto=self.first_learning)
        if kind != "rehearsal":
            self.personal_features.extend(features)
            self.personal_targets.extend(self.personal_labels[[k for _, k in unit]])
            return
        for (_, k), feature in zip(unit, features):
            cached[k] = feature  # the trunk never learns: the same next time
        self.rehearsal_features.extend(features)
        self.rehearsal_order.extend(k for _, k in unit)
        # What the model read in each rehearsal image before learning anything (the head
        # is untouched until every feature is computed), over its old classes.
        logits = self._head_forward(features, training=False)[:, :self.old_classes]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.rehearsal_soft.extend(shifted / shifted.sum(axis=1, keepdims=True))

    def _pools(self):
        """The cached features as arrays, and log pi: the share of each class in the
        training batches (half personal images, half rehearsal, each drawn uniformly)."""
        self.personal_features = np.array(self.personal_features, dtype=self.model.dtype)
        # intp, not int64: bincount refuses int64 where intp is 32-bit (Pyodide's wasm).
        self.personal_targets = np.array(self.personal_targets, dtype=np.intp)
        self.rehearsal_features = np.array(self.rehearsal_features, dtype=self.model.dtype)
        self.rehearsal_soft = np.array(self.rehearsal_soft).reshape(-1, self.old_classes)
        # In the rehearsal file's order, however many came from the cache.
        order = np.argsort(np.array(self.rehearsal_order, dtype=np.intp), kind="stable")
        self.rehearsal_features = self.rehearsal_features[order]
        self.rehearsal_soft = self.rehearsal_soft[order]
        classes = len(self.model.labels)
        share = np.bincount(self.personal_targets, minlength=classes) / len(
            self.personal_targets)
        if len(self.rehearsal_labels):
            # The rehearsal half counts as spread evenly over the old classes: its targets are
            # the model's own answers, and an uneven pi there would move the old classes'
            # logits against each other by log pi (z = z_before - log pi + constant).
            uniform = np.zeros(classes)
            uniform[:self.old_classes] = 1.0 / self.old_classes
            share = (share + uniform) / 2.0
        self.log_share = np.log(np.maximum(share, 1e-4))

    def _batch(self):
        """BATCH_PERSONAL personal and BATCH_REHEARSAL rehearsal features, drawn uniformly,
        and their target distributions t (see _train_unit)."""
        if not isinstance(self.personal_features, np.ndarray):
            self._pools()
        t = np.zeros((BATCH_PERSONAL + BATCH_REHEARSAL, len(self.model.labels)))
        rows = self.rng.randint(0, len(self.personal_features), BATCH_PERSONAL)
        x = [self.personal_features[rows]]
        t[np.arange(BATCH_PERSONAL), self.personal_targets[rows]] = 1.0
        if len(self.rehearsal_features):
            rows = self.rng.randint(0, len(self.rehearsal_features), BATCH_REHEARSAL)
            x.append(self.rehearsal_features[rows])
            t[BATCH_PERSONAL:, :self.old_classes] = self.rehearsal_soft[rows]
        else:
            t = t[:BATCH_PERSONAL]
        return np.concatenate(x), t

    def _head_layers(self):
        """The layers that run on the cached features, up to the logits."""
        start = self.first_learning
        end = len(self.model.layers) - (1 if isinstance(self.model.layers[-1], Softmax) else 0)
        return self.model.layers[start:end]

    def _head_forward(self, x, training):
        for layer in self._head_layers():
            x = layer.forward(x, training=training)
        return x

    def _train_unit(self):
        """One Adam step. The loss is the cross-entropy against target distributions t:
        one-hot for a personal image, and for a rehearsal image what the model read there
        before learning (distillation, as in "learning without forgetting"), so old classes
        keep their answers, look-alike balance included. The logits are adjusted by the
        log share of each class in the batches (logit adjustment, as pycnn.prior does), so
        that half a batch of one new symbol does not teach the model that most drawings are
        that symbol:
            z' = z + log pi,  L = (1/N) sum_n [logsumexp(z'_n) - t_n . z'_n],
            dL/dz = (softmax(z') - t) / N."""
        x, t = self._batch()
        layers = self._head_layers()
        z = self._head_forward(x, training=True).astype(np.float64) + self.log_share
        shifted = z - z.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(np.mean(log_sum[:, 0] - (t * shifted).sum(axis=1)))
        dy = ((np.exp(shifted - log_sum) - t) / len(t)).astype(self.model.dtype)
        first, layers[0].needs_input_grad = layers[0].needs_input_grad, False
        try:  # nothing before the head learns, so the head's input needs no gradient
            for layer in reversed(layers):
                dy = layer.backward(dy)
                if dy is None:
                    break
        finally:
            layers[0].needs_input_grad = first
        if self.train == "new":  # the old classes' columns stay exactly as they were
            grads = self.model.layers[self.out_index].grads
            grads["weight"][:, :self.old_classes] = 0.0
            grads["bias"][:self.old_classes] = 0.0
        params = [("%d.%s" % (id(layer), name), layer.params[name], layer.grads[name])
                  for layer in self.trainable for name in sorted(layer.params)]
        self.optimizer.step(params)
        self.losses.append(loss)

    def step(self, max_seconds=0.05):
        """Run whole units of work within about `max_seconds` and return `progress()`.

        At least one unit runs; after it, a unit starts only if the time it is expected to
        take (the mean of its kind so far) still fits, so that a recognition the page sends
        meanwhile waits little longer than max_seconds."""
        begin = time.time()
        ran = 0
        while not self.done:
            kind = "features" if self.steps_done < self.feature_units else "train"
            times = self.unit_seconds[kind]
            expected = sum(times[-20:]) / len(times[-20:]) if times else 0.0
            if ran and time.time() - begin + expected > max_seconds:
                break
            unit_begin = time.time()
            if kind == "features":
                self._features_unit()
            else:
                self._train_unit()
            self.steps_done += 1
            ran += 1
            times.append(time.time() - unit_begin)
        return self.progress()

    def run(self, on_progress=None):
        """Run to completion (what the command line does); returns the adapted model."""
        while not self.done:
            progress = self.step(0.25)
            if on_progress is not None:
                on_progress(progress)
        return self.result()

    def progress(self):
        """{step, steps_total, loss (mean of the last 10 steps, None before training),
        seconds_left (estimated from the units timed so far), done}."""
        features_left = max(0, self.feature_units - self.steps_done)
        train_left = self.steps_total - self.steps_done - features_left
        times = self.unit_seconds
        per_feature = np.mean(times["features"]) if times["features"] else 0.0
        per_train = np.mean(times["train"]) if times["train"] else per_feature * 0.25
        return {"step": self.steps_done, "steps_total": self.steps_total,
                "loss": float(np.mean(self.losses[-10:])) if self.losses else None,
                "seconds_left": round(float(features_left * per_feature
                                            + train_left * per_train), 2),
                "done": self.done}

    def result(self):
        """The adapted model, its metadata telling what it learnt."""
        if not self.done:
            raise AdaptError("the adaptation has not finished")
        previous = self.model.metadata.get("adaptation") or {}
        self.model.metadata["adaptation"] = {
            "examples": len(self.examples) + int(previous.get("examples", 0)),
            "labels_added": list(previous.get("labels_added", [])) + self.labels_added,
            "steps": self.train_steps, "trained": self.train, "seed": self.seed,
            "rehearsal_images": int(len(self.rehearsal_labels)),
            "base_labels": int(previous.get("base_labels",
                                            len(self.model.labels) - len(self.labels_added))),
        }
        return self.model


# --- the command line -----------------------------------------------------------------------

MAX_CSV_BYTES = 16 * 2 ** 20


def read_examples_file(path):
    """[Example] of the examples file at `path`, read as hostile; UsageError otherwise."""
    from .cli import UsageError
    from .nn.serialize import UnreadableFile, open_regular_file

    try:
        handle, size = open_regular_file(path, "an examples file")
    except UnreadableFile as err:
        raise UsageError("%s: %s" % (printable(path), err)) from None
    with handle:
        if size > MAX_TEXT_BYTES:
            raise UsageError("%s: the examples file is %.1f MB; at most %d MB is allowed"
                             % (printable(path), size / 2 ** 20, MAX_TEXT_BYTES // 2 ** 20))
        text = handle.read(MAX_TEXT_BYTES + 1)
    try:
        return load_examples(text)
    except AdaptError as err:
        raise UsageError("%s: %s" % (printable(path), err)) from None


def read_image_list(path):
    """[Example] of LIST.csv: a header `path,label`, then one row per image. Relative image
    paths are taken from the CSV's folder. Images are read as `pycnn.predict` reads them
    and made into 28x28 inputs by `pycnn.read.preprocess`; any bad row is a UsageError."""
    import csv
    import io

    from .cli import UsageError
    from .nn.serialize import UnreadableFile, open_regular_file
    from .predict import read_image
    from .read.preprocess import preprocess

    name = printable(path)
    try:
        handle, size = open_regular_file(path, "an image list")
    except UnreadableFile as err:
        raise UsageError("%s: %s" % (name, err)) from None
    with handle:
        if size > MAX_CSV_BYTES:
            raise UsageError("%s: the list is %.1f MB; at most %d MB is allowed"
                             % (name, size / 2 ** 20, MAX_CSV_BYTES // 2 ** 20))
        raw = handle.read(MAX_CSV_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError("%s: the list is not UTF-8 text" % name) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise UsageError("%s: not a CSV file (%s)" % (name, printable(str(err)))) from None
    if not rows or [cell.strip() for cell in rows[0]] != ["path", "label"]:
        raise UsageError("%s: the first line must be the header path,label" % name)
    rows = [(n + 2, row) for n, row in enumerate(rows[1:]) if row]
    if not rows:
        raise UsageError("%s: the list has no images" % name)
    if len(rows) > MAX_EXAMPLES:
        raise UsageError("%s: the list holds %d images; at most %d are allowed"
                         % (name, len(rows), MAX_EXAMPLES))
    folder = os.path.dirname(os.path.abspath(path))
    examples = []
    for line, row in rows:
        where = "%s line %d" % (name, line)
        if len(row) != 2:
            raise UsageError("%s: expected path,label, got %d fields" % (where, len(row)))
        image_path, label = row[0], row[1]
        try:
            check_label(label)
        except AdaptError as err:
            raise UsageError("%s: %s" % (where, err)) from None
        full = os.path.join(folder, image_path)
        try:
            image = preprocess(read_image(full))
        except EmptyImageError:
            raise UsageError("%s: %s: the image has no ink" % (where, printable(image_path))) \
                from None
        except ValueError as err:  # ImageFileError and preprocess's own refusals
            raise UsageError("%s: %s: %s" % (where, printable(image_path), err)) from None
        examples.append(Example(label, image=image))
    return examples


def main(argv=None):
    from .cli import (
        EXIT_OK,
        ArgumentParser,
        ProgressBar,
        UsageError,
        check_output_file,
        load_usable_model,
        write_line,
    )
    from .nn import save_model

    p = ArgumentParser(prog="python -m pycnn.adapt", description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/model.npz")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--examples", metavar="FILE.json", help="a personal examples file")
    source.add_argument("--images", metavar="LIST.csv", help="a CSV of path,label rows")
    p.add_argument("--out", help="where the adapted model goes (.npz)")
    p.add_argument("--rehearsal", default=REHEARSAL_PATH, help="the rehearsal set (.npz)")
    p.add_argument("--steps", type=int, default=None, help="Adam steps (default: from the "
                   "number of examples, %d to %d)" % (MIN_STEPS, MAX_STEPS))
    p.add_argument("--train", choices=TRAIN_CHOICES, default="head",
                   help="which layers learn (default: head)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--make-rehearsal", action="store_true",
                   help="remake the rehearsal set (--out, default %s) from the training "
                   "writers" % os.path.relpath(REHEARSAL_PATH))
    args = p.parse_args(argv)
    if args.make_rehearsal:
        out = args.out or REHEARSAL_PATH
        check_output_file(out, "--out")
        count, size = make_rehearsal(out)
        write_line("%s: %d images, %d bytes" % (printable(out), count, size))
        return EXIT_OK
    if not (args.examples or args.images):
        raise UsageError("give --examples FILE.json or --images LIST.csv")
    if not args.out:
        raise UsageError("give --out, where the adapted model goes")
    if args.steps is not None and not 0 <= args.steps <= 100000:
        raise UsageError("--steps must be from 0 to 100000, not %d" % args.steps)
    check_output_file(args.out, "--out")
    started = time.time()
    model = load_usable_model(args.model)
    examples = read_examples_file(args.examples) if args.examples \
        else read_image_list(args.images)
    try:
        rehearsal = load_rehearsal(args.rehearsal)
        adaptation = Adaptation(model, examples, rehearsal=rehearsal, seed=args.seed,
                                steps=args.steps, train=args.train)
    except AdaptError as err:
        raise UsageError(str(err)) from None
    bar = None if args.quiet or args.json else ProgressBar()

    def report(progress):
        if bar:
            loss = "" if progress["loss"] is None else "loss %.4f  " % progress["loss"]
            bar.update(progress["step"], progress["steps_total"], prefix="learning",
                       suffix="%s%.0fs left" % (loss, progress["seconds_left"]),
                       final=progress["done"])

    adapted = adaptation.run(report)
    save_model(adapted, args.out)
    summary = {"examples": len(adaptation.examples), "classes": len(adapted.labels),
               "classes_added": adaptation.classes_added,
               "seconds": round(time.time() - started, 2)}
    if adaptation.held_back:
        write_line("held back (fewer than %d examples): %s"
                   % (MIN_NEW_CLASS_EXAMPLES, " ".join(adaptation.held_back)))
    write_line("%s: %d classes (%d added: %s), learnt from %d examples in %.1f s"
               % (printable(args.out), summary["classes"], summary["classes_added"],
                  " ".join(adaptation.labels_added) or "none", summary["examples"],
                  summary["seconds"]))
    if args.json:
        write_line(json.dumps(summary, allow_nan=False))
    return EXIT_OK


if __name__ == "__main__":
    from .cli import run_cli

    sys.exit(run_cli(main))
