"""Calibrated prototypes: a taught class wins near its examples, and only there.

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

import numpy as np

NEGATIVE_WEIGHT = 8.0
RIDGE = 1e-2
MAX_MOVE = 4.0  # the largest Newton step in any of the three numbers
NEWTON_STEPS = 25
FULL_RIDGE = 1.0  # > 0: every feature may weigh in too, with this ridge
NEAREST = 5  # the old classes whose prototypes the rule may weigh against a taught one


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def fit_term(u, offset, positive, negative_weight=NEGATIVE_WEIGHT, ridge=RIDGE,
             steps=NEWTON_STEPS):
    """theta (3,) minimising the weighed logistic loss of offset + u @ theta (see above).

    u: (N, 3) standardised [s, -n, 1]; offset: (N,) d; positive: (N,) bool."""
    y = np.where(positive, 1.0, -1.0)
    n_pos, n_neg = max(int(positive.sum()), 1), max(int((~positive).sum()), 1)
    weight = np.where(positive, 1.0 / n_pos, negative_weight / n_neg)
    ridge = ridge * np.ones(u.shape[1]) if np.ndim(ridge) == 0 else np.asarray(ridge)

    def loss(theta):
        return float((weight * _softplus(-y * (offset + u @ theta))).sum()
                     + 0.5 * (ridge * theta ** 2).sum())

    theta = np.zeros(u.shape[1])
    current = loss(theta)
    for _ in range(steps):
        margin = y * (offset + u @ theta)
        p = _sigmoid(-margin)  # d softplus(-m) / d(-m)
        grad = -(u * (weight * p * y)[:, None]).sum(axis=0) + ridge * theta
        hess = (u * (weight * p * (1 - p))[:, None]).T @ u + np.diag(ridge)
        move = np.linalg.solve(hess, grad)
        move *= min(1.0, MAX_MOVE / max(float(np.abs(move).max()), 1e-12))
        for _ in range(20):  # halve the step until the loss falls
            trial = loss(theta - move)
            if trial <= current:
                break
            move = move / 2
        else:
            break
        theta, current = theta - move, trial
        if np.abs(move).max() < 1e-5:
            break
    return theta


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


def calibrate_class(k, h, logits, classes, new, weight, bias,
                    negative_weight=NEGATIVE_WEIGHT, neighbours=None, nearest=NEAREST,
                    full_ridge=FULL_RIDGE):
    """Fit class k's term on features h (N, D) whose current logits are `logits` (N, K),
    classes (N,) the class of each row (k: positive; -1: neutral, left out), `new`: the class
    starts from a zero column. Updates weight (D, K), bias (K,) and logits in place and
    returns (a, c, b) in feature units (zeros when nothing was added)."""
    rows = classes != -1
    positive = classes[rows] == k
    if not positive.any() or positive.all():
        return np.zeros(3)
    hk = h[rows]
    p = prototype(hk[positive])
    n = hk.sum(axis=1)
    if new:
        weight[:, k] = 0.0
        bias[k] = 0.0
        logits[:, k] = 0.0
    others = np.delete(logits[rows], k, axis=1).max(axis=1)
    offset = logits[rows, k] - others
    directions = [p]
    if neighbours is not None and nearest:
        closeness = neighbours @ p
        if k < len(closeness):
            closeness[k] = -np.inf
        closeness[~np.isfinite(closeness) | ~(np.abs(neighbours).sum(axis=1) > 0)] = -np.inf
        order = [j for j in np.argsort(-closeness)[:nearest] if np.isfinite(closeness[j])]
        directions += [neighbours[j] for j in order]
    directions = np.array(directions)
    sims = hk @ directions.T
    scales = np.maximum(sims.std(axis=0), 1e-6)
    scale_n = max(float(n.std()), 1e-6)
    u = np.concatenate([sims / scales, -n[:, None] / scale_n, np.ones((len(n), 1))], axis=1)
    ridge = RIDGE
    if full_ridge:
        scale_h = max(float(hk.std()), 1e-6)
        u = np.concatenate([u, hk / scale_h], axis=1)
        ridge = np.concatenate([np.full(len(directions) + 2, RIDGE),
                                np.full(hk.shape[1], full_ridge)])
    theta = fit_term(u, offset, positive, negative_weight, ridge=ridge)
    gains = theta[:len(directions)] / scales
    c, b = theta[len(directions)] / scale_n, theta[len(directions) + 1]
    extra = theta[len(directions) + 2:] / scale_h if full_ridge else 0.0
    if gains[0] <= 0 and not new:
        return np.zeros(3)
    column = gains @ directions - c + extra
    weight[:, k] += column.astype(weight.dtype)
    bias[k] += bias.dtype.type(b)
    logits[:, k] += h @ column + b
    return np.array([gains[0], c, b])
