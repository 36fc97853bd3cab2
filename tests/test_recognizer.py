"""The recognizer the page's worker calls: canvas RGBA bytes in, top 5 out."""

import numpy as np
import pytest

from pycnn.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Softmax, save_model
from pycnn.preprocess import preprocess
from pycnn.recognizer import MAX_CANVAS_SIDE, Recognizer

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
    assert result == {"empty": True, "top5": [], "input": None}
    assert recognizer.last_input is None


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
