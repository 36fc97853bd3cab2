"""The page's preprocessing: ink extraction, cropping, scaling, centring, bad input, and
golden outputs pinned to PREPROCESS_VERSION."""

import base64
import functools
import hashlib
import json
import os
import sys
import zlib
from types import SimpleNamespace

import numpy as np
import pytest

from pycnn.data.render import render_strokes
from pycnn.read.preprocess import (
    FIT_SIZE,
    OUTPUT_SIZE,
    PREPROCESS_VERSION,
    EmptyImageError,
    check_model_compatible,
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


def test_a_model_trained_with_another_preprocessing_version_is_refused():
    check_model_compatible(SimpleNamespace(metadata={"preprocess_version": PREPROCESS_VERSION}))
    check_model_compatible(SimpleNamespace(metadata={}))  # made by hand: no version recorded
    check_model_compatible(object())
    for other in (PREPROCESS_VERSION - 1, PREPROCESS_VERSION + 1):
        with pytest.raises(ValueError, match="retrain"):
            check_model_compatible(SimpleNamespace(metadata={"preprocess_version": other}))


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
    # The mass sits near the bar (column 2.7 of the 20 px box): centred, the foot would end at
    # column 31. Clamped, the box ends at the right border and the mass stays left of centre.
    assert out[:, -1].max() > 0
    assert centre_of_mass(out)[1] < 12.0
    assert abs(centre_of_mass(out)[0] - 14.0) < 0.3  # rows were free to centre
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
    from pycnn.read.preprocess import _area_resample_matrix, _banded_product

    matrix = _area_resample_matrix(OUTPUT_SIZE, in_size, scale, offset)
    image = np.random.RandomState(in_size).rand(in_size, 37)
    banded = _banded_product(matrix, image)
    np.testing.assert_allclose(banded, matrix @ image, rtol=1e-12, atol=1e-12)
    assert banded.sum() == pytest.approx(scale * image.sum())  # area kept: no pixel skipped


def test_a_large_canvas_gives_the_same_input_as_the_full_product(monkeypatch):
    import pycnn.read.preprocess as pre

    rgba = alpha_canvas(render_strokes(FOUR, pad_size=840, fill=0.8))
    fast = preprocess(rgba)
    monkeypatch.setattr(pre, "_banded_product", lambda m, img: m @ img)
    np.testing.assert_allclose(fast, preprocess(rgba), rtol=0, atol=1e-6)


# --- golden outputs, pinned to PREPROCESS_VERSION ------------------------------------------
#
# A model learns the exact look of its 28x28 inputs, and its file records the preprocessing
# version it was trained with. So the output of `preprocess` for a given input may only change
# together with PREPROCESS_VERSION. These drawings are made here, deterministically, with
# nothing but + - * / and sqrt in float64 (IEEE-exact, so NumPy 1.17.5 in the page and a newer
# NumPy give the same pixels); each one exercises a constant or a branch of preprocess.py.
# Their outputs are stored in tests/golden/preprocess_v<version>.json as uint16 (value * 65535,
# zlib, base64), and GOLDEN_DIGESTS pins each version's stored outputs: a version's outputs
# never change, so a golden file is written once and never re-recorded.

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
GOLDEN_DIGESTS = {
    1: "45f0f6d3b94613019a56fb63f2f5db6bf2240a201f58b2bf0973629da9cd0e09",
}
# NumPy 1.17.5 and 2.x give the same stored values (they differ below the uint16 step); nudging
# any constant of preprocess.py by 1% moves some pixel of some drawing by 0.01 or more.
GOLDEN_TOLERANCE = 1e-4
GOLDEN_SCALE = 65535


def _pen(shape, points, line_width):
    """Anti-aliased coverage (H, W) float64 of a round-capped polyline through `points`
    (x, y), pixel (r, c) covering [c, c+1] x [r, r+1]: clip(w/2 + 0.5 - distance, 0, 1)."""
    height, width = shape
    ys = np.arange(height, dtype=np.float64)[:, None] + 0.5
    xs = np.arange(width, dtype=np.float64)[None, :] + 0.5
    points = [(float(x), float(y)) for x, y in points]
    segments = list(zip(points[:-1], points[1:])) or [(points[0], points[0])]
    distance = np.full(shape, np.inf)
    for (x0, y0), (x1, y1) in segments:
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1)
        ex, ey = x0 + t * dx - xs, y0 + t * dy - ys
        distance = np.minimum(distance, np.sqrt(ex * ex + ey * ey))
    return np.clip(line_width / 2.0 + 0.5 - distance, 0.0, 1.0)


def _byte(values):
    return np.round(np.asarray(values, dtype=np.float64)).astype(np.uint8)


def _transparent_canvas(alpha):
    """Black ink on a transparent canvas, the page's getImageData."""
    rgba = np.zeros(alpha.shape + (4,), dtype=np.uint8)
    rgba[..., 3] = _byte(alpha * 255)
    return rgba


def _translucent_pad(background_alpha):
    """A pad of translucent white (alpha just under or just over one half) with a black
    stroke: which way preprocess reads it (alpha or brightness) hangs on that half."""
    cover = _pen((60, 60), [(15, 20), (45, 40), (40, 52)], 6)
    rgba = np.empty((60, 60, 4), dtype=np.uint8)
    rgba[..., :3] = _byte(255 * (1 - cover))[..., None]
    rgba[..., 3] = _byte(background_alpha * (1 - cover) + 255 * cover)
    return rgba


def _mid_grey_paper(paper):
    """Paper just darker or just lighter than mid grey, with a dark bar and a light V: which
    of the two is the ink depends on the side of one half the paper falls."""
    dark = _pen((60, 60), [(14, 10), (14, 50)], 5)
    light = _pen((60, 60), [(28, 12), (38, 48), (50, 12)], 5)
    grey = paper * (1 - dark) + 20 * dark
    return _byte(grey * (1 - light) + 235 * light)


@functools.lru_cache(maxsize=None)
def golden_drawings():
    """name -> pixels, each exercising some part of preprocess.py (made once; read only)."""
    drawings = {}
    # A "4" off the pad's centre: scaling to FIT_SIZE, centring the mass, area resampling;
    # with a speck of alpha 51/255 = INK_THRESHOLD that counts as ink, so widens the box.
    four = np.maximum(_pen((280, 280), [(150, 40), (70, 170), (200, 170)], 12.6),
                      _pen((280, 280), [(170, 100), (170, 250)], 12.6))
    four[200, 240] = 51 / 255
    drawings["canvas_four"] = _transparent_canvas(four)
    # Ink over more than half of the picture but not its border: still read from alpha.
    drawings["canvas_mostly_ink"] = _transparent_canvas(_pen((100, 100), [(36, 50), (64, 50)],
                                                             66))
    # An L on a wide pad, almost all its mass in the bar: the centring is clamped.
    ell = np.maximum(_pen((160, 200), [(30, 10), (30, 150)], 14),
                     0.35 * _pen((160, 200), [(30, 150), (190, 150)], 6))
    drawings["canvas_clamped_L"] = _transparent_canvas(ell)
    # A small x on a big pad: kept small by MIN_EXTENT_FRACTION.
    cross = np.maximum(_pen((280, 280), [(120, 130), (150, 160)], 6),
                       _pen((280, 280), [(150, 130), (121, 161)], 6))
    drawings["canvas_small_x"] = _transparent_canvas(cross)
    # A 16x14 photo of a 3 px mark: enlarged, but by MAX_UPSCALE at most.
    mark = _pen((16, 14), [(6.3, 6.6), (7.2, 8.1)], 1.2)
    drawings["tiny_image"] = _byte(255 - 230 * mark)
    # Float ink on black whose stroke fades out, lingering near INK_THRESHOLD for a dozen
    # pixels so the box edge follows it closely, over a faint wash whose levels, 0 to 0.1 in
    # steps of 1e-4, NOISE_FLOOR splits.
    shape = (64, 96)
    ys, xs = np.indices(shape, dtype=np.float64) + 0.5
    fade = 0.2 + 0.8 * ((60.3 - xs) / 40) * ((60.3 - xs) / 40) * ((60.3 - xs) / 40)
    fading = _pen(shape, [(10, 30), (85, 40)], 5) * np.clip(fade, 0, 1)
    wash = np.zeros(shape)
    wash[15:50, 25:60] = 0.1 * ((xs - 25.5) + (ys - 15.5) / 35)[15:50, 25:60] / 35
    drawings["float_fading_stroke"] = np.maximum(
        np.maximum(fading, _pen(shape, [(20, 12), (20, 52)], 4)), wash).astype(np.float32)
    # A photo: red and blue pens on paper whose texture alternates by row and column, so the
    # background level depends on the luminance weights and on MEDIAN_SAMPLE_SIDE's strides.
    rows, cols = np.arange(256)[:, None], np.arange(254)[None, :]
    paper = (226.0 + 12 * (rows % 2) + 5 * (1 - cols % 2) + 3 * (rows % 4 == 2))[..., None]
    paper = paper * np.ones(3)
    photo = paper
    for pen, points in (((200, 30, 40), [(60, 60), (190, 80), (120, 200)]),
                        ((30, 40, 190), [(80, 150), (200, 210)])):
        cover = _pen((256, 254), points, 9)[..., None]
        photo = photo * (1 - cover) + np.array(pen, dtype=np.float64) * cover
    drawings["photo_two_pens"] = _byte(photo)
    # Chalk on a dark board, as floats in 0..255: the dark-background branch.
    board = 30.0 + 4 * ((np.arange(72)[:, None] + np.arange(60)[None, :]) % 2)
    chalk = _pen((72, 60), [(12, 14), (48, 14), (24, 62)], 5)
    drawings["board_chalk_floats_0_255"] = board * (1 - chalk) + 230 * chalk
    # A float RGBA canvas in 0..255 with a lone speck of alpha 51 = 0.2 * 255 well away from
    # a "2": ink of exactly INK_THRESHOLD counts, so the speck widens the box.
    two = _pen((90, 90), [(20, 25), (45, 12), (62, 30), (22, 70), (66, 70)], 6)
    speck = np.zeros((90, 90, 4))
    speck[..., 3] = 255 * two
    speck[40, 84, 3] = 51.0
    drawings["float_canvas_0_255_threshold_speck"] = speck
    drawings["translucent_pad_below_half"] = _translucent_pad(125)
    drawings["translucent_pad_above_half"] = _translucent_pad(130)
    drawings["mid_grey_paper_below_half"] = _mid_grey_paper(125)
    drawings["mid_grey_paper_above_half"] = _mid_grey_paper(130)
    return drawings


def _input_digest(pixels):
    pixels = np.ascontiguousarray(pixels)
    return hashlib.sha256(("%s %r " % (pixels.dtype.str, pixels.shape)).encode()
                          + pixels.tobytes()).hexdigest()


def _encode(image):
    quantised = np.round(np.asarray(image, np.float64) * GOLDEN_SCALE).astype("<u2")
    return base64.b64encode(zlib.compress(quantised.tobytes(), 9)).decode("ascii")


def _decode(text):
    raw = zlib.decompress(base64.b64decode(text))
    return np.frombuffer(raw, dtype="<u2").reshape(OUTPUT_SIZE, OUTPUT_SIZE) / GOLDEN_SCALE


def _golden_path(version):
    return os.path.join(GOLDEN_DIR, "preprocess_v%d.json" % version)


def _outputs_digest(golden):
    digest = hashlib.sha256()
    for name in sorted(golden["drawings"]):
        digest.update(name.encode() + b"\0" + golden["drawings"][name]["output"].encode())
    return digest.hexdigest()


def _load_golden():
    path = _golden_path(PREPROCESS_VERSION)
    assert os.path.exists(path), (
        "no golden outputs for PREPROCESS_VERSION %d (%s): after bumping the version, write "
        "them with `python tests/test_preprocess.py --write-golden` and add the digest it "
        "prints to GOLDEN_DIGESTS" % (PREPROCESS_VERSION, path))
    with open(path) as f:
        return json.load(f)


def test_golden_file_belongs_to_this_version_and_was_never_re_recorded():
    golden = _load_golden()
    assert golden["preprocess_version"] == PREPROCESS_VERSION
    assert sorted(golden["drawings"]) == sorted(golden_drawings())
    assert _outputs_digest(golden) == GOLDEN_DIGESTS.get(PREPROCESS_VERSION), (
        "tests/golden/preprocess_v%d.json is not the file recorded for PREPROCESS_VERSION %d: "
        "a version's outputs never change. If preprocess changed on purpose, bump "
        "PREPROCESS_VERSION, write a new golden file and retrain; do not re-record an old one"
        % (PREPROCESS_VERSION, PREPROCESS_VERSION))


@pytest.mark.parametrize("name", sorted(golden_drawings()))
def test_preprocess_output_is_pinned_to_its_version(name):
    entry = _load_golden()["drawings"][name]
    pixels = golden_drawings()[name]
    assert _input_digest(pixels) == entry["input_sha256"], (
        "the test's own drawing %r changed, not preprocess: restore golden_drawings()" % name)
    out = preprocess(pixels)
    assert out.shape == (OUTPUT_SIZE, OUTPUT_SIZE) and out.dtype == np.float32
    expected = _decode(entry["output"])
    difference = np.abs(out.astype(np.float64) - expected)
    assert difference.max() <= GOLDEN_TOLERANCE, (
        "preprocess() changed its 28x28 output for the golden drawing %r (max difference %.4f "
        "at %s, %d pixels off) while PREPROCESS_VERSION is still %d. If the change is "
        "intended, bump PREPROCESS_VERSION in pycnn/read/preprocess.py, write the new golden file "
        "with `python tests/test_preprocess.py --write-golden`, add its digest to "
        "GOLDEN_DIGESTS and retrain the model; otherwise it is a regression to fix."
        % (name, difference.max(), np.unravel_index(difference.argmax(), difference.shape),
           int((difference > GOLDEN_TOLERANCE).sum()), PREPROCESS_VERSION))


def write_golden():
    """Record this version's outputs once; an existing version's file is never overwritten."""
    path = _golden_path(PREPROCESS_VERSION)
    if os.path.exists(path):
        raise SystemExit("%s exists: a version's outputs never change; bump "
                         "PREPROCESS_VERSION first" % path)
    golden = {"preprocess_version": PREPROCESS_VERSION,
              "format": "output: round(value * %d) as little-endian uint16, zlib, base64; "
                        "input_sha256 of the drawing made by golden_drawings() in "
                        "tests/test_preprocess.py" % GOLDEN_SCALE,
              "drawings": {}}
    for name, pixels in sorted(golden_drawings().items()):
        golden["drawings"][name] = {"input_sha256": _input_digest(pixels),
                                    "output": _encode(preprocess(pixels))}
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    with open(path, "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s; add to GOLDEN_DIGESTS:  %d: \"%s\","
          % (path, PREPROCESS_VERSION, _outputs_digest(golden)))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-golden"]:
        raise SystemExit("usage: python tests/test_preprocess.py --write-golden")
    write_golden()
