"""Seeded augmentation of pen strokes, applied before rendering.

Everything works on a batch of characters at once, on points normalised by
`render.normalize_points` (each character centred, longest side 1, y down). Labels are kept
honest: no flips, and rotation stays small so 6/9, M/W and n/u remain distinct.

Per character:
- elastic jitter: a smooth random displacement made of a few long sine waves, at most about
  ELASTIC_AMPLITUDE of the character's size (a slightly different hand, not a different
  letter);
- aspect: width and height scaled by exp(+-a/2), a ~ U(-ASPECT_LOG, ASPECT_LOG);
- shear (slant): x += s * y, s ~ U(-SHEAR, SHEAR);
- rotation: U(-ROTATION_DEGREES, ROTATION_DEGREES) about the centre;
- then, in `random_placement`: size in the pad (fill, which is the scale: the character is
  re-scaled by its own bounding box as the page's preprocessing will), position in the pad
  (translation, the whole character stays on the pad), and the brush width fraction f over
  the page slider's range.

`rng` is a numpy.random.Generator or RandomState; the same seed gives the same batch.
"""

import numpy as np

from .render import FILL_RANGE, LINE_WIDTH_FRACTION_RANGE

ROTATION_DEGREES = 12.0
SHEAR = 0.25
ASPECT_LOG = 0.3
ELASTIC_AMPLITUDE = 0.03  # of the character's size (longest side 1)
ELASTIC_WAVES = 3  # sine waves per displacement axis
ELASTIC_CYCLES = (0.4, 1.2)  # wave frequency, in cycles per character size


def augment_points(unit_xy, sample_of_point, n_samples, rng, strength=1.0):
    """Randomly distort normalised points (P, 2) of n_samples characters; returns (P, 2).

    strength scales the elastic amplitude, the aspect range and the shear range (not the
    rotation); 1 is the characters' augmentation, and the random draws are the same for any
    strength, so strength 1 gives exactly what it always gave."""
    xy = np.asarray(unit_xy, dtype=np.float64)
    owner = np.asarray(sample_of_point, dtype=np.int64)
    x, y = xy[:, 0], xy[:, 1]

    shift = np.zeros_like(xy)
    amplitude = strength * ELASTIC_AMPLITUDE / np.sqrt(ELASTIC_WAVES)
    for axis in range(2):
        for _ in range(ELASTIC_WAVES):
            cycles = rng.uniform(ELASTIC_CYCLES[0], ELASTIC_CYCLES[1], size=n_samples)
            direction = rng.uniform(0.0, 2.0 * np.pi, size=n_samples)
            phase = rng.uniform(0.0, 2.0 * np.pi, size=n_samples)
            weight = rng.uniform(-amplitude, amplitude, size=n_samples)
            u = (2.0 * np.pi * cycles * np.cos(direction))[owner]
            v = (2.0 * np.pi * cycles * np.sin(direction))[owner]
            shift[:, axis] += weight[owner] * np.sin(u * x + v * y + phase[owner])
    x, y = x + shift[:, 0], y + shift[:, 1]

    aspect_log = strength * ASPECT_LOG
    aspect = np.exp(rng.uniform(-aspect_log, aspect_log, size=n_samples) / 2.0)[owner]
    x, y = x * aspect, y / aspect
    shear = rng.uniform(-strength * SHEAR, strength * SHEAR, size=n_samples)[owner]
    x = x + shear * y
    angle = np.radians(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES, size=n_samples))[owner]
    cos, sin = np.cos(angle), np.sin(angle)
    return np.stack([cos * x - sin * y, sin * x + cos * y], axis=1)


def random_placement(n_samples, rng, pad_size):
    """Random (fill (N,), centre (N, 2) px, line_width_fraction (N,)) for n_samples drawings.

    The centre moves at most as far as keeps the character's box (longest side fill * S)
    inside the pad.
    """
    fill = rng.uniform(FILL_RANGE[0], FILL_RANGE[1], size=n_samples)
    slack = (1.0 - fill) * pad_size / 2.0
    centre = pad_size / 2.0 + rng.uniform(-1.0, 1.0, size=(n_samples, 2)) * slack[:, None]
    width = rng.uniform(LINE_WIDTH_FRACTION_RANGE[0], LINE_WIDTH_FRACTION_RANGE[1], n_samples)
    return fill, centre, width


def augment_strokes(strokes, rng):
    """One character's strokes -> distorted strokes (same structure, normalised units)."""
    from .render import normalize_points

    arrays = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    lengths = [len(a) for a in arrays]
    if not sum(lengths):
        return arrays
    xy = np.concatenate(arrays)
    owner = np.zeros(len(xy), dtype=np.int64)
    moved = augment_points(normalize_points(xy, owner, 1), owner, 1, rng)
    return np.split(moved, np.cumsum(lengths)[:-1])
