"""The one preprocessing function for handwritten words, shared by training and the page.

Training draws UNIPEN word strokes on a wide pad as the page's canvas would
(`pycnn.data.word_render`) and calls `preprocess_word_ink`; the page hands its word pad's
canvas pixels to `preprocess_word`, which extracts the ink with the characters' own
`ink_from_pixels` and calls the same `preprocess_word_ink`. Like `preprocess.py` it runs
under Pyodide (Python 3.8, NumPy 1.17): NumPy only, no per-pixel Python loops, and the
resampling is the characters' area averaging: their banded matrix product for the rows
(`_area_resample_matrix`, `_banded_product`), and for the columns, which can be many, the
same sums from the matrix's nonzero entries only (`_resample_rows`).

The result is a float32 (HEIGHT, W) image in [0, 1], ink bright on black, W between
MIN_WIDTH and MAX_WIDTH: the word's ink box scaled, aspect ratio kept, so its height is
FIT_HEIGHT, centred in the image, for a CNN + CTC network that reads it column by column.
"""

import math

import numpy as np

from .preprocess import (
    MAX_UPSCALE,
    EmptyImageError,
    _area_resample_matrix,
    _banded_product,
    crop_to_ink,
    ink_from_pixels,
)

# Stored in word model files: bump it whenever the output of `preprocess_word` changes for a
# given input (tests/golden/word_preprocess_v<version>.json pins it).
WORD_PREPROCESS_VERSION = 1

HEIGHT = 32  # the network's input height
# The ink box's height after scaling. The 2 px left above and below (and, as MARGIN, on the
# left and right) keep the ink off the edge, so the first convolutions see the strokes' ends
# against the same zeros whether they are at the border or not. A box from ascender to
# descender of 28 px makes a letter with an ascender about 19 px high: the characters' 20 px.
FIT_HEIGHT = 28
MARGIN = 2  # px of blank left and right of the ink box (at least; see MIN_WIDTH)
# A word's image is at least as wide as it is high: a lone mark (",", ".", "l") gets a square
# field, as a character does, which a CNN pooling the width by 4 to 8 turns into 4 to 8
# frames, enough for CTC to emit one character with blanks around it.
MIN_WIDTH = HEIGHT
# At most 16 times the height. UNIPEN's 59,346 training words, drawn as the page draws them
# (pycnn.data.word_render), come out 74 px wide at the median, 149 at the 95th percentile and
# 334 at most; a drawing on a pad up to 7 times as wide as high never needs more than 512
# (see MIN_EXTENT_FRACTION). So this binds only on pictures of a long line of writing.
MAX_WIDTH = 512
# A word the MAX_WIDTH would not hold at full height is shrunk evenly (both axes, aspect
# kept) until it fits, down to this factor of its full-height scale (FIT_HEIGHT / 2 = 14 px
# of ink box: 5 px x-height, still legible). Beyond that it is refused as too long to read
# (WordTooLongError): it is a line of several words, or a scribble, not one word.
MAX_SQUEEZE = 2.0
# The ink box is scaled as if it were at least this fraction of the picture's shorter side
# high (a wide pad: its height). People fill a word pad's height only partly; we expect a
# word's box (ascender to descender) to span about 0.4 to 0.9 of it (training draws a
# writer's typical word over 0.35 to 0.8: pycnn.data.word_render), and those words are
# scaled to the full FIT_HEIGHT. Flat or small drawings are not blown up: a lone dash (3 to 6% of a
# word's height thick, about a third of it long), a ".", "...", "~" or "," drawn at the
# writer's size stay a flat line, dots and a small hook, about as big relative to the field
# as within a word written at 0.4 of the pad, instead of a 28 px high blob. The characters'
# MIN_EXTENT_FRACTION (0.15 of the longest side) plays this role for a square pad, where a
# character fills up to 0.9 of the side; a word is drawn relatively larger on its pad.
# On a pad A times as wide as high, the ink is at most A / 0.4 extents wide: 70 A px once
# scaled, so MAX_WIDTH holds every drawing on a pad up to 7.2 times as wide as high.
MIN_EXTENT_FRACTION = 0.4

# The ink box's largest width at full scale: the image then is exactly MAX_WIDTH wide.
_MAX_INK_WIDTH = MAX_WIDTH - 2 * MARGIN


class WordTooLongError(ValueError):
    """The drawing is too wide for its height to be read as one word (see MAX_SQUEEZE)."""


def check_model_compatible(model):
    """Refuse a word model trained on another version of this preprocessing.

    As `preprocess.check_model_compatible` does for characters, with the model file's
    `word_preprocess_version`. Models without the field (made by hand, in tests) pass.
    """
    trained_with = (getattr(model, "metadata", None) or {}).get("word_preprocess_version")
    if trained_with is not None and trained_with != WORD_PREPROCESS_VERSION:
        raise ValueError("the word model was trained with word preprocessing version %s, but "
                         "this pycnn has version %d: retrain it or use a matching pycnn"
                         % (trained_with, WORD_PREPROCESS_VERSION))


def _round(value):
    """Round half up (Python's round() rounds half to even): the same width everywhere."""
    return int(math.floor(value + 0.5))


def _area_resample_entries(out_size, in_size, scale, offset):
    """The nonzero entries of `preprocess._area_resample_matrix(out_size, in_size, scale,
    offset)`, as (out_index, in_index, weight) arrays, without making the dense matrix.

    Input pixel i lands on [offset + i*scale, offset + (i+1)*scale] and gives output pixel k
    the overlap with [k, k+1]: it reaches the pixels floor(lo) to ceil(hi) - 1 (two at most
    when shrinking). Entries come in order of i, and so of k, which never decreases. A word's
    matrix is up to MAX_WIDTH by thousands of pixels, and making it, then finding its nonzeros,
    took most of the time on a wide canvas; tests/test_word_preprocess.py checks these entries
    against it.
    """
    edges = offset + np.arange(in_size + 1, dtype=np.float64) * scale
    lo, hi = edges[:-1], edges[1:]
    # intp, not int64: np.repeat refuses int64 counts where intp is 32-bit (Pyodide's wasm).
    first = np.floor(lo).astype(np.intp)
    count = np.maximum(np.ceil(hi).astype(np.intp) - first, 1)
    source = np.repeat(np.arange(in_size), count)
    k = first[source] + (np.arange(len(source)) - np.repeat(np.cumsum(count) - count, count))
    weight = np.minimum(hi[source], k + 1.0) - np.maximum(lo[source], k)
    usable = (weight > 0) & (k >= 0) & (k < out_size)
    return k[usable], source[usable], weight[usable]


def _resample_rows(image, out_size, scale, offset):
    """Area-average the rows of `image` (in_size, M) into (out_size, M) float64: the same
    sums as `_area_resample_matrix(out_size, in_size, scale, offset) @ image`, from its
    nonzero entries only (a word has up to MAX_WIDTH output columns where a character has
    28, and `preprocess._banded_product`'s loop over them made preprocessing as slow as
    drawing the word in training)."""
    k, i, weight = _area_resample_entries(out_size, image.shape[0], scale, offset)
    out = np.zeros((out_size, image.shape[1]), dtype=np.float64)
    if k.size:
        starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
        out[k[starts]] = np.add.reduceat(weight[:, None] * image[i], starts, axis=0)
    return out


def word_scale(box_h, box_w, picture_h, picture_w):
    """(scale, output width) for an ink box of box_h x box_w px in a picture_h x picture_w
    picture; raises WordTooLongError. Pure Python arithmetic: the page, CPython and any
    NumPy agree to the bit."""
    extent = max(float(box_h), MIN_EXTENT_FRACTION * min(picture_h, picture_w))
    scale = min(FIT_HEIGHT / extent, MAX_UPSCALE)
    if box_w * scale > _MAX_INK_WIDTH:
        squeezed = _MAX_INK_WIDTH / float(box_w)
        if scale > MAX_SQUEEZE * squeezed:
            raise WordTooLongError(
                "the writing is too long to read as one word: %d px wide for %d px high "
                "would need a %d px wide image, and at most %d px fits"
                % (box_w, box_h, _round(box_w * scale) + 2 * MARGIN, MAX_WIDTH))
        scale = squeezed
    width = min(max(_round(box_w * scale) + 2 * MARGIN, MIN_WIDTH), MAX_WIDTH)
    return scale, width


def frame_columns(box_left, box_h, box_w, picture_h, picture_w, columns_per_frame):
    """(x0, dx): where a word model's frames lie in the picture the word was read from.

    The ink box starts at picture column box_left and is box_h x box_w px in a picture_h x
    picture_w picture (`preprocess_word_ink`'s box). Column u of the (HEIGHT, W) image
    stems from picture column box_left + (u - offset) / scale, offset centring the scaled
    box (step 4 of `preprocess_word_ink`). A model pooling the width by columns_per_frame
    makes frame t from image columns t * columns_per_frame to (t + 1) * columns_per_frame,
    so frame t lies over picture columns x0 + t * dx to x0 + (t + 1) * dx. Pure arithmetic,
    like `word_scale`; raises WordTooLongError as it does.
    """
    scale, width = word_scale(box_h, box_w, picture_h, picture_w)
    offset = (width - box_w * scale) / 2.0
    return box_left - offset / scale, columns_per_frame / scale


def preprocess_word_ink(ink):
    """Ink image (H, W) in [0, 1] -> float32 (HEIGHT, width) network input in [0, 1].

    1. Find the ink as `preprocess_ink` does: values below NOISE_FLOOR are cleared; the
       bounding box is taken over the pixels with at least INK_THRESHOLD ink. No such
       pixel -> EmptyImageError.
    2. Crop to that box.
    3. Scale it, aspect ratio kept, so its height is FIT_HEIGHT (28) px, by area averaging
       (thin lines get thinner and lighter, never vanish). The height used is at least
       MIN_EXTENT_FRACTION of the picture's shorter side, and the enlargement at most
       MAX_UPSCALE: a dash stays a thin line and a comma a small hook. A word whose ink
       would then be wider than MAX_WIDTH - 2 MARGIN is shrunk to fit, by at most
       MAX_SQUEEZE; more -> WordTooLongError.
    4. The width is the scaled box's rounded width plus MARGIN on each side, at least
       MIN_WIDTH. The box is centred in the (HEIGHT, width) field, sub-pixel exact (the
       offsets are folded into the resampling): its box, not its centre of mass, so the
       ascenders and descenders are never cut off and a word's middle band sits where its
       box puts it, as in the usual word-image normalisation.
    5. Divide by the maximum so the strongest ink is 1.
    """
    ink, crop = crop_to_ink(ink)
    box_h, box_w = crop.shape

    scale, width = word_scale(box_h, box_w, ink.shape[0], ink.shape[1])
    # Rows first, by the characters' banded product (HEIGHT output rows: a short loop over
    # long rows), then columns from the sparse entries (up to MAX_WIDTH short rows).
    resample_y = _area_resample_matrix(HEIGHT, box_h, scale, (HEIGHT - box_h * scale) / 2.0)
    rows = _banded_product(resample_y, crop)
    out = _resample_rows(rows.T, width, scale, (width - box_w * scale) / 2.0).T
    peak = out.max()
    if peak <= 0.0:
        raise EmptyImageError("the image holds no ink")
    return np.clip(out / peak, 0.0, 1.0).astype(np.float32)


def preprocess_word(pixels, width=None, height=None):
    """Canvas pixels or an image of one handwritten word -> float32 (HEIGHT, W) in [0, 1].

    `pixels` and `width`/`height` are as for `preprocess.ink_from_pixels` (the browser's
    `getImageData().data` with its size, an RGBA/RGB/gray array, a photo or a scan); the
    rest is `preprocess_word_ink`. Raises EmptyImageError when there is no ink,
    WordTooLongError for writing too long for one word, ValueError for an unusable array.
    """
    return preprocess_word_ink(ink_from_pixels(pixels, width=width, height=height))
