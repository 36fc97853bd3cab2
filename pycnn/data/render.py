"""Draw pen strokes the way the page's canvas draws a mouse drag.

The page's drawing pad is a square canvas of logical size S px. It strokes the pointer path
with a line `S * f` px wide (f = 0.045 by default, the width slider covers 0.025..0.08),
round caps and joins, anti-aliased, in black on a transparent background, so
`getImageData` gives the ink in the alpha channel. These functions return that alpha as
float32 in [0, 1] (0 background, 1 full ink).

A round-capped, round-joined polyline of width w is the union of discs of radius w/2 centred
on the path. So the path is densified to points 0.25..1 px apart (closer for thin lines, so
the distance to the nearest point is within MAX_PATH_ERROR = 0.03 px of the distance to the
path) and every point splats an anti-aliased disc, coverage `clip(w/2 + 0.5 - distance, 0, 1)`
at each pixel centre, over a small window, keeping the maximum coverage per pixel.
Everything is vectorised over all points of a whole batch of samples.

Characters are scaled by their own bounding box (tablets differ): the longest side covers
`fill` of the pad (typical user drawings: 0.35..0.9), centred unless told otherwise.
"""

import numpy as np

DEFAULT_LINE_WIDTH_FRACTION = 0.045  # the page's default brush: line width / pad size
LINE_WIDTH_FRACTION_RANGE = (0.025, 0.08)  # the page's slider
DEFAULT_FILL = 0.7  # longest side of the character / pad size, for canonical renderings
FILL_RANGE = (0.35, 0.9)  # how much of the pad people's drawings typically cover
TRAINING_PAD_SIZE = 96  # pad size used to render training data (small = fast)
# Path points are spaced so that the distance to the nearest one is at most MAX_PATH_ERROR px
# more than the distance to the path itself (spacing h gives h^2 / (8 r) for radius r).
MAX_PATH_ERROR = 0.03
MIN_POINT_SPACING, MAX_POINT_SPACING = 0.25, 1.0
_MAX_WINDOW_ENTRIES = 4_000_000  # points x window pixels handled per vectorised chunk


def _per_sample(value, n_samples):
    values = np.asarray(value, dtype=np.float64)
    return np.broadcast_to(values, (n_samples,)) if values.ndim == 0 else values.reshape(-1)


def sample_bounds(xy, sample_of_point, n_samples):
    """Per-sample bounding boxes: (lower (N, 2), upper (N, 2)); empty samples get zeros."""
    lower = np.full((n_samples, 2), np.inf)
    upper = np.full((n_samples, 2), -np.inf)
    np.minimum.at(lower, sample_of_point, xy)
    np.maximum.at(upper, sample_of_point, xy)
    empty = ~np.isfinite(lower[:, 0])
    lower[empty] = 0.0
    upper[empty] = 0.0
    return lower, upper


MIN_EXTENT = 1e-6


def normalize_points(xy, sample_of_point, n_samples):
    """Centre each sample on its bounding box centre and scale its longest side to 1."""
    lower, upper = sample_bounds(xy, sample_of_point, n_samples)
    extent = np.max(upper - lower, axis=1)
    # A sample narrower than MIN_EXTENT is a dot: 1/extent of a subnormal extent overflows.
    scale = 1.0 / np.where(extent > MIN_EXTENT, extent, 1.0)
    centre = (lower + upper) / 2.0
    return (xy - centre[sample_of_point]) * scale[sample_of_point, None]


def place_in_pad(xy, sample_of_point, n_samples, pad_size, fill=DEFAULT_FILL, centre=None):
    """Scale each sample so its longest side is `fill * pad_size` px; put its box centre at
    `centre` (N, 2) in pad pixels (default: the middle of the pad). fill may be per sample."""
    fill = _per_sample(fill, n_samples)
    if centre is None:
        centre = np.full((n_samples, 2), pad_size / 2.0)
    unit = normalize_points(xy, sample_of_point, n_samples)
    return unit * (fill * pad_size)[sample_of_point, None] + np.asarray(centre)[sample_of_point]


def _densify(xy, connects_next, sample_of_point, spacing):
    """Original points plus points every <= spacing px (per sample) along each pen-down
    segment."""
    nxt = np.empty_like(xy)
    nxt[:-1] = xy[1:]
    nxt[-1:] = xy[-1:]
    delta = np.where(connects_next[:, None], nxt - xy, 0.0)
    length = np.hypot(delta[:, 0], delta[:, 1])
    # intp, not int64: np.repeat refuses int64 counts where intp is 32-bit (Pyodide's wasm).
    count = np.maximum(np.ceil(length / spacing[sample_of_point]), 1.0).astype(np.intp)
    source = np.repeat(np.arange(len(xy)), count)
    step = np.arange(len(source)) - np.repeat(np.cumsum(count) - count, count)
    t = step / count[source]
    return xy[source] + delta[source] * t[:, None], sample_of_point[source]


def _window_offsets(reach):
    """Pixel offsets from a point's window corner that its disc can reach.

    With corner = ceil(p - reach - 0.5) per axis, the point sits at p - corner in
    (reach - 0.5, reach + 0.5], so the pixel centre at offset a is a + 0.5 - (p - corner) in
    [a - reach, a - reach + 1) away along that axis; offsets whose nearest possible centre is
    beyond `reach` (the window's corners) never get ink and are skipped.
    """
    size = int(np.floor(2.0 * reach)) + 1
    a = np.arange(size, dtype=np.float64)
    low, high = a - reach, a - reach + 1.0
    nearest = np.where((low <= 0) & (high > 0), 0.0, np.minimum(np.abs(low), np.abs(high)))
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    usable = nearest[rows] ** 2 + nearest[cols] ** 2 < reach**2
    return rows[usable], cols[usable], size


def rasterize(xy, connects_next, sample_of_point, n_samples, pad_size, line_width):
    """Draw polylines already in pad pixel coordinates -> (N, S, S) float32 ink alpha.

    xy: (P, 2) float x, y with y down; pixel (row, col) covers [col, col+1] x [row, row+1].
    connects_next: (P,) bool, point j joins point j+1 (pen down). A point that joins nothing
    is a dot. sample_of_point: (P,) sample index in 0..n_samples-1. line_width: px, scalar or
    per sample. Ink outside the pad is clipped, as on a canvas.
    """
    size = int(pad_size)
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(xy) == 0:
        return np.zeros((n_samples, size, size), dtype=np.float32)
    sample_of_point = np.asarray(sample_of_point, dtype=np.int64)
    radius = _per_sample(line_width, n_samples) / 2.0
    # Points far outside the pad would only make huge, useless densified runs.
    xy = np.clip(xy, -2.0 * size, 3.0 * size)
    spacing = np.sqrt(8.0 * radius * MAX_PATH_ERROR)
    spacing = np.clip(spacing, MIN_POINT_SPACING, MAX_POINT_SPACING)
    dense, owner = _densify(xy, np.asarray(connects_next, dtype=bool), sample_of_point, spacing)

    reach = float(radius.max()) + 0.5  # beyond this distance coverage is 0
    offset_row, offset_col, window = _window_offsets(reach)
    # Draw on a canvas with a margin a window wide, so no index needs a bounds check, then
    # crop the margin off: ink falling there is outside the pad, clipped as on a canvas.
    inside = np.all((dense > -reach) & (dense < size + reach), axis=1)
    dense, owner = dense[inside], owner[inside]
    side = size + 2 * window
    canvas = np.zeros(n_samples * side * side, dtype=np.float32)
    offset_flat = (offset_row * side + offset_col)[None, :]
    offset_x = offset_col.astype(np.float32)[None, :]
    offset_y = offset_row.astype(np.float32)[None, :]
    chunk = max(1, _MAX_WINDOW_ENTRIES // len(offset_flat[0]))
    for begin in range(0, len(dense), chunk):
        points = dense[begin : begin + chunk]
        who = owner[begin : begin + chunk]
        corner = np.ceil(points - reach - 0.5)
        # Pixel centre minus point, at the window corner; offsets add whole pixels.
        base_dx = (corner[:, 0:1] + 0.5 - points[:, 0:1]).astype(np.float32)
        base_dy = (corner[:, 1:2] + 0.5 - points[:, 1:2]).astype(np.float32)
        start = who * (side * side) + (corner[:, 1] + window).astype(np.int64) * side
        start += (corner[:, 0] + window).astype(np.int64)
        dx = base_dx + offset_x
        dy = base_dy + offset_y
        distance = np.sqrt(dx * dx + dy * dy)
        coverage = (radius[who] + 0.5).astype(np.float32)[:, None] - distance
        np.clip(coverage, 0.0, 1.0, out=coverage)
        np.maximum.at(canvas, (start[:, None] + offset_flat).ravel(), coverage.ravel())
    canvas = canvas.reshape(n_samples, side, side)
    return np.ascontiguousarray(canvas[:, window : window + size, window : window + size])


def canvas_alpha(alpha):
    """Ink coverage as a canvas keeps it, in 8 bits: what the page hands `preprocess`."""
    return np.round(alpha * 255.0) * np.float32(1.0 / 255.0)


def flatten_strokes(strokes):
    """A list of (n, 2) stroke arrays -> (xy (P, 2) float64, connects_next (P,) bool)."""
    arrays = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return np.zeros((0, 2)), np.zeros(0, dtype=bool)
    connects = [np.arange(len(a)) < len(a) - 1 for a in arrays]
    return np.concatenate(arrays), np.concatenate(connects)


def render_strokes(
    strokes,
    pad_size=280,
    line_width_fraction=DEFAULT_LINE_WIDTH_FRACTION,
    fill=DEFAULT_FILL,
    centre=None,
):
    """One character's strokes -> (S, S) float32 ink alpha, drawn as the page would.

    strokes: list of (n, 2) arrays of x, y (y down) in any units (tablet, negative, huge).
    The character is scaled by its own bounding box to `fill * pad_size` px on its longest
    side and its box centred at `centre` (x, y) px (default: the pad's middle). A character
    with a single point is a dot of the line width.
    """
    xy, connects = flatten_strokes(strokes)
    owner = np.zeros(len(xy), dtype=np.int64)
    if centre is not None:
        centre = np.asarray(centre, dtype=np.float64).reshape(1, 2)
    placed = place_in_pad(xy, owner, 1, pad_size, fill=fill, centre=centre)
    return rasterize(placed, connects, owner, 1, pad_size, pad_size * line_width_fraction)[0]
