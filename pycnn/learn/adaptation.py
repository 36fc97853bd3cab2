"""Learning from personal examples, in slices: `Adaptation`.

The page's worker runs it (through `pycnn.page.api`) in short slices, so that it keeps
answering drawings while it learns; `python -m pycnn.adapt` runs the very same to the end.

Three uses, each with the method that fits its amount of data (choices on validation
writers, 2026-12-06/07, commands in bench/; the test split read once, at the end):

A. A NEW LABEL (a symbol the model lacks, from a few drawings) is a calibrated prototype
   (`pycnn.learn.head.Calibration`): its column of the last Dense layer is fitted, by
   weighed logistic regression against the old logits, on the normalised penultimate
   features of its drawings and their augmented copies (positives) and of the rehearsal
   images and the person's other drawings (negatives), so that it wins near its examples
   and loses elsewhere. Taught alone (only new labels), nothing else learns: no gradient
   step, every old logit exactly as it was. Chosen with bench/prototype_margin.py on 8
   stand-in symbols ($<>[]!() taught together to the 62-class model, 5 drawings each from
   training writers, read on validation writers): negative weight 8 (the margin), the 5
   nearest old prototypes and every feature under a ridge of 1 weigh in: 75.1% of the
   stand-ins read right, at most 0.76 point of top-1 lost on digits, capitals or small
   letters (negative weight 4: 77.1% but 1.71 points on digits; 16: 70.5%). 2 augmented
   copies per drawing read as well as 7 or 16, and 300 rehearsal images as well as 940.
   The head fine-tune read 45% of a new symbol (docs/measurements.md). On the test split
   the eight symbols + = ? # @ & % * read 53.4% taught one at a time (0.12 / 0.22 / 0.24
   point lost on digits / capitals / small letters, mean per symbol), 51.5% taught together
   (0.75 / 1.78 / 1.59 points): complex shapes one writer draws unlike the others, which the
   simple stand-ins did not foresee (on validation writers the eight read 46-57% whatever
   the margin, ridge, neighbours or copies). Validation, 2026-12-07: from one writer 52.3%,
   from 5 writers' drawings 72.9% (bench/new_symbol.py --spread): & 5.9% -> 64.7%, so the
   one writer, not the method, bounds it; a nearest class mean on normalised trunk features
   (the feasibility rule) reads 52.5% at margin 0. Taught together, 98 of the 156 old
   drawings lost are t read as + (--together --stolen): for many writers the two are one
   shape (the 94-class model reads 39 of 49 validation + as t), so a + that others' + reach
   costs the t; negative weight 16 / 32 still loses 1.64 / 1.49 points of small letters.
B. A CORRECTION (at most OLD_PROTOTYPES_UP_TO old classes taught) fine-tunes the head at
   FEW_CLASSES_LEARNING_RATE and then gives each taught class a calibrated prototype too,
   on top of its column: on validation 25 of 25 corrected drawings and 150 of 150 of their
   variations (turned 5 degrees either way, 10% smaller or larger, another brush) read as
   corrected, against 23 and 135 with the fine-tune alone; other drawings lost 0.10 point
   within section and 0.18 over all classes (at rate 1e-3: up to 1.2 points a correction).
   Test (the model of 2026-12-07): 25 of 25 and 150 of 150; others lost 0.39 point within
   section, 0.71 over all classes.
C. A HAND (more old classes taught) fine-tunes the dense head: the head's input (the frozen
   trunk's features) is computed once per image, then Adam steps at LEARNING_RATE on
   batches half personal, half rehearsal images whose targets are the model's own answers
   before learning (distillation), logits adjusted by each class's share in the batches.
   A writer teaching 3 drawings per class (17 validation writers): 1e-3 removes 29.6% of
   their within-section errors (other writers -0.62 point), 3e-4 20.5% (-0.24), 2e-3 30.3%
   (-1.01); with no augmented copy (once the examples exceed the AUGMENTED_IMAGES budget,
   which halves the page's work) 27.6% (-0.55). Prototypes for every taught class instead
   removed 8% and cost others 2.4 points, so a hand gets none. Test (16 writers, the model
   of 2026-12-07): 40.0% removed, other writers -0.54 point (worst -1.15). Photos
   (bench/adapt_paper.py, K=3 photos of the paper stand-in per class): on validation 3% of
   the case-merged errors removed (83.2% -> 83.7%; prototypes: 2%), on test 1.0%; the
   shipped model, trained with photo-like images, leaves few errors a head fine-tune from 3
   photos can remove, and the photos move the case balance of canvas drawings (test: small
   letters -6.9 points, capitals +9.0). Why (bench/adapt_paper.py --split val --per-class
   40 --diagnose, 2026-12-07): the stand-in's photos read like the same characters drawn
   (85.14% against 85.31%), 147 of their 177 errors are canvas errors too, so a cure for
   photos alone removes at most 17%; class means imprinted on the logits (the feasibility
   check's method, nothing fine-tuned) remove -1.1% here, +6.2% at best on model62. Written
   into the output columns instead of the fine-tune, over 4 draws of the teaching writers,
   they removed -1.2% to +0.1% (the fine-tune -0.5%), so photos keep the fine-tune.

The work, in units (`step(max_seconds)` runs whole units until the time is up; the same
seed gives the same model however the work is sliced):

1. A label the model lacks becomes a class once it has MIN_NEW_CLASS_EXAMPLES examples
   (fewer are held back, unused); the output layer grows a column per new label
   (`pycnn.learn.head.grow_output`, imprinting: what B starts from; A replaces it).
2. Each example is drawn as the page drew it (`pycnn.learn.render.render_examples`), and
   AUGMENTED_IMAGES // n more times (MIN_COPIES to MAX_COPIES) from its strokes with
   `pycnn.data.augment`, then through the trunk, FEATURE_CHUNK images a unit.
3. REHEARSAL_USED images of the shipped rehearsal set (`pycnn.learn.rehearsal`, training
   writers only, evenly per class); their trunk features come with the file when it was made
   for this trunk (`rehearsal_features`), else from the cache the page keeps, else a pass.
4. The Adam steps of B (none when only new labels are taught).
5. The penultimate features of every image, PENULTIMATE_CHUNK rows a unit, then the new
   labels' prototypes calibrated, one Newton step a unit (NEWTON_STEPS a class).
"""

import time

import numpy as np

from ..nn.layers import Dropout, Softmax
from ..nn.optim import Adam
from .errors import AdaptError, show
from .examples import MAX_CLASSES_ADDED, MAX_EXAMPLES
from .head import (
    FULL_RIDGE,
    NEAREST,
    NEGATIVE_WEIGHT,
    NEWTON_STEPS,
    Calibration,
    class_prototypes,
    copy_model,
    grow_output,
    head_start,
    last_dense,
)
from .rehearsal import load_rehearsal, stratified
from .render import ink_on_pad, render_examples

MIN_NEW_CLASS_EXAMPLES = 3

# Training recipe (see the module docstring and the benches).
AUGMENTED_IMAGES = 80
MIN_COPIES, MAX_COPIES = 0, 16
REHEARSAL_USED = 300
BATCH_PERSONAL, BATCH_REHEARSAL = 16, 16
LEARNING_RATE = 1e-3  # a hand: many classes taught
FEW_CLASSES_LEARNING_RATE = 3e-4  # at most OLD_PROTOTYPES_UP_TO old classes: a correction
EPOCHS = 3  # passes over the personal images, bounded by MIN_STEPS..MAX_STEPS
MIN_STEPS, MAX_STEPS = 60, 300
OLD_PROTOTYPES_UP_TO = 3  # old classes taught at most, for them to get prototypes too
NEW_ONLY_STEPS = 0  # Adam steps when every example is of a new label (prototypes only)
PENULTIMATE_CHUNK = 96  # rows through the head's hidden layer per unit of work
FEATURE_CHUNK = 4  # images through the trunk per unit of work: ~30-60 ms in the page
CACHED_CHUNK = 64  # rehearsal images per unit whose trunk features are already cached

# What learns: "head", every layer after the trunk; "last", the last Dense layer; "new", only
# the new classes' columns of the last Dense layer (old logits stay exactly as they were).
TRAIN_CHOICES = ("head", "last", "new")


def chunks(items, size):
    """`items` in consecutive lists of at most `size`."""
    return [items[i:i + size] for i in range(0, len(items), size)]


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
                 learning_rate=None, feature_cache=None, prototypes=True,
                 negative_weight=NEGATIVE_WEIGHT, nearest=NEAREST, old_prototypes=None,
                 full_ridge=FULL_RIDGE, rehearsal_features=None):
        if train not in TRAIN_CHOICES:
            raise AdaptError("train must be one of %s, not %s"
                             % (", ".join(TRAIN_CHOICES), show(train)))
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
                raise AdaptError("example %d (%s) has no ink on the pad" % (k + 1, show(e.label)))
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
        if rehearsal_features is not None and rehearsal_features[0] == self.cache_key[0] \
                and len(rehearsal_features[1]) == len(rehearsal[0]):
            # Shipped with the rehearsal file for this very trunk: no trunk pass for them.
            shipped = self.cache.setdefault(self.cache_key, {})
            for k in chosen:
                if int(k) not in shipped:
                    shipped[int(k)] = np.asarray(rehearsal_features[1][k], dtype=model.dtype)
        cached = self.cache.get(self.cache_key, {})
        fresh = [("rehearsal", int(k)) for k in chosen if int(k) not in cached]
        known = [("rehearsal", int(k)) for k in chosen if int(k) in cached]
        self.units = (chunks(canonical, FEATURE_CHUNK) + [[("grow", None)]]
                      + chunks(augmented, FEATURE_CHUNK) + chunks(fresh, FEATURE_CHUNK)
                      + chunks(known, CACHED_CHUNK))
        self.feature_units = len(self.units)
        n_personal = len(canonical) + len(augmented)
        if steps is None:
            if all(e.label in self.labels_added for e in self.examples):
                steps = NEW_ONLY_STEPS
            else:
                steps = min(MAX_STEPS, max(MIN_STEPS, EPOCHS * n_personal // BATCH_PERSONAL))
        self.train_steps = int(steps)
        # After training: the penultimate features in chunks, then the taught classes'
        # prototypes calibrated a few classes at a time (pycnn.learn.head).
        self.prototypes = bool(prototypes)
        self.negative_weight = float(negative_weight)
        self.nearest = int(nearest)
        self.full_ridge = float(full_ridge)
        # An old class taught: other writers' drawings of it (the rehearsal's) count for it
        # ("positive") or neither for nor against it ("neutral").
        self.others_of_taught = "positive"
        if train == "new":  # only the new columns change
            old_prototypes = False
        if old_prototypes is None:  # a correction or two: yes; a hand: no (see above)
            old_prototypes = len(set(self.personal_labels.tolist())
                                 - set(range(self.old_classes, len(labels)))) \
                <= OLD_PROTOTYPES_UP_TO
        self.old_prototypes = old_prototypes if old_prototypes == "misread" \
            else bool(old_prototypes)
        if learning_rate is None:
            learning_rate = FEW_CLASSES_LEARNING_RATE if self.old_prototypes is True \
                else LEARNING_RATE
        taught = sorted(k for k in set(self.personal_labels.tolist())
                        if self.old_prototypes or k >= self.old_classes)
        rows = n_personal + len(chosen)
        self.finish_units = ([("penultimate", start) for start in range(0, rows, PENULTIMATE_CHUNK)]
                             + [("newton", (k, i)) for k in taught for i in range(NEWTON_STEPS)]
                             ) if self.prototypes and taught else []
        self.calibrated = {}
        self.steps_total = self.feature_units + self.train_steps + len(self.finish_units)
        self.steps_done = 0
        self.personal_features, self.personal_targets = [], []
        self.rehearsal_features, self.rehearsal_soft, self.rehearsal_order = [], [], []
        self.losses = []
        self.unit_seconds = {"features": [], "train": [], "finish": []}
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

    def _kind(self):
        if self.steps_done < self.feature_units:
            return "features"
        if self.steps_done < self.feature_units + self.train_steps:
            return "train"
        return "finish"

    def _finish_unit(self):
        """One unit of the prototypes' calibration: a chunk of penultimate features (the
        last Dense layer's input, with the head as trained), or a few classes fitted."""
        kind, what = self.finish_units[self.steps_done - self.feature_units - self.train_steps]
        if kind == "penultimate":
            if not isinstance(self.personal_features, np.ndarray):
                self._pools()
            if what == 0:
                self._all_features = np.concatenate(
                    [self.personal_features, self.rehearsal_features]) \
                    if len(self.rehearsal_features) else self.personal_features
                self._h = []
            x = self._all_features[what:what + PENULTIMATE_CHUNK]
            for layer in self.model.layers[self.first_learning:self.out_index]:
                x = layer.forward(x, training=False)
            self._h.append(x.astype(np.float64))
            return
        if not isinstance(self._h, np.ndarray):
            self._h = np.concatenate(self._h)
            del self._all_features
            out = self.model.layers[self.out_index]
            self._weight = out.params["weight"]
            self._bias = out.params["bias"]
            self._logits = self._h @ self._weight.astype(np.float64) + self._bias
            self._classes = np.concatenate([self.personal_targets, self.rehearsal_labels])
            n_personal = len(self.personal_targets)
            self._neighbours = class_prototypes(self._h[n_personal:], self.rehearsal_labels,
                                                self.old_classes) if self.nearest else None
        n_personal = len(self.personal_targets)
        k, i = what
        if i == 0:
            self._calibration = None
            canonical = self._logits[:len(self.examples)].argmax(axis=1)
            if k < self.old_classes and self.old_prototypes == "misread" and (
                    canonical[self.personal_labels == k] == k).all():
                return  # read right after the fine-tune: left as it is
            classes = self._classes.copy()
            if k < self.old_classes and self.others_of_taught == "neutral":
                classes[n_personal:][classes[n_personal:] == k] = -1
            self._calibration = Calibration(
                int(k), self._h, self._logits, classes, k >= self.old_classes,
                self._weight, self._bias, self.negative_weight, self._neighbours,
                self.nearest, self.full_ridge)
        if self._calibration is None:
            return
        self._calibration.step()  # one Newton step a unit: ~0.1 s in the page
        if i == NEWTON_STEPS - 1:
            self.calibrated[int(k)] = self._calibration.apply().tolist()
            self._calibration = None

    def step(self, max_seconds=0.05):
        """Run whole units of work within about `max_seconds` and return `progress()`.

        At least one unit runs; after it, a unit starts only if the time it is expected to
        take (the mean of its kind so far) still fits, so that a recognition the page sends
        meanwhile waits little longer than max_seconds."""
        begin = time.time()
        ran = 0
        while not self.done:
            kind = self._kind()
            times = self.unit_seconds[kind]
            expected = sum(times[-20:]) / len(times[-20:]) if times else 0.0
            if ran and time.time() - begin + expected > max_seconds:
                break
            unit_begin = time.time()
            if kind == "features":
                self._features_unit()
            elif kind == "train":
                self._train_unit()
            else:
                self._finish_unit()
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
        train_left = max(0, self.feature_units + self.train_steps - self.steps_done
                         - features_left)
        finish_left = self.steps_total - self.steps_done - features_left - train_left
        times = self.unit_seconds
        per_feature = np.mean(times["features"]) if times["features"] else 0.0
        per_train = np.mean(times["train"]) if times["train"] else per_feature * 0.25
        per_finish = np.mean(times["finish"]) if times["finish"] else per_feature
        return {"step": self.steps_done, "steps_total": self.steps_total,
                "loss": float(np.mean(self.losses[-10:])) if self.losses else None,
                "seconds_left": round(float(features_left * per_feature
                                            + train_left * per_train
                                            + finish_left * per_finish), 2),
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
            "prototypes": len(self.calibrated),
            "base_labels": int(previous.get("base_labels",
                                            len(self.model.labels) - len(self.labels_added))),
        }
        return self.model

