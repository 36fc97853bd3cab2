"""The page's word preprocessing: height normalisation, flat words and lone marks, width
limits, bad input, and golden outputs pinned to WORD_PREPROCESS_VERSION.

Pure NumPy and pytest: it runs inside Pyodide too (`make compat`). The drawings are made here
with the pen of tests/test_preprocess.py (+ - * / and sqrt in float64 only, so NumPy 1.17.5
in the page and a newer NumPy draw the same pixels), from hand-written cursive letter shapes.
"""

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
from test_preprocess import GOLDEN_SCALE, _byte, _encode, _input_digest, _transparent_canvas

from pycnn.read.preprocess import EmptyImageError, _area_resample_matrix, ink_from_pixels
from pycnn.read.word_preprocess import (
    FIT_HEIGHT,
    HEIGHT,
    MARGIN,
    MAX_WIDTH,
    MIN_EXTENT_FRACTION,
    MIN_WIDTH,
    WORD_PREPROCESS_VERSION,
    WordTooLongError,
    _area_resample_entries,
    _resample_rows,
    check_model_compatible,
    preprocess_word,
)

# Cursive letters as one pen path each, in x-height units: baseline y = 0, x-height y = -1,
# ascenders to -2, descenders to +1 (y down); x from 0 to the letter's advance.
LETTERS = {
    "n": ([(0, 0), (0.1, -0.9), (0.3, -1), (0.5, -0.9), (0.6, 0), (0.7, -0.1)], 0.75),
    "o": ([(0.5, -1), (0.15, -0.8), (0.1, -0.25), (0.4, 0), (0.75, -0.25), (0.8, -0.8),
           (0.5, -1), (0.9, -0.9)], 0.95),
    "l": ([(0, 0), (0.3, -1.2), (0.45, -1.9), (0.3, -2), (0.15, -1.8), (0.2, -0.6),
           (0.35, 0), (0.55, -0.1)], 0.6),
    "g": ([(0.7, -0.9), (0.4, -1), (0.1, -0.7), (0.2, -0.2), (0.5, -0.1), (0.75, -0.6),
           (0.8, -1), (0.75, 0.8), (0.5, 1), (0.25, 0.8), (0.5, 0.4), (0.95, 0.1)], 1.0),
    "y": ([(0, -0.9), (0.1, -0.2), (0.35, 0), (0.6, -0.3), (0.7, -1), (0.65, 0.8),
           (0.4, 1), (0.2, 0.8), (0.5, 0.4), (0.9, 0.1)], 0.95),
}


def word_path(text, left, baseline, unit):
    """One pen path (list of (x, y) pad pixels) writing `text` joined up, x-height `unit`."""
    path, x = [], 0.0
    for letter in text:
        points, advance = LETTERS[letter]
        path.extend((left + (x + px) * unit, baseline + py * unit) for px, py in points)
        x += advance
    return path


def draw(shape, paths, line_width):
    """Anti-aliased coverage (H, W) float64 of round-capped pen paths (each a list of (x, y)
    points; one point is a dot), pixel (r, c) covering [c, c+1] x [r, r+1]:
    clip(w/2 + 0.5 - distance to the nearest path, 0, 1), the pen of tests/test_preprocess.py,
    computed for each segment only over the pixels within its reach (same values, faster)."""
    height, width = shape
    cover = np.zeros(shape)
    reach = line_width / 2.0 + 1.0
    for path in paths:
        points = [(float(x), float(y)) for x, y in path]
        for (x0, y0), (x1, y1) in list(zip(points[:-1], points[1:])) or [(points[0], points[0])]:
            r0 = max(int(np.floor(min(y0, y1) - reach)), 0)
            r1 = min(int(np.ceil(max(y0, y1) + reach)) + 1, height)
            c0 = max(int(np.floor(min(x0, x1) - reach)), 0)
            c1 = min(int(np.ceil(max(x0, x1) + reach)) + 1, width)
            if r0 >= r1 or c0 >= c1:
                continue
            ys = np.arange(r0, r1, dtype=np.float64)[:, None] + 0.5
            xs = np.arange(c0, c1, dtype=np.float64)[None, :] + 0.5
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2,
                                                 0, 1)
            ex, ey = x0 + t * dx - xs, y0 + t * dy - ys
            segment = np.clip(line_width / 2.0 + 0.5 - np.sqrt(ex * ex + ey * ey), 0.0, 1.0)
            np.maximum(cover[r0:r1, c0:c1], segment, out=cover[r0:r1, c0:c1])
    return cover


def canvas(shape, paths, line_width_fraction=0.045):
    """A word pad of `shape` (H, W) drawn with the page's default brush, as getImageData."""
    return _transparent_canvas(draw(shape, paths, line_width_fraction * shape[0]))


def ink_rows(image, level=0.1):
    rows = np.flatnonzero((image > level).any(axis=1))
    return rows[-1] - rows[0] + 1 if rows.size else 0


def ink_cols(image, level=0.1):
    cols = np.flatnonzero((image > level).any(axis=0))
    return cols[-1] - cols[0] + 1 if cols.size else 0


# --- the properties -------------------------------------------------------------------------

def test_version_is_an_int():
    assert isinstance(WORD_PREPROCESS_VERSION, int)


def test_a_model_trained_with_another_word_preprocessing_version_is_refused():
    version = WORD_PREPROCESS_VERSION
    check_model_compatible(SimpleNamespace(metadata={"word_preprocess_version": version}))
    check_model_compatible(SimpleNamespace(metadata={}))
    check_model_compatible(object())
    for other in (version - 1, version + 1):
        with pytest.raises(ValueError, match="retrain"):
            check_model_compatible(SimpleNamespace(metadata={"word_preprocess_version": other}))


def test_a_word_fills_the_height_keeps_its_aspect_and_its_margins():
    # "long": ascender loops to 2 x-heights, a descender to 1: box 3 units + the brush.
    pixels = canvas((120, 420), [word_path("logy", 40, 70, 16)])
    out = preprocess_word(pixels)
    assert out.dtype == np.float32 and out.shape[0] == HEIGHT
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    assert ink_rows(out) == FIT_HEIGHT
    assert out[:MARGIN].max() == 0 and out[-MARGIN:].max() == 0
    assert out[:, 0].max() == 0 and out[:, -1].max() == 0
    ink = ink_from_pixels(pixels)
    box_h, box_w = ink_rows(ink, 0.2), ink_cols(ink, 0.2)
    assert out.shape[1] == round(box_w * FIT_HEIGHT / box_h) + 2 * MARGIN
    assert abs(ink_cols(out) / ink_rows(out) - box_w / box_h) < 0.15


def assert_alike(out, reference):
    """The same word image up to the pixel grid: the ink box is found on whole pixels, so
    moving or scaling a drawing moves its scaled box by a fraction of a pixel, and may change
    the rounded width by one (the box then sits half a pixel further)."""
    assert abs(out.shape[1] - reference.shape[1]) <= 1
    width = min(out.shape[1], reference.shape[1])
    tolerance = 0.03 if out.shape == reference.shape else 0.06
    assert np.abs(out[:, :width] - reference[:, :width]).mean() < tolerance
    assert out.sum() == pytest.approx(reference.sum(), rel=0.05)
    rows, reference_rows = out.sum(axis=1), reference.sum(axis=1)
    assert np.abs(rows / rows.sum() - reference_rows / reference_rows.sum()).sum() < 0.1


@pytest.mark.parametrize("shift", [(0, 0), (-60, 24), (282, -40), (35.5, 6.25)])
def test_the_same_word_anywhere_on_the_pad_gives_the_same_input(shift):
    dx, dy = shift
    reference = preprocess_word(canvas((240, 960), [word_path("nolly", 120, 140, 32)]))
    out = preprocess_word(canvas((240, 960), [word_path("nolly", 120 + dx, 140 + dy, 32)]))
    if dx == int(dx) and dy == int(dy):  # whole pixels: the same ink, up to rounding
        np.testing.assert_allclose(out, reference, rtol=0, atol=0.01)
    else:
        assert_alike(out, reference)


@pytest.mark.parametrize("text, unit", [("nolly", 24), ("on", 33), ("gno", 21)])
def test_a_drawing_twice_as_large_on_a_pad_twice_as_large_gives_the_same_input(text, unit):
    small = preprocess_word(canvas((150, 480), [word_path(text, 60, 90, unit)]))
    large = preprocess_word(canvas((300, 960), [word_path(text, 120, 180, 2 * unit)]))
    assert_alike(small, large)


def test_a_word_written_small_on_the_pad_is_not_blown_up_to_full_height():
    # "no" 1.1 x-heights high, 18% of the pad: below MIN_EXTENT_FRACTION, so it is scaled as
    # if MIN_EXTENT_FRACTION of the pad high; written at 60% it fills the height.
    small = preprocess_word(canvas((200, 600), [word_path("no", 200, 120, 30)]))
    large = preprocess_word(canvas((200, 600), [word_path("no", 100, 150, 100)]))
    assert ink_rows(large) == FIT_HEIGHT
    expected = FIT_HEIGHT * (30 * 1.0 + 9) / (MIN_EXTENT_FRACTION * 200)
    assert abs(ink_rows(small) - expected) <= 1.5


def test_a_dash_stays_a_thin_line_and_dots_stay_dots():
    shape = (120, 360)
    dash = preprocess_word(canvas(shape, [[(150, 62), (190, 60)]]))
    assert ink_rows(dash) <= 6 and 15 <= ink_cols(dash) <= 30
    assert dash.shape[1] == MIN_WIDTH
    dots = preprocess_word(canvas(shape, [[(150, 80)], [(165, 80)], [(180, 80)]]))
    assert ink_rows(dots) <= 5 and ink_cols(dots) >= 4 * ink_rows(dots)
    comma = preprocess_word(canvas(shape, [[(200, 70), (202, 78), (196, 90)]]))
    assert ink_rows(comma) <= 16 and ink_cols(comma) <= 10


def test_a_tall_single_letter_fills_the_height_in_a_square_field():
    out = preprocess_word(canvas((120, 360), [word_path("l", 150, 100, 40)]))
    assert ink_rows(out) == FIT_HEIGHT
    assert out.shape == (HEIGHT, MIN_WIDTH)


def test_a_very_wide_word_is_shrunk_to_max_width_and_a_line_is_refused():
    zigzag = [(10 + 3 * k, 8 + 40 * (k % 2)) for k in range(390)]  # 1167 x 40 (+ brush)
    out = preprocess_word(canvas((60, 1200), [zigzag]))
    assert out.shape == (HEIGHT, MAX_WIDTH)
    assert FIT_HEIGHT / 2 <= ink_rows(out) < FIT_HEIGHT
    line = [(10 + 4 * k, 20 + 8 * (k % 2)) for k in range(740)]  # 2957 x 8: a line of words
    with pytest.raises(WordTooLongError, match="too long to read"):
        preprocess_word(canvas((40, 3000), [line]))
    assert issubclass(WordTooLongError, ValueError)


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((100, 400, 4), dtype=np.uint8),  # transparent pad
     np.full((100, 400, 3), 255, dtype=np.uint8),  # white paper
     np.full((60, 300), 0.97, dtype=np.float32)],  # faint texture only
)
def test_empty_image_raises(pixels):
    with pytest.raises(EmptyImageError):
        preprocess_word(pixels)


def test_black_ink_on_white_reads_as_alpha_on_a_transparent_pad():
    cover = draw((120, 420), [word_path("logy", 40, 70, 16)], 5.4)
    level = _byte(cover * 255)
    reference = preprocess_word(_transparent_canvas(cover))
    grey = 255 - level
    rgb = np.repeat(grey[..., None], 3, axis=2)
    opaque = np.concatenate([rgb, np.full(grey.shape + (1,), 255, np.uint8)], axis=2)
    for pixels in (grey, rgb, opaque):
        out = preprocess_word(pixels)
        assert out.shape == reference.shape
        assert np.abs(out - reference).max() < 0.02


def test_flat_buffer_with_width_and_height_matches_the_array():
    pixels = canvas((90, 300), [word_path("on", 30, 60, 24)])
    flat = pixels.reshape(-1)
    expected = preprocess_word(pixels)
    np.testing.assert_array_equal(preprocess_word(flat.tobytes(), width=300, height=90),
                                  expected)
    np.testing.assert_array_equal(preprocess_word(flat, width=300, height=90), expected)


def test_a_large_canvas_is_handled():
    pixels = np.zeros((400, 2000, 4), dtype=np.uint8)
    pixels[100:300, 100:1900:40, 3] = 255  # 45 bars, 10 px apart... with gaps
    pixels[100:300, 100:1900:40, 3] = 255
    pixels[290:300, 100:1900, 3] = 255
    out = preprocess_word(pixels)
    assert out.shape[0] == HEIGHT and MIN_WIDTH <= out.shape[1] <= MAX_WIDTH
    assert ink_rows(out) == FIT_HEIGHT


@pytest.mark.parametrize("out_size, in_size, scale, offset",
                         [(32, 600, 28 / 600, 2.0), (40, 97, 36 / 97, 2.3), (9, 5, 4.0, -5.7),
                          (512, 1900, 0.2673, 3.1), (32, 1, 4.0, 14.0), (20, 20, 1.0, 0.0)])
def test_resampling_entries_are_the_characters_area_matrix(out_size, in_size, scale, offset):
    matrix = _area_resample_matrix(out_size, in_size, scale, offset)
    rows, cols, weight = _area_resample_entries(out_size, in_size, scale, offset)
    rebuilt = np.zeros_like(matrix)
    rebuilt[rows, cols] = weight
    np.testing.assert_allclose(rebuilt, matrix, rtol=0, atol=1e-12)
    assert np.all(np.diff(rows) >= 0)
    image = np.random.RandomState(in_size).rand(in_size, 7)
    np.testing.assert_allclose(_resample_rows(image, out_size, scale, offset), matrix @ image,
                               rtol=1e-12, atol=1e-12)


# --- golden outputs, pinned to WORD_PREPROCESS_VERSION --------------------------------------
#
# As for characters (tests/test_preprocess.py): a word model learns the exact look of its
# inputs and its file records `word_preprocess_version`, so the output of `preprocess_word`
# may only change together with WORD_PREPROCESS_VERSION. Each drawing exercises a constant or
# a branch of word_preprocess.py. Outputs are stored in tests/golden/word_preprocess_v<version>
# .json as uint16 (value * 65535, zlib, base64) with their shape and sum; GOLDEN_DIGESTS pins
# each version's stored outputs, which are written once and never re-recorded.

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
GOLDEN_DIGESTS = {
    1: "2d097e003536a0bc3a455ed5cb609690f96446c978b879e45ff69ee3ec718e34",
}
GOLDEN_TOLERANCE = 1e-4


@functools.lru_cache(maxsize=None)
def golden_drawings():
    """name -> pixels, each exercising some part of word_preprocess.py (made once; read
    only)."""
    drawings = {}
    # A short word of small letters filling half the pad: scaled to FIT_HEIGHT.
    drawings["short_word_on"] = canvas((120, 360), [word_path("on", 120, 85, 50)])
    # A long word without ascenders, written small: scaled by MIN_EXTENT_FRACTION of the pad.
    drawings["long_word_small"] = canvas((100, 720), [word_path("nonnonnonon", 20, 60, 30)])
    # Ascenders and descenders: the box spans both, centred.
    drawings["ascenders_descenders"] = canvas((120, 420), [word_path("logy", 40, 70, 16)])
    # Flat drawings and lone marks stay small.
    drawings["dash"] = canvas((120, 360), [[(150, 62), (190, 60)]])
    drawings["comma"] = canvas((120, 360), [[(200, 70), (202, 78), (196, 90)]])
    drawings["ellipsis"] = canvas((120, 360), [[(150, 80)], [(165, 80)], [(180, 80)]])
    # A tall single letter: MIN_WIDTH, full height.
    drawings["tall_l"] = canvas((120, 360), [word_path("l", 150, 100, 40)])
    # A long word, wider than MAX_WIDTH at full height: shrunk evenly, within MAX_SQUEEZE.
    drawings["too_wide_word"] = canvas((60, 1000), [word_path("nolly" * 24, 20, 38, 10)])
    # A photo: dark grey ink on textured light paper, RGB.
    cover = draw((90, 300), [word_path("gy", 60, 45, 20)], 4)
    rows, cols = np.arange(90)[:, None], np.arange(300)[None, :]
    paper = 228.0 + 6 * (rows % 2) + 3 * (cols % 3 == 0)
    grey = paper * (1 - cover) + 50 * cover
    drawings["photo_rgb"] = _byte(np.repeat(grey[..., None], 3, axis=2))
    # A tiny picture of a word 5 px high: enlarged by MAX_UPSCALE at most.
    tiny = draw((12, 40), [[(6, 6.5), (12, 4.5), (20, 7.5), (30, 5.5)]], 1.5)
    drawings["tiny_picture_floats"] = (1.0 - 0.9 * tiny).astype(np.float32)
    # A portrait canvas: the floor is a fraction of its width, the shorter side.
    drawings["portrait_canvas"] = canvas((300, 200), [word_path("no", 40, 150, 40)], 0.02)
    return drawings


def _decode(text, shape):
    raw = zlib.decompress(base64.b64decode(text))
    return np.frombuffer(raw, dtype="<u2").reshape(shape) / GOLDEN_SCALE


def _golden_path(version):
    return os.path.join(GOLDEN_DIR, "word_preprocess_v%d.json" % version)


def _outputs_digest(golden):
    digest = hashlib.sha256()
    for name in sorted(golden["drawings"]):
        entry = golden["drawings"][name]
        digest.update(("%s\0%r\0%s" % (name, entry["shape"], entry["output"])).encode())
    return digest.hexdigest()


def _load_golden():
    path = _golden_path(WORD_PREPROCESS_VERSION)
    assert os.path.exists(path), (
        "no golden outputs for WORD_PREPROCESS_VERSION %d (%s): after bumping the version, "
        "write them with `python tests/test_word_preprocess.py --write-golden` and add the "
        "digest it prints to GOLDEN_DIGESTS" % (WORD_PREPROCESS_VERSION, path))
    with open(path) as f:
        return json.load(f)


def test_golden_file_belongs_to_this_version_and_was_never_re_recorded():
    golden = _load_golden()
    assert golden["word_preprocess_version"] == WORD_PREPROCESS_VERSION
    assert sorted(golden["drawings"]) == sorted(golden_drawings())
    assert _outputs_digest(golden) == GOLDEN_DIGESTS.get(WORD_PREPROCESS_VERSION), (
        "tests/golden/word_preprocess_v%d.json is not the file recorded for "
        "WORD_PREPROCESS_VERSION %d: a version's outputs never change. If preprocess_word "
        "changed on purpose, bump WORD_PREPROCESS_VERSION, write a new golden file and "
        "retrain; do not re-record an old one" % (WORD_PREPROCESS_VERSION,
                                                  WORD_PREPROCESS_VERSION))


@pytest.mark.parametrize("name", sorted(golden_drawings()))
def test_preprocess_word_output_is_pinned_to_its_version(name):
    entry = _load_golden()["drawings"][name]
    pixels = golden_drawings()[name]
    assert _input_digest(pixels) == entry["input_sha256"], (
        "the test's own drawing %r changed, not preprocess_word: restore golden_drawings()"
        % name)
    out = preprocess_word(pixels)
    assert out.dtype == np.float32
    assert list(out.shape) == entry["shape"], (
        "preprocess_word() gives the golden drawing %r a %s image, not %s, while "
        "WORD_PREPROCESS_VERSION is still %d" % (name, out.shape, tuple(entry["shape"]),
                                                 WORD_PREPROCESS_VERSION))
    expected = _decode(entry["output"], out.shape)
    difference = np.abs(out.astype(np.float64) - expected)
    assert difference.max() <= GOLDEN_TOLERANCE, (
        "preprocess_word() changed its output for the golden drawing %r (max difference %.4f "
        "at %s, %d pixels off) while WORD_PREPROCESS_VERSION is still %d. If the change is "
        "intended, bump WORD_PREPROCESS_VERSION in pycnn/read/word_preprocess.py, write the "
        "new golden file with `python tests/test_word_preprocess.py --write-golden`, add its "
        "digest to GOLDEN_DIGESTS and retrain the word model; otherwise it is a regression."
        % (name, difference.max(), np.unravel_index(difference.argmax(), difference.shape),
           int((difference > GOLDEN_TOLERANCE).sum()), WORD_PREPROCESS_VERSION))
    assert float(out.sum()) == pytest.approx(entry["sum"], abs=0.01)


def write_golden():
    """Record this version's outputs once; an existing version's file is never overwritten."""
    path = _golden_path(WORD_PREPROCESS_VERSION)
    if os.path.exists(path):
        raise SystemExit("%s exists: a version's outputs never change; bump "
                         "WORD_PREPROCESS_VERSION first" % path)
    golden = {"word_preprocess_version": WORD_PREPROCESS_VERSION,
              "format": "output: round(value * %d) as little-endian uint16, row-major, zlib, "
                        "base64, of an image of `shape`; sum: of its float32 values; "
                        "input_sha256 of the drawing made by golden_drawings() in "
                        "tests/test_word_preprocess.py" % GOLDEN_SCALE,
              "drawings": {}}
    for name, pixels in sorted(golden_drawings().items()):
        out = preprocess_word(pixels)
        golden["drawings"][name] = {"input_sha256": _input_digest(pixels),
                                    "shape": list(out.shape),
                                    "sum": round(float(out.sum()), 4),
                                    "output": _encode(out)}
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    with open(path, "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s; add to GOLDEN_DIGESTS:  %d: \"%s\","
          % (path, WORD_PREPROCESS_VERSION, _outputs_digest(golden)))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-golden"]:
        raise SystemExit("usage: python tests/test_word_preprocess.py --write-golden")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    write_golden()
