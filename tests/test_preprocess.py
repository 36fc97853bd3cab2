"""The page's preprocessing: ink extraction, cropping, scaling, centring, bad input."""


import numpy as np
import pytest

from pycnn.data.render import render_strokes
from pycnn.preprocess import (
    FIT_SIZE,
    OUTPUT_SIZE,
    PREPROCESS_VERSION,
    EmptyImageError,
    ink_from_pixels,
    preprocess,
    preprocess_ink,
)

# A "4"-like drawing in arbitrary tablet units: two strokes.
FOUR = [np.array([[30, 0], [0, 60], [50, 60]]), np.array([[40, 20], [40, 100]])]


def centre_of_mass(image):
    """Centre of mass in continuous coordinates: pixel (r, c) has its centre at (r+.5, c+.5)."""
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return (image * (rows + 0.5)).sum() / total, (image * (cols + 0.5)).sum() / total


def ink_extent(image, level=0.1):
    rows = np.flatnonzero((image > level).any(axis=1))
    cols = np.flatnonzero((image > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def alpha_canvas(alpha):
    """Black ink on a transparent canvas, as getImageData returns it."""
    rgba = np.zeros(alpha.shape + (4,), dtype=np.uint8)
    rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
    return rgba


def test_version_is_an_int():
    assert isinstance(PREPROCESS_VERSION, int)


def test_output_is_28x28_float32_in_unit_range():
    out = preprocess(alpha_canvas(render_strokes(FOUR, pad_size=280)))
    assert out.shape == (OUTPUT_SIZE, OUTPUT_SIZE) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)


@pytest.mark.parametrize("centre", [(60, 60), (220, 80), (140.3, 212.7)])
def test_off_centre_drawing_is_centred_by_mass(centre):
    alpha = render_strokes(FOUR, pad_size=280, fill=0.35, centre=centre)
    out = preprocess(alpha_canvas(alpha))
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14.0) < 0.3 and abs(cx - 14.0) < 0.3
    # The same drawing anywhere on the pad gives the same input.
    reference = preprocess(alpha_canvas(render_strokes(FOUR, pad_size=280, fill=0.35)))
    assert np.abs(out - reference).max() < 0.25
    assert np.abs(out - reference).mean() < 0.02


def test_tall_thin_bar_stays_tall_and_thin():
    ink = np.zeros((300, 300), dtype=np.float32)
    ink[50:250, 140:160] = 1.0  # 200 x 20: aspect 10
    out = preprocess_ink(ink)
    height, width = ink_extent(out)
    assert height == FIT_SIZE
    assert width <= 3
    assert out.sum() == pytest.approx(FIT_SIZE * 2.0, rel=0.05)  # 20 x 2 px of full ink

    wide = preprocess_ink(ink.T.copy())
    assert ink_extent(wide) == (width, height)


def test_centring_is_clamped_so_nothing_is_cut_off():
    # An L with almost all its mass in the long bar: centring the mass would push the foot out.
    ink = np.zeros((200, 200), dtype=np.float32)
    ink[0:200, 0:10] = 1.0
    ink[190:200, 0:200] = 0.3
    out = preprocess_ink(ink)
    assert out[:, 0].max() > 0 or out[:, -1].max() > 0 or ink_extent(out)[1] == FIT_SIZE
    assert ink_extent(out) == (FIT_SIZE, FIT_SIZE)


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((50, 40, 4), dtype=np.uint8),  # transparent canvas
        np.full((50, 40, 3), 255, dtype=np.uint8),  # white paper
        np.zeros((50, 40), dtype=np.uint8),  # black board
        np.full((50, 40), 0.97, dtype=np.float32),  # faint texture only
    ],
)
def test_empty_image_raises(pixels):
    with pytest.raises(EmptyImageError):
        preprocess(pixels)


def test_faint_noise_alone_is_empty():
    rng = np.random.default_rng(0)
    paper = (245 + rng.integers(0, 10, size=(60, 60))).astype(np.uint8)
    with pytest.raises(EmptyImageError):
        preprocess(paper)


def test_single_dot_does_not_become_a_blob():
    alpha = render_strokes([np.array([[7.0, -3.0]])], pad_size=280)
    assert alpha.max() == pytest.approx(1.0)
    out = preprocess(alpha_canvas(alpha))
    height, width = ink_extent(out)
    assert height <= 6 and width <= 6  # a dot 12.6 px wide on a 280 px pad stays small
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14.0) < 0.5 and abs(cx - 14.0) < 0.5


def test_small_character_in_a_small_image_is_enlarged_but_capped():
    ink = np.zeros((28, 28), dtype=np.float32)
    ink[10:18, 12:16] = 1.0  # 8 px tall: scale 20/8 = 2.5 <= MAX_UPSCALE
    assert ink_extent(preprocess_ink(ink))[0] == FIT_SIZE
    tiny = np.zeros((28, 28), dtype=np.float32)
    tiny[13:15, 13:15] = 1.0  # 2 px: 20/2 = 10x would be a blob, capped at 4x -> 8 px
    assert ink_extent(preprocess_ink(tiny))[0] <= 9


def test_alpha_dark_on_light_and_light_on_dark_give_the_same_input():
    alpha = render_strokes(FOUR, pad_size=280)
    level = np.round(alpha * 255).astype(np.uint8)
    canvas = alpha_canvas(alpha)
    coloured = canvas.copy()
    coloured[..., 2] = 200  # a blue pen on a transparent canvas: alpha is still the ink
    dark_on_light = np.repeat((255 - level)[..., None], 3, axis=2)
    opaque_rgba = np.concatenate([dark_on_light, np.full(level.shape + (1,), 255, np.uint8)], 2)
    light_on_dark = level
    reference = preprocess(canvas)
    for pixels in (coloured, dark_on_light, opaque_rgba, light_on_dark):
        assert np.abs(preprocess(pixels) - reference).max() < 0.02
    np.testing.assert_allclose(ink_from_pixels(dark_on_light), level / 255.0, atol=1e-6)


def test_canvas_mostly_covered_in_ink_is_still_read_from_alpha():
    alpha = np.zeros((100, 100), dtype=np.float32)
    alpha[5:95, 5:95] = 1.0  # 81% ink, transparent edges
    np.testing.assert_array_equal(ink_from_pixels(alpha_canvas(alpha)), alpha)


def test_grey_paper_and_grey_pen_still_read_as_the_drawing():
    alpha = render_strokes(FOUR, pad_size=200)
    paper, pen = 200.0, 60.0  # a photo: grey paper, dark grey pen
    photo = np.round(paper + (pen - paper) * alpha).astype(np.uint8)
    reference = preprocess(alpha_canvas(alpha))
    assert np.abs(preprocess(photo) - reference).max() < 0.05


def test_flat_buffer_with_width_and_height_matches_the_array():
    alpha = render_strokes(FOUR, pad_size=120)
    canvas = alpha_canvas(alpha)[:, :100]  # not square: width and height must not swap
    height, width = canvas.shape[:2]
    expected = preprocess(canvas)
    flat = canvas.reshape(-1)
    np.testing.assert_array_equal(preprocess(flat, width=width, height=height), expected)
    np.testing.assert_array_equal(preprocess(flat.tobytes(), width=width, height=height), expected)
    np.testing.assert_array_equal(
        preprocess(memoryview(flat.tobytes()), width=width, height=height), expected
    )


@pytest.mark.parametrize(
    "pixels, kwargs",
    [
        (np.zeros(100, dtype=np.uint8), {}),  # flat without width/height
        (np.zeros(100, dtype=np.uint8), {"width": 7, "height": 7}),  # wrong size
        (np.zeros((4, 4, 2), dtype=np.uint8), {}),  # two channels
        (np.zeros((2, 3, 4, 4), dtype=np.uint8), {}),
    ],
)
def test_unusable_arrays_raise_value_error(pixels, kwargs):
    with pytest.raises(ValueError):
        preprocess(pixels, **kwargs)


def test_huge_canvas_is_handled():
    # Speed is measured in bench/data_speed.py, not asserted here.
    size = 2400
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[400:2000, 1100:1300, 3] = 255
    canvas[400:600, 700:1700, 3] = 255
    out = preprocess(canvas)
    assert ink_extent(out)[0] == FIT_SIZE


@pytest.mark.parametrize("in_size, scale, offset", [(600, 20 / 600, 4.0), (97, 20 / 97, 3.3),
                                                    (20, 1.0, 4.0), (5, 4.0, 3.9), (1, 4.0, 12.0)])
def test_banded_resampling_equals_the_full_matrix_product(in_size, scale, offset):
    from pycnn.preprocess import _area_resample_matrix, _banded_product

    matrix = _area_resample_matrix(OUTPUT_SIZE, in_size, scale, offset)
    image = np.random.RandomState(in_size).rand(in_size, 37)
    banded = _banded_product(matrix, image)
    np.testing.assert_allclose(banded, matrix @ image, rtol=1e-12, atol=1e-12)
    assert banded.sum() == pytest.approx(scale * image.sum())  # area kept: no pixel skipped


def test_a_large_canvas_gives_the_same_input_as_the_full_product(monkeypatch):
    import pycnn.preprocess as pre

    rgba = alpha_canvas(render_strokes(FOUR, pad_size=840, fill=0.8))
    fast = preprocess(rgba)
    monkeypatch.setattr(pre, "_banded_product", lambda m, img: m @ img)
    np.testing.assert_allclose(fast, preprocess(rgba), rtol=0, atol=1e-6)
