"""The page's word requests (pycnn.page.api's words_*, done by pycnn.page.word_api), called the
way web/worker.js calls them: a request type, its fields as JSON, one binary part.

Most tests use a small random word model made here and the shipped word list, so they hold
whatever model ships; the page's readings are checked against `WordReader` itself (the one
path `python -m pycnn.predict --words` takes), never against what a model happens to read.
The tests on the shipped word model (weights/words.npz) skip where it is absent.

Only pytest, NumPy and pycnn, so it also runs on Python 3.8 + NumPy 1.17.5 (`make compat`).
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from pycnn.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Softmax, save_model
from pycnn.nn.sequence import Collapse, Conv1D, MaxPoolHeight, TimeDense
from pycnn.page import word_api
from pycnn.page.api import PageApi
from pycnn.read.charsets import CharsetError
from pycnn.read.lexicon import lexicon_from_words, load_lexicon
from pycnn.read.preprocess import crop_to_ink, ink_from_pixels
from pycnn.read.word_preprocess import (
    HEIGHT,
    MAX_WIDTH,
    WORD_PREPROCESS_VERSION,
    WordTooLongError,
    frame_columns,
    preprocess_word,
    word_scale,
)
from pycnn.read.word_reader import BLANK_LABEL, WordReader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEXICON = os.path.join(ROOT, "weights", "lexicon-en.tsv.gz")
WORDS_MODEL = os.path.join(ROOT, "weights", "words.npz")
CHARACTERS = [chr(code) for code in range(33, 127)]
LABELS = [BLANK_LABEL] + CHARACTERS
PAD_W, PAD_H = 300, 96


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A random word model shaped as the trainer's (the width pooled by 4)."""
    model = Sequential(
        [Conv2D(4, 3, padding="same"), ReLU(), MaxPool2D(2), Conv2D(8, 3, padding="same"),
         ReLU(), MaxPool2D(2), MaxPoolHeight(2), Collapse(), Conv1D(16, 3), ReLU(),
         TimeDense(len(LABELS))],
        input_shape=(1, HEIGHT, MAX_WIDTH), labels=LABELS, seed=3,
        metadata={"task": "words", "blank": 0,
                  "word_preprocess_version": WORD_PREPROCESS_VERSION})
    path = tmp_path_factory.mktemp("words") / "words.npz"
    save_model(model, path)
    return str(path)


@pytest.fixture(scope="module")
def character_model(tmp_path_factory):
    """The page's character model, which the word requests leave alone."""
    model = Sequential([Conv2D(2, 3), ReLU(), Flatten(), Dense(3), Softmax()],
                       input_shape=(1, 28, 28), labels=list("abc"), seed=1)
    path = tmp_path_factory.mktemp("characters") / "model.npz"
    save_model(model, path)
    return str(path)


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(LEXICON)


@pytest.fixture()
def api(character_model, model_path):
    """A PageApi with the word model and the shipped word list loaded."""
    page = PageApi(character_model)
    call(page, "words_load", id=1, model=model_path, lexicon=LEXICON)
    return page


def call(api, request_type, data=None, **fields):
    """One request as the worker sends it: (reply, payload bytes or None)."""
    reply_json, payload = api.handle(request_type, json.dumps(fields), data)
    assert isinstance(reply_json, str)
    assert payload is None or isinstance(payload, bytes)
    return json.loads(reply_json), payload


class JsTypedArray:
    """What a JS Uint8Array is to Python in Pyodide 0.17: a JsProxy whose to_py() copies."""

    def __init__(self, data):
        self.data = bytes(data)

    def to_py(self):
        return memoryview(self.data)


def pad(width=PAD_W, height=PAD_H, bars=((40, 90), (110, 160), (180, 250))):
    """A transparent word pad with slanted bars of ink in alpha, as the page's."""
    pixels = np.zeros((height, width, 4), np.uint8)
    for left, right in bars:
        for y in range(height // 4, height * 3 // 4):
            x = left + (y - height // 4) * (right - left - 8) // (height // 2)
            pixels[y, x:x + 8, 3] = 255
    return pixels


def zigzags(width, height, strokes, seed=0):
    """A pad scribbled over with `strokes` zigzags across its whole height."""
    rng = np.random.RandomState(seed)
    pixels = np.zeros((height, width, 4), np.uint8)
    for _ in range(strokes):
        x = rng.randint(0, width - 40)
        for y in range(height):
            column = x + int(20 + 18 * math.sin(y / 3.0))
            pixels[y, column:column + 3, 3] = 255
    return pixels


def reading_fields(reply):
    keys = ("empty", "raw", "spans", "words", "kinds", "word_spans", "frames",
            "frame_confidence", "columns_per_frame", "unsure")
    return {key: reply[key] for key in keys}


def assert_same_reading(got, expected):
    """The same reading: every text, span and frame equal, and every number to the last few
    bits (NumPy's sums may round differently for an array at another address)."""
    assert set(got) == set(expected)
    for key in expected:
        if key == "words":
            assert [w for w, _ in got[key]] == [w for w, _ in expected[key]]
            np.testing.assert_allclose([s for _, s in got[key]],
                                       [s for _, s in expected[key]], rtol=1e-12)
        elif key == "frame_confidence":
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-12)
        else:
            assert got[key] == expected[key], key


def as_json(reading):
    """A WordReader reading as the page receives it (tuples become lists)."""
    return json.loads(json.dumps(reading))


# --- loading -----------------------------------------------------------------------------------

def test_words_load_describes_the_reader_and_a_second_load_costs_nothing(api, model_path):
    reply, payload = call(api, "words_load", id=2, model=model_path, lexicon=LEXICON)
    assert payload is None
    assert reply == {"characters": CHARACTERS, "lexicon_words": len(load_lexicon(LEXICON)),
                     "columns_per_frame": 4.0, "personal": 0}
    reader = api.word_api.reader
    call(api, "words_load", id=3, model=model_path, lexicon=LEXICON)
    assert api.word_api.reader is reader  # nothing loaded again


def test_info_lists_the_word_requests(character_model):
    reply, _ = call(PageApi(character_model), "info", id=1)
    assert {"words_load", "words_read", "words_reread", "words_personal",
            "words_inspect"} <= set(reply["requests"])


def test_word_requests_before_words_load_are_refused_with_a_sentence(character_model):
    api = PageApi(character_model)
    with pytest.raises(ValueError, match="words_load first"):
        call(api, "words_read", pad().tobytes(), id=1, width=PAD_W, height=PAD_H)
    with pytest.raises(ValueError, match="words_load first"):
        call(api, "words_personal", id=2, words=[])


def test_a_bad_model_or_word_list_is_refused_and_nothing_changes(api, model_path, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"word\tnot-a-number\n")
    with pytest.raises(ValueError, match="line 1"):
        call(api, "words_load", id=4, model=model_path, lexicon=str(bad))
    with pytest.raises(ValueError):
        call(api, "words_load", id=5, model=str(tmp_path / "missing.npz"), lexicon=LEXICON)
    with pytest.raises(ValueError, match="path"):
        call(api, "words_load", id=6, model=None, lexicon=LEXICON)
    reply, _ = call(api, "words_read", pad().tobytes(), id=7, width=PAD_W, height=PAD_H)
    assert reply["empty"] is False


def test_starting_the_page_and_reading_a_character_imports_no_word_module(character_model):
    """Character mode's start-up costs nothing for words: pycnn.page.word_api, the word
    reader, decoder, preprocessing, word list and CTC load on the first word request.
    (pycnn.nn.sequence is imported by pycnn.nn.model, which model files need.)"""
    if sys.platform == "emscripten":
        pytest.skip("no subprocess in Pyodide")
    script = (
        "import json, sys\n"
        "from pycnn.page.api import PageApi\n"
        "api = PageApi(sys.argv[1])\n"
        "api.handle('recognise', json.dumps({'id': 1, 'width': 8, 'height': 8}),\n"
        "           bytes(255 if i % 4 == 3 and i // 32 == 3 else 0 for i in range(256)))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pycnn'))))\n")
    out = subprocess.run([sys.executable, "-c", script, character_model], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    modules = set(json.loads(out))
    assert "pycnn.page.api" in modules and "pycnn.read.recognizer" in modules
    assert not {m for m in modules if m.startswith(("pycnn.read.word_", "pycnn.page.word_"))}
    assert not modules & {"pycnn.read.lexicon", "pycnn.nn.ctc"}


# --- reading -----------------------------------------------------------------------------------

def test_words_read_gives_exactly_what_the_word_reader_gives(api, model_path, lexicon):
    reader = WordReader(model_path, lexicon=lexicon)
    for charset in ("all", "lower", "digits", "abc"):
        pixels = pad()
        reply, payload = call(api, "words_read", JsTypedArray(pixels.tobytes()), id=10,
                              width=PAD_W, height=PAD_H, set=charset)
        expected = as_json(reader.read_pixels(pixels.tobytes(), PAD_W, PAD_H, charset))
        assert_same_reading(reading_fields(reply), expected)
        assert reply["set"] == charset and reply["too_long"] is False
        assert reply["message"] is None
        image = preprocess_word(pixels)
        assert reply["input_shape"] == list(image.shape)
        np.testing.assert_array_equal(
            np.frombuffer(payload, "<f4").reshape(image.shape), image)
        assert len(reply["frames"]) == image.shape[1] // 4


def test_the_pad_field_places_every_frame_on_the_pad(api):
    """A thin bar at pad column 200 lands in the frame whose pad columns hold it."""
    pixels = np.zeros((PAD_H, PAD_W, 4), np.uint8)
    pixels[20:76, 60:64, 3] = 255  # the ink's box starts at column 60
    pixels[20:76, 200:202, 3] = 255
    reply, payload = call(api, "words_read", pixels.tobytes(), id=11, width=PAD_W,
                          height=PAD_H)
    x0, dx = reply["pad"]["x0"], reply["pad"]["dx"]
    image = np.frombuffer(payload, "<f4").reshape(reply["input_shape"])
    columns = np.flatnonzero(image.sum(axis=0) > 0.5 * image.sum(axis=0).max())
    # Image column u comes from pad column x0 + u * dx / columns_per_frame.
    per_column = dx / reply["columns_per_frame"]
    for u, x in ((columns[0], 60), (columns[-1], 201)):
        assert abs(x0 + (u + 0.5) * per_column - (x + 0.5)) <= per_column + 1
    frames = len(reply["frames"])
    assert x0 <= 60 and x0 + frames * dx >= 201 - dx


def test_frame_columns_is_the_preprocessing_geometry():
    # A 28 px high box at the pad's full scale: 1:1, centred with the margin.
    scale, width = word_scale(28, 100, 96, 400)
    assert scale == pytest.approx(28 / 38.4)  # scaled as if 0.4 of the pad's height
    x0, dx = frame_columns(50, 28, 100, 96, 400, 4.0)
    offset = (width - 100 * scale) / 2
    assert x0 == pytest.approx(50 - offset / scale)
    assert dx == pytest.approx(4.0 / scale)
    with pytest.raises(WordTooLongError):
        frame_columns(0, 10, 4000, 96, 4096, 4.0)


def test_ink_box_is_the_box_the_preprocessing_crops(api):
    pixels = pad(bars=((33, 70), (120, 191)))
    pixels[5, 250, 3] = 30  # faint: below the ink threshold, outside the box
    ink = ink_from_pixels(pixels)
    left, box_h, box_w = word_api.ink_box(ink)
    _, crop = crop_to_ink(ink)
    assert crop.shape == (box_h, box_w)
    rows = np.flatnonzero((ink >= 0.2).any(axis=1))
    np.testing.assert_array_equal(
        np.where(crop < 0.05, 0, crop),
        np.where(ink[rows[0]:rows[0] + box_h, left:left + box_w] < 0.05, 0,
                 ink[rows[0]:rows[0] + box_h, left:left + box_w]))


def test_an_empty_pad_reads_as_empty_and_forgets_the_last_word(api):
    reply, _ = call(api, "words_read", pad().tobytes(), id=20, width=PAD_W, height=PAD_H)
    assert reply["empty"] is False
    reply, payload = call(api, "words_read", np.zeros(PAD_W * PAD_H * 4, np.uint8).tobytes(),
                          id=21, width=PAD_W, height=PAD_H)
    assert payload is None
    assert reply["empty"] is True and reply["words"] == [] and reply["pad"] is None
    assert reply["too_long"] is False and reply["input_shape"] is None
    assert call(api, "words_reread", id=22, recognition=20, set="all")[0]["words"] is None
    assert call(api, "words_inspect", id=23, recognition=20)[0]["layout"] is None


def test_writing_too_long_for_one_word_is_answered_with_a_sentence(api):
    width, height = 4000, 100
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[40:60, 10:3990, 3] = 255  # a line of writing across a very wide pad
    reply, payload = call(api, "words_read", pixels.tobytes(), id=30, width=width,
                          height=height)
    assert payload is None
    assert reply["too_long"] is True and reply["empty"] is True
    assert reply["message"] == "Too long to read as one word: write a shorter word or split it."
    assert reply["words"] == [] and reply["pad"] is None
    assert call(api, "words_reread", id=31, recognition=30, set="all")[0]["words"] is None


def test_a_pad_full_of_zigzag_strokes_is_answered(api):
    for width, height in ((1200, 200), (4096, 100)):
        reply, _ = call(api, "words_read", zigzags(width, height, 300).tobytes(), id=32,
                        width=width, height=height)
        assert reply["too_long"] or (reply["empty"] is False and reply["words"])


def test_bad_reads_are_refused_with_sentences(api):
    data = pad().tobytes()
    with pytest.raises(CharsetError):
        call(api, "words_read", data, id=40, width=PAD_W, height=PAD_H, set="\u00e9\u00e8")
    with pytest.raises(ValueError, match="width"):
        call(api, "words_read", data, id=41, width=PAD_W + 0.5, height=PAD_H)
    with pytest.raises(ValueError, match="width and height"):
        call(api, "words_read", data, id=42, height=PAD_H)
    with pytest.raises(ValueError, match="height"):
        call(api, "words_read", data, id=43, width=PAD_W, height=0)
    with pytest.raises(ValueError, match="pixels"):
        call(api, "words_read", None, id=44, width=PAD_W, height=PAD_H)
    with pytest.raises(ValueError):
        call(api, "words_read", data[:-4], id=45, width=PAD_W, height=PAD_H)


# --- reading again within a set -----------------------------------------------------------------

def test_words_reread_decodes_the_kept_frames_within_another_set(api, model_path, lexicon):
    reader = WordReader(model_path, lexicon=lexicon)
    first, _ = call(api, "words_read", pad().tobytes(), id=50, width=PAD_W, height=PAD_H)
    logits = api.word_api.latest["logits"].copy()
    for charset in ("digits", "upper", "all"):
        reply, payload = call(api, "words_reread", id=51, recognition=50, set=charset)
        assert payload is None
        assert_same_reading(reading_fields(reply), as_json(reader.read_logits(logits, charset)))
        assert reply["set"] == charset and reply["pad"] == first["pad"]
        assert reply["input_shape"] == first["input_shape"]
    again, _ = call(api, "words_reread", id=52, recognition=50, set="all")
    assert reading_fields(again) == reading_fields(first)


def test_words_reread_of_a_stale_word_gives_no_words_and_a_bad_set_is_an_error(api):
    call(api, "words_read", pad().tobytes(), id=60, width=PAD_W, height=PAD_H)
    assert call(api, "words_reread", id=61, recognition=59, set="digits")[0] == {
        "words": None, "set": "digits"}
    with pytest.raises(CharsetError):
        call(api, "words_reread", id=62, recognition=59, set="\u00e9\u00e8")
    with pytest.raises(ValueError, match="recognition"):
        call(api, "words_reread", id=63, set="all")


# --- personal words ----------------------------------------------------------------------------

ZORBLAT = "Zorblat"
OTHER = "Xqwvkjy"  # what the frames say a little more clearly: no word in any list


def frames_between(first, second, margin=0.05):
    """Logits (T, 95) whose frames read each letter of `first`, with the letter of `second`
    at the same place only `margin` (natural log) less likely; blanks between letters."""
    rows = []
    for a, b in zip(first, second):
        letter = np.zeros(len(LABELS))
        letter[LABELS.index(a)] = 6.0
        letter[LABELS.index(b)] = 6.0 - margin
        blank = np.zeros(len(LABELS))
        blank[0] = 8.0
        rows += [letter, blank]
    return np.array(rows)


def test_a_personal_word_is_read_once_added(api):
    call(api, "words_read", pad().tobytes(), id=70, width=PAD_W, height=PAD_H)
    api.word_api.latest["logits"] = frames_between(OTHER, ZORBLAT)
    before, _ = call(api, "words_reread", id=71, recognition=70, set="all")
    assert before["words"][0][0] != ZORBLAT
    assert call(api, "words_personal", id=72, words=[[ZORBLAT, 1]])[0] == {"personal": 1}
    after, _ = call(api, "words_reread", id=73, recognition=70, set="all")
    assert after["words"][0][0] == ZORBLAT and after["kinds"][0] == "lexicon"
    assert after["raw"] == before["raw"] == OTHER
    # Replaced by another list, it is gone again.
    call(api, "words_personal", id=74, words=[["other", 2]])
    assert call(api, "words_reread", id=75, recognition=70, set="all")[0] == before


def test_personal_words_leave_every_other_reading_as_it_was(api, model_path, lexicon):
    """The merged word list renormalises its priors; the shift is undone, so readings and
    scores of words outside the personal list do not move."""
    call(api, "words_personal", id=80,
         words=[["zzq%d" % i, 1 + i % 7] for i in range(2000)] + [["the", 5]])
    assert api.word_api.shift > 0.5  # a shift large enough to matter
    reader = WordReader(model_path, lexicon=lexicon)
    plain = lambda s: as_json(reader.read_logits(frames_between(s, s, 0.0), "all"))  # noqa: E731
    api.word_api.latest = {"id": 81, "logits": None, "input": np.zeros((32, 32)),
                           "pad": {"x0": 0.0, "dx": 1.0}}
    for text in ("house", "Hat", "cat", "1998"):
        api.word_api.latest["logits"] = frames_between(text, text, 0.0)
        reply, _ = call(api, "words_reread", id=82, recognition=81, set="all")
        assert_same_reading(reading_fields(reply), plain(text))


def test_the_merged_word_list_holds_both_in_order_with_the_boosted_priors(lexicon):
    floor = word_api.personal_floor(lexicon)
    assert floor == pytest.approx(np.sort(lexicon.log_prior)[::-1][99])
    merged, shift = word_api.with_personal_words(
        lexicon, {"Zorblat": 1, "the": 1, "aardvarkian": 100, "x" * 64: 10**6})
    assert len(merged) == len(lexicon) + 3
    assert merged.words == sorted(lexicon.words + ["Zorblat", "aardvarkian", "x" * 64])
    assert [k.decode() for k in merged.keys.tolist()] == merged.words
    prior = {w: merged.log_prior_of(w) + shift for w in ("Zorblat", "aardvarkian", "the",
                                                           "house", "x" * 64)}
    assert prior["Zorblat"] == pytest.approx(floor)
    assert prior["aardvarkian"] == pytest.approx(floor + 0.5 * math.log(100))
    assert prior["x" * 64] == pytest.approx(floor + 0.5 * math.log(100))  # capped
    assert prior["the"] == pytest.approx(lexicon.log_prior_of("the"))  # already higher
    assert prior["house"] == pytest.approx(lexicon.log_prior_of("house"))
    assert len(merged.trie.levels) == 64


def test_a_tiny_word_list_gives_its_rarest_word_as_the_floor():
    small = lexicon_from_words(["a", "b", "c"], [3, 2, 1])
    assert word_api.personal_floor(small) == pytest.approx(math.log(1 / 6))


@pytest.mark.parametrize("words, message", [
    ("Zorblat", "list of"),
    ([["Zorblat"]], "Entry 1 .* pair"),
    ([["ok", 1], [3, 1]], "Entry 2 .* not a word"),
    ([["", 1]], "0 characters"),
    ([["x" * 65, 1]], "65 characters"),
    ([["two words", 1]], "a space"),
    ([["tab\there", 1]], "a space"),
    ([["bell\x07", 1]], "not printable"),
    ([["caf\u00e9", 1]], "cannot be written"),
    ([["word", 0]], "count"),
    ([["word", -2]], "count"),
    ([["word", 1.5]], "count"),
    ([["word", True]], "count"),
    ([["word", "3"]], "count"),
])
def test_a_bad_personal_list_is_refused_with_a_sentence_and_nothing_changes(api, words,
                                                                              message):
    call(api, "words_personal", id=90, words=[["kept", 1]])
    with pytest.raises(word_api.PersonalWordsError, match=message) as refused:
        call(api, "words_personal", id=91, words=words)
    assert str(refused.value)[0].isupper() and str(refused.value).endswith(".")
    assert api.word_api.personal == {"kept": 1}


def test_a_million_personal_words_are_refused_at_once(api):
    with pytest.raises(word_api.PersonalWordsError, match="at most 10,000 words, not 1,000,000"):
        call(api, "words_personal", id=92, words=[["w", 1]] * 10 ** 6)
    assert call(api, "words_personal", id=93, words=[["w%d" % i, 1] for i in range(10000)]
                )[0] == {"personal": 10000}


def test_repeated_personal_words_add_up_and_an_empty_list_clears_them(api, lexicon):
    reply, _ = call(api, "words_personal", id=94, words=[["Zorblat", 2], ["Zorblat", 3]])
    assert reply == {"personal": 1} and api.word_api.personal == {"Zorblat": 5}
    assert call(api, "words_personal", id=95, words=[])[0] == {"personal": 0}
    assert api.word_api.reader.lexicon is api.word_api.lexicon
    assert api.word_api.shift == 0.0


# --- Look inside ---------------------------------------------------------------------------------

def test_words_inspect_gives_every_layer_of_the_latest_word(api):
    reply, _ = call(api, "words_read", pad().tobytes(), id=100, width=PAD_W, height=PAD_H)
    logits = api.word_api.latest["logits"]
    inside, payload = call(api, "words_inspect", id=101, recognition=100)
    layout = inside["layout"]
    model = api.word_api.reader.model
    assert [entry["name"] for entry in layout] == \
        [layer.name for layer in model.layers] + ["Probabilities"]
    values = np.frombuffer(payload, "<f4")
    sizes = [int(np.prod(entry["shape"])) for entry in layout]
    assert [entry["offset"] for entry in layout] == list(np.cumsum([0] + sizes[:-1]))
    assert values.size == sum(sizes)
    assert layout[0]["shape"][1:] == reply["input_shape"]
    last = layout[-2]
    frames = values[last["offset"]:last["offset"] + sizes[-2]].reshape(last["shape"])
    np.testing.assert_allclose(frames, logits, rtol=1e-5, atol=1e-5)
    p = values[layout[-1]["offset"]:].reshape(layout[-1]["shape"])
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    inside, payload = call(api, "words_inspect", id=102, recognition=100, set="digits")
    p = np.frombuffer(payload, "<f4")[layout[-1]["offset"]:].reshape(layout[-1]["shape"])
    allowed = [0] + [LABELS.index(c) for c in "0123456789"]
    assert np.all(np.delete(p, allowed, axis=1) == 0)
    assert call(api, "words_inspect", id=103, recognition=99)[0] == {"layout": None}


# --- the shipped word model ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped_words(lexicon):
    if not os.path.exists(WORDS_MODEL):
        pytest.skip("weights/words.npz is not here")
    try:
        from pycnn.data.unipen import writer_split
        from pycnn.data.word_render import render_word_pads
        from pycnn.data.words import load_words

        data = load_words()
    except Exception as error:  # no words file (the Pyodide run copies none)
        pytest.skip("no UNIPEN words file: %s" % error)
    test = writer_split(data)["test"]
    indices = np.random.RandomState(5).choice(test, 12, replace=False)
    pads = []
    for alpha in render_word_pads(data, indices):
        rgba = np.zeros(alpha.shape + (4,), np.uint8)
        rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
        pads.append(rgba)
    return pads


def test_the_shipped_word_model_reads_in_the_page_as_in_the_word_reader(
        shipped_words, lexicon, character_model):
    api = PageApi(character_model)
    call(api, "words_load", id=1, model=WORDS_MODEL, lexicon=LEXICON)
    reader = WordReader(WORDS_MODEL, lexicon=lexicon)
    for n, rgba in enumerate(shipped_words):
        height, width = rgba.shape[:2]
        reply, _ = call(api, "words_read", rgba.tobytes(), id=200 + n, width=width,
                        height=height)
        assert_same_reading(reading_fields(reply),
                            as_json(reader.read_pixels(rgba, width, height)))
