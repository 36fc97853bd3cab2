"""The one preprocessing function shared by training and the drawing page.

Training renders UNIPEN pen strokes onto a canvas-like bitmap and calls `preprocess_ink`; the
page hands its canvas pixels to `preprocess`, which extracts the ink and calls the same
`preprocess_ink`. It runs under Pyodide (Python 3.8, NumPy 1.17), so it uses NumPy only and
no per-pixel Python loops: resampling is two banded matrix products.

The result is MNIST-like: a float32 (28, 28) image in [0, 1], ink bright on black, the
character's longest side scaled to 20 px with its aspect ratio kept, and its centre of mass
at the centre of the 28x28 field.
"""

import numpy as np

# Stored in model files: bump it whenever the output of `preprocess` changes for a given input.
PREPROCESS_VERSION = 1

OUTPUT_SIZE = 28  # side of the network's input image
FIT_SIZE = 20  # the character's longest side after scaling (MNIST convention)
INK_THRESHOLD = 0.2  # ink level (0..1) a pixel needs to count for the bounding box
NOISE_FLOOR = 0.05  # ink below this is treated as paper texture or compression noise
# A drawing smaller than this fraction of the picture's longest side is not blown up to fill
# the 20 px box: a dot or a tiny scribble stays small instead of becoming a 20 px blob.
MIN_EXTENT_FRACTION = 0.15
MAX_UPSCALE = 4.0  # never enlarge by more than this (tiny images of tiny characters)
MEDIAN_SAMPLE_SIDE = 128  # the background level is estimated on at most ~128x128 pixels


class EmptyImageError(ValueError):
    """The picture holds no ink: there is nothing to read."""


def check_model_compatible(model):
    """Refuse a model trained on another version of this preprocessing.

    A model learns the exact look of its inputs; fed images made another way it would
    still answer, just worse, and nobody would notice. Models without the field (made by
    hand, in tests) are accepted.
    """
    trained_with = (getattr(model, "metadata", None) or {}).get("preprocess_version")
    if trained_with is not None and trained_with != PREPROCESS_VERSION:
        raise ValueError("the model was trained with preprocessing version %s, but this "
                         "pycnn has version %d: retrain it or use a matching pycnn"
                         % (trained_with, PREPROCESS_VERSION))


def _as_pixel_array(pixels, width=None, height=None):
    """Accept an array, or a flat buffer (bytes, memoryview, list, 1-D array) with width/height."""
    if isinstance(pixels, (bytes, bytearray, memoryview)):
        array = np.frombuffer(pixels, dtype=np.uint8)
    else:
        array = np.asarray(pixels)
    if array.ndim == 1:
        if width is None or height is None:
            raise ValueError("a flat pixel buffer needs width= and height=")
        width, height = int(width), int(height)
        if width <= 0 or height <= 0:
            raise ValueError("width and height must be positive, got %dx%d" % (width, height))
        area = width * height
        channels = array.size // area if area else 0
        if channels not in (1, 3, 4) or channels * area != array.size:
            raise ValueError(
                "a flat buffer of %d values does not hold a %dx%d image with 1, 3 or 4 channels"
                % (array.size, width, height)
            )
        array = array.reshape((height, width) if channels == 1 else (height, width, channels))
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ValueError(
            "expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got %r" % (array.shape,)
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise EmptyImageError("the image has no pixels")
    return array


def _to_unit_float(array):
    """uint8 (and other integer) pixels -> float32 in [0, 1]; floats are taken as 0..1."""
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float32) / np.float32(255.0)
    values = array.astype(np.float32)
    if values.size and float(np.nanmax(values)) > 1.0:
        values = values / np.float32(255.0)  # floats in 0..255
    return np.clip(np.nan_to_num(values), 0.0, 1.0)


def _background_level(gray):
    """Median of a strided subsample: the paper is the majority of the picture."""
    step_y = max(1, gray.shape[0] // MEDIAN_SAMPLE_SIDE)
    step_x = max(1, gray.shape[1] // MEDIAN_SAMPLE_SIDE)
    return float(np.median(gray[::step_y, ::step_x]))


def _border_level(values):
    """Median of the outermost rows and columns."""
    border = np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])
    return float(np.median(border))


def ink_from_pixels(pixels, width=None, height=None):
    """Ink amount per pixel, float32 (H, W) in [0, 1] (0 = paper, 1 = full ink).

    pixels: an (H, W, 4) RGBA, (H, W, 3) RGB or (H, W) gray array (uint8 0..255 or float 0..1),
    or a flat buffer of H*W*4 (or *3, *1) values with `width=` and `height=`: the browser's
    `getImageData().data`.

    Which pixels are ink:
    - RGBA whose background is transparent (the median alpha of the whole picture or of its
      border is below one half: a big drawing may cover most of the pad, but rarely its
      edges), as a page canvas drawn on a transparent background gives: ink is the alpha
      channel, whatever the colour of the pen.
    - Otherwise the picture is opaque (partly transparent pixels are laid over white paper)
      and only its brightness counts. The background level is the median brightness, since
      paper covers most of a picture of one character. On a light background ink is
      `(background - brightness) / background` (dark ink on light paper); on a dark one
      `(brightness - background) / (1 - background)` (light ink on a dark board).
    Black ink of alpha a on a transparent canvas, the same drawing in black on white and in
    white on black therefore all give ink a.
    """
    array = _as_pixel_array(pixels, width, height)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_):
        array = _to_unit_float(array)  # floats: 0..1 or 0..255, judged on the whole picture
    # Integer pixels are converted channel by channel, only as needed: big canvases stay fast.
    if array.ndim == 3 and array.shape[2] == 4:
        alpha = _to_unit_float(array[:, :, 3])
        if min(_background_level(alpha), _border_level(alpha)) < 0.5:
            return alpha
    if array.ndim == 3:
        gray = _to_unit_float(array[:, :, 0]) * np.float32(0.299)
        gray += _to_unit_float(array[:, :, 1]) * np.float32(0.587)
        gray += _to_unit_float(array[:, :, 2]) * np.float32(0.114)
        if array.shape[2] == 4:
            gray = gray * alpha + (1.0 - alpha)  # composite over white paper
    else:
        gray = _to_unit_float(array)
    gray = gray.astype(np.float32)
    background = _background_level(gray)
    if background >= 0.5:
        ink = (background - gray) / max(background, 1e-6)
    else:
        ink = (gray - background) / max(1.0 - background, 1e-6)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


def _area_resample_matrix(out_size, in_size, scale, offset):
    """(out_size, in_size) matrix that area-averages a 1-D signal.

    Input pixel i covers [i, i+1]; it lands on [offset + i*scale, offset + (i+1)*scale] in
    output coordinates, and output pixel k collects the overlap with [k, k+1]. Each input
    pixel's total weight is `scale` when it lands wholly inside, so the sum of ink scales with
    the area (thin lines get thinner but lighter, never vanish), and first moments map
    exactly: the centre of mass moves by the same affine map.
    """
    edges = offset + np.arange(in_size + 1, dtype=np.float64) * scale
    lo, hi = edges[:-1][None, :], edges[1:][None, :]
    k = np.arange(out_size, dtype=np.float64)[:, None]
    overlap = np.minimum(hi, k + 1.0) - np.maximum(lo, k)
    return np.clip(overlap, 0.0, None)


def _banded_product(matrix, image):
    """matrix @ image for a resampling matrix, reading only each row's nonzero span.

    Output pixel k collects just the input pixels under it, so row k of the matrix is zero
    outside one short run. Skipping the zeros makes the cost follow the picture's size
    instead of 28 times it, which matters in the page, where NumPy has no BLAS and a large
    high-DPI canvas would otherwise cost milliseconds; the sums are the same ones.
    """
    out = np.zeros((matrix.shape[0], image.shape[1]), dtype=np.float64)
    for k, row in enumerate(matrix):
        span = np.flatnonzero(row)
        if span.size:
            lo, hi = span[0], span[-1] + 1
            out[k] = row[lo:hi] @ image[lo:hi]
    return out


def crop_to_ink(ink):
    """(ink as float32 (H, W), float64 crop to the ink's box with noise below NOISE_FLOOR
    cleared): the box covers the pixels with at least INK_THRESHOLD ink; none ->
    EmptyImageError. Shared by the character and the word preprocessing."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError("expected a 2-D ink image, got shape %r" % (ink.shape,))
    strong = ink >= INK_THRESHOLD
    rows = np.flatnonzero(strong.any(axis=1))
    if rows.size == 0:
        raise EmptyImageError("the image holds no ink")
    cols = np.flatnonzero(strong[rows[0] : rows[-1] + 1].any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[top:bottom, left:right].astype(np.float64)
    crop[crop < NOISE_FLOOR] = 0.0
    return ink, crop


def preprocess_ink(ink):
    """Ink image (H, W) in [0, 1] -> float32 (28, 28) network input in [0, 1].

    1. Find the ink: values below NOISE_FLOOR are cleared; the bounding box is taken over the
       pixels with at least INK_THRESHOLD ink. No such pixel -> EmptyImageError.
    2. Crop to that box.
    3. Scale so the longest side of the box is FIT_SIZE (20) px, aspect ratio kept, by area
       averaging. The extent used for the scale is at least MIN_EXTENT_FRACTION of the
       picture's longest side, and the enlargement at most MAX_UPSCALE: a single dot stays a
       dot instead of becoming a 20 px blob.
    4. Place it in 28x28 with its centre of mass at the geometric centre, (14.0, 14.0) in
       continuous coordinates (pixel (13.5, 13.5) in index terms), MNIST-style rather than
       EMNIST's box centring: the mass is a steadier anchor for sloppy drawings with a long
       tail. The placement is sub-pixel (it is folded into the resampling matrices) and
       clamped so the box is never cut off.
    5. Divide by the maximum so the strongest ink is 1, whatever the pen's darkness or the
       line width after down-scaling.
    """
    ink, crop = crop_to_ink(ink)
    box_h, box_w = crop.shape

    extent = max(box_h, box_w, MIN_EXTENT_FRACTION * max(ink.shape))
    scale = min(FIT_SIZE / extent, MAX_UPSCALE)

    row_mass, col_mass = crop.sum(axis=1), crop.sum(axis=0)
    total = row_mass.sum()
    centre_y = (row_mass * (np.arange(box_h) + 0.5)).sum() / total
    centre_x = (col_mass * (np.arange(box_w) + 0.5)).sum() / total
    middle = OUTPUT_SIZE / 2.0

    def placement(centre, size):
        offset = middle - centre * scale
        # Keep the whole box inside the field (it always fits: 20 <= 28).
        return min(max(offset, 0.0), OUTPUT_SIZE - size * scale)

    resample_y = _area_resample_matrix(OUTPUT_SIZE, box_h, scale, placement(centre_y, box_h))
    resample_x = _area_resample_matrix(OUTPUT_SIZE, box_w, scale, placement(centre_x, box_w))
    out = _banded_product(resample_x, _banded_product(resample_y, crop).T).T
    peak = out.max()
    if peak <= 0.0:
        raise EmptyImageError("the image holds no ink")
    return np.clip(out / peak, 0.0, 1.0).astype(np.float32)


def preprocess(pixels, width=None, height=None):
    """Canvas pixels or an image -> float32 (28, 28) network input in [0, 1].

    `pixels` and `width`/`height` are as for `ink_from_pixels`; the rest is `preprocess_ink`.
    Raises EmptyImageError when there is no ink, ValueError for an unusable array.
    """
    return preprocess_ink(ink_from_pixels(pixels, width=width, height=height))
