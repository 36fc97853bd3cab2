"""Turning personal examples into network inputs: (N, 1, 28, 28) float32 images.

Each example is drawn as the page drew it (its strokes' own positions and brushes), or, for
learning, augmented from its strokes with `pycnn.data.augment` (elastic jitter, aspect,
shear, rotation, size, position and brush width); then through
`pycnn.read.preprocess.preprocess_ink`, the page's own preprocessing.
"""

import numpy as np

from ..data.augment import augment_points, random_placement
from ..data.render import (
    TRAINING_PAD_SIZE,
    canvas_alpha,
    normalize_points,
    place_in_pad,
    rasterize,
)
from ..read.preprocess import OUTPUT_SIZE, EmptyImageError, preprocess_ink

RENDER_PAD = TRAINING_PAD_SIZE  # pad side (px) of augmented renderings, as training uses


def render_examples(examples, rng=None, pad_size=None):
    """Examples with strokes -> (N, 1, 28, 28) float32 network inputs.

    rng None: each drawn as the page drew it, points at (x, y) * S px and every stroke with
    its own brush * S px, on a pad of S = pad_size px (default RENDER_PAD, the side training
    renders at: the 28x28 input hardly depends on it, the time it takes does). With rng: a
    seeded augmentation of each, `pycnn.data.augment` on its strokes and a random size,
    place and brush (one per example), on a RENDER_PAD pad, as training renders UNIPEN.
    Then the canvas's 8-bit alpha and `preprocess_ink`. An example whose ink does not
    reach the pad gives an all-zero image.

    Each stroke is rasterised as its own "sample" of `pycnn.data.render.rasterize`, so it
    keeps its own width, and an example's ink is the maximum over its strokes (ink coverage
    on a canvas is the union of the discs, the maximum of their coverages).
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


def ink_on_pad(example):
    """Whether any stroke's ink (its points, widened by half the brush) reaches the pad."""
    for brush, xy in example.strokes:
        low, high = xy.min(axis=0) + brush / 2, xy.max(axis=0) - brush / 2
        if np.all(low < 1.0) and np.all(high > 0.0):
            return True
    return False
