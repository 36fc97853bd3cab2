"""The layers. Each one is a class with `forward` and `backward`.

`forward(x, training)` keeps in `self` whatever `backward(dy)` needs, and `backward` returns
the gradient with respect to the input after storing parameter gradients in `self.grads`.
Images are NCHW, as in PyTorch: (batch, channels, height, width).

A layer is built once the input shape is known (`build`), which is when parameters get
their shapes and initial values. `config()` returns the JSON-able constructor arguments,
so a model file records the architecture without pickling code.
"""

import numpy as np

from . import conv as convops
from .init import INITIALISERS, check_initialiser


class Layer:
    """Base class: a layer without parameters that passes shapes through."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.input_shape = None
        self.output_shape = None
        # The first layer of a model never needs dL/dx; skipping it saves a col2im.
        self.needs_input_grad = True

    def build(self, input_shape, rng, dtype=np.float32):
        """Set shapes (per sample, without the batch axis) and create parameters."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def config(self):
        return {}

    @property
    def name(self):
        return type(self).__name__

    def parameter_count(self):
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self):
        args = ", ".join("%s=%r" % kv for kv in self.config().items())
        return "%s(%s)" % (self.name, args)


def _pair(v):
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


class Conv2D(Layer):
    """2-D cross-correlation with F filters.

        y[n, f, i, j] = b[f] + sum_{c,u,v} xp[n, c, i*s + u, j*s + v] * w[f, c, u, v]

    Shapes: x (N, C, H, W), w (F, C, kh, kw), b (F,), y (N, F, Ho, Wo) with
    Ho = (H + pad_top + pad_bottom - kh) // s + 1. `xp` is x zero-padded by the border
    mode: ``valid`` (no padding), ``full`` (kh-1 each side), ``same`` (Ho = ceil(H / s)).

    Backward, with G = dL/dy reshaped to (N*Ho*Wo, F) and X the im2col matrix:
        dL/dw = G^T X,   dL/db = sum over N, Ho, Wo of G,   dL/dX = G W  (then col2im).

    ``method="im2col"`` gathers windows with `as_strided` and does one matmul;
    ``method="fft"`` multiplies spectra instead (useful for large kernels). Where numpy.fft
    cannot run (`convops.FFT_WORKS`: in Pyodide 0.17 it aborts the whole runtime), an "fft"
    layer computes the same correlation by im2col, so a model file can't crash the page.
    """

    METHODS = ("im2col", "fft")

    def __init__(self, filters, kernel_size, stride=1, padding="valid", method="im2col",
                 init="he"):
        super().__init__()
        if method not in self.METHODS:
            raise ValueError("method must be one of %s, not %r" % (self.METHODS, method))
        check_initialiser(init)
        if not isinstance(padding, (int, tuple, list)) and padding not in convops.PADDING_MODES:
            raise ValueError(
                "padding must be one of %s or an int, not %r" % (convops.PADDING_MODES, padding)
            )
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size)
        self.stride = int(stride)
        # JSON gives a list for per-side padding; the rest of the layer expects a tuple.
        self.padding = tuple(padding) if isinstance(padding, list) else padding
        self.method = method
        self.init = init

    def compute_output_shape(self, input_shape):
        _, h, w = input_shape
        kh, kw = self.kernel_size
        self.pad_h = convops.conv_padding(self.padding, kh, self.stride, h)
        self.pad_w = convops.conv_padding(self.padding, kw, self.stride, w)
        out_h = convops.output_size(h, kh, self.stride, self.pad_h)
        out_w = convops.output_size(w, kw, self.stride, self.pad_w)
        if out_h < 1 or out_w < 1:
            raise ValueError("Conv2D kernel %s does not fit input %s" % (self.kernel_size,
                                                                         input_shape))
        return self.filters, out_h, out_w

    def build(self, input_shape, rng, dtype=np.float32):
        out = super().build(input_shape, rng, dtype)
        c = input_shape[0]
        kh, kw = self.kernel_size
        fan_in, fan_out = c * kh * kw, self.filters * kh * kw
        shape = (self.filters, c, kh, kw)
        self.params = {
            "weight": INITIALISERS[self.init](rng, shape, fan_in, fan_out).astype(dtype),
            "bias": np.zeros(self.filters, dtype=dtype),
        }
        return out

    def forward(self, x, training=False):
        w, b = self.params["weight"], self.params["bias"]
        f = w.shape[0]
        kh, kw = self.kernel_size
        n = x.shape[0]
        _, out_h, out_w = self.output_shape
        xp, self._pad_buffer = convops.pad_input(x, self.pad_h, self.pad_w,
                                                 getattr(self, "_pad_buffer", None))
        self._xp_shape = xp.shape
        if self.method == "fft" and convops.FFT_WORKS:
            self._xp = xp
            y = convops.fft_correlate(xp, w, self.stride, out_h, out_w).astype(x.dtype)
            return y + b.reshape(1, f, 1, 1)
        self._cols = convops.im2col(xp, kh, kw, self.stride, out_h, out_w,
                                    getattr(self, "_cols", None))
        y = w.reshape(f, -1) @ self._cols
        y += b[:, None]
        # (F, Ho, Wo, N) in memory, (N, F, Ho, Wo) to the caller: no copy here, and the
        # next layers keep this batch-innermost layout until Flatten.
        return y.reshape(f, out_h, out_w, n).transpose(3, 0, 1, 2)

    def backward(self, dy):
        w = self.params["weight"]
        f = w.shape[0]
        kh, kw = self.kernel_size
        _, _, out_h, out_w = dy.shape
        self.grads["bias"] = dy.sum(axis=(0, 2, 3))
        if self.method == "fft" and convops.FFT_WORKS:
            dxp, dw = convops.fft_correlate_backward(self._xp, w, dy, self.stride,
                                                     need_dx=self.needs_input_grad)
            self.grads["weight"] = dw.astype(w.dtype)
            dxp = None if dxp is None else dxp.astype(dy.dtype)
        else:
            g = dy.transpose(1, 2, 3, 0).reshape(f, -1)  # free when dy is batch-innermost
            self.grads["weight"] = (g @ self._cols.T).reshape(w.shape)
            dxp = None
            if self.needs_input_grad:
                dcols = w.reshape(f, -1).T @ g
                dxp = convops.col2im(dcols, self._xp_shape, kh, kw, self.stride, out_h, out_w)
        if dxp is None:
            return None
        hp, wp = self._xp_shape[2:]
        return dxp[:, :, self.pad_h[0]:hp - self.pad_h[1], self.pad_w[0]:wp - self.pad_w[1]]

    def config(self):
        padding = list(self.padding) if isinstance(self.padding, tuple) else self.padding
        return {"filters": self.filters, "kernel_size": list(self.kernel_size),
                "stride": self.stride, "padding": padding, "method": self.method,
                "init": self.init}


class ReLU(Layer):
    """y = max(x, 0);  dL/dx = dL/dy * [x > 0].  Any shape."""

    def forward(self, x, training=False):
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dy):
        return dy * self._mask


def running_max(taps, with_winners):
    """(y, winners) over an iterator of equally shaped taps: their elementwise maximum and, if
    asked, which tap (0, 1, ...) holds it. A tap takes over only where strictly greater, so
    ties keep the first maximum, as in PyTorch. Shared by the pooling layers."""
    y = next(taps).copy()
    winners = taken = None
    if with_winners:
        # Same memory layout as y, so the elementwise steps below stream together.
        winners = np.zeros_like(y, dtype=np.uint8)
        taken = np.empty_like(winners)
    for t, tap in enumerate(taps, 1):
        if with_winners:
            # Taps come in increasing t, so "t where strictly greater, else the old
            # winner" is max(winner, t * greater) (cheaper than copyto with where=).
            np.multiply(np.greater(tap, y), np.uint8(t), out=taken)
            np.maximum(winners, taken, out=winners)
        np.maximum(y, tap, out=y)
    return y, winners


class MaxPool2D(Layer):
    """Max over each (k x k) window with stride s, per channel.

        y[n, c, i, j] = max_{u,v < k} x[n, c, i*s + u, j*s + v]

    x (N, C, H, W) -> y (N, C, (H-k)//s + 1, (W-k)//s + 1). The gradient goes to one
    element per window: the first maximum in row-major order, as in PyTorch, so ties
    never double-count.
    """

    def __init__(self, pool_size=2, stride=None):
        super().__init__()
        self.pool_size = int(pool_size)
        self.stride = int(stride) if stride is not None else self.pool_size

    def compute_output_shape(self, input_shape):
        c, h, w = input_shape
        k, s = self.pool_size, self.stride
        if h < k or w < k:
            raise ValueError("MaxPool2D(%d) does not fit input %s" % (k, input_shape))
        return c, (h - k) // s + 1, (w - k) // s + 1

    # The work below runs on (C, H, W, N) views, the memory order Conv2D produces: NumPy
    # then walks the strided taps in memory order, 3-4x faster than through (N, C, H, W)
    # views of the same memory. Any other layout still gives the same numbers.

    def _taps(self, x, out_h, out_w):
        """The k*k strided views x[:, u::s, v::s, :] of x (C, H, W, N), one per window
        position (u, v), in row-major order."""
        k, s = self.pool_size, self.stride
        h_end, w_end = s * (out_h - 1) + 1, s * (out_w - 1) + 1
        for u in range(k):
            for v in range(k):
                yield x[:, u:u + h_end:s, v:v + w_end:s, :]

    def _pool(self, x, with_winners):
        """(y, winners) for x (C, H, W, N): the window maxima and, if asked, which tap
        (0 .. k*k-1, row-major) holds each one. A tap only takes over when strictly
        greater, so ties keep the first maximum, as in PyTorch."""
        c, h, w, _ = x.shape
        _, out_h, out_w = self.compute_output_shape((c, h, w))
        return running_max(self._taps(x, out_h, out_w), with_winners)

    def forward(self, x, training=False):
        # Inference never goes backward, so it skips the winners (the page runs batch 1).
        self._x = x.transpose(1, 2, 3, 0)
        y, self._winners = self._pool(self._x, with_winners=training)
        return y.transpose(3, 0, 1, 2)

    def backward(self, dy):
        x = self._x
        if self._winners is None:  # forward ran in inference mode
            self._winners = self._pool(x, with_winners=True)[1]
        dy = dy.transpose(1, 2, 3, 0)
        k, s = self.pool_size, self.stride
        out_h, out_w = dy.shape[1:3]
        overlapping = s < k
        covered = not overlapping and x.shape[1] == out_h * k and x.shape[2] == out_w * k
        # Windows that tile the input exactly write every element of dx once.
        dx = np.empty_like(x) if covered else np.zeros_like(x)
        hit = np.empty_like(self._winners, dtype=bool)
        for t, dtap in enumerate(self._taps(dx, out_h, out_w)):
            np.equal(self._winners, t, out=hit)
            if overlapping:
                dtap += dy * hit
            else:
                np.multiply(dy, hit, out=dtap)
        return dx.transpose(3, 0, 1, 2)

    def config(self):
        return {"pool_size": self.pool_size, "stride": self.stride}


class Dropout(Layer):
    """Inverted dropout: in training y = x * m / (1 - p) with m ~ Bernoulli(1 - p), so the
    expected activation is unchanged and inference is the identity. Any shape.

    The mask comes from `self.rng`, a seeded RandomState, so a training run (and a resumed
    one) is reproducible; `Sequential.fit` reseeds it at every epoch.
    """

    def __init__(self, rate=0.5, seed=0):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError("Dropout rate must be in [0, 1), not %r" % (rate,))
        self.rate = float(rate)
        self.seed = int(seed)
        self.rng = np.random.RandomState(self.seed)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self.rng.random_sample(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask

    def config(self):
        return {"rate": self.rate, "seed": self.seed}


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1*d2*...), in C order, and back for the gradient."""

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(self._x_shape)


class Dense(Layer):
    """Fully connected: y = x W + b, x (N, D), W (D, U), b (U,), y (N, U).

    dL/dW = x^T G,  dL/db = sum_n G,  dL/dx = G W^T,  with G = dL/dy.
    """

    def __init__(self, units, init="glorot"):
        super().__init__()
        check_initialiser(init)
        self.units = int(units)
        self.init = init

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError("Dense expects flat input, got %s; add Flatten() first"
                             % (input_shape,))
        return (self.units,)

    def build(self, input_shape, rng, dtype=np.float32):
        out = super().build(input_shape, rng, dtype)
        d = input_shape[0]
        self.params = {
            "weight": INITIALISERS[self.init](rng, (d, self.units), d, self.units).astype(dtype),
            "bias": np.zeros(self.units, dtype=dtype),
        }
        return out

    def forward(self, x, training=False):
        self._x = x
        return x @ self.params["weight"] + self.params["bias"]

    def backward(self, dy):
        self.grads["weight"] = self._x.T @ dy
        self.grads["bias"] = dy.sum(axis=0)
        if not self.needs_input_grad:
            return None
        return dy @ self.params["weight"].T

    def config(self):
        return {"units": self.units, "init": self.init}


def softmax(z):
    """Row-wise softmax of (N, K) logits, shifted by the row max so exp never overflows."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Softmax(Layer):
    """p = exp(z) / sum_k exp(z_k) over the last axis; z, p (N, K).

    dL/dz = p * (G - sum_k G_k p_k). Training uses the fused `SoftmaxCrossEntropy` on the
    logits instead, which is both faster and numerically safer.
    """

    def forward(self, x, training=False):
        self._p = softmax(x)
        return self._p

    def backward(self, dy):
        p = self._p
        return p * (dy - (dy * p).sum(axis=1, keepdims=True))


def classify(probabilities):
    """Class index of each row: argmax over the last axis."""
    return np.argmax(probabilities, axis=-1)


LAYERS = {cls.__name__: cls for cls in (Conv2D, ReLU, MaxPool2D, Dropout, Flatten, Dense,
                                        Softmax)}
