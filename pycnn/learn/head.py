"""The model's dense head: where the frozen trunk ends, and growing the output layer.

The convolutional trunk never learns while adapting; the dense head does: the layers after
the last one that is not Dense, ReLU, Dropout or Softmax (`head_start`). A label the model
lacks gets one more column of the last Dense layer (`last_dense`), imprinted from its
examples' penultimate features (`grow_output`); old logits are unchanged by the growth.

Calibrated prototypes (`calibrate_class`): a taught class wins near its examples, and only
there.

For a taught class k, with h >= 0 the penultimate features (the last Dense layer's input,
ReLU outputs) of an image:

    p_k  = the mean of h / |h| over the class's personal images (as drawn and augmented),
           scaled to length 1: the class's prototype;
    s(h) = p_k . h: the similarity to the prototype, times |h|;
    n(h) = sum(h) = |h|_1: the size of h (linear, because h >= 0);
    d(h) = z_k(h) - max_{j != k} z_j(h): by how much the model reads k.

The class's logit gets a term  t(h) = a s(h) - c n(h) + b  (the column W[:, k] += a p_k -
c 1, the bias b_k += b): since |h|_2 and |h|_1 are nearly proportional, t > 0 where the
cosine of h and p_k is above c/a (near the examples) and t < 0 far from them, and the
comparison with the other classes' logits is then d + t > 0. (a, c, b) is fitted by weighed
logistic regression with the offset d: the class's personal images should read k
(d + t > 0), the others (rehearsal images of other classes, the person's drawings of other
classes) should not:

    L(a, c, b) = mean_pos softplus(-(d + t)) + NEGATIVE_WEIGHT * mean_neg softplus(d + t)
                 + RIDGE / 2 |(a, c, b)|^2   (on standardised s and n),

a few Newton steps. NEGATIVE_WEIGHT is the calibrated margin: the larger it is, the nearer
to its examples a taught class must be to win. Two more kinds of direction may weigh in,
with their own ridge: the prototypes of the NEAREST old classes (from the rehearsal images:
"near the new class but nearer to the 'i'" can then lose), and every feature of h with the
ridge FULL_RIDGE (a full logistic column kept near the prototype rule). A new class starts
from a zero column (d = -max of the others); an old class adds the term to its column and
keeps it only if a > 0 (off by default: see pycnn.learn.adaptation). The classes are
fitted one after another, each against the logits as they are by then. Only the last Dense
layer changes: the features are computed once, the fit costs a few milliseconds per class,
and nothing is learnt by gradient steps through the head.
"""

import json

import numpy as np

from ..nn.layers import Dense, Dropout, ReLU, Softmax
from ..nn.model import Sequential
from .errors import AdaptError

HEAD_LAYERS = (Dense, ReLU, Dropout, Softmax)


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
    """Index of the last Dense layer: the output layer, which grows a column per new label."""
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

NEGATIVE_WEIGHT = 8.0
RIDGE = 1e-2
MAX_MOVE = 4.0  # the largest Newton step in any of the three numbers
NEWTON_STEPS = 12  # the fits converge in 8 to 11 (8 stand-in symbols)
FULL_RIDGE = 1.0  # > 0: every feature may weigh in too, with this ridge
NEAREST = 5  # the old classes whose prototypes the rule may weigh against a taught one


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class LogisticFit:
    """theta minimising the weighed logistic loss of offset + u @ theta (see above), one
    Newton step (with its step halved until the loss falls) per `step()`, so that the page
    can answer a drawing between two steps. u: (N, P) standardised columns; offset: (N,) d;
    positive: (N,) bool; ridge: a number or (P,)."""

    def __init__(self, u, offset, positive, negative_weight=NEGATIVE_WEIGHT, ridge=RIDGE):
        self.u, self.offset = u, offset
        self.y = np.where(positive, 1.0, -1.0)
        n_pos, n_neg = max(int(positive.sum()), 1), max(int((~positive).sum()), 1)
        self.weight = np.where(positive, 1.0 / n_pos, negative_weight / n_neg)
        self.ridge = ridge * np.ones(u.shape[1]) if np.ndim(ridge) == 0 else np.asarray(ridge)
        self.theta = np.zeros(u.shape[1])
        self.current = self.loss(self.theta)
        self.converged = False

    def loss(self, theta):
        return float((self.weight * _softplus(-self.y * (self.offset + self.u @ theta))).sum()
                     + 0.5 * (self.ridge * theta ** 2).sum())

    def step(self):
        if self.converged:
            return
        u, y, theta = self.u, self.y, self.theta
        p = _sigmoid(-y * (self.offset + u @ theta))  # d softplus(-m) / d(-m)
        grad = -(u * (self.weight * p * y)[:, None]).sum(axis=0) + self.ridge * theta
        hess = (u * (self.weight * p * (1 - p))[:, None]).T @ u + np.diag(self.ridge)
        move = np.linalg.solve(hess, grad)
        move *= min(1.0, MAX_MOVE / max(float(np.abs(move).max()), 1e-12))
        for _ in range(20):  # halve the step until the loss falls
            trial = self.loss(theta - move)
            if trial <= self.current:
                break
            move = move / 2
        else:
            self.converged = True
            return
        self.theta, self.current = theta - move, trial
        self.converged = bool(np.abs(move).max() < 1e-5)


def fit_term(u, offset, positive, negative_weight=NEGATIVE_WEIGHT, ridge=RIDGE,
             steps=NEWTON_STEPS):
    """`LogisticFit`'s theta after at most `steps` Newton steps."""
    fit = LogisticFit(u, offset, positive, negative_weight, ridge)
    for _ in range(steps):
        fit.step()
    return fit.theta


def prototype(h):
    """The unit-length mean of the unit-length rows of h."""
    unit = h / np.maximum(np.sqrt((h ** 2).sum(axis=1, keepdims=True)), 1e-12)
    mean = unit.mean(axis=0)
    return mean / max(float(np.sqrt((mean ** 2).sum())), 1e-12)


def class_prototypes(h, classes, count):
    """(count, D) the prototype of each class 0..count-1 among rows h, zeros where absent."""
    out = np.zeros((count, h.shape[1]))
    for j in range(count):
        if (classes == j).any():
            out[j] = prototype(h[classes == j])
    return out


class Calibration:
    """Fitting class k's term on features h (N, D) whose current logits are `logits` (N, K),
    classes (N,) the class of each row (k: positive; -1: neutral, left out); `new`: the class
    starts from a zero column. `step()` is one Newton step; `apply()` adds the term to weight
    (D, K), bias (K,) and logits in place and returns (a, c, b) in feature units (zeros when
    nothing was added)."""

    def __init__(self, k, h, logits, classes, new, weight, bias,
                 negative_weight=NEGATIVE_WEIGHT, neighbours=None, nearest=NEAREST,
                 full_ridge=FULL_RIDGE):
        self.k, self.h, self.logits, self.new = k, h, logits, new
        self.weight, self.bias = weight, bias
        rows = classes != -1
        positive = classes[rows] == k
        self.fit = None
        if not positive.any() or positive.all():
            return
        hk = h[rows]
        p = prototype(hk[positive])
        n = hk.sum(axis=1)
        base = logits[rows].copy()
        if new:
            base[:, k] = 0.0
        offset = base[:, k] - np.delete(base, k, axis=1).max(axis=1)
        directions = [p]
        if neighbours is not None and nearest:
            closeness = neighbours @ p
            if k < len(closeness):
                closeness[k] = -np.inf
            closeness[~(np.abs(neighbours).sum(axis=1) > 0)] = -np.inf
            order = [j for j in np.argsort(-closeness)[:nearest] if np.isfinite(closeness[j])]
            directions += [neighbours[j] for j in order]
        self.directions = np.array(directions)
        sims = hk @ self.directions.T
        self.scales = np.maximum(sims.std(axis=0), 1e-6)
        self.scale_n = max(float(n.std()), 1e-6)
        u = np.concatenate([sims / self.scales, -n[:, None] / self.scale_n,
                            np.ones((len(n), 1))], axis=1)
        ridge = RIDGE
        self.scale_h = max(float(hk.std()), 1e-6) if full_ridge else None
        if full_ridge:
            u = np.concatenate([u, hk / self.scale_h], axis=1)
            ridge = np.concatenate([np.full(len(directions) + 2, RIDGE),
                                    np.full(hk.shape[1], full_ridge)])
        self.fit = LogisticFit(u, offset, positive, negative_weight, ridge)

    def step(self):
        if self.fit is not None:
            self.fit.step()

    def apply(self):
        if self.fit is None:
            return np.zeros(3)
        k, theta, m = self.k, self.fit.theta, len(self.directions)
        gains = theta[:m] / self.scales
        c, b = theta[m] / self.scale_n, theta[m + 1]
        if gains[0] <= 0 and not self.new:
            return np.zeros(3)
        column = gains @ self.directions - c
        if self.scale_h is not None:
            column = column + theta[m + 2:] / self.scale_h
        if self.new:
            self.weight[:, k] = 0.0
            self.bias[k] = 0.0
            self.logits[:, k] = 0.0
        self.weight[:, k] += column.astype(self.weight.dtype)
        self.bias[k] += self.bias.dtype.type(b)
        self.logits[:, k] += self.h @ column + b
        return np.array([gains[0], c, b])


def calibrate_class(k, h, logits, classes, new, weight, bias,
                    negative_weight=NEGATIVE_WEIGHT, neighbours=None, nearest=NEAREST,
                    full_ridge=FULL_RIDGE, steps=NEWTON_STEPS):
    """`Calibration` run through: at most `steps` Newton steps, then applied."""
    calibration = Calibration(k, h, logits, classes, new, weight, bias, negative_weight,
                              neighbours, nearest, full_ridge)
    for _ in range(steps):
        calibration.step()
    return calibration.apply()
