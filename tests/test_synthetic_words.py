"""Synthetic words from one writer's isolated characters (pycnn/data/synthetic_words.py):
each letter a sample of that writer's, at its own size, on one baseline, left to right."""

import numpy as np
import pytest
from test_words_data import word_arrays

from pycnn.data import synthetic_words as sw
from pycnn.data.unipen import DEFAULT_MAPPING, StrokeData
from pycnn.data.words import WordData

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# ann's small letters are 100 tablet units high (x-height), her tall ones 190 and 60 wide;
# bob wrote only five letters, too few to lend any.
TALL = set("bdfhklt")


def letter(height, width, x, y):
    """A letter as two strokes: its left side, and a diagonal across its box."""
    return [[(x, y), (x, y + height)], [(x, y + height), (x + width, y)]]


def characters():
    samples = []  # (writer, char, strokes)
    for k, char in enumerate(LETTERS):
        height = 190 if char in TALL else 100
        for copy in range(2):  # two samples each, somewhere on the tablet
            samples.append(("ann", char, letter(height, 60 + 10 * copy, 500 * k, 300 * copy)))
    for char in "abcde":
        samples.append(("bob", char, letter(40, 30, 0, 0)))
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for _, _, strokes in samples:
        for stroke in strokes:
            points += stroke
            stroke_offsets.append(len(points))
        sample_offsets.append(len(stroke_offsets) - 1)
    mapping = list(DEFAULT_MAPPING)
    return StrokeData({
        "labels": np.array([mapping.index(c) for _, c, _ in samples], dtype=np.uint8),
        "mapping": np.array(mapping), "source": np.full(len(samples), "kai"),
        "section": np.full(len(samples), "1c"),
        "writer": np.array([w for w, _, _ in samples]),
        "points": np.array(points, dtype=np.int16),
        "stroke_offsets": np.array(stroke_offsets, dtype=np.int64),
        "sample_stroke_offsets": np.array(sample_offsets, dtype=np.int64)})


@pytest.fixture(scope="module")
def chars():
    return characters()


def test_a_word_is_its_writers_letters_left_to_right_on_one_baseline(chars):
    words = sw.synthetic_words(chars, np.arange(len(chars)), ["hay", "dog"], 20, seed=1)
    assert isinstance(words, WordData) and len(words) == 20
    assert set(words.text.tolist()) == {"hay", "dog"}
    assert set(words.writers.tolist()) == {"ann"}  # bob has too few letters
    for i in range(len(words)):
        strokes = words.strokes(i)
        text = words.label(i)
        assert len(strokes) == 2 * len(text)  # every letter's two strokes, no more
        boxes = []
        for k, char in enumerate(text):
            ink = np.concatenate(strokes[2 * k:2 * k + 2])
            boxes.append((ink[:, 0].min(), ink[:, 1].min(), ink[:, 0].max(), ink[:, 1].max()))
            height = boxes[-1][3] - boxes[-1][1]
            assert height == (190 if char in TALL else 100)  # the writer's own size
            if char in sw.DESCENDERS:
                assert boxes[-1][1] == -100  # its top at the x-height
            else:
                assert boxes[-1][3] == 0  # standing on the baseline
        for (_, _, right, _), (left, _, _, _) in zip(boxes, boxes[1:]):
            gap = left - right
            assert sw.GAP[0] * 100 - 1 <= gap <= sw.GAP[1] * 100 + 1


def test_synthetic_words_are_seeded_and_skip_what_no_writer_can_spell(chars):
    a = sw.synthetic_word_arrays(chars, np.arange(len(chars)), ["cab", "XYZ"], 30, seed=4)
    b = sw.synthetic_word_arrays(chars, np.arange(len(chars)), ["cab", "XYZ"], 30, seed=4)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert set(a["text"].tolist()) == {"cab"}  # no capitals among ann's letters
    assert len(a["text"]) == 30  # a text no writer can spell is tried again, not kept
    only_bob = np.flatnonzero(chars.writers == "bob")
    assert len(sw.synthetic_words(chars, only_bob, ["cab"], 5, seed=0)) == 0
    assert sw.spellable(["cab", "", "Cab", "x y"], set(LETTERS)) == ["cab"]


def test_joined_words_keep_every_word_of_both(chars):
    # The stored label \\\" is the text \" once unescaped, and must stay so.
    first = WordData(word_arrays(["bed", '\\\\\\"', "ox"], writers=["w0", "w1", "w2"]))
    assert first.text.tolist() == ["bed", '\\"', "ox"]
    second = sw.synthetic_words(chars, np.arange(len(chars)), ["fig"], 4, seed=1)
    joined = sw.join_words(first, second)
    assert len(joined) == 7
    assert joined.text.tolist() == first.text.tolist() + second.text.tolist()
    assert joined.writers.tolist() == ["w0", "w1", "w2"] + ["ann"] * 4
    for i in range(7):
        source, k = (first, i) if i < 3 else (second, i - 3)
        assert len(joined.strokes(i)) == len(source.strokes(k))
        for a, b in zip(joined.strokes(i), source.strokes(k)):
            np.testing.assert_array_equal(a, b)
