"""Batches of network inputs from stroke samples: render like the page, then preprocess.

Each sample is drawn onto a pad of `pad_size` px exactly as the page draws a drag
(`render.rasterize`), its alpha is quantised to 8 bits as `getImageData` returns it, and the
page's own `preprocess_ink` makes the 28x28 input. (On the page `preprocess` first turns the
canvas RGBA into this same alpha with `ink_from_pixels`.)

Without augmentation a sample always gives the same canonical image: brush f = 0.045, the
character's longest side 0.7 of the pad, centred. With augmentation, see `augment`; with
`paper`, that fraction of the images is made to look like a photo of ink on paper (see
`paper`) and read through `ink_from_pixels`, as `pycnn.predict` reads a photo.
"""

import numpy as np

from ..read.preprocess import OUTPUT_SIZE, EmptyImageError, ink_from_pixels, preprocess_ink
from .augment import augment_points, random_placement
from .paper import paper_photos
from .render import (
    DEFAULT_FILL,
    DEFAULT_LINE_WIDTH_FRACTION,
    TRAINING_PAD_SIZE,
    canvas_alpha,
    normalize_points,
    place_in_pad,
    rasterize,
)

RENDER_CHUNK = 256  # samples rasterised together: bounds memory, keeps NumPy calls large


def render_pads(data, indices, rng=None, pad_size=TRAINING_PAD_SIZE, augment=False):
    """Samples -> (N, S, S) float32 pad alpha in [0, 1], before preprocessing."""
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    n = len(indices)
    xy, connects, owner = data.gather_points(indices)
    unit = normalize_points(xy, owner, n)
    if augment:
        unit = augment_points(unit, owner, n, rng)
        fill, centre, width_fraction = random_placement(n, rng, pad_size)
    else:
        fill, centre, width_fraction = DEFAULT_FILL, None, DEFAULT_LINE_WIDTH_FRACTION
    placed = place_in_pad(unit, owner, n, pad_size, fill=fill, centre=centre)
    line_width = np.asarray(width_fraction, dtype=np.float64) * pad_size
    return rasterize(placed, connects, owner, n, pad_size, line_width)


def render_batch(data, indices, rng=None, pad_size=TRAINING_PAD_SIZE, augment=False,
                 paper=0.0):
    """Samples `indices` of a StrokeData -> (images (N, 1, 28, 28) float32, labels (N,) int64).

    rng: numpy Generator, RandomState or int seed; required when augment=True or paper > 0.
    paper: the fraction of images rendered as photos of ink on paper. The same seed and
    indices give the same batch. A sample without any point gives a blank image.
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if augment or paper > 0:
        if rng is None:
            raise ValueError("augment=True or paper > 0 needs rng (a seed or a numpy generator)")
        if isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(int(rng))
    images = np.zeros((len(indices), 1, OUTPUT_SIZE, OUTPUT_SIZE), dtype=np.float32)
    for begin in range(0, len(indices), RENDER_CHUNK):
        chunk = indices[begin : begin + RENDER_CHUNK]
        alpha = render_pads(data, chunk, rng=rng, pad_size=pad_size, augment=augment)
        alpha = canvas_alpha(alpha)
        photo = np.zeros(len(chunk), dtype=bool)
        if paper > 0:
            photo = rng.uniform(size=len(chunk)) < paper
            alpha[photo] = np.asarray(
                [ink_from_pixels(gray) for gray in paper_photos(alpha[photo], rng)]
            ).reshape(-1, pad_size, pad_size)
        for k in range(len(chunk)):
            try:
                images[begin + k, 0] = preprocess_ink(alpha[k])
            except EmptyImageError:
                pass
    return images, data.labels[indices].astype(np.int64)
