"""What bench/adapt_hand.py and bench/new_symbol.py share: UNIPEN samples as the page's
personal examples, and scoring many models that differ only in their dense head.

`pycnn.learn` never changes the convolutional trunk (the layers before `head_start`), so
every adapted model's answers on a fixed set of images are its head applied to the trunk's
features of those images, computed once. `same_trunk` checks that this holds.
"""

import os
import sys

import numpy as np

from pycnn.data.dataset import render_batch
from pycnn.data.render import DEFAULT_FILL, DEFAULT_LINE_WIDTH_FRACTION, normalize_points
from pycnn.learn.examples import Example
from pycnn.learn.head import head_start
from pycnn.measure.metrics import accuracy_report
from pycnn.nn import Softmax


def to_example(data, i):
    """UNIPEN sample i as the page would have kept it: the character's longest side 0.7 of
    the pad, centred, the default brush (what the canonical rendering draws)."""
    xy, connects, owner = data.gather_points([i])
    unit = normalize_points(xy, owner, 1) * DEFAULT_FILL + 0.5
    ends = np.flatnonzero(~connects) + 1
    strokes = [(DEFAULT_LINE_WIDTH_FRACTION, s) for s in np.split(unit, ends[:-1]) if len(s)]
    return Example(data.label_char(i), strokes, 320)


def trunk_features(model, data, indices, chunk=1024):
    """The canonical renderings of samples `indices` through the model's trunk."""
    start = head_start(model)
    out = []
    for begin in range(0, len(indices), chunk):
        x, _ = render_batch(data, indices[begin:begin + chunk])
        out.append(model.forward(x, upto=start))
    return np.concatenate(out)


def head_logits(model, features):
    """The model's logits from its trunk's features (inference mode)."""
    end = len(model.layers) - (1 if isinstance(model.layers[-1], Softmax) else 0)
    x = features
    for layer in model.layers[head_start(model):end]:
        x = layer.forward(x, training=False)
    return x


def same_trunk(a, b):
    start = head_start(a)
    keys = ["%d." % i for i in range(start)]
    pa = {k: p for k, p, _ in a.parameters() if any(k.startswith(s) for s in keys)}
    pb = {k: p for k, p, _ in b.parameters() if any(k.startswith(s) for s in keys)}
    return pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)


def targets_of(model, data, indices):
    position = {label: i for i, label in enumerate(model.labels)}
    return np.array([position[data.label_char(i)] for i in indices], dtype=np.int64)


def scores(model, features, data, indices):
    """{"within", "lookalike", "top1", and each section's top-1 over all classes ("1a", ...)}
    in percent, for samples `indices`."""
    report = accuracy_report(head_logits(model, features), targets_of(model, data, indices),
                             model.labels, sections=data.section[indices])
    out = {"within": 100 * report["top1_within"], "lookalike": 100 * report["top1_lookalike"],
           "top1": 100 * report["top1"]}
    for name, section in report.get("sections", {}).items():
        if section.get("top1") is not None:
            out[name] = 100 * section["top1"]
    return out


def command_line():
    return "nice .venv/bin/python " + " ".join(
        [os.path.relpath(sys.argv[0], os.getcwd())] + sys.argv[1:])
