"""Word images for training: words drawn as the page's word pad draws them, sized by their
writer, augmented with honest labels, then `preprocess_word_ink`."""

import numpy as np
import pytest
from test_word_preprocess import ink_rows, word_path

from pycnn.data import word_render
from pycnn.data.render import canvas_alpha, rasterize
from pycnn.data.word_render import (
    _temper_rotation,
    _warp_along_line,
    ink_on_word_pad,
    rasterize_wide,
    reference_heights,
    render_word_pads,
    render_words,
)
from pycnn.data.words import WordData
from pycnn.read.word_preprocess import FIT_HEIGHT, HEIGHT, MAX_WIDTH, MIN_WIDTH

# (text, writer, tablet strokes): writer "ann" writes at an x-height of 100 tablet units,
# "bob" at 40 on another tablet (site "xyz"), and "cat" wrote only two words.
WORDS = [
    ("long", "ann", [word_path("logy", 0, 0, 100)]),
    ("only", "ann", [word_path("only", 0, 0, 100)]),
    ("no", "ann", [word_path("no", 0, 0, 100)]),
    ("gnoll", "ann", [word_path("gnoll", 0, 0, 100)]),
    ("lying", "ann", [word_path("lyngn", 0, 0, 100)]),
    ("-", "ann", [[(0, -50), (70, -55)]]),
    ("...", "ann", [[(0, 0)], [(30, 0)], [(60, 0)]]),
    ("yo", "bob", [word_path("yo", 10, 50, 40)]),
    ("log", "bob", [word_path("log", 10, 50, 40)]),
    ("on", "bob", [word_path("on", 10, 50, 40)]),
    ("gong", "bob", [word_path("gong", 10, 50, 40)]),
    ("only", "bob", [word_path("only", 10, 50, 40)]),
    ("nylon", "cat", [word_path("nylon", 0, 0, 60)]),
    # A flat scribble 400 times as wide as high: far too long for one word (WordTooLongError).
    ("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "cat",
     [[(10 * k, 20 * (k % 2)) for k in range(800)]]),
]


def word_data(words=WORDS):
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for _text, _writer, strokes in words:
        for stroke in strokes:
            points.append(np.round(np.asarray(stroke, dtype=np.float64)).astype(np.int16))
            stroke_offsets.append(stroke_offsets[-1] + len(stroke))
        sample_offsets.append(len(stroke_offsets) - 1)
    n = len(words)
    return WordData({
        "text": np.array([text for text, _, _ in words]),
        "writer": np.array([writer for _, writer, _ in words]),
        "source": np.array(["xyz" if writer == "bob" else "abc" for _, writer, _ in words]),
        "section": np.full(n, "6"),
        "points": np.concatenate(points),
        "stroke_offsets": np.array(stroke_offsets, dtype=np.int64),
        "sample_stroke_offsets": np.array(sample_offsets, dtype=np.int64),
    })


@pytest.fixture(scope="module")
def data():
    return word_data()


def test_a_wide_pad_drawn_in_tiles_is_one_wide_canvas():
    # A path that crosses tile borders, with one long segment over three tiles, and a dot.
    xy = np.array([[5, 20], [70, 50], [75, 10], [250, 40], [262, 44], [140, 8.5]], float)
    connects = np.array([True, True, True, True, False, False])
    owner = np.zeros(len(xy), dtype=np.int64)
    wide = rasterize_wide(xy, connects, owner, [270], 64, 5.0)[0]
    square = rasterize(xy, connects, owner, 1, 270, 5.0)[0][:64]
    assert wide.shape == (64, 270)
    # The same ink, up to the rasterizer's own path error (its densified points differ where
    # a segment is cut at a tile's reach).
    assert np.abs(wide - square).max() < 0.05
    assert np.abs(wide - square).mean() < 1e-3


def test_ink_on_word_pad_is_what_the_page_hands_over():
    alpha = ink_on_word_pad([word_path("on", 20, 60, 30), [(200, 50)]], 300, 100)
    assert alpha.shape == (100, 300) and alpha.dtype == np.float32
    np.testing.assert_array_equal(alpha, canvas_alpha(alpha))  # 8-bit levels
    assert alpha.max() == 1.0
    assert ink_on_word_pad([], 300, 100).max() == 0.0


def test_each_word_is_sized_by_its_writer(data):
    reference = reference_heights(data)
    ann = [i for i in range(len(data)) if data.writers[i] == "ann"]
    bob = [i for i in range(len(data)) if data.writers[i] == "bob"]
    assert len(set(reference[ann])) == 1 and len(set(reference[bob])) == 1
    assert reference[ann[0]] > 2 * reference[bob[0]]  # ann's tablet units are smaller
    # "cat" wrote 2 words: too few for a median of their own; site abc's is used: the median
    # box height of ann's 7 words and cat's 2 (x-height 60, ascender to descender: 180).
    cat = [i for i in range(len(data)) if data.writers[i] == "cat"]
    assert set(reference[cat]) == {180.0}


def test_words_come_out_at_the_network_height_with_their_texts(data):
    images, texts, kept = render_words(data, np.arange(len(data)))
    assert len(images) == len(texts) == len(kept) == len(data) - 1  # the line is left out
    assert texts == [data.text[i] for i in kept]
    assert data.text[len(data) - 1] not in texts
    for image in images:
        assert image.dtype == np.float32 and image.shape[0] == HEIGHT
        assert MIN_WIDTH <= image.shape[1] <= MAX_WIDTH
        assert image.min() >= 0 and image.max() == pytest.approx(1.0)
    by_text = dict(zip(texts, images))
    # Words fill the height; a dash and dots drawn at the writer's size stay flat.
    for text in ("long", "gnoll", "lying", "log", "gong"):
        assert ink_rows(by_text[text]) == FIT_HEIGHT
    for text in ("-", "..."):
        assert ink_rows(by_text[text]) <= 6
    # The same word by two writers on two tablets gives about the same image.
    only = [image for image, text in zip(images, texts) if text == "only"]
    assert abs(only[0].shape[1] - only[1].shape[1]) <= 2


def test_rendering_is_deterministic_and_augmentation_changes_images_not_labels(data):
    indices = np.arange(len(data) - 1)
    plain, plain_texts, _ = render_words(data, indices)
    again, _, _ = render_words(data, indices)
    for a, b in zip(plain, again):
        np.testing.assert_array_equal(a, b)
    first, texts, kept = render_words(data, indices, rng=7, augment=True)
    second, _, _ = render_words(data, indices, rng=np.random.default_rng(7), augment=True)
    other, _, _ = render_words(data, indices, rng=8, augment=True)
    assert texts == plain_texts and list(kept) == list(indices)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    changed = [a.shape != b.shape or np.abs(a - b).max() > 0.1 for a, b in zip(first, plain)]
    assert all(changed)
    assert sum(a.shape != b.shape or np.abs(a - b).max() > 0.1
               for a, b in zip(first, other)) >= len(indices) - 1
    with pytest.raises(ValueError, match="rng"):
        render_words(data, indices, augment=True)


def test_strong_augmentation_is_seeded_keeps_labels_and_differs_from_standard(data):
    indices = np.arange(len(data) - 1)
    standard, texts, _ = render_words(data, indices, rng=7, augment=True)
    strong, strong_texts, kept = render_words(data, indices, rng=7, augment=True,
                                              strength="strong")
    again, _, _ = render_words(data, indices, rng=7, augment=True, strength="strong")
    assert strong_texts == texts and list(kept) == list(indices)
    for a, b in zip(strong, again):
        np.testing.assert_array_equal(a, b)
    assert sum(a.shape != b.shape or np.abs(a - b).max() > 0.1
               for a, b in zip(strong, standard)) >= len(indices) - 1
    with pytest.raises(ValueError, match="strength"):
        render_words(data, indices, rng=7, augment=True, strength="wild")


def test_the_warp_along_the_line_keeps_letters_in_order_and_the_baseline_near():
    x = np.linspace(-4.0, 4.0, 801)
    unit = np.stack([np.tile(x, 50), np.zeros(801 * 50)], axis=1)  # 50 flat words
    owner = np.repeat(np.arange(50), 801)
    warped = _warp_along_line(unit, owner, 50, np.random.default_rng(0)).reshape(50, 801, 2)
    steps = np.diff(warped[:, :, 0], axis=1) / np.diff(x)
    # Each stretch moves x by a wave whose slope is at most STRETCH_SLOPE: nothing crosses.
    assert steps.min() >= 1 - word_render.STRETCH_SLOPE - 1e-9
    assert steps.max() <= 1 + word_render.STRETCH_SLOPE + 1e-9
    assert steps.min() < 0.9 and steps.max() > 1.1  # and it does stretch and squeeze
    assert np.abs(warped[:, :, 1]).max() <= word_render.BASELINE_AMPLITUDE
    assert np.abs(warped[:, :, 1]).max() > word_render.BASELINE_AMPLITUDE / 2


@pytest.mark.parametrize("strength", ["standard", "strong"])
def test_augmented_pads_keep_the_word_inside_the_pad(data, strength):
    pads = render_word_pads(data, np.arange(len(data) - 1), rng=np.random.default_rng(3),
                            augment=True, strength=strength)
    for pad in pads:
        assert pad.shape[0] == word_render.PAD_HEIGHT and pad.shape[1] >= pad.shape[0]
        assert pad[0].max() == 0 and pad[-1].max() == 0  # never cut at the top or bottom
        assert pad[:, 0].max() == 0 and pad[:, -1].max() == 0


def test_tempering_keeps_a_third_of_the_rotation_and_all_of_the_shear():
    rng = np.random.RandomState(0)
    before = rng.uniform(-1, 1, size=(200, 2)) * [3.0, 0.6]  # a wide word's points
    owner = np.repeat([0, 1], 100)

    def rotation(degrees):
        a = np.radians(degrees)
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    shear_aspect = np.array([[1.1, 0.2], [0.0, 1 / 1.1]])
    maps = [rotation(12.0) @ shear_aspect, rotation(-9.0) @ shear_aspect]
    after = np.concatenate([before[owner == k] @ maps[k].T for k in range(2)])
    tempered = _temper_rotation(before, after, owner, 2, kept=1.0 / 3.0)
    for k, degrees in enumerate((4.0, -3.0)):
        expected = before[owner == k] @ (rotation(degrees) @ shear_aspect).T
        np.testing.assert_allclose(tempered[owner == k], expected, atol=1e-9)
