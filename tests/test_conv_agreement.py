"""The three convolutions agree: vectorised (im2col), FFT and the naive loops of
reference_conv.py, forward and backward, in float32 and float64. Max pooling with ties
sends each window's gradient to exactly one element, the first maximum, as forward chose."""

import numpy as np
import pytest
from reference_conv import (
    naive_conv2d,
    naive_conv2d_backward,
    naive_maxpool2d,
    naive_maxpool2d_backward,
)

from pycnn.nn import Conv2D, MaxPool2D

TOLERANCE = 1e-4


def relative_error(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-12)
    return float(np.abs(a - b).max() / scale)


def random_cases(count, seed):
    """Random (N, C, H, W, F, kernel, stride, padding) that fit together."""
    rng = np.random.RandomState(seed)
    cases = []
    while len(cases) < count:
        kh, kw = rng.randint(1, 5, size=2)
        if rng.rand() < 0.6:
            kw = kh
        stride = int(rng.randint(1, 4))
        padding = ["valid", "same", "full", int(rng.randint(1, 3))][rng.randint(4)]
        h, w = rng.randint(3, 10, size=2)
        if padding == "valid" and (h < kh or w < kw):
            continue
        if isinstance(padding, int) and (h + 2 * padding < kh or w + 2 * padding < kw):
            continue
        kernel = int(kh) if kh == kw else (int(kh), int(kw))
        cases.append((int(rng.randint(1, 3)), int(rng.randint(1, 4)), int(h), int(w),
                      int(rng.randint(1, 4)), kernel, stride, padding))
    return cases


def make_layer(method, c, h, w, f, kernel, stride, padding, dtype, seed):
    layer = Conv2D(f, kernel, stride=stride, padding=padding, method=method)
    layer.build((c, h, w), np.random.RandomState(seed), dtype)
    layer.params["bias"][...] = np.random.RandomState(seed + 1).standard_normal(f)
    return layer


# The shapes the real network uses, plus the random ones.
TYPICAL_CASES = [
    (2, 1, 12, 12, 4, 3, 1, "same"),
    (2, 3, 8, 8, 5, 3, 1, "same"),
    (2, 2, 8, 7, 3, 4, 1, "same"),
    (2, 2, 9, 9, 3, 5, 1, "valid"),
    (1, 2, 6, 6, 2, 3, 1, "full"),
    (2, 2, 10, 10, 3, 3, 2, "same"),
    (1, 1, 8, 8, 2, 3, 1, (0, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, c, h, w, f, kernel, stride, padding",
                         TYPICAL_CASES + random_cases(24, seed=42))
def test_im2col_fft_and_naive_agree(n, c, h, w, f, kernel, stride, padding, dtype):
    rng = np.random.RandomState(h * 100 + w)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    layers = {m: make_layer(m, c, h, w, f, kernel, stride, padding, dtype, seed=n + c + f)
              for m in ("im2col", "fft")}
    weight = layers["im2col"].params["weight"]
    bias = layers["im2col"].params["bias"]
    np.testing.assert_array_equal(weight, layers["fft"].params["weight"])

    expected = naive_conv2d(x, weight, bias, stride, padding)
    dy = rng.standard_normal(expected.shape).astype(dtype)
    dx_ref, dw_ref, db_ref = naive_conv2d_backward(x, weight, dy, stride, padding)
    for method, layer in layers.items():
        y = layer.forward(x)
        assert y.shape == expected.shape, method
        assert y.dtype == dtype, method
        assert relative_error(y, expected) < TOLERANCE, method
        dx = layer.backward(dy)
        assert dx.shape == x.shape and dx.dtype == dtype, method
        assert relative_error(dx, dx_ref) < TOLERANCE, method
        assert relative_error(layer.grads["weight"], dw_ref) < TOLERANCE, method
        assert relative_error(layer.grads["bias"], db_ref) < TOLERANCE, method
        assert layer.grads["weight"].dtype == dtype, method


def test_reused_buffers_do_not_leak_between_batches():
    """The im2col and padding buffers are reused across calls: a second batch of another
    size, then the first again, must give the same answers as a fresh layer."""
    layer = make_layer("im2col", 2, 6, 6, 3, 3, 1, "same", np.float32, seed=0)
    rng = np.random.RandomState(0)
    a, b = rng.standard_normal((4, 2, 6, 6)), rng.standard_normal((3, 2, 6, 6))
    first = layer.forward(a.astype(np.float32)).copy()
    layer.forward(b.astype(np.float32))
    again = layer.forward(a.astype(np.float32))
    np.testing.assert_array_equal(first, again)
    ref = naive_conv2d(a, layer.params["weight"], layer.params["bias"], 1, "same")
    assert relative_error(again, ref) < TOLERANCE


# --- max pooling ------------------------------------------------------------------------

POOL_CASES = [(2, 2), (3, 2), (3, 3), (2, 1), (3, 1)]


def pool(x, size, stride):
    layer = MaxPool2D(size, stride)
    layer.build(x.shape[1:], np.random.RandomState(0), x.dtype)
    return layer, layer.forward(x)


@pytest.mark.parametrize("size, stride", POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxpool_matches_naive_with_many_ties(size, stride, dtype):
    # Values in {0, 1, 2}: most windows hold several equal maxima.
    x = np.random.RandomState(size * 10 + stride).randint(0, 3, (2, 3, 7, 8)).astype(dtype)
    layer, y = pool(x, size, stride)
    y_ref, argmax = naive_maxpool2d(x, size, stride)
    np.testing.assert_array_equal(y, y_ref)
    dy = np.random.RandomState(1).standard_normal(y.shape).astype(dtype)
    dx = layer.backward(dy)
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, naive_maxpool2d_backward(x.shape, argmax, dy), rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize("size, stride", POOL_CASES)
def test_maxpool_constant_input_sends_each_window_to_its_first_element(size, stride):
    x = np.full((1, 2, 7, 7), -1.5, dtype=np.float32)
    layer, y = pool(x, size, stride)
    np.testing.assert_array_equal(y, -1.5)
    dy = np.arange(1, y.size + 1, dtype=np.float32).reshape(y.shape)
    dx = layer.backward(dy)
    expected = np.zeros_like(x)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            expected[:, :, i * stride, j * stride] += dy[:, :, i, j]  # top-left of the window
    np.testing.assert_array_equal(dx, expected)
    assert dx.sum() == dy.sum()  # nothing doubled, nothing lost


@pytest.mark.parametrize("size, stride", POOL_CASES)
def test_maxpool_each_window_gradient_goes_to_exactly_one_first_maximum(size, stride):
    """One window at a time: its gradient lands on a single element, which forward's max
    came from, and no earlier element (row-major) of that window holds the same value."""
    x = np.random.RandomState(3).randint(-1, 2, (1, 1, 6, 7)).astype(np.float64)
    x[0, 0, :3, :3] = 1.0  # a block of duplicated maxima
    layer, y = pool(x, size, stride)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            dy = np.zeros_like(y)
            dy[0, 0, i, j] = 1.0
            dx = layer.backward(dy)[0, 0]
            rows, cols = np.nonzero(dx)
            assert len(rows) == 1 and dx[rows[0], cols[0]] == 1.0
            r, c = rows[0], cols[0]
            assert x[0, 0, r, c] == y[0, 0, i, j]
            window = x[0, 0, i * stride:i * stride + size, j * stride:j * stride + size]
            first = np.argmax(window.ravel() == window.max())
            assert (r - i * stride) * size + (c - j * stride) == first
