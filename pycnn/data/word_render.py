"""Word images for training: UNIPEN word strokes drawn as the page's word pad draws them,
then the page's own `preprocess_word_ink`.

The page's word pad is a wide canvas of height H px. It strokes the pointer path with a
line `H * f` px wide (f = 0.045 by default, as on the character pad, whose slider covers
0.025..0.08), round caps and joins, anti-aliased, on a transparent background: the ink is
the alpha channel, which `preprocess_word` reads through `ink_from_pixels`. Here each word is
drawn the same way (`render.rasterize`, quantised to 8 bits by `render.canvas_alpha`) on a
pad PAD_HEIGHT px high and as wide as the word needs (never narrower than high, as the page's
pad), then preprocessed.

The size of a word on the pad. A character is scaled by its own bounding box, but a word's
box says little about its size: "-", "." or "mmm" are flat, "ly" tall. People write a word
at their own size, not at the size of its box, so each word is scaled by its writer's size:
the median box height of that writer's words in the data (`reference_heights`), which maps
to WORD_FILL of the pad's height. A dash then stays a short flat line and a comma a small
hook, as when written on the page, and `preprocess_word_ink` treats them as it would there.

Tablets and page pads differ in size: a word drawn 2 times larger on a 2 times larger pad
gives the same image (within anti-aliasing), so PAD_HEIGHT only trades speed for fidelity.

Augmentation (`augment=True`) reuses the characters' `augment.augment_points` on each word's
points in units of its writer's size (so its elastic jitter moves strokes by about 3% of a
word's height, with waves about 1 to 3 letters long, a different hand rather than a different
word), then takes back 2/3 of its rotation (12 degrees suits a character, but tilts a long
word's baseline far more than people do on a wide pad, and its box normalisation would shrink
the word 2 times): see `_temper_rotation`. Then the word's size on the pad (WORD_FILL_RANGE),
the brush width (the page slider's range) and its sub-pixel position are drawn at random.
Labels stay honest: no flips, small tilt and slant.

`strength="strong"` (the trainer's `--augment strong`) makes the characters' distortions
STRONG_SCALE times as strong and adds two that only a word has, and in which writers differ:
its letters and gaps stretched and squeezed along the line (a smooth monotone warp of x, so
the letters keep their order) and a wavy baseline. See `_warp_along_line`.

The rasterizer draws square pads; a word's wide pad is drawn as a row of square tiles, each
segment of the path given to the tiles within a brush's reach of it, clipped to the columns
that can ink them: the union of discs along the path is the same, so the ink is that of one
wide canvas, up to the rasterizer's own path error where a segment is cut
(tests/test_word_render.py checks it).
"""

import weakref

import numpy as np

from ..read.preprocess import EmptyImageError
from ..read.word_preprocess import HEIGHT, MIN_WIDTH, WordTooLongError, preprocess_word_ink
from .augment import augment_points
from .render import (
    DEFAULT_LINE_WIDTH_FRACTION,
    LINE_WIDTH_FRACTION_RANGE,
    canvas_alpha,
    rasterize,
    sample_bounds,
)

# Training pads are this high. A writer's typical word is then 58 px high on the pad, which
# `preprocess_word_ink` brings to 28 px: 2x area averaging of an anti-aliased 4.3 px line, as
# characters drawn on their 96 px pad are brought down to 20 px. Larger pads cost time (the
# ink's area grows with the square) and change the image only within anti-aliasing.
PAD_HEIGHT = 96
# A writer's typical word box (median height) / the pad's height. People writing one word on
# a wide pad fill about half to most of its height; at 0.6 a typical word lies above
# `MIN_EXTENT_FRACTION` (0.4), so it is scaled to full height, as are tall words, while
# lone marks keep their size relative to the writer's words.
WORD_FILL = 0.6
# With augmentation: from writing small (some words then fall below MIN_EXTENT_FRACTION and
# come out smaller than full height, as on the page) to large.
WORD_FILL_RANGE = (0.35, 0.8)
# A word is never taller than this fraction of the pad (brush included): people keep inside
# the pad, so a writer's tallest words are made smaller rather than cut off.
MAX_FILL = 0.92
# Blank pad on each side of the word, in brush widths plus 2 px.
SIDE_MARGIN_BRUSHES = 1.0
# Writers with fewer words in the data than this take their site's size (tablets are set per
# site): a median of a handful of words could be one dash.
MIN_WRITER_WORDS = 5
# Of augment_points's rotation, what is kept (1/3 of +-12 degrees: +-4 degrees of tilt).
ROTATION_KEPT = 1.0 / 3.0
# --augment strong: elastic jitter, slant and aspect ranges times this (tilt stays +-4 degrees).
STRONG_SCALE = 1.7
# The warp along the line: its largest slope (below 1, so x keeps its order) and its
# wavelength, in writer heights (a letter is about half of one).
STRETCH_SLOPE = 0.35
STRETCH_WAVELENGTH = (1.0, 4.0)
# The wavy baseline: its largest amplitude (of the writer's height) and wavelength.
BASELINE_AMPLITUDE = 0.05
BASELINE_WAVELENGTH = (2.0, 6.0)
AUGMENT_STRENGTHS = ("standard", "strong")
RENDER_CHUNK = 64  # words rasterised together: bounds memory, keeps NumPy calls large

_REFERENCE_CACHE = weakref.WeakKeyDictionary()


def _box_heights(data):
    """Each word's ink box height in tablet units (0 for a word without points)."""
    start = np.asarray(data.point_start, dtype=np.int64)
    stop = np.asarray(data.point_stop, dtype=np.int64)
    y = np.append(np.asarray(data.points[:, 1], dtype=np.float64), 0.0)
    heights = np.zeros(len(start))
    has = stop > start
    if has.any():
        bounds = np.stack([start[has], stop[has]], axis=1).reshape(-1)
        heights[has] = (np.maximum.reduceat(y, bounds)[::2]
                        - np.minimum.reduceat(y, bounds)[::2])
    return heights


def reference_heights(data):
    """Each word's writer size, in tablet units: the median ink box height of the words of
    its writer (source and writer id), or of its site's words for writers with fewer than
    MIN_WRITER_WORDS words. Computed once per data object."""
    cached = _REFERENCE_CACHE.get(data)
    if cached is not None:
        return cached
    heights = _box_heights(data)
    sources = np.asarray(data.source).astype(str)
    writers = np.char.add(np.char.add(sources, "/"), np.asarray(data.writers).astype(str))
    reference = np.empty(len(heights))
    for keys, enough in ((sources, 1), (writers, MIN_WRITER_WORDS)):
        names, group = np.unique(keys, return_inverse=True)
        order = np.argsort(group, kind="stable")
        cuts = np.flatnonzero(np.diff(group[order])) + 1
        for members in np.split(order, cuts):
            if len(members) >= enough:
                reference[members] = np.median(heights[members])
    positive = heights[heights > 0]
    fallback = np.median(positive) if positive.size else 1.0
    reference = np.where(reference > 0, reference, fallback)
    _REFERENCE_CACHE[data] = reference
    return reference


def _temper_rotation(before, after, owner, n_samples, kept=ROTATION_KEPT):
    """Take back (1 - kept) of the rotation augment_points applied to each sample.

    augment_points maps centred points u to R(theta) S A (u + jitter), S a shear and A an
    aspect change: an upper triangular matrix with a positive diagonal times a rotation, so
    the first column of the least-squares linear fit of `after` on `before` points along
    theta (the small jitter barely moves it). Rotating back by (1 - kept) theta leaves the
    same shear, aspect and jitter with kept times the tilt.
    """
    u, v = before, after
    suu = np.stack([np.bincount(owner, u[:, i] * u[:, j], n_samples)
                    for i, j in ((0, 0), (0, 1), (1, 1))], axis=1)
    svu = np.stack([np.bincount(owner, v[:, i] * u[:, j], n_samples)
                    for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))], axis=1)
    # M = Svu Suu^-1: only its first column matters (the common 1/det factor does not).
    m00 = svu[:, 0] * suu[:, 2] - svu[:, 1] * suu[:, 1]
    m10 = svu[:, 2] * suu[:, 2] - svu[:, 3] * suu[:, 1]
    theta = np.arctan2(m10, m00)
    theta = np.where(np.isfinite(theta), theta, 0.0)
    back = -(1.0 - kept) * theta[owner]
    cos, sin = np.cos(back), np.sin(back)
    x, y = v[:, 0], v[:, 1]
    return np.stack([cos * x - sin * y, sin * x + cos * y], axis=1)


def _warp_along_line(unit, owner, n_samples, rng):
    """Points in writer-height units -> the same words with their letters and gaps
    stretched or squeezed along the line (x += a sin(k x + p), |a k| <= STRETCH_SLOPE, so
    x stays in order) and their baseline waved (y += b sin(k' x + p'))."""
    x, y = unit[:, 0], unit[:, 1]
    k = 2.0 * np.pi / rng.uniform(STRETCH_WAVELENGTH[0], STRETCH_WAVELENGTH[1], n_samples)
    a = rng.uniform(0.0, STRETCH_SLOPE, n_samples) / k
    p = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    kb = 2.0 * np.pi / rng.uniform(BASELINE_WAVELENGTH[0], BASELINE_WAVELENGTH[1], n_samples)
    b = rng.uniform(-BASELINE_AMPLITUDE, BASELINE_AMPLITUDE, n_samples)
    pb = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    warped_x = x + a[owner] * np.sin(k[owner] * x + p[owner])
    warped_y = y + b[owner] * np.sin(kb[owner] * x + pb[owner])
    return np.stack([warped_x, warped_y], axis=1)


def rasterize_wide(xy, connects_next, owner, pad_widths, pad_height, line_width):
    """Polylines in pad pixels -> list of (pad_height, pad_widths[i]) float32 ink alpha.

    As `render.rasterize` (same arguments, the same ink), for pads wider than high: each pad
    is a row of pad_height-square tiles, and each segment goes to the tiles its brush can
    reach, clipped to the columns it can ink there.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    owner = np.asarray(owner, dtype=np.int64)
    connects_next = np.asarray(connects_next, dtype=bool)
    pad_widths = np.asarray(pad_widths, dtype=np.int64)
    n = len(pad_widths)
    size = int(pad_height)
    line_width = np.broadcast_to(np.asarray(line_width, dtype=np.float64), (n,))
    tiles = (pad_widths + size - 1) // size
    first_tile = np.cumsum(tiles) - tiles
    reach = line_width / 2.0 + 1.0  # beyond half a line width plus a pixel, no ink

    # Every point starts a segment: to the next point when the pen stays down, else to
    # itself (a dot, or a stroke's end, whose disc the segment before has drawn already).
    start = xy
    end = xy.copy()
    end[:-1] = np.where(connects_next[:-1, None], xy[1:], xy[:-1])
    r = reach[owner]
    low = np.minimum(start[:, 0], end[:, 0]) - r
    high = np.maximum(start[:, 0], end[:, 0]) + r
    last = tiles[owner] - 1
    lo_tile = np.clip(np.floor(low / size), 0, last).astype(np.int64)
    hi_tile = np.clip(np.floor(high / size), 0, last).astype(np.int64)
    keep = (high >= 0) & (low < pad_widths[owner])
    count = np.where(keep, hi_tile - lo_tile + 1, 0)
    segment = np.repeat(np.arange(len(xy)), count)
    tile = lo_tile[segment] + (np.arange(len(segment))
                              - np.repeat(np.cumsum(count) - count, count))
    a, b = start[segment], end[segment]
    # Clip each copy to the columns that can ink its tile: [x0 - reach, x0 + size + reach].
    x0 = (tile * size).astype(np.float64)
    rr = r[segment]
    dx = b[:, 0] - a[:, 0]
    flat = np.abs(dx) < 1e-12
    safe = np.where(flat, 1.0, dx)
    t_lo = np.where(flat, 0.0, (x0 - rr - a[:, 0]) / safe)
    t_hi = np.where(flat, 1.0, (x0 + size + rr - a[:, 0]) / safe)
    t0 = np.clip(np.minimum(t_lo, t_hi), 0.0, 1.0)
    t1 = np.clip(np.maximum(t_lo, t_hi), 0.0, 1.0)
    delta = b - a
    shift = np.stack([x0, np.zeros_like(x0)], axis=1)
    p0 = a + delta * t0[:, None] - shift
    p1 = a + delta * t1[:, None] - shift
    points = np.stack([p0, p1], axis=1).reshape(-1, 2)
    joins = np.zeros(len(points), dtype=bool)
    joins[0::2] = True
    sample = np.repeat(first_tile[owner[segment]] + tile, 2)
    n_tiles = int(tiles.sum())
    tile_width = line_width[np.repeat(np.arange(n), tiles)]
    drawn = rasterize(points, joins, sample, n_tiles, size, tile_width)
    pads = []
    for i in range(n):
        row = drawn[first_tile[i] : first_tile[i] + tiles[i]]
        pads.append(np.concatenate(list(row), axis=1)[:, : pad_widths[i]])
    return pads


def ink_on_word_pad(strokes, pad_width, pad_height,
                    line_width_fraction=DEFAULT_LINE_WIDTH_FRACTION):
    """What the page's word pad hands over: strokes (list of (n, 2) arrays of x, y in pad
    pixels, y down) drawn on a pad_width x pad_height canvas with a brush
    `line_width_fraction * pad_height` px wide, as 8-bit canvas alpha (pad_height,
    pad_width) float32. Ink outside the pad is clipped, as on a canvas."""
    arrays = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    arrays = [s for s in arrays if len(s)]
    if not arrays:
        return np.zeros((int(pad_height), int(pad_width)), dtype=np.float32)
    xy = np.concatenate(arrays)
    connects = np.concatenate([np.arange(len(s)) < len(s) - 1 for s in arrays])
    owner = np.zeros(len(xy), dtype=np.int64)
    pad = rasterize_wide(xy, connects, owner, [int(pad_width)], int(pad_height),
                         line_width_fraction * pad_height)[0]
    return canvas_alpha(pad)


def render_word_pads(data, indices, rng=None, augment=False, pad_height=PAD_HEIGHT,
                     strength="standard"):
    """Words -> list of (pad_height, W_i) float32 canvas alpha (8 bits), before
    preprocessing: what the page's word pad would hand over for each word. strength (one of
    AUGMENT_STRENGTHS) says how hard augment=True distorts."""
    if strength not in AUGMENT_STRENGTHS:
        raise ValueError("strength must be one of %s, not %r" % (AUGMENT_STRENGTHS, strength))
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    n = len(indices)
    if n == 0:
        return []
    xy, connects, owner = data.gather_points(indices)
    reference = reference_heights(data)[indices]
    lower, upper = sample_bounds(xy, owner, n)
    unit = (xy - ((lower + upper) / 2.0)[owner]) / reference[owner, None]
    if augment:
        strong = strength == "strong"
        augmented = augment_points(unit, owner, n, rng, STRONG_SCALE if strong else 1.0)
        unit = _temper_rotation(unit, augmented, owner, n)
        if strong:
            unit = _warp_along_line(unit, owner, n, rng)
        fill = rng.uniform(WORD_FILL_RANGE[0], WORD_FILL_RANGE[1], size=n)
        fraction = rng.uniform(LINE_WIDTH_FRACTION_RANGE[0], LINE_WIDTH_FRACTION_RANGE[1], n)
        jitter = rng.uniform(0.0, 1.0, size=(n, 2))
    else:
        fill = np.full(n, WORD_FILL)
        fraction = np.full(n, DEFAULT_LINE_WIDTH_FRACTION)
        jitter = np.full((n, 2), 0.5)
    line_width = fraction * pad_height
    lower, upper = sample_bounds(unit, owner, n)
    extent = upper - lower
    scale = fill * pad_height
    too_tall = extent[:, 1] * scale + line_width > MAX_FILL * pad_height
    scale = np.where(too_tall, (MAX_FILL * pad_height - line_width)
                     / np.maximum(extent[:, 1], 1e-12), scale)
    margin = SIDE_MARGIN_BRUSHES * line_width + 2.0
    widths = np.ceil(extent[:, 0] * scale + 2.0 * margin).astype(np.int64)
    widths = np.maximum(widths, int(pad_height))
    # Box centre at the middle of the pad, moved by less than a pixel (the phase of the
    # pixel grid): the crop makes any other move irrelevant.
    centre = np.stack([widths / 2.0, np.full(n, pad_height / 2.0)], axis=1) + jitter - 0.5
    placed = (unit - ((lower + upper) / 2.0)[owner]) * scale[owner, None] + centre[owner]
    pads = rasterize_wide(placed, connects, owner, widths, pad_height, line_width)
    return [canvas_alpha(pad) for pad in pads]


def render_words(data, indices, rng=None, augment=False, pad_height=PAD_HEIGHT,
                 strength="standard"):
    """Words `indices` of a WordData -> (images, texts, kept).

    images: list of float32 (HEIGHT, W_i) network inputs in [0, 1] (`preprocess_word_ink`
    of the word drawn as the page would); texts: their labels (str); kept: int64 array of
    the indices they come from. A word that gives no image (no ink, or too long to read as
    one word: `WordTooLongError`) is left out of all three.
    rng: numpy Generator, RandomState or int seed, required when augment=True; the same seed
    and indices give the same images. strength: "standard" or "strong" (see the module).
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if augment:
        if rng is None:
            raise ValueError("augment=True needs rng (a seed or a numpy generator)")
        if isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(int(rng))
    images, texts, kept = [], [], []
    for begin in range(0, len(indices), RENDER_CHUNK):
        chunk = indices[begin : begin + RENDER_CHUNK]
        pads = render_word_pads(data, chunk, rng=rng, augment=augment, pad_height=pad_height,
                                strength=strength)
        for index, pad in zip(chunk, pads):
            try:
                image = preprocess_word_ink(pad)
            except (EmptyImageError, WordTooLongError):
                continue
            images.append(image)
            texts.append(data.label(int(index)))
            kept.append(int(index))
    return images, texts, np.asarray(kept, dtype=np.int64)


__all__ = ["AUGMENT_STRENGTHS", "HEIGHT", "MIN_WIDTH", "PAD_HEIGHT", "ink_on_word_pad",
           "reference_heights", "render_word_pads", "render_words", "rasterize_wide"]
