"""The page's API (pycnn.page.api), called the way web/worker.js calls it: a request type,
the request's fields as JSON, one binary part; back come JSON text and float32 bytes.

Only pytest, NumPy and pycnn, so it also runs on Python 3.8 + NumPy 1.17.5 (`make compat`).
"""

import json
import re

import numpy as np
import pytest

from pycnn.data.render import render_strokes
from pycnn.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Softmax, save_model
from pycnn.page.api import PageApi
from pycnn.read.charsets import CharsetError, restrict, set_mask
from pycnn.read.preprocess import preprocess
from pycnn.read.recognizer import Recognizer

LABELS = list("0123456789AB")
SIDE = 200  # the pad's backing store, in device pixels


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    model = Sequential(
        [Conv2D(4, 3, padding="same"), ReLU(), MaxPool2D(2), Conv2D(6, 3), ReLU(),
         Flatten(), Dense(len(LABELS)), Softmax()],
        input_shape=(1, 28, 28), labels=LABELS, seed=7)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    save_model(model, path)
    return path


def drawing(strokes):
    """RGBA bytes of strokes drawn as the page draws them: black ink, the ink in alpha."""
    alpha = render_strokes([np.asarray(s, dtype=np.float64) for s in strokes], pad_size=SIDE)
    rgba = np.zeros((SIDE, SIDE, 4), np.uint8)
    rgba[..., 3] = np.round(255 * alpha).astype(np.uint8)
    return rgba.tobytes()


SEVEN = drawing([[(0, 0), (10, 0)], [(10, 0), (4, 14)]])
RING = drawing([[(np.cos(a) * 6, np.sin(a) * 8) for a in np.linspace(0, 2 * np.pi, 40)]])


class JsTypedArray:
    """What a JS Uint8Array is to Python in Pyodide 0.17: a JsProxy whose to_py() copies it
    into a memoryview of unsigned bytes."""

    def __init__(self, data):
        self.data = bytes(data)

    def to_py(self):
        return memoryview(self.data)


def call(api, request_type, data=None, **fields):
    """One request as the worker sends it: [reply JSON text, payload bytes or None]."""
    reply_json, payload = api.handle(request_type, json.dumps(fields), data)
    assert isinstance(reply_json, str)
    assert payload is None or isinstance(payload, bytes)
    return json.loads(reply_json), payload


def floats(payload, shape):
    """The payload as the page reads it: new Float32Array(buffer), little-endian."""
    values = np.frombuffer(payload, dtype="<f4")
    assert values.size == int(np.prod(shape))
    return values.reshape(shape)


def test_recognise_agrees_with_the_recognizer_and_preprocess(model_path):
    api = PageApi(model_path)
    reply, payload = call(api, "recognise", JsTypedArray(SEVEN), id=1, width=SIDE, height=SIDE)
    assert reply["empty"] is False and reply["input_shape"] == [28, 28]

    expected_input = preprocess(np.frombuffer(SEVEN, np.uint8), SIDE, SIDE)
    np.testing.assert_array_equal(floats(payload, reply["input_shape"]), expected_input)
    # JSON keeps every digit of a float, so the page gets the recognizer's numbers exactly.
    expected = Recognizer(model_path).recognise_rgba(SEVEN, SIDE, SIDE)
    assert reply["top5"] == expected["top5"]
    assert reply["set"] == "all" and reply["lookalikes"] == expected["lookalikes"]
    assert [label for label, _ in reply["top5"]] == [
        LABELS[i] for i in np.argsort(-api.recognizer.predict_image(expected_input),
                                      kind="mergesort")[:5]]


def test_bytes_and_a_js_typed_array_give_the_same_reply(model_path):
    api = PageApi(model_path)
    from_js = call(api, "recognise", JsTypedArray(RING), id=1, width=SIDE, height=SIDE)
    from_bytes = call(api, "recognise", RING, id=2, width=SIDE, height=SIDE)
    assert from_js == from_bytes


def test_an_empty_pad_is_empty_with_no_payload_and_nothing_to_inspect(model_path):
    api = PageApi(model_path)
    call(api, "recognise", SEVEN, id=1, width=SIDE, height=SIDE)
    reply, payload = call(api, "recognise", bytes(SIDE * SIDE * 4), id=2, width=SIDE,
                          height=SIDE)
    assert reply == {"empty": True, "top5": [], "set": "all", "lookalikes": None,
                     "unsure": False, "input_shape": None} and payload is None
    # The empty pad replaced the seven: neither has layers to show or answers to re-read.
    for recognition in (1, 2):
        assert call(api, "inspect", id=3, recognition=recognition) == (
            {"layout": None, "in_set": None}, None)
        assert call(api, "reread", id=4, recognition=recognition, set="digits") == (
            {"top5": None, "set": "digits", "lookalikes": None, "unsure": False}, None)


def test_inspect_lays_out_every_layer_of_the_pass_that_answered(model_path):
    api = PageApi(model_path)
    answer, _ = call(api, "recognise", SEVEN, id=5, width=SIDE, height=SIDE)
    reply, payload = call(api, "inspect", id=6, recognition=5)
    layout = reply["layout"]
    values = np.frombuffer(payload, dtype="<f4")

    image = preprocess(np.frombuffer(SEVEN, np.uint8), SIDE, SIDE)
    trace = api.recognizer.model.forward_trace(image.reshape(1, 1, 28, 28))
    assert [entry["name"] for entry in layout] == [name for name, _ in trace]
    assert [entry["index"] for entry in layout] == list(range(len(trace)))
    # The last entry is the probabilities read within the set, from the logits before it.
    trace[-1] = ("Softmax", restrict(trace[-2][1], np.ones(len(LABELS), bool)).astype("<f4"))
    assert reply["in_set"] == [True] * len(LABELS)
    offset = 0
    for entry, (_, output) in zip(layout, trace):
        # Offsets follow each other with no gap and no overlap, in layer order.
        assert entry["offset"] == offset
        assert entry["shape"] == list(output.shape[1:])
        size = int(np.prod(entry["shape"]))
        np.testing.assert_array_equal(values[offset:offset + size].reshape(entry["shape"]),
                                      output[0])
        offset += size
    assert offset == values.size and len(payload) == 4 * offset
    # The last layer holds the probabilities the answer's top 5 came from.
    probabilities = values[layout[-1]["offset"]:]
    for label, p in answer["top5"]:
        assert probabilities[LABELS.index(label)] == np.float32(p)


def test_inspect_serves_only_the_latest_recognition(model_path):
    api = PageApi(model_path)
    call(api, "recognise", SEVEN, id=1, width=SIDE, height=SIDE)
    _, seven = call(api, "inspect", id=2, recognition=1)
    call(api, "recognise", RING, id=3, width=SIDE, height=SIDE)
    assert call(api, "inspect", id=4, recognition=1) == ({"layout": None, "in_set": None}, None)
    assert call(api, "inspect", id=5, recognition=99) == ({"layout": None, "in_set": None}, None)
    _, ring = call(api, "inspect", id=6, recognition=3)
    assert len(ring) == len(seven) and ring != seven
    # A recognition that fails leaves nothing to inspect either.
    with pytest.raises(ValueError):
        call(api, "recognise", b"too short", id=7, width=SIDE, height=SIDE)
    assert call(api, "inspect", id=8, recognition=3) == ({"layout": None, "in_set": None}, None)


def test_info_carries_the_labels_the_network_and_the_first_filters(model_path):
    api = PageApi(model_path)
    reply, payload = call(api, "info", id=1)
    model = api.recognizer.model
    assert reply["labels"] == LABELS
    assert reply["network"] == {"input_shape": [1, 28, 28], "layers": model.layer_table(),
                                "parameters": model.parameter_count()}
    assert reply["filters"] == {"index": 0, "shape": [4, 1, 3, 3]}
    # The named sets this model reads; the page offers no other.
    sets = reply["sets"]
    assert set(sets) == {"all", "digits", "upper", "lower", "letters", "alnum", "symbols"}
    assert sets["all"] == {"set": "all", "size": 12, "error": None}
    assert sets["digits"] == {"set": "digits", "size": 10, "error": None}
    for name in ("upper", "lower", "letters", "alnum", "symbols"):
        assert sets[name]["size"] == 0 and "does not know" in sets[name]["error"]
    np.testing.assert_array_equal(floats(payload, reply["filters"]["shape"]),
                                  model.layers[0].params["weight"])


def test_info_without_a_convolution_has_no_filters(tmp_path):
    model = Sequential([Flatten(), Dense(3), Softmax()], input_shape=(1, 28, 28),
                       labels=["a", "b", "c"])
    save_model(model, tmp_path / "m.npz")
    reply, payload = call(PageApi(tmp_path / "m.npz"), "info", id=1)
    assert reply["labels"] == ["a", "b", "c"] and reply["filters"] is None and payload is None


def test_bad_requests_are_clear_errors(model_path):
    api = PageApi(model_path)
    with pytest.raises(ValueError, match="unknown request type 'train' "
                                         r"\(known: check_set, info, inspect, learn_begin, "
                                         r"learn_cancel, learn_step, model_export, "
                                         r"model_forget, model_load, model_use, recognise, "
                                         r"reread, words_inspect, words_load, words_personal, "
                                         r"words_read, words_reread\)"):
        call(api, "train", id=1)
    with pytest.raises(ValueError, match="the reread request needs the field 'set'"):
        call(api, "reread", id=1, recognition=1)
    with pytest.raises(ValueError, match="the check_set request needs the field 'set'"):
        call(api, "check_set", id=1)
    with pytest.raises(ValueError, match="the recognise request needs the field 'height'"):
        call(api, "recognise", SEVEN, id=1, width=SIDE)
    with pytest.raises(ValueError, match="the inspect request needs the field 'recognition'"):
        call(api, "inspect", id=1)
    # The recognizer's own checks reach the page as they are.
    with pytest.raises(TypeError, match="width must be a whole number of pixels, got 200.5"):
        call(api, "recognise", SEVEN, id=1, width=200.5, height=SIDE)
    with pytest.raises(ValueError, match="from 1 to 4096 pixels, got 0"):
        call(api, "recognise", b"", id=1, width=0, height=SIDE)
    with pytest.raises(TypeError, match="got NoneType"):
        call(api, "recognise", None, id=1, width=SIDE, height=SIDE)


# --- character sets ------------------------------------------------------------------------
def logits_of(api, rgba):
    """The scores before the final Softmax for one drawing, computed by hand."""
    image = preprocess(np.frombuffer(rgba, np.uint8), SIDE, SIDE)
    model = api.recognizer.model
    return model.forward(image.reshape(1, 1, 28, 28), upto=len(model.layers) - 1)[0]


@pytest.mark.parametrize("charset", ["digits", "AB", "0A", "all"])
def test_recognise_reads_within_the_set_from_the_logits(model_path, charset):
    api = PageApi(model_path)
    reply, _ = call(api, "recognise", SEVEN, id=1, width=SIDE, height=SIDE, set=charset)
    mask = set_mask(charset, LABELS)
    expected = restrict(logits_of(api, SEVEN), mask)
    assert reply["set"] == charset
    assert len(reply["top5"]) == min(5, int(mask.sum()))
    for label, p in reply["top5"]:
        assert mask[LABELS.index(label)]
        assert p == pytest.approx(float(expected[LABELS.index(label)]), rel=1e-5)
    # The page's Look inside shows the same numbers, and which classes the set left out.
    layers, payload = call(api, "inspect", id=2, recognition=1, set=charset)
    probabilities = np.frombuffer(payload, dtype="<f4")[layers["layout"][-1]["offset"]:]
    assert layers["in_set"] == mask.tolist()
    assert (probabilities[~mask] == 0).all()
    for label, p in reply["top5"]:
        assert probabilities[LABELS.index(label)] == np.float32(p)


def test_reread_gives_the_latest_drawing_another_set_without_a_second_pass(model_path):
    api = PageApi(model_path)
    call(api, "recognise", SEVEN, id=1, width=SIDE, height=SIDE)
    _, drawn_input = call(api, "inspect", id=2, recognition=1)
    model = api.recognizer.model
    model.forward = model.forward_trace = None  # any pass through the network fails
    try:
        rereads = {charset: call(api, "reread", id=3, recognition=1, set=charset)
                   for charset in ("digits", "AB", "all")}
    finally:
        del model.forward, model.forward_trace
    for charset, (reply, payload) in rereads.items():
        fresh, _ = call(PageApi(model_path), "recognise", SEVEN, id=1, width=SIDE, height=SIDE,
                        set=charset)
        assert payload is None
        assert reply == {"top5": fresh["top5"], "set": charset,
                         "lookalikes": fresh["lookalikes"], "unsure": fresh["unsure"]}
    # Re-reading changes nothing kept: the layers of recognition 1 are still served.
    assert call(api, "inspect", id=4, recognition=1)[1] == drawn_input
    # Only the latest recognition with ink can be re-read.
    call(api, "recognise", RING, id=5, width=SIDE, height=SIDE)
    assert call(api, "reread", id=6, recognition=1, set="digits")[0]["top5"] is None
    assert call(api, "reread", id=7, recognition=5, set="digits")[0]["top5"] is not None


def test_lookalikes_are_returned_only_in_all(model_path):
    api = PageApi(model_path)
    api.recognizer.lookalike_groups = ["0A"]
    dense = api.recognizer.model.layers[-2]
    # Scores that make "0" and "A" the two close leading answers for any drawing.
    dense.params["weight"][...] = 0
    dense.params["bias"][...] = -5
    dense.params["bias"][LABELS.index("0")] = 1.0
    dense.params["bias"][LABELS.index("A")] = 0.8
    both = {"labels": ["0", "A"], "sets": ["digits", "upper"]}
    reply, _ = call(api, "recognise", SEVEN, id=1, width=SIDE, height=SIDE)
    assert [label for label, _ in reply["top5"][:2]] == ["0", "A"]
    assert reply["lookalikes"] == both
    for charset in ("digits", "0A"):
        assert call(api, "reread", id=2, recognition=1, set=charset)[0]["lookalikes"] is None
        assert call(api, "recognise", SEVEN, id=3, width=SIDE, height=SIDE,
                    set=charset)[0]["lookalikes"] is None
    assert call(api, "reread", id=4, recognition=3, set="all")[0]["lookalikes"] == both


@pytest.mark.parametrize("charset, message", [
    ("", "the character set is empty"),
    ("0\u20ac", "does not know '\u20ac'"),
    ("symbols", "does not know .* in set 'symbols'"),
    ("0" * 5000, "a character set of 5000 characters is too long"),
    (7, "a name or a string of characters, got int"),
])
def test_bad_sets_are_errors_with_sentences_and_check_set_says_them(model_path, charset,
                                                                     message):
    api = PageApi(model_path)
    call(api, "recognise", SEVEN, id=1, width=SIDE, height=SIDE)
    for request, fields in (("recognise", {"width": SIDE, "height": SIDE}),
                            ("reread", {"recognition": 1}), ("reread", {"recognition": 99}),
                            ("inspect", {"recognition": 1})):
        with pytest.raises(CharsetError, match=message):
            call(api, request, SEVEN, id=2, set=charset, **fields)
    # check_set answers with the sentence instead: a link's bad ?set= is news, not a failure.
    reply, payload = call(api, "check_set", id=3, set=charset)
    assert payload is None and reply["set"] == charset and reply["size"] == 0
    assert re.search(message, reply["error"]), reply["error"]


def test_check_set_gives_the_size_of_a_good_set(model_path):
    api = PageApi(model_path)
    assert call(api, "check_set", id=1, set="digits")[0] == {"set": "digits", "size": 10,
                                                            "error": None}
    assert call(api, "check_set", id=2, set="AB01")[0] == {"set": "AB01", "size": 4,
                                                          "error": None}
