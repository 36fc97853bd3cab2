"""Finite-difference checks, in float64, of every layer's input and parameter gradients.

Each layer's output y is reduced to the scalar L = sum(y * R) with a fixed random R, so
dL/dy = R is what `backward` receives; every input and parameter element is then nudged by
+-eps and the central difference (L+ - L-) / 2 eps is compared with the analytic gradient.
"""

import numpy as np
import pytest

from pycnn.nn import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Softmax,
    SoftmaxCrossEntropy,
)

EPS = 1e-6
TOLERANCE = 1e-6


def relative_error(analytic, numeric):
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-12)
    return float(np.abs(analytic - numeric).max() / scale)


def numeric_gradient(loss, array, indices=None):
    """Central differences of loss() with respect to `array`, perturbed in place.

    `indices` limits the check to some flat positions (for large arrays); the others stay 0.
    """
    grad = np.zeros_like(array, dtype=np.float64)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    assert np.shares_memory(flat, array)
    for i in range(flat.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + EPS
        plus = loss()
        flat[i] = old - EPS
        minus = loss()
        flat[i] = old
        flat_grad[i] = (plus - minus) / (2 * EPS)
    return grad


def check_layer(layer, x, training=False, before_forward=lambda: None, rng=None):
    """Compare backward() with finite differences for x and every parameter of `layer`.

    The layer must already be built in float64. `before_forward` runs before every forward
    call (used to replay the same dropout mask).
    """
    rng = rng or np.random.RandomState(1)
    before_forward()
    y = layer.forward(x, training=training)
    weights = rng.standard_normal(y.shape)
    dx = layer.backward(weights.copy())
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    assert set(analytic) == set(layer.params)

    def loss():
        before_forward()
        return float(np.sum(layer.forward(x, training=training) * weights))

    assert dx.shape == x.shape and dx.dtype == np.float64
    error = relative_error(dx, numeric_gradient(loss, x))
    assert error < TOLERANCE, "%r: input gradient relative error %.2e" % (layer, error)
    for name, param in layer.params.items():
        assert analytic[name].shape == param.shape
        error = relative_error(analytic[name], numeric_gradient(loss, param))
        assert error < TOLERANCE, "%r: %s gradient relative error %.2e" % (layer, name, error)


def build(layer, input_shape, seed=0):
    layer.build(input_shape, np.random.RandomState(seed), np.float64)
    for p in layer.params.values():
        assert p.dtype == np.float64
    # Non-zero biases, so a bias that is silently ignored would show.
    for name, p in layer.params.items():
        if name == "bias":
            p[...] = np.random.RandomState(seed + 1).standard_normal(p.shape)
    return layer


# (input shape C,H,W; filters; kernel; stride; padding)
CONV_CASES = [
    ((1, 5, 5), 2, 3, 1, "valid"),
    ((2, 6, 5), 3, 3, 1, "same"),
    ((3, 5, 6), 2, 3, 1, "full"),
    ((2, 7, 7), 3, 3, 2, "valid"),
    ((2, 7, 6), 2, 3, 2, "same"),
    ((1, 6, 7), 2, 2, 2, "same"),  # even kernel: the extra padding goes after
    ((2, 5, 5), 2, 3, 2, "full"),
    ((2, 8, 8), 2, 3, 3, "valid"),
    ((1, 8, 7), 3, 2, 3, "same"),
    ((2, 7, 7), 2, 4, 3, "full"),
    ((2, 6, 6), 2, 3, 1, 1),
    ((1, 6, 5), 3, 3, 2, 2),
    ((3, 4, 4), 4, 1, 1, "valid"),  # 1x1 kernel
    ((2, 6, 7), 2, (2, 3), 1, "same"),  # non-square kernel
    ((2, 7, 6), 2, (3, 2), 2, "full"),
    ((1, 5, 5), 2, 5, 1, "valid"),  # kernel as large as the image: one output pixel
]


@pytest.mark.parametrize("method", ["im2col", "fft"])
@pytest.mark.parametrize("input_shape, filters, kernel, stride, padding", CONV_CASES)
def test_conv2d_gradients(method, input_shape, filters, kernel, stride, padding):
    layer = build(Conv2D(filters, kernel, stride=stride, padding=padding, method=method),
                  input_shape)
    x = np.random.RandomState(2).standard_normal((2,) + input_shape)
    check_layer(layer, x)


def test_conv2d_first_layer_skips_input_gradient_but_keeps_parameter_gradients():
    layer = build(Conv2D(2, 3, padding="same"), (1, 5, 5))
    x = np.random.RandomState(0).standard_normal((2, 1, 5, 5))
    y = layer.forward(x)
    layer.backward(np.ones_like(y))
    full = {k: v.copy() for k, v in layer.grads.items()}
    layer.needs_input_grad = False
    layer.forward(x)
    assert layer.backward(np.ones_like(y)) is None
    for name in full:
        np.testing.assert_allclose(layer.grads[name], full[name], rtol=1e-12)


def test_relu_gradient():
    layer = build(ReLU(), (2, 4, 5))
    x = np.random.RandomState(0).standard_normal((3, 2, 4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where differences are meaningless
    check_layer(layer, x)


def distinct_values(shape, seed):
    """Random values whose pairwise gaps far exceed EPS, so no max changes under a nudge."""
    n = int(np.prod(shape))
    rng = np.random.RandomState(seed)
    return (rng.permutation(n) * 0.01 + rng.uniform(0, 1e-3, n)).reshape(shape) - n * 0.005


@pytest.mark.parametrize("input_shape, size, stride", [
    ((2, 4, 4), 2, 2),
    ((1, 5, 5), 2, 2),   # odd size: the last row/column is dropped
    ((2, 7, 7), 3, 2),   # overlapping windows: gradients accumulate
    ((1, 6, 6), 3, 3),
    ((2, 6, 5), 2, 1),
    ((1, 7, 6), 3, 1),
    ((1, 4, 4), 4, 4),   # global max
])
def test_maxpool_gradient(input_shape, size, stride):
    layer = build(MaxPool2D(size, stride), input_shape)
    check_layer(layer, distinct_values((2,) + input_shape, seed=size * 10 + stride))


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.7])
def test_dropout_gradient_in_training_with_a_fixed_mask(rate):
    layer = build(Dropout(rate, seed=5), (3, 4, 4))
    x = np.random.RandomState(0).standard_normal((2, 3, 4, 4))

    def same_mask():
        layer.rng = np.random.RandomState(7)

    check_layer(layer, x, training=True, before_forward=same_mask)
    if rate:
        dropped = layer.forward(x, training=True) == 0
        assert 0 < dropped.mean() < 1


def test_dropout_is_identity_at_inference():
    layer = build(Dropout(0.5), (10,))
    x = np.random.RandomState(0).standard_normal((4, 10))
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))


def test_flatten_gradient():
    check_layer(build(Flatten(), (2, 3, 4)), np.random.RandomState(0).standard_normal((3, 2, 3, 4)))


@pytest.mark.parametrize("d_in, units", [(1, 1), (5, 3), (12, 7)])
def test_dense_gradient(d_in, units):
    check_layer(build(Dense(units), (d_in,)), np.random.RandomState(0).standard_normal((4, d_in)))


def test_softmax_gradient():
    x = np.random.RandomState(0).standard_normal((4, 6)) * 3
    check_layer(build(Softmax(), (6,)), x)


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_softmax_cross_entropy_gradient(scale):
    rng = np.random.RandomState(0)
    logits = rng.standard_normal((5, 7)) * scale
    labels = rng.randint(0, 7, size=5)
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(logits, labels)
    analytic = loss_fn.backward()
    numeric = numeric_gradient(lambda: loss_fn.forward(logits, labels), logits)
    assert relative_error(analytic, numeric) < TOLERANCE


@pytest.mark.parametrize("method", ["im2col", "fft"])
def test_whole_sequential_gradient(method):
    """Loss of a small conv net through every layer kind, against finite differences of
    every parameter (a sample of the big ones) and of the input."""
    model = Sequential([
        Conv2D(3, 3, padding="same", method=method), ReLU(), MaxPool2D(2),
        Conv2D(4, 3, stride=2, padding="valid", method=method), ReLU(),
        Flatten(), Dense(6), ReLU(), Dropout(0.25, seed=3), Dense(5), Softmax(),
    ], input_shape=(2, 9, 9), seed=4, dtype=np.float64)
    model.layers[0].needs_input_grad = True  # so dL/dx comes back too
    rng = np.random.RandomState(0)
    x = rng.standard_normal((3, 2, 9, 9))
    labels = rng.randint(0, 5, size=3)
    for _, p, _ in model.parameters():
        p += rng.uniform(-0.05, 0.05, p.shape)  # non-zero biases
    loss_fn = SoftmaxCrossEntropy()
    end = len(model.layers) - 1  # logits, as in training

    def loss():
        model.reseed(0)  # the same dropout mask at every call
        return loss_fn.forward(model.forward(x, training=True, upto=end), labels)

    loss()
    dx = model.backward(loss_fn.backward(), upto=end)
    analytic = {key: g.copy() for key, _, g in model.parameters()}
    assert relative_error(dx, numeric_gradient(loss, x)) < TOLERANCE
    for key, p, _ in model.parameters():
        indices = rng.choice(p.size, size=min(p.size, 25), replace=False)
        numeric = numeric_gradient(loss, p, indices).reshape(-1)[indices]
        error = relative_error(analytic[key].reshape(-1)[indices], numeric)
        assert error < TOLERANCE, "%s: relative error %.2e" % (key, error)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_drops_the_rate_and_keeps_the_expected_activation(rate):
    # The gradient check above holds for any mask and any scale; this pins both: a fraction
    # `rate` of the units is dropped, and the rest are scaled by 1 / (1 - rate).
    layer = build(Dropout(rate, seed=1), (100, 100))
    x = np.random.RandomState(0).uniform(0.5, 1.5, (10, 100, 100))
    y = layer.forward(x, training=True)
    dropped = y == 0
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(y[~dropped], x[~dropped] / (1 - rate), rtol=1e-12)
    assert abs(y.mean() / x.mean() - 1) < 0.02


def test_a_models_first_layer_returns_no_input_gradient():
    """Nothing needs dL/dx of the network's input, so the first layer skips it (a col2im)."""
    model = Sequential([Conv2D(2, 3), ReLU(), Flatten(), Dense(3)], input_shape=(1, 5, 5),
                       dtype=np.float64)
    y = model.forward(np.random.RandomState(0).standard_normal((2, 1, 5, 5)), training=True)
    assert model.backward(np.ones_like(y)) is None
    assert all(g is not None for _, _, g in model.parameters())
