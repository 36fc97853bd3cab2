"""The recognizer the page's worker calls: canvas RGBA bytes in, top 5 out, within a
character set.

Only pytest, NumPy and pycnn, so it also runs on Python 3.8 + NumPy 1.17.5 (`make compat`).
"""

import numpy as np
import pytest

from pycnn.nn import (
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Softmax,
    load_model,
    save_model,
)
from pycnn.read.charsets import CharsetError, restrict, set_mask
from pycnn.read.preprocess import preprocess
from pycnn.read.recognizer import (
    MAX_CANVAS_SIDE,
    MAX_SET_LENGTH,
    Recognizer,
    separating_sets,
)

LABELS = list("0123456789AB")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    model = Sequential(
        [Conv2D(4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(len(LABELS)), Softmax()],
        input_shape=(1, 28, 28), labels=LABELS, seed=3)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    save_model(model, path)
    return path


def canvas(width=120, height=90):
    """A transparent canvas with a black diagonal bar: ink only in alpha, like the page."""
    pixels = np.zeros((height, width, 4), np.uint8)
    for y in range(15, 75):
        x = 30 + y // 2
        pixels[y, x - 4:x + 4, 3] = 255
    return pixels


def test_ink_gives_top5_sorted_from_the_model(model_path):
    recognizer = Recognizer(model_path)
    pixels = canvas()
    result = recognizer.recognise_rgba(pixels.tobytes(), 120, 90)
    assert result["empty"] is False
    assert len(result["top5"]) == 5
    probs = [p for _, p in result["top5"]]
    assert probs == sorted(probs, reverse=True)
    assert all(isinstance(label, str) and label in LABELS for label, _ in result["top5"])
    # Same numbers as preprocess + predict_proba done by hand.
    image = preprocess(pixels.reshape(-1), 120, 90)
    np.testing.assert_array_equal(result["input"], image)
    expected = recognizer.model.predict_proba(image.reshape(1, 1, 28, 28))[0]
    best = int(np.argmax(expected))
    assert result["top5"][0][0] == LABELS[best]
    assert result["top5"][0][1] == pytest.approx(float(expected[best]))
    assert recognizer.last_input is not None


def test_buffer_kinds_agree(model_path):
    recognizer = Recognizer(model_path)
    pixels = canvas()
    from_bytes = recognizer.recognise_rgba(pixels.tobytes(), 120, 90)
    from_view = recognizer.recognise_rgba(memoryview(pixels.tobytes()), 120, 90)
    from_array = recognizer.recognise_rgba(pixels.reshape(-1), 120, 90)
    assert from_bytes["top5"] == from_view["top5"] == from_array["top5"]


def test_empty_canvas_is_reported_not_predicted(model_path):
    recognizer = Recognizer(model_path)
    result = recognizer.recognise_rgba(bytes(64 * 64 * 4), 64, 64)
    assert result == {"empty": True, "top5": [], "lookalikes": None, "unsure": False,
                      "input": None}
    assert recognizer.last_input is None and recognizer.last_logits is None


def test_wrong_size_is_a_clear_error(model_path):
    recognizer = Recognizer(model_path)
    with pytest.raises(ValueError, match="expected 16384 RGBA bytes for a 64x64 canvas"):
        recognizer.recognise_rgba(bytes(100), 64, 64)


def test_fewer_than_five_classes(tmp_path):
    model = Sequential([Flatten(), Dense(3), Softmax()], input_shape=(1, 28, 28),
                       labels=["a", "b", "c"])
    save_model(model, tmp_path / "m.npz")
    result = Recognizer(tmp_path / "m.npz").recognise_rgba(canvas().tobytes(), 120, 90)
    assert [label for label, _ in result["top5"]] and len(result["top5"]) == 3


def test_trace_keeps_the_layers_of_the_same_pass(model_path):
    recognizer = Recognizer(model_path)
    plain = recognizer.recognise_rgba(canvas().tobytes(), 120, 90)
    assert recognizer.last_trace is None
    traced = recognizer.recognise_rgba(canvas().tobytes(), 120, 90, trace=True)
    names = [name for name, _ in recognizer.last_trace]
    assert len(names) == len(recognizer.model.layers)
    assert recognizer.last_trace[0][1].shape == (1, 4, 26, 26)
    assert [label for label, _ in traced["top5"]] == [label for label, _ in plain["top5"]]
    for (_, p), (_, q) in zip(traced["top5"], plain["top5"]):
        assert p == pytest.approx(q, rel=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.int8, np.uint16, bool])
def test_wrong_dtype_is_refused_not_cast(model_path, dtype):
    recognizer = Recognizer(model_path)
    pixels = canvas().astype(dtype)
    with pytest.raises(TypeError, match="dtype uint8, got dtype %s" % np.dtype(dtype)):
        recognizer.recognise_rgba(pixels, 120, 90)


def test_buffers_of_other_item_types_are_refused(model_path):
    recognizer = Recognizer(model_path)
    as_floats = memoryview(canvas().astype(np.float32).reshape(-1)[: 120 * 90])  # 4 bytes each
    with pytest.raises(TypeError, match="unsigned bytes .*format 'f'"):
        recognizer.recognise_rgba(as_floats, 120, 90)
    with pytest.raises(TypeError, match="bytes-like .* got list"):
        recognizer.recognise_rgba([0] * (120 * 90 * 4), 120, 90)
    with pytest.raises(TypeError, match="got NoneType"):
        recognizer.recognise_rgba(None, 120, 90)


def test_arrays_are_taken_flat_or_as_height_width_4(model_path):
    recognizer = Recognizer(model_path)
    pixels = canvas()  # (90, 120, 4)
    assert recognizer.recognise_rgba(pixels, 120, 90)["top5"] == \
        recognizer.recognise_rgba(pixels.reshape(-1), 120, 90)["top5"]
    # The same bytes with width and height swapped would be another picture: refused.
    with pytest.raises(ValueError, match=r"shape \(90, 120, 4\), got shape \(120, 90, 4\)"):
        recognizer.recognise_rgba(pixels.reshape(120, 90, 4), 120, 90)


@pytest.mark.parametrize("width, height, error, message", [
    (0, 90, ValueError, "width must be from 1 to 4096 pixels, got 0"),
    (120, -5, ValueError, "height must be from 1 to 4096 pixels, got -5"),
    (5000, 10, ValueError, "width must be from 1 to 4096 pixels, got 5000"),
    (10, MAX_CANVAS_SIDE + 1, ValueError, "height must be from 1 to 4096"),
    (120.0, 90, TypeError, "width must be a whole number of pixels, got 120.0"),
    ("120", 90, TypeError, "width must be a whole number"),
    (120, True, TypeError, "height must be a whole number"),
    (120, None, TypeError, "height must be a whole number"),
])
def test_bad_canvas_sizes_are_refused_before_any_work(model_path, width, height, error, message):
    recognizer = Recognizer(model_path)
    with pytest.raises(error, match=message):
        recognizer.recognise_rgba(b"", width, height)


def test_the_largest_canvas_side_is_accepted(model_path):
    recognizer = Recognizer(model_path)
    strip = np.zeros((4, MAX_CANVAS_SIDE, 4), np.uint8)
    strip[1:3, 100:3000, 3] = 255
    result = recognizer.recognise_rgba(strip, np.int64(MAX_CANVAS_SIDE), 4)
    assert result["empty"] is False and len(result["top5"]) == 5


# --- character sets ------------------------------------------------------------------------
def logits_by_hand(recognizer, pixels, width, height):
    """The scores before the final Softmax, computed without the recognizer."""
    image = preprocess(np.asarray(pixels, np.uint8).reshape(-1), width, height)
    model = recognizer.model
    return model.forward(image.reshape(1, 1, 28, 28), upto=len(model.layers) - 1)[0]


@pytest.mark.parametrize("trace", [False, True])
@pytest.mark.parametrize("charset", ["all", "digits", "A9B", "1"])
def test_a_set_is_applied_to_the_logits_with_charsets_restrict(model_path, trace, charset):
    recognizer = Recognizer(model_path)
    pixels = canvas()
    result = recognizer.recognise_rgba(pixels, 120, 90, trace=trace, charset=charset)
    mask = set_mask(charset, LABELS)
    expected = restrict(logits_by_hand(recognizer, pixels, 120, 90), mask)
    top = result["top5"]
    # Only labels of the set, as many as the set has up to 5, in the order restrict gives.
    assert len(top) == min(5, int(mask.sum()))
    assert all(mask[LABELS.index(label)] for label, _ in top)
    order = [i for i in np.argsort(-expected, kind="mergesort") if mask[i]][:5]
    assert [label for label, _ in top] == [LABELS[i] for i in order]
    for label, p in top:
        assert p == pytest.approx(float(expected[LABELS.index(label)]), rel=1e-5)


def test_the_set_is_read_from_the_logits_not_from_the_probabilities(model_path):
    """A sure "A": in float32 every digit's probability is 0, so renormalising the
    probabilities over the digits could not rank them. Masking the logits still does."""
    recognizer = Recognizer(model_path)
    dense = recognizer.model.layers[-2]
    saved = dense.params["bias"].copy()
    try:
        dense.params["bias"][...] = -100.0
        dense.params["bias"][LABELS.index("A")] = 200.0
        dense.params["bias"][LABELS.index("4")] = -50.0
        assert recognizer.predict_image(preprocess(canvas().reshape(-1), 120, 90))[:10].max() == 0
        result = recognizer.recognise_rgba(canvas(), 120, 90, charset="digits")
    finally:
        dense.params["bias"][...] = saved
    assert result["top5"][0][0] == "4" and result["top5"][0][1] == pytest.approx(1.0)
    assert all(np.isfinite(p) for _, p in result["top5"])


def test_reread_reads_the_kept_logits_under_another_set_without_a_second_pass(model_path):
    recognizer = Recognizer(model_path)
    fresh = Recognizer(model_path)
    for trace in (False, True):
        recognizer.recognise_rgba(canvas(), 120, 90, trace=trace)
        model = recognizer.model
        forward, forward_trace = model.forward, model.forward_trace
        model.forward = model.forward_trace = None  # any pass through the network fails
        try:
            for charset in ("digits", "AB", "all"):
                again = recognizer.reread(charset)
                direct = fresh.recognise_rgba(canvas(), 120, 90, charset=charset)
                assert again == {"top5": direct["top5"], "lookalikes": direct["lookalikes"],
                                 "unsure": direct["unsure"]}
        finally:
            model.forward, model.forward_trace = forward, forward_trace
    recognizer.recognise_rgba(bytes(64 * 64 * 4), 64, 64)
    assert recognizer.reread("digits") is None  # an empty pad has nothing to read again


def scores(**by_label):
    """Logits for LABELS: the given labels' probabilities in "all", the rest sharing 1%."""
    rest = 0.01 / (len(LABELS) - len(by_label))
    return np.log([by_label.get(label, rest) for label in LABELS])


def test_lookalikes_come_with_the_answer_only_when_reading_all(model_path):
    recognizer = Recognizer(model_path)
    recognizer.lookalike_groups = ["0A", "1B"]
    recognizer.lookalike_min_share = 0.1  # the shipped table's share is chosen on validation
    logits = scores(**{"0": 0.48, "A": 0.41, "7": 0.10})
    assert recognizer.read(logits, "all")["lookalikes"] == {"labels": ["0", "A"],
                                                          "sets": ["digits", "upper"]}
    # Within a set nothing competes with a look-alike, even a set that holds both.
    for charset in ("digits", "AB", "0A", "0A7"):
        assert recognizer.read(logits, charset)["lookalikes"] is None
    # A first answer with no close look-alike stands alone.
    assert recognizer.read(scores(**{"0": 0.9, "A": 0.05}), "all")["lookalikes"] is None
    assert recognizer.read(scores(**{"7": 0.6, "1": 0.3}), "all")["lookalikes"] is None


def test_the_sets_that_tell_lookalikes_apart():
    assert separating_sets(["0", "O"]) == ["digits", "upper"]
    assert separating_sets(["O", "0", "o"]) == ["upper", "digits", "lower"]
    assert separating_sets(["l", "|"]) == ["lower", "symbols"]
    # Two look-alikes in the same set: no named set tells them apart.
    assert separating_sets(["'", ","]) == []
    assert separating_sets(["u", "v"]) == []


def test_the_activations_probabilities_are_read_within_the_set(model_path):
    recognizer = Recognizer(model_path)
    recognizer.recognise_rgba(canvas(), 120, 90, trace=True)
    layout, everything = recognizer.layer_activations()
    last = layout[-1]["offset"]
    logits = recognizer.last_trace[-2][1][0]
    np.testing.assert_array_equal(everything[last:],
                                  restrict(logits, np.ones(len(LABELS), bool)).astype(np.float32))
    _, digits = recognizer.layer_activations("digits")
    mask = set_mask("digits", LABELS)
    np.testing.assert_array_equal(digits[:last], everything[:last])  # the pass is the same
    np.testing.assert_array_equal(digits[last:], restrict(logits, mask).astype(np.float32))
    assert (digits[last:][~mask] == 0).all()


@pytest.mark.parametrize("charset, message", [
    ("", "the character set is empty"),
    ("0\u20ac", "does not know '\u20ac'"),
    ("upper", "does not know 'C' 'D' .* in set 'upper'"),
    ("7" * (MAX_SET_LENGTH + 1), "a character set of 257 characters is too long"),
    (["0", "1"], "a name or a string of characters, got list"),
    (None, "got NoneType"),
])
def test_bad_sets_are_errors_with_sentences_before_any_work(model_path, charset, message):
    recognizer = Recognizer(model_path)
    recognizer.recognise_rgba(canvas(), 120, 90, trace=True)
    # The set is checked first: these pixels would be refused too, but the set is named.
    with pytest.raises(CharsetError, match=message):
        recognizer.recognise_rgba(b"no pixels", 120, 90, charset=charset)
    for call in (recognizer.reread, recognizer.layer_activations,
                 lambda c: recognizer.read(np.zeros(len(LABELS)), c)):
        with pytest.raises(CharsetError, match=message):
            call(charset)
    # CharsetError is a ValueError, so the page's worker reports it like any other.
    assert issubclass(CharsetError, ValueError)
    assert set_mask("7" * MAX_SET_LENGTH, LABELS).sum() == 1  # long, but not too long


def test_unsure_follows_the_threshold_in_the_model_file(model_path, tmp_path):
    recognizer = Recognizer(model_path)
    recognizer.lookalike_groups = []  # the first answer alone is what is shown
    assert recognizer.unsure_below == 0.0  # no threshold chosen: never unsure
    answer = recognizer.recognise_rgba(canvas().tobytes(), 120, 90)
    assert answer["unsure"] is False
    best = answer["top5"][0][1]
    for threshold, unsure in ((best + 0.01, True), (best - 0.01, False)):
        model = load_model(model_path)
        model.metadata["unsure"] = {"below": threshold}
        path = tmp_path / ("calibrated%.3f.npz" % threshold)
        save_model(model, path)
        calibrated = Recognizer(path)
        calibrated.lookalike_groups = []
        assert calibrated.recognise_rgba(canvas().tobytes(), 120, 90)["unsure"] is unsure
        assert calibrated.reread("all")["unsure"] is unsure


def test_unsure_judges_the_lookalikes_shown_together(model_path):
    # "0 or A" (as if they looked alike) at 0.48 + 0.41 is a sure answer that the drawing
    # is one of them.
    recognizer = Recognizer(model_path)
    recognizer.unsure_below, recognizer.lookalike_min_share = 0.6, 0.05
    labels = recognizer.labels
    logits = np.full(len(labels), -30.0)
    logits[labels.index("0")], logits[labels.index("A")] = np.log(0.48), np.log(0.41)
    logits[labels.index("7")] = np.log(0.11)
    recognizer.lookalike_groups = ["0A"]
    together = recognizer.read(logits)
    assert together["lookalikes"]["labels"] == ["0", "A"] and together["unsure"] is False
    recognizer.lookalike_groups = []
    alone = recognizer.read(logits)
    assert alone["lookalikes"] is None and alone["unsure"] is True  # 0.48 alone
    within = recognizer.read(logits, "digits")  # 0 at 0.48 / 0.59 of the digits
    assert within["top5"][0][0] == "0" and within["unsure"] is False


@pytest.mark.parametrize("stored", [True, "0.5", -0.1, 1.5, float("nan"), None, [0.5]])
def test_a_nonsense_threshold_in_a_model_file_means_never_unsure(stored):
    from pycnn.read.recognizer import unsure_below

    assert unsure_below({"unsure": {"below": stored}}) == 0.0
    assert unsure_below({"unsure": "high"}) == 0.0
    assert unsure_below({"unsure": {"below": 0.65}}) == 0.65
