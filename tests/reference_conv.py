"""Naive loop convolution and max pooling: the slow, obviously-correct reference for tests.

Never used by pycnn itself. Written straight from the definitions, one output element at a
time, so that it shares no code (no padding helper, no strides trick) with `pycnn.nn.conv`.
"""

import numpy as np


def pad_amounts(padding, size, kernel, stride):
    """(before, after) zero padding along one axis, from the definitions of the modes."""
    if isinstance(padding, (int, np.integer)):
        return int(padding), int(padding)
    if isinstance(padding, (tuple, list)):
        return int(padding[0]), int(padding[1])
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return kernel - 1, kernel - 1
    if padding == "same":
        # Smallest padding giving ceil(size / stride) outputs; the odd one goes after.
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2
    raise ValueError(padding)


def naive_conv2d(x, w, b, stride=1, padding="valid"):
    """y[n, f, i, j] = b[f] + sum_{c,u,v} xp[n, c, i*s + u, j*s + v] * w[f, c, u, v]."""
    n, c, h, wd = x.shape
    f, c2, kh, kw = w.shape
    assert c == c2
    top, bottom = pad_amounts(padding, h, kh, stride)
    left, right = pad_amounts(padding, wd, kw, stride)
    hp, wp = h + top + bottom, wd + left + right
    xp = np.zeros((n, c, hp, wp), dtype=np.float64)
    xp[:, :, top:top + h, left:left + wd] = x
    out_h = (hp - kh) // stride + 1
    out_w = (wp - kw) // stride + 1
    y = np.zeros((n, f, out_h, out_w), dtype=np.float64)
    for ni in range(n):
        for fi in range(f):
            for i in range(out_h):
                for j in range(out_w):
                    total = float(b[fi])
                    for ci in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                total += (float(xp[ni, ci, i * stride + u, j * stride + v])
                                          * float(w[fi, ci, u, v]))
                    y[ni, fi, i, j] = total
    return y


def naive_conv2d_backward(x, w, dy, stride=1, padding="valid"):
    """(dx, dw, db) of `naive_conv2d` by scattering each output gradient onto its window."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    top, bottom = pad_amounts(padding, h, kh, stride)
    left, right = pad_amounts(padding, wd, kw, stride)
    xp = np.zeros((n, c, h + top + bottom, wd + left + right), dtype=np.float64)
    xp[:, :, top:top + h, left:left + wd] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape, dtype=np.float64)
    out_h, out_w = dy.shape[2:]
    for ni in range(n):
        for fi in range(f):
            for i in range(out_h):
                for j in range(out_w):
                    g = float(dy[ni, fi, i, j])
                    for ci in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                dxp[ni, ci, i * stride + u, j * stride + v] += g * w[fi, ci, u, v]
                                dw[fi, ci, u, v] += g * xp[ni, ci, i * stride + u, j * stride + v]
    db = dy.astype(np.float64).sum(axis=(0, 2, 3))
    dx = dxp[:, :, top:top + h, left:left + wd]
    return dx, dw, db


def naive_maxpool2d(x, k, stride):
    """Max over each k x k window; also returns, per window, the flat (row-major) index in
    the input plane of the first maximum, which is where the gradient must go."""
    n, c, h, w = x.shape
    out_h, out_w = (h - k) // stride + 1, (w - k) // stride + 1
    y = np.zeros((n, c, out_h, out_w), dtype=x.dtype)
    argmax = np.zeros((n, c, out_h, out_w), dtype=np.int64)
    for ni in range(n):
        for ci in range(c):
            for i in range(out_h):
                for j in range(out_w):
                    best, where = None, None
                    for u in range(k):
                        for v in range(k):
                            value = x[ni, ci, i * stride + u, j * stride + v]
                            if best is None or value > best:  # strict: first max wins
                                best, where = value, (i * stride + u) * w + j * stride + v
                    y[ni, ci, i, j] = best
                    argmax[ni, ci, i, j] = where
    return y, argmax


def naive_maxpool2d_backward(x_shape, argmax, dy):
    """Each window's gradient goes to its first maximum, accumulated over windows."""
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w), dtype=np.float64)
    for ni in range(n):
        for ci in range(c):
            for flat, g in zip(argmax[ni, ci].ravel(), dy[ni, ci].ravel()):
                dx[ni, ci, flat] += g
    return dx.reshape(x_shape)
