"""The word reader the page and the tools share (pycnn/read/word_reader.py): pixels in, the
raw reading, the best words, each character's frames and a strip of frames out; and the
models it refuses.

Only pytest, NumPy and pycnn, so it also runs on Python 3.8 + NumPy 1.17.5 (`make compat`).
"""

import numpy as np
import pytest

from pycnn.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, save_model
from pycnn.nn.sequence import Collapse, Conv1D, MaxPoolHeight, TimeDense
from pycnn.nn.serialize import ModelFileError
from pycnn.read.charsets import CharsetError
from pycnn.read.lexicon import lexicon_from_words
from pycnn.read.word_preprocess import (
    HEIGHT,
    MAX_WIDTH,
    WORD_PREPROCESS_VERSION,
    WordTooLongError,
    preprocess_word,
)
from pycnn.read.word_reader import (
    BLANK_LABEL,
    TOP,
    WordModelError,
    WordReader,
    empty_reading,
)

CHARACTERS = [chr(code) for code in range(33, 127)]
LABELS = [BLANK_LABEL] + CHARACTERS
METADATA = {"task": "words", "blank": 0, "word_preprocess_version": WORD_PREPROCESS_VERSION}


def word_layers(n_classes):
    """The trainer's words-tiny network (pycnn/train_words.py): the width pooled by 4."""
    return [Conv2D(4, 3, padding="same"), ReLU(), MaxPool2D(2),
            Conv2D(8, 3, padding="same"), ReLU(), MaxPool2D(2), MaxPoolHeight(2),
            Collapse(), Conv1D(16, 3), ReLU(), TimeDense(n_classes)]


def word_model(labels=LABELS, metadata=METADATA, input_shape=(1, HEIGHT, MAX_WIDTH), seed=2,
               favour=None):
    """A random word model; with `favour`, every frame reads that class (its last layer's
    weights zero, its bias high for that class)."""
    model = Sequential(word_layers(len(labels)), input_shape=input_shape, labels=labels,
                       seed=seed, metadata=metadata)
    if favour is not None:
        last = model.layers[-1]
        last.params["weight"][...] = 0
        last.params["bias"][...] = 0
        last.params["bias"][labels.index(favour)] = 8.0
    return model


def saved(tmp_path, model, name="words.npz"):
    path = tmp_path / name
    save_model(model, path)
    return path


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return saved(tmp_path_factory.mktemp("words"), word_model())


def pad(width=300, height=96, bars=((40, 90), (110, 160), (180, 250))):
    """A transparent word pad with a few slanted bars of ink in alpha, like the page's."""
    pixels = np.zeros((height, width, 4), np.uint8)
    for left, right in bars:
        for y in range(25, 70):
            x = left + (y - 25) * (right - left - 8) // 45
            pixels[y, x:x + 8, 3] = 255
    return pixels


def test_a_word_pad_gives_a_reading_with_its_frames(model_path):
    reader = WordReader(model_path)
    pixels = pad()
    result = reader.read_pixels(pixels.tobytes(), 300, 96)
    assert result["empty"] is False
    x = preprocess_word(pixels)
    frames = x.shape[1] // 4
    assert reader.columns_per_frame == 4.0 == result["columns_per_frame"]
    assert len(result["frames"]) == len(result["frame_confidence"]) == frames
    assert all(f == "" or f in CHARACTERS for f in result["frames"])
    assert all(0 < p <= 1 for p in result["frame_confidence"])
    assert isinstance(result["raw"], str) and len(result["spans"]) == len(result["raw"])
    for start, stop in result["spans"]:
        assert 0 <= start < stop <= frames
    assert 1 <= len(result["words"]) <= TOP
    scores = [score for _, score in result["words"]]
    assert scores == sorted(scores, reverse=True)
    assert len(result["kinds"]) == len(result["words"])
    assert all(kind == "text" for kind in result["kinds"])  # no lexicon
    assert isinstance(result["unsure"], bool)
    # The pad's bytes, the array, and the preprocessed image read the same.
    assert reader.read_image(pixels) == result
    assert reader.read_inputs([x])[0] == result
    assert reader.last_input.shape == x.shape


def test_a_model_that_reads_one_letter_everywhere(tmp_path):
    reader = WordReader(saved(tmp_path, word_model(favour="a")),
                        lexicon=lexicon_from_words(["a", "an", "cat"]))
    result = reader.read_pixels(pad(), 300, 96)
    frames = len(result["frames"])
    assert result["frames"] == ["a"] * frames
    assert result["raw"] == "a" and result["spans"] == [[0, frames]]
    assert result["words"][0][0] == "a" and result["kinds"][0] == "lexicon"
    assert result["word_spans"] == [[0, frames]]
    # Within the digits, the frames read no letter: every candidate is a number.
    digits = reader.read_pixels(pad(), 300, 96, charset="digits")
    assert all(f == "" or f.isdigit() for f in digits["frames"])
    assert all(w.isdigit() for w, _ in digits["words"])


def test_batches_of_words_of_several_widths_read_as_each_alone(model_path):
    reader = WordReader(model_path)
    images = [preprocess_word(pad(width=w, bars=bars)) for w, bars in (
        (300, ((40, 90), (110, 160), (180, 250))), (120, ((30, 80),)),
        (500, ((40, 90), (110, 160), (180, 250), (300, 350), (400, 460))))]
    assert len(set(im.shape[1] for im in images)) == 3
    together = reader.read_inputs(images)
    for image, result in zip(images, together):
        alone = reader.read_input(image)
        assert alone["raw"] == result["raw"] and alone["frames"] == result["frames"]
        np.testing.assert_allclose([s for _, s in alone["words"]],
                                   [s for _, s in result["words"]], rtol=1e-4, atol=1e-4)


def test_an_empty_pad_and_a_line_too_long_for_one_word(model_path):
    reader = WordReader(model_path)
    assert reader.read_pixels(np.zeros((96, 300, 4), np.uint8), 300, 96) == empty_reading()
    assert reader.last_logits is None
    line = np.zeros((40, 4000, 4), np.uint8)
    line[10:30, 5:3995, 3] = 255
    with pytest.raises(WordTooLongError, match="too long to read as one word"):
        reader.read_pixels(line, 4000, 40)


def test_bad_pixels_and_sets_are_refused_before_any_work(model_path):
    reader = WordReader(model_path)
    with pytest.raises(TypeError, match="uint8"):
        reader.read_pixels(pad().astype(np.float32), 300, 96)
    with pytest.raises(ValueError, match="RGBA bytes"):
        reader.read_pixels(pad().tobytes()[:-4], 300, 96)
    with pytest.raises(ValueError, match="width"):
        reader.read_pixels(pad(), 0, 96)
    with pytest.raises(CharsetError, match="did you mean"):
        reader.read_pixels(pad(), 300, 96, charset="digts")
    with pytest.raises(CharsetError, match="too long"):
        reader.read_pixels(pad(), 300, 96, charset="a" * 1000)


def _refused(tmp_path, model, *words):
    with pytest.raises(WordModelError) as caught:
        WordReader(saved(tmp_path, model))
    for word in words:
        assert word in str(caught.value)


def test_models_that_are_not_word_models_are_refused(tmp_path):
    _refused(tmp_path, word_model(labels=CHARACTERS + ["<b>"]), "first label", BLANK_LABEL)
    _refused(tmp_path, word_model(metadata=dict(METADATA, task="characters")), "task")
    _refused(tmp_path, word_model(metadata=dict(METADATA, blank=3)), "blank")
    _refused(tmp_path, word_model(metadata=dict(METADATA, word_preprocess_version=99)),
             "version 99")
    _refused(tmp_path, word_model(input_shape=(1, 28, MAX_WIDTH)), "(1, 32, W)")
    _refused(tmp_path, word_model(input_shape=(1, HEIGHT, 256)), "up to 512")
    # A classifier is refused by the model loader itself, saying what it is.
    classifier = Sequential([Conv2D(4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(3)],
                            input_shape=(1, 28, 28), labels=list("abc"))
    with pytest.raises(ModelFileError, match="not a sequence"):
        WordReader(saved(tmp_path, classifier, "classifier.npz"))


def test_a_model_without_metadata_is_judged_by_its_labels_and_shape(tmp_path):
    reader = WordReader(saved(tmp_path, word_model(metadata=None, labels=[BLANK_LABEL]
                                                   + list("abc"))))
    assert reader.labels == list("abc")
    assert set(reader.read_pixels(pad(), 300, 96)["frames"]) <= {"", "a", "b", "c"}


def test_a_broken_models_output_is_an_error_not_a_reading(tmp_path, model_path):
    reader = WordReader(model_path)
    logits = np.zeros((10, len(LABELS)))
    logits[3, 4] = np.nan
    with pytest.raises(WordModelError, match="not a number"):
        reader.read_logits(logits)
    with pytest.raises(ValueError, match="shape"):
        reader.read_logits(np.zeros((10, 5)))
