"""What the page's "Look inside" panel gets from the recognizer: per-layer activations of the
pass that made the prediction, the architecture, and the first layer's filters."""

from types import SimpleNamespace

import numpy as np
import pytest
from reference_conv import naive_conv2d, naive_maxpool2d

from pycnn.nn import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Softmax,
    save_model,
)
from pycnn.read.preprocess import preprocess
from pycnn.read.recognizer import Recognizer

LABELS = list("0123456789AB")


def make_model(last_softmax=True):
    layers = [Conv2D(4, 3, padding="same"), ReLU(), MaxPool2D(2), Conv2D(6, 3), ReLU(),
              MaxPool2D(2), Flatten(), Dense(16), ReLU(), Dropout(0.5), Dense(len(LABELS))]
    if last_softmax:
        layers.append(Softmax())
    return Sequential(layers, input_shape=(1, 28, 28), labels=LABELS, seed=5)


@pytest.fixture(scope="module", params=[True, False], ids=["softmax-layer", "logits-out"])
def saved(request, tmp_path_factory):
    """The model file's `path`, and what went into it: `config` and a copy of `params`."""
    model = make_model(last_softmax=request.param)
    # Non-zero biases, so a layer that dropped them would show: the activations are checked
    # against `reference_forward` on these very arrays, not against pycnn's own forward pass.
    for _, param, _ in model.parameters():
        if param.ndim == 1:
            param[...] = np.linspace(-0.2, 0.3, param.size)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    save_model(model, path)
    return SimpleNamespace(path=path, config=model.config(),
                           params={key: param.copy() for key, param, _ in model.parameters()})


def reference_forward(saved, image):
    """Every layer's output for one (28, 28) image, in float64, written from the layers'
    definitions (naive loops for conv and pool) with the weights as they were saved: nothing
    of pycnn's forward pass, so a layer that dropped its bias, or a file that lost one,
    disagrees with this."""
    x = np.asarray(image, dtype=np.float64).reshape(1, 1, 28, 28)
    outputs = []
    for index, entry in enumerate(saved.config):
        kind, config = entry["class"], entry["config"]
        if kind == "Conv2D":
            x = naive_conv2d(x, saved.params["%d.weight" % index],
                             saved.params["%d.bias" % index], config["stride"],
                             config["padding"])
        elif kind == "ReLU":
            x = np.maximum(x, 0.0)
        elif kind == "MaxPool2D":
            x = naive_maxpool2d(x, config["pool_size"], config["stride"])[0]
        elif kind == "Flatten":
            x = x.reshape(1, -1)
        elif kind == "Dense":
            x = x @ saved.params["%d.weight" % index] + saved.params["%d.bias" % index]
        elif kind == "Softmax":
            x = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
        else:
            assert kind == "Dropout"  # the identity when reading
        outputs.append((kind, x))
    if outputs[-1][0] != "Softmax":
        outputs.append(("Softmax", np.exp(x - x.max()) / np.exp(x - x.max()).sum()))
    return outputs


def drawing(kind):
    pixels = np.zeros((90, 120, 4), np.uint8)
    if kind == "bar":
        for y in range(15, 75):
            pixels[y, 30 + y // 2 - 4:30 + y // 2 + 4, 3] = 255
    else:  # a ring
        yy, xx = np.mgrid[:90, :120]
        r = np.hypot(yy - 45, xx - 60)
        pixels[(r > 22) & (r < 30), 3] = 255
    return pixels


def test_activations_are_the_predicting_pass_layer_by_layer(saved):
    recognizer = Recognizer(saved.path)
    pixels = drawing("bar")
    result = recognizer.recognise_rgba(pixels.tobytes(), 120, 90, trace=True)
    layout, values = recognizer.layer_activations()
    assert values.dtype == np.float32 and values.ndim == 1

    image = preprocess(pixels.reshape(-1), 120, 90).reshape(1, 1, 28, 28)
    np.testing.assert_array_equal(result["input"], image[0, 0])
    expected = reference_forward(saved, image)
    assert [entry["name"] for entry in layout] == [name for name, _ in expected]
    offset = 0
    for entry, (name, output) in zip(layout, expected):
        assert entry["offset"] == offset
        assert tuple(entry["shape"]) == output.shape[1:]
        got = values[offset:offset + output[0].size].reshape(entry["shape"])
        scale = max(np.abs(output).max(), 1e-3)
        np.testing.assert_allclose(got, output[0], rtol=1e-4, atol=1e-5 * scale,
                                   err_msg="layer %d %s" % (entry["index"], name))
        offset += output[0].size
    assert offset == values.size

    # The last entry is the probabilities the answer was read from.
    probabilities = values[layout[-1]["offset"]:]
    np.testing.assert_allclose(probabilities,
                               recognizer.model.predict_proba(image)[0], rtol=1e-6)
    assert layout[-1]["name"] == "Softmax" and probabilities.size == len(LABELS)
    assert result["top5"][0][0] == LABELS[int(np.argmax(probabilities))]
    order = np.argsort(-probabilities, kind="mergesort")[:5]
    assert [label for label, _ in result["top5"]] == [LABELS[i] for i in order]
    np.testing.assert_allclose([p for _, p in result["top5"]], probabilities[order], rtol=1e-6)
    # The logits the answer was read from (and another set re-reads) are this pass's.
    np.testing.assert_array_equal(values[layout[-2]["offset"]:layout[-1]["offset"]],
                                  recognizer.last_logits)


def test_dropout_is_the_identity_when_reading(saved):
    recognizer = Recognizer(saved.path)
    recognizer.recognise_rgba(drawing("ring").tobytes(), 120, 90, trace=True)
    layout, values = recognizer.layer_activations()
    at = [entry["name"] for entry in layout].index("Dropout")
    before, after = layout[at - 1], layout[at]
    size = int(np.prod(after["shape"]))
    np.testing.assert_array_equal(values[before["offset"]:before["offset"] + size],
                                  values[after["offset"]:after["offset"] + size])


def test_each_drawing_replaces_the_trace(saved):
    recognizer = Recognizer(saved.path)
    recognizer.recognise_rgba(drawing("bar").tobytes(), 120, 90, trace=True)
    _, bar = recognizer.layer_activations()
    recognizer.recognise_rgba(drawing("ring").tobytes(), 120, 90, trace=True)
    _, ring = recognizer.layer_activations()
    assert bar.shape == ring.shape and not np.array_equal(bar, ring)
    recognizer.recognise_rgba(bytes(120 * 90 * 4), 120, 90, trace=True)
    assert recognizer.layer_activations() is None
    recognizer.recognise_rgba(drawing("bar").tobytes(), 120, 90)
    assert recognizer.layer_activations() is None


def test_network_is_the_summary_table_and_filters_are_the_first_conv(saved):
    recognizer = Recognizer(saved.path)
    network = recognizer.network()
    assert network["layers"] == recognizer.model.layer_table()
    assert network["input_shape"] == [1, 28, 28]
    assert network["parameters"] == recognizer.model.parameter_count()
    assert "Total params: {:,}".format(network["parameters"]) in recognizer.model.summary(None)
    index, filters = recognizer.first_conv_filters()
    assert index == 0 and filters.dtype == np.float32 and filters.shape == (4, 1, 3, 3)
    np.testing.assert_array_equal(filters, saved.params["0.weight"])


def test_no_conv_layer_means_no_filters(tmp_path):
    model = Sequential([Flatten(), Dense(3), Softmax()], input_shape=(1, 28, 28),
                       labels=["a", "b", "c"])
    save_model(model, tmp_path / "m.npz")
    assert Recognizer(tmp_path / "m.npz").first_conv_filters() is None
