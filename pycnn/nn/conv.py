"""Convolution kernels shared by `Conv2D`: window gathering (im2col) and the FFT route.

Everything here is cross-correlation, as in every deep-learning library:

    y[n, f, i, j] = b[f] + sum_{c, u, v} xp[n, c, i*s + u, j*s + v] * w[f, c, u, v]

with `xp` the zero-padded input, x: (N, C, H, W), w: (F, C, kh, kw), y: (N, F, Ho, Wo).
Only NumPy >= 1.17 features are used, because this file runs in the browser (Pyodide 0.17).
"""

import sys

import numpy as np
from numpy.lib.stride_tricks import as_strided

PADDING_MODES = ("valid", "same", "full")
# numpy.fft is a fatal error in Pyodide before 0.19 (pyodide/pyodide#1693), which the page
# runs (0.17.1): there, Conv2D(method="fft") takes the im2col route instead.
FFT_WORKS = sys.platform != "emscripten"


def conv_padding(mode, kernel, stride, size):
    """Return (before, after) zero padding along one axis for a border mode.

    - ``valid``: no padding, the kernel stays inside the image.
    - ``full``: kernel-1 on both sides, every partial overlap counts.
    - ``same``: output size ceil(size / stride), the extra row (if odd) goes after,
      as in TensorFlow.
    An int (or a pair) is taken literally.
    """
    if isinstance(mode, (int, np.integer)):
        return int(mode), int(mode)
    if isinstance(mode, (tuple, list)):
        return int(mode[0]), int(mode[1])
    if mode == "valid":
        return 0, 0
    if mode == "full":
        return kernel - 1, kernel - 1
    if mode == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2
    raise ValueError("padding must be one of %s or an int, not %r" % (PADDING_MODES, mode))


def output_size(size, kernel, stride, pad):
    return (size + pad[0] + pad[1] - kernel) // stride + 1


def pad_input(x, pad_h, pad_w, buffer=None):
    """Zero-pad the spatial axes of x (N, C, H, W).

    The padded copy is laid out batch-innermost in memory, (C, Hp, Wp, N), and returned as
    an (N, C, Hp, Wp) view. A kernel tap then shifts whole (Wo x N) runs of memory, so the
    window copies and col2im move hundreds of floats per inner loop instead of one image
    row, and the matmul's output is already in this layout for the next layer. `buffer`,
    a (C, Hp, Wp, N) array of zeros from an earlier call, is reused so the border is
    never written twice.
    """
    n, c, h, w = x.shape
    shape = (c, h + pad_h[0] + pad_h[1], w + pad_w[0] + pad_w[1], n)
    if buffer is None or buffer.shape != shape or buffer.dtype != x.dtype:
        buffer = np.zeros(shape, dtype=x.dtype)
    buffer[:, pad_h[0]:pad_h[0] + h, pad_w[0]:pad_w[0] + w, :] = x.transpose(1, 2, 3, 0)
    return buffer.transpose(3, 0, 1, 2), buffer


def windows(xp, kh, kw, stride, out_h, out_w):
    """A read-only strided view (C, kh, kw, Ho, Wo, N) of every receptive field; no copy.

    Works on any memory layout of xp (N, C, Hp, Wp), because it follows xp's own strides.
    """
    n, c, _, _ = xp.shape
    sn, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=(c, kh, kw, out_h, out_w, n),
        strides=(sc, sh, sw, sh * stride, sw * stride, sn),
        writeable=False,
    )


def im2col(xp, kh, kw, stride, out_h, out_w, out=None):
    """Copy the windows into one (C*kh*kw, Ho*Wo*N) matrix: row (c, u, v), column (i, j, n).

    Each row is a shifted copy of one input plane, so the copy streams through memory.
    `out` is an optional scratch array of that shape to fill instead of allocating.
    """
    n, c = xp.shape[:2]
    shape = (c * kh * kw, out_h * out_w * n)
    if out is None or out.shape != shape or out.dtype != xp.dtype:
        out = np.empty(shape, dtype=xp.dtype)
    out.reshape(c, kh, kw, out_h, out_w, n)[...] = windows(xp, kh, kw, stride, out_h, out_w)
    return out


def col2im(cols, xp_shape, kh, kw, stride, out_h, out_w):
    """Adjoint of `im2col`: scatter-add (C*kh*kw, Ho*Wo*N) columns back onto the padded
    input, returned as an (N, C, Hp, Wp) view of (C, Hp, Wp, N) memory.

    One strided add per kernel tap (kh*kw of them) instead of one per window, so the
    Python loop is tiny and NumPy does the rest.
    """
    n, c, hp, wp = xp_shape
    dxp = np.zeros((c, hp, wp, n), dtype=cols.dtype)
    cols6 = cols.reshape(c, kh, kw, out_h, out_w, n)
    h_end = stride * (out_h - 1) + 1
    w_end = stride * (out_w - 1) + 1
    for u in range(kh):
        for v in range(kw):
            dxp[:, u:u + h_end:stride, v:v + w_end:stride, :] += cols6[:, u, v]
    return dxp.transpose(3, 0, 1, 2)


def fft_correlate(xp, w, stride, out_h, out_w):
    """Forward cross-correlation through the FFT, the route of the original demo.

    A circular correlation of size (Hp, Wp) equals the linear one on the valid indices,
    because the shifted kernel never wraps there, so no extra FFT padding is needed.
    """
    hp, wp = xp.shape[2:]
    xf = np.fft.rfft2(xp, s=(hp, wp))
    wf = np.fft.rfft2(w, s=(hp, wp))
    yf = np.einsum("nchw,fchw->nfhw", xf, np.conj(wf))
    y = np.fft.irfft2(yf, s=(hp, wp))
    return y[:, :, : stride * (out_h - 1) + 1 : stride, : stride * (out_w - 1) + 1 : stride]


def _dilate(dy, stride, hp, wp):
    """Place stride-s output gradients on the stride-1 grid of size (Hp, Wp), zeros between."""
    n, f, out_h, out_w = dy.shape
    if stride == 1 and (out_h, out_w) == (hp, wp):
        return dy
    dd = np.zeros((n, f, hp, wp), dtype=dy.dtype)
    dd[:, :, : stride * (out_h - 1) + 1 : stride, : stride * (out_w - 1) + 1 : stride] = dy
    return dd


def fft_correlate_backward(xp, w, dy, stride, need_dx=True):
    """Gradients (dxp, dw) of `fft_correlate`, both through the FFT; dxp is None when
    `need_dx` is False (a first layer has no input to pass a gradient to).

    dw[f, c] = sum_n corr(xp[n, c], dilated dy[n, f])   (a kh x kw valid correlation)
    dxp[n, c] = sum_f conv(dilated dy[n, f], w[f, c])     (a full convolution)
    Sizes fit in (Hp, Wp) without wrap-around, for the same reason as the forward pass.
    """
    hp, wp = xp.shape[2:]
    kh, kw = w.shape[2:]
    df = np.fft.rfft2(_dilate(dy, stride, hp, wp), s=(hp, wp))
    xf = np.fft.rfft2(xp, s=(hp, wp))
    dw = np.fft.irfft2(np.einsum("nchw,nfhw->fchw", xf, np.conj(df)), s=(hp, wp))[:, :, :kh, :kw]
    if not need_dx:
        return None, dw
    wf = np.fft.rfft2(w, s=(hp, wp))
    dxp = np.fft.irfft2(np.einsum("nfhw,fchw->nchw", df, wf), s=(hp, wp))
    return dxp, dw
