"""Where numpy.fft can't run (Pyodide 0.17), an FFT convolution takes the im2col route.

Only pytest, numpy and pycnn: this file also runs on the page's Python 3.8 + NumPy 1.17.
"""

import numpy as np

from pycnn.nn import conv as convops
from pycnn.nn.layers import Conv2D


def test_an_fft_layer_gives_the_im2col_answer_without_touching_numpy_fft(monkeypatch):
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 9, 9).astype(np.float32)
    dy = rng.randn(2, 4, 5, 5).astype(np.float32)
    layers = {}
    for method in ("im2col", "fft"):
        layer = Conv2D(4, 3, stride=2, padding="same", method=method)
        layer.build((3, 9, 9), np.random.RandomState(1))
        layers[method] = layer
    expected = layers["im2col"].forward(x)
    expected_dx = layers["im2col"].backward(np.ascontiguousarray(dy))

    def no_fft(*args, **kwargs):
        raise AssertionError("numpy.fft was called where it aborts the runtime")

    monkeypatch.setattr(convops, "FFT_WORKS", False)
    monkeypatch.setattr(convops, "fft_correlate", no_fft)
    monkeypatch.setattr(convops, "fft_correlate_backward", no_fft)
    fft = layers["fft"]
    np.testing.assert_array_equal(fft.forward(x), expected)
    np.testing.assert_array_equal(fft.backward(np.ascontiguousarray(dy)), expected_dx)
    np.testing.assert_array_equal(fft.grads["weight"], layers["im2col"].grads["weight"])
    assert fft.config()["method"] == "fft"  # the model file still says what it is

