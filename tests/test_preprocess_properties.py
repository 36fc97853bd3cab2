"""Properties of `preprocess` over many drawings and arrays (Hypothesis).

Whatever the page hands it, `preprocess` returns a float32 (28, 28) image in [0, 1] whose
strongest ink is 1, or raises EmptyImageError (no ink) or ValueError (an unusable array),
nothing else. A drawing gives the same input wherever it sits on the pad and whatever the
pad's size, with its centre of mass at the centre unless that would cut it off.

CPython only (Hypothesis is not in the page's Python): the page-side checks of the same
function are in test_preprocess.py.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pycnn.data.render import LINE_WIDTH_FRACTION_RANGE, render_strokes
from pycnn.read.preprocess import OUTPUT_SIZE, EmptyImageError, ink_from_pixels, preprocess

# PROPERTY_EXAMPLES=2000 for a longer hunt; 60 keeps the file to seconds.
PROPERTY = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", 60)), deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow])


def centre_of_mass(image):
    """(row, col) of the mass, pixel (r, c) having its centre at (r + .5, c + .5)."""
    rows, cols = np.indices(image.shape)
    total = float(image.sum())
    return (image * (rows + 0.5)).sum() / total, (image * (cols + 0.5)).sum() / total


def assert_valid_output(out):
    assert out.shape == (OUTPUT_SIZE, OUTPUT_SIZE) and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.max() == pytest.approx(1.0, abs=1e-6)  # the strongest ink is 1


def canvas(alpha, colour=(0, 0, 0)):
    """A transparent canvas with ink of `alpha` (float 0..1) in a pen of `colour`."""
    rgba = np.zeros(alpha.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
    return rgba


# --- strategies --------------------------------------------------------------------------

# Pen positions on a grid of a thousandth of the character: tablets and the pad give such
# coordinates (render.normalize_points overflows on a box of 5e-324, which none gives).
coordinate = st.integers(0, 1000).map(lambda v: v / 1000.0)
point = st.tuples(coordinate, coordinate)
stroke = st.lists(point, min_size=1, max_size=5).map(np.array)
strokes = st.lists(stroke, min_size=1, max_size=3)
line_width = st.floats(*LINE_WIDTH_FRACTION_RANGE)


ANY_PAD, ANY_FILL = st.integers(40, 200), st.floats(0.1, 0.9)


@st.composite
def drawings(draw, pad_sizes=ANY_PAD, fills=ANY_FILL):
    """(strokes, pad size, fill, line width fraction): a character as the page draws it."""
    return draw(strokes), draw(pad_sizes), draw(fills), draw(line_width)


def render(drawing, pad_size=None, centre=None):
    lines, size, fill, width = drawing
    return render_strokes(lines, pad_size=pad_size or size, fill=fill, centre=centre,
                          line_width_fraction=width)


# --- any input: a valid image or one of the two documented errors --------------------------

PIXEL_DTYPES = [np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.int32, np.uint32,
                np.int64, np.float16, np.float32, np.float64]


@st.composite
def any_arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(PIXEL_DTYPES)))
    shape = draw(st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=12),
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 5)),
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    ))
    elements = None
    if dtype.kind == "f":
        elements = st.floats(width=8 * dtype.itemsize, allow_nan=True, allow_infinity=True)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@PROPERTY
@given(any_arrays())
@example(np.full((6, 6), np.nan))
@example(np.array([[np.nan, 1.0], [np.inf, -np.inf]]))
@example(np.zeros((0, 7, 4), np.uint8))
@example(np.zeros((3, 3, 2), np.uint8))
def test_any_array_gives_a_valid_image_or_a_documented_error(pixels):
    before = pixels.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN medians
            out = preprocess(pixels)
    except EmptyImageError:
        # No ink, or no pixels at all: an empty pad, never an unusable array.
        assert pixels.ndim in (2, 3)
        assert pixels.ndim == 2 or pixels.shape[2] in (1, 3, 4)
    except ValueError as error:
        assert not isinstance(error, EmptyImageError)
        assert pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (1, 3, 4))
    else:
        assert_valid_output(out)
    np.testing.assert_array_equal(pixels, before)  # the caller's pixels are never changed


@PROPERTY
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3, 4]), st.data())
def test_a_flat_buffer_with_width_and_height_reads_like_the_array(height, width, channels,
                                                                   data):
    shape = (height, width) if channels == 1 else (height, width, channels)
    pixels = data.draw(hnp.arrays(np.uint8, shape))
    flat = pixels.reshape(-1)
    try:
        expected = preprocess(pixels)
    except EmptyImageError:
        with pytest.raises(EmptyImageError):
            preprocess(flat, width=width, height=height)
        return
    np.testing.assert_array_equal(preprocess(flat, width=width, height=height), expected)
    np.testing.assert_array_equal(preprocess(flat.tobytes(), width=width, height=height),
                                  expected)
    if channels == 1:  # an explicit single channel is the same grey picture
        np.testing.assert_array_equal(preprocess(pixels[..., None]), expected)


@PROPERTY
@given(st.integers(0, 400), st.integers(-2, 30), st.integers(-2, 30))
def test_a_flat_buffer_that_is_no_image_of_that_size_is_refused(size, width, height):
    area = width * height
    assume(width <= 0 or height <= 0 or size not in (area, 3 * area, 4 * area))
    with pytest.raises(ValueError) as error:
        preprocess(np.zeros(size, np.uint8), width=width, height=height)
    assert not isinstance(error.value, EmptyImageError)


# --- no ink ------------------------------------------------------------------------------

@PROPERTY
@given(st.integers(1, 60), st.integers(1, 60),
       st.sampled_from(["transparent", "paper", "board", "grey"]), st.integers(0, 255))
def test_a_picture_without_ink_is_empty(height, width, kind, level):
    if kind == "transparent":  # a pen colour but nothing drawn
        pixels = np.zeros((height, width, 4), np.uint8)
        pixels[..., :3] = level
    elif kind == "paper":
        pixels = np.full((height, width, 3), 255, np.uint8)
    elif kind == "board":
        pixels = np.zeros((height, width), np.uint8)
    else:  # any uniform grey, opaque
        pixels = np.full((height, width, 4), level, np.uint8)
        pixels[..., 3] = 255
    with pytest.raises(EmptyImageError):
        preprocess(pixels)


@PROPERTY
@given(drawings(), st.floats(0.0, 0.19))
def test_ink_fainter_than_the_threshold_everywhere_is_empty(drawing, strength):
    faint = render(drawing) * strength  # the strongest ink stays below INK_THRESHOLD
    with pytest.raises(EmptyImageError):
        preprocess(canvas(faint))


# --- drawings ----------------------------------------------------------------------------

@PROPERTY
@given(drawings(), st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
def test_a_drawing_gives_a_valid_image_whatever_the_pen_colour(drawing, colour):
    alpha = render(drawing)
    out = preprocess(canvas(alpha, colour))
    assert_valid_output(out)
    np.testing.assert_array_equal(out, preprocess(canvas(alpha)))


@PROPERTY
@given(drawings())
def test_the_centre_of_mass_is_the_centre_unless_that_would_cut_the_drawing_off(drawing):
    out = preprocess(canvas(render(drawing)))
    for axis, com in enumerate(centre_of_mass(out)):
        profile = out.sum(axis=1 - axis)
        # Area resampling bins each scaled pixel's ink into whole output pixels, which moves
        # the mass by a few hundredths of a pixel (0.05 at most in 1500 random drawings).
        if abs(com - OUTPUT_SIZE / 2) > 0.1:
            # Clamped: the mass leans to one side, and the drawing touches the other edge.
            touching = profile[0] if com > OUTPUT_SIZE / 2 else profile[-1]
            assert touching > 0, (axis, com)


@PROPERTY
@given(drawings(pad_sizes=st.integers(60, 160)), st.integers(0, 50), st.integers(0, 50),
       st.integers(0, 50), st.integers(0, 50))
def test_moving_the_drawing_on_the_pad_changes_nothing(drawing, top, left, top2, left2):
    alpha = render(drawing)
    size = alpha.shape[0]
    pads = []
    for y, x in ((top, left), (top2, left2)):
        pad = np.zeros((size + 50, size + 50), np.float32)
        pad[y:y + size, x:x + size] = alpha
        pads.append(preprocess(canvas(pad)))
    np.testing.assert_array_equal(pads[0], pads[1])


@PROPERTY
@given(drawings(pad_sizes=st.just(160), fills=st.floats(0.4, 0.6)),
       st.tuples(st.floats(60, 100), st.floats(60, 100)))
def test_a_sub_pixel_move_changes_little(drawing, centre):
    moved = preprocess(canvas(render(drawing, centre=centre)))
    middle = preprocess(canvas(render(drawing)))
    assert np.abs(moved - middle).mean() < 0.03


@PROPERTY
@given(drawings(pad_sizes=st.integers(40, 100), fills=st.floats(0.3, 0.9)),
       st.integers(2, 3))
def test_a_canvas_blown_up_pixel_by_pixel_gives_the_same_input(drawing, factor):
    # Each pixel becomes a factor x factor block: the box, the mass and the area sums all
    # scale together, so the 28x28 input is the same up to rounding.
    alpha = render(drawing)
    big = np.kron(alpha, np.ones((factor, factor), np.float32))
    np.testing.assert_allclose(preprocess(canvas(big)), preprocess(canvas(alpha)),
                               rtol=0, atol=1e-5)


@PROPERTY
@given(drawings(pad_sizes=st.integers(120, 200), fills=st.floats(0.4, 0.9)),
       st.floats(1.5, 2.5))
def test_the_same_drawing_on_a_bigger_pad_gives_nearly_the_same_input(drawing, ratio):
    small = preprocess(canvas(render(drawing)))
    big = preprocess(canvas(render(drawing, pad_size=int(round(drawing[1] * ratio)))))
    assert np.abs(big - small).mean() < 0.03


@PROPERTY
@given(drawings())
def test_dark_on_light_and_light_on_dark_read_as_the_same_ink(drawing):
    level = np.round(render(drawing) * 255).astype(np.uint8)
    assume((level > 0).mean() < 0.45)  # paper is most of the picture
    # Ink of exactly INK_THRESHOLD (51/255) is 0.2 when read as light on dark but 1 - 204/255
    # = 0.19999999 in float32 as dark on light, so such a pixel at the edge of the drawing
    # counts in one and not in the other; every other level reads alike.
    level[level == 51] = 52
    light_on_dark = level
    dark_on_light = 255 - level
    np.testing.assert_allclose(ink_from_pixels(light_on_dark), ink_from_pixels(dark_on_light),
                               rtol=0, atol=1e-6)
    expected = preprocess(canvas(level / 255))
    np.testing.assert_allclose(preprocess(light_on_dark), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(preprocess(dark_on_light), expected, rtol=0, atol=1e-5)


@PROPERTY
@given(drawings(), st.lists(st.tuples(st.integers(0, 199), st.integers(0, 199)), min_size=1,
                            max_size=20), st.sampled_from([np.nan, -np.inf]))
def test_nan_pixels_in_a_float_picture_are_paper(drawing, where, bad):
    # Light ink on a black board as floats, with some undefined pixels where the board is:
    # they read as the board (0), not as the end of the drawing.
    board = render(drawing).astype(np.float64)
    spoilt = board.copy()
    for y, x in where:
        y, x = y % board.shape[0], x % board.shape[1]
        if board[y, x] == 0:
            spoilt[y, x] = bad
    assume(not np.array_equal(spoilt, board, equal_nan=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = preprocess(spoilt)
    np.testing.assert_array_equal(out, preprocess(board))


def outcome(pixels):
    try:
        return preprocess(pixels)
    except EmptyImageError:
        return "empty"


@PROPERTY
@given(drawings(), st.floats(1.001, 255.0))
@example(([np.array([[0.0, 0.0], [1.0, 1.0]])], 80, 0.7, 0.045), 1.5)
def test_floats_above_one_are_read_as_0_to_255(drawing, brightest):
    # Light ink on a black board as floats: brighter than 1 means the 0..255 scale, so the
    # same picture divided by 255 reads the same (empty when its ink is then too faint).
    alpha = render(drawing).astype(np.float64)
    board = alpha / alpha.max() * brightest  # its brightest pixel is `brightest`
    on_255, on_1 = outcome(board), outcome(board / 255.0)
    if isinstance(on_1, str):
        assert isinstance(on_255, str)
    else:
        np.testing.assert_allclose(on_255, on_1, rtol=0, atol=1e-5)
