"""Layers for reading a line of writing (a word) as a sequence of frames, and the padding rule.

A word network reads a grey image of fixed height and any width, (N, C, H, W), with the
usual Conv2D / ReLU / MaxPool2D stack, then

    MaxPoolHeight   pools the height only, so the number of frames stays high
    Collapse        (N, C, H, W) -> (N, W, C*H): one frame per column, its features the
                    channels times the remaining height
    Conv1D          a convolution along the frames, optionally dilated
    TimeDense       the same dense layer at every frame: (N, T, F) -> (N, T, units)

and gives logits (N, T, classes) for a CTC loss. ReLU and Dropout work on any shape and
serve as they are.

Memory layout. Between convolution and pooling layers, activations sit in memory batch-
innermost, (C, H, W, N), and are shown to callers as (N, C, H, W) (see conv.py). Sequences
keep that habit: an (N, T, F) activation sits in memory as (F, T, N). Collapse is then a
free reshape of (C, H, W, N) memory into (C*H, W, N), and Conv1D and TimeDense are one
matmul each on (F, T*N) matrices with no transposes. Any other memory layout gives the same
numbers (NumPy copies where it must).

Variable width (the padding rule). A batch of words of different widths is padded on the
right to the widest, and padding must never change a word's frames. `Sequential.forward_
sequence(x, widths)` guarantees it: after every layer it sets to zero the columns (frames)
beyond each word's own length at that depth (after layers that keep zeros zero, ReLU,
Dropout, Collapse and MaxPoolHeight, it need not), and `backward_sequence` zeroes the
gradients at the same places, so it is the exact gradient of that forward pass. A word's
valid outputs then see, beyond its right edge, exactly the zeros the word alone sees as its
convolutions' zero padding. The lengths come from `frame_lengths`: a layer gives a word of
L columns the number of columns the layer would give that word alone,

    Conv2D     (L + p0 + p1 - kw) // s + 1   (L for padding="same" and stride 1)
    MaxPool2D  (L - k) // s + 1
    Conv1D     L ("same") or L - d*(k-1) ("valid")
    the rest   L

and a layer's valid outputs must read only valid inputs or zeros. That holds when the left
padding along the width does not depend on the width: always, except Conv2D with padding
"same" and a stride s > 1, whose left padding changes with the width modulo s in some
cases; `check_sequence_layers` refuses those. Flatten, Dense and Softmax mix frames or
assume one score vector per image, so a sequence model has none of them.

Python 3.8 and NumPy 1.17 only (this file runs in the browser, in Pyodide 0.17).
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .conv import conv_padding, output_size
from .init import INITIALISERS, check_initialiser
from .layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    Softmax,
    running_max,
)

CONV1D_PADDING = ("same", "valid")


class Collapse(Layer):
    """Columns become frames: (N, C, H, W) -> (N, W, C*H).

        y[n, w, c*H + h] = x[n, c, h, w]

    Backward is the inverse reshape: dL/dx[n, c, h, w] = dL/dy[n, w, c*H + h]. In the
    (C, H, W, N) memory Conv2D and MaxPool2D produce, both directions are free reshapes
    to (C*H, W, N) memory, which is the (F, T, N) layout the sequence layers use.
    """

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError("Collapse expects (C, H, W) input, got %s" % (input_shape,))
        c, h, w = input_shape
        return w, c * h

    def forward(self, x, training=False):
        n, c, h, w = x.shape
        self._x_shape = x.shape
        return x.transpose(1, 2, 3, 0).reshape(c * h, w, n).transpose(2, 1, 0)

    def backward(self, dy):
        n, c, h, w = self._x_shape
        return dy.transpose(2, 1, 0).reshape(c, h, w, n).transpose(3, 0, 1, 2)

    def output_length(self, length):
        return length


class MaxPoolHeight(Layer):
    """Max over k rows, stride k, every column kept: (N, C, H, W) -> (N, C, H // k, W).

        y[n, c, i, j] = max_{u < k} x[n, c, i*k + u, j]

    Lowers the height (so the frames Collapse makes have fewer features) without lowering
    the number of frames, which a CTC loss needs to be at least the label length. The
    gradient goes to the first maximum of each window, as in MaxPool2D and PyTorch.
    """

    def __init__(self, pool_size=2):
        super().__init__()
        self.pool_size = int(pool_size)
        if self.pool_size < 1:
            raise ValueError("MaxPoolHeight pool_size must be at least 1, not %d"
                             % self.pool_size)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError("MaxPoolHeight expects (C, H, W) input, got %s" % (input_shape,))
        c, h, w = input_shape
        if h < self.pool_size:
            raise ValueError("MaxPoolHeight(%d) does not fit input %s"
                             % (self.pool_size, input_shape))
        return c, h // self.pool_size, w

    def _taps(self, x, out_h):
        """The k views x[:, u::k][:out_h] of x (C, H, W, N), one per row of the window."""
        k = self.pool_size
        end = k * (out_h - 1) + 1
        for u in range(k):
            yield x[:, u:u + end:k]

    def _pool(self, x, out_h, with_winners):
        """(y, winners) for x (C, H, W, N): the maxima and, if asked, which row of its
        window (0 .. k-1) holds each one; a row takes over only where strictly greater."""
        return running_max(self._taps(x, out_h), with_winners)

    def forward(self, x, training=False):
        self._x = x.transpose(1, 2, 3, 0)
        y, self._winners = self._pool(self._x, x.shape[2] // self.pool_size, training)
        return y.transpose(3, 0, 1, 2)

    def backward(self, dy):
        x = self._x
        dy = dy.transpose(1, 2, 3, 0)
        out_h = dy.shape[1]
        if self._winners is None:  # forward ran in inference mode
            self._winners = self._pool(x, out_h, True)[1]
        dx = np.empty_like(x) if x.shape[1] == out_h * self.pool_size else np.zeros_like(x)
        for u, dtap in enumerate(self._taps(dx, out_h)):
            np.multiply(dy, self._winners == u, out=dtap)
        return dx.transpose(3, 0, 1, 2)

    def output_length(self, length):
        return length

    def config(self):
        return {"pool_size": self.pool_size}


def conv1d_padding(mode, kernel, dilation):
    """(before, after) zeros along the frames: "valid" none, "same" d*(k-1) in all, the odd
    one after (as Conv2D's "same")."""
    if mode == "valid":
        return 0, 0
    if mode == "same":
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2
    raise ValueError("Conv1D padding must be one of %s, not %r" % (CONV1D_PADDING, mode))


class Conv1D(Layer):
    """Cross-correlation along the frames with F filters, dilation d:

        y[n, t, f] = b[f] + sum_{c, u < k} xp[n, t + u*d, c] * w[f, c, u]

    Shapes: x (N, T, C), w (F, C, k) (PyTorch's conv1d layout), b (F,), y (N, To, F).
    `xp` is x with p0 zero frames before and p1 after: "same" pads d*(k-1) in all (p0 the
    smaller half), so To = T; "valid" pads nothing, To = T - d*(k-1). A dilated kernel
    spans d*(k-1) + 1 frames for k*C*F multiply-adds per output frame, so stacking
    dilations 1, 2, 4 widens the receptive field cheaply.

    Like Conv2D, the windows are gathered with `as_strided` into a (C*k, To*N) matrix X,
    row (c, u), column (t, n), and Y = W X is one matmul. Backward, with G = dL/dY:
        dL/dw = G X^T,   dL/db = sum over To, N of G,   dL/dX = W^T G (then col2im:
        one strided add per tap).
    Multiply-adds per word: F * C * k * To.
    """

    def __init__(self, filters, kernel_size, padding="same", dilation=1, init="he"):
        super().__init__()
        check_initialiser(init)
        if padding not in CONV1D_PADDING:
            raise ValueError("Conv1D padding must be one of %s, not %r"
                             % (CONV1D_PADDING, padding))
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.dilation = int(dilation)
        if self.filters < 1 or self.kernel_size < 1 or self.dilation < 1:
            raise ValueError("Conv1D filters, kernel_size and dilation must be at least 1")
        self.padding = padding
        self.init = init
        self.pad = conv1d_padding(padding, self.kernel_size, self.dilation)

    @property
    def span(self):
        """Frames one output reads: d*(k-1) + 1."""
        return self.dilation * (self.kernel_size - 1) + 1

    def output_length(self, length):
        return length + self.pad[0] + self.pad[1] - self.span + 1

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError("Conv1D expects (T, F) input, got %s; add Collapse() first"
                             % (input_shape,))
        t, _ = input_shape
        out = self.output_length(t)
        if out < 1:
            raise ValueError("Conv1D kernel %d with dilation %d does not fit %d frames"
                             % (self.kernel_size, self.dilation, t))
        return out, self.filters

    def build(self, input_shape, rng, dtype=np.float32):
        out = super().build(input_shape, rng, dtype)
        c, k = input_shape[1], self.kernel_size
        shape = (self.filters, c, k)
        self.params = {
            "weight": INITIALISERS[self.init](rng, shape, c * k, self.filters * k).astype(dtype),
            "bias": np.zeros(self.filters, dtype=dtype),
        }
        return out

    def forward(self, x, training=False):
        w, b = self.params["weight"], self.params["bias"]
        f, c, k = w.shape
        n, t, _ = x.shape
        out_t = self.output_length(t)
        shape = (c, t + self.pad[0] + self.pad[1], n)
        xp = getattr(self, "_pad_buffer", None)
        if xp is None or xp.shape != shape or xp.dtype != x.dtype:
            xp = self._pad_buffer = np.zeros(shape, dtype=x.dtype)  # borders stay zero
        xp[:, self.pad[0]:self.pad[0] + t, :] = x.transpose(2, 1, 0)
        sc, st, sn = xp.strides
        windows = as_strided(xp, shape=(c, k, out_t, n),
                             strides=(sc, st * self.dilation, st, sn), writeable=False)
        cols = getattr(self, "_cols", None)
        if cols is None or cols.shape != (c * k, out_t * n) or cols.dtype != x.dtype:
            cols = self._cols = np.empty((c * k, out_t * n), dtype=x.dtype)
        cols.reshape(c, k, out_t, n)[...] = windows
        y = w.reshape(f, -1) @ cols
        y += b[:, None]
        # (F, To, N) in memory, (N, To, F) to the caller.
        return y.reshape(f, out_t, n).transpose(2, 1, 0)

    def backward(self, dy):
        w = self.params["weight"]
        f, c, k = w.shape
        n, out_t, _ = dy.shape
        g = dy.transpose(2, 1, 0).reshape(f, -1)  # free when dy is in (F, To, N) memory
        self.grads["weight"] = (g @ self._cols.T).reshape(w.shape)
        self.grads["bias"] = g.sum(axis=1)
        if not self.needs_input_grad:
            return None
        dcols = (w.reshape(f, -1).T @ g).reshape(c, k, out_t, n)
        tp = self._pad_buffer.shape[1]
        dxp = np.zeros((c, tp, n), dtype=dy.dtype)
        d = self.dilation
        for u in range(k):
            dxp[:, u * d:u * d + out_t, :] += dcols[:, u]
        return dxp[:, self.pad[0]:tp - self.pad[1], :].transpose(2, 1, 0)

    def config(self):
        return {"filters": self.filters, "kernel_size": self.kernel_size,
                "padding": self.padding, "dilation": self.dilation, "init": self.init}


class TimeDense(Layer):
    """The same fully connected layer at every frame:

        y[n, t, :] = x[n, t, :] W + b,   x (N, T, D), W (D, U), b (U,), y (N, T, U).

    With X the (D, T*N) matrix of all frames and G = dL/dY (U, T*N):
        dL/dW = X G^T,   dL/db = sum over T, N of G,   dL/dX = W G.
    (Dense itself takes only (N, D): its x^T would transpose all three axes.)
    Multiply-adds per word: D * U * T.
    """

    def __init__(self, units, init="glorot"):
        super().__init__()
        check_initialiser(init)
        self.units = int(units)
        if self.units < 1:
            raise ValueError("TimeDense units must be at least 1, not %d" % self.units)
        self.init = init

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError("TimeDense expects (T, F) input, got %s; add Collapse() first"
                             % (input_shape,))
        return input_shape[0], self.units

    def build(self, input_shape, rng, dtype=np.float32):
        out = super().build(input_shape, rng, dtype)
        d = input_shape[1]
        self.params = {
            "weight": INITIALISERS[self.init](rng, (d, self.units), d, self.units).astype(dtype),
            "bias": np.zeros(self.units, dtype=dtype),
        }
        return out

    def forward(self, x, training=False):
        n, t, d = x.shape
        self._x = x.transpose(2, 1, 0).reshape(d, t * n)  # free in (D, T, N) memory
        y = self.params["weight"].T @ self._x
        y += self.params["bias"][:, None]
        return y.reshape(self.units, t, n).transpose(2, 1, 0)

    def backward(self, dy):
        n, t, u = dy.shape
        g = dy.transpose(2, 1, 0).reshape(u, t * n)
        self.grads["weight"] = self._x @ g.T
        self.grads["bias"] = g.sum(axis=1)
        if not self.needs_input_grad:
            return None
        w = self.params["weight"]
        return (w @ g).reshape(w.shape[0], t, n).transpose(2, 1, 0)

    def output_length(self, length):
        return length

    def config(self):
        return {"units": self.units, "init": self.init}


SEQUENCE_LAYERS = {cls.__name__: cls for cls in (Collapse, MaxPoolHeight, Conv1D, TimeDense)}

# Layers that keep zero columns zero, forward (given zeros in the padding of their input)
# and backward (given zeros in the padding of their output gradient), because they act on
# each column alone without adding anything: `forward_sequence` need not zero the padding
# after them, which saves a pass over the largest activations.
KEEP_ZEROS = (ReLU, Dropout, Collapse, MaxPoolHeight)

# Which layers a sequence model may hold before and after its one Collapse.
IMAGE_STAGE = (Conv2D, ReLU, MaxPool2D, MaxPoolHeight, Dropout)
FRAME_STAGE = (Conv1D, TimeDense, ReLU, Dropout)


# --- the padding rule -----------------------------------------------------------------------

def _same_left_padding_varies(layer):
    """True when Conv2D's left padding along the width depends on the width. That only
    happens for "same" with stride s > 1, and then only with the width modulo s, so the
    widths 1..s tell."""
    kw, s = layer.kernel_size[1], layer.stride
    if layer.padding != "same" or s == 1:
        return False
    return len(set(conv_padding("same", kw, s, w)[0] for w in range(1, s + 1))) > 1


def is_sequence_model(layers):
    return any(isinstance(layer, Collapse) for layer in layers)


def check_sequence_layers(layers):
    """Raise ValueError unless `layers` make a sequence model whose outputs obey the padding
    rule: image layers (Conv2D, ReLU, MaxPool2D, MaxPoolHeight, Dropout), one Collapse, then
    frame layers (Conv1D, TimeDense, ReLU, Dropout), and no Conv2D whose left padding
    along the width changes with the width."""
    collapses = [i for i, layer in enumerate(layers) if isinstance(layer, Collapse)]
    if len(collapses) != 1:
        raise ValueError("a sequence model has exactly one Collapse layer, not %d"
                         % len(collapses))
    at = collapses[0]
    for i, layer in enumerate(layers):
        if i == at:
            continue
        allowed = IMAGE_STAGE if i < at else FRAME_STAGE
        if type(layer) not in allowed:
            raise ValueError("layer %d (%s) cannot be %s Collapse in a sequence model; "
                             "allowed there: %s" % (
                                 i, layer.name, "before" if i < at else "after",
                                 ", ".join(cls.__name__ for cls in allowed)))
        if isinstance(layer, Conv2D) and _same_left_padding_varies(layer):
            raise ValueError("layer %d: Conv2D with padding 'same', kernel width %d and "
                             "stride %d pads the left of each width differently, so a "
                             "padded word would shift; use stride 1 or explicit padding"
                             % (i, layer.kernel_size[1], layer.stride))


def _length_rule(layer):
    """A function: columns (frames) of a word at the layer's input -> at its output, as
    the layer would give that word alone."""
    if isinstance(layer, Conv2D):
        kw, s, padding = layer.kernel_size[1], layer.stride, layer.padding
        return lambda n: output_size(n, kw, s, conv_padding(padding, kw, s, n))
    if isinstance(layer, MaxPool2D):
        k, s = layer.pool_size, layer.stride
        return lambda n: (n - k) // s + 1 if n >= k else 0
    if isinstance(layer, (ReLU, Dropout)):
        return lambda n: n
    if isinstance(layer, (Flatten, Dense, Softmax)):
        raise ValueError("%s has no frames: not a sequence layer" % layer.name)
    return layer.output_length


def frame_lengths(layers, widths):
    """[lengths after layer 0, after layer 1, ...]: each an int64 array (N,) of how many
    columns (frames) of each word are its own at that depth; the last one is the number
    of valid output frames. Raises ValueError for a word too narrow to give one frame."""
    lengths = np.asarray(widths, dtype=np.int64)
    out = []
    for layer in layers:
        rule = _length_rule(layer)
        lengths = np.array([rule(int(n)) for n in lengths], dtype=np.int64)
        if lengths.size and lengths.min() < 1:
            raise ValueError("a word %d columns wide is too narrow for this network: it "
                             "needs at least %d" % (int(np.min(widths)), min_width(layers)))
        out.append(lengths)
    return out


def min_width(layers, limit=4096):
    """The narrowest input width that gives at least one frame at every layer."""
    rules = [_length_rule(layer) for layer in layers]
    for width in range(1, limit + 1):
        n = width
        for rule in rules:
            n = rule(n)
            if n < 1:
                break
        else:
            return width
    raise ValueError("no input width up to %d gives an output frame" % limit)


def zero_frames(a, lengths):
    """In place, set to zero the columns of each sample beyond its own length: a[n, ...,
    L:] for images (N, C, H, W), a[n, L:, :] for sequences (N, T, F). Only the columns from
    the shortest length on are touched, in one multiply by a 0/1 mask that runs in memory
    order when the batch is innermost (as layers leave it). Values there must be finite
    (0 * inf is NaN): for arrays from a caller, use `clear_frames`."""
    size = a.shape[3] if a.ndim == 4 else a.shape[1]
    lo = int(lengths.min()) if len(lengths) else size
    if lo >= size:
        return a
    memory = a.transpose(1, 2, 3, 0) if a.ndim == 4 else a.transpose(2, 1, 0)
    region = memory[..., lo:, :]
    keep = (np.arange(lo, size)[:, None] < lengths[None, :]).astype(a.dtype)
    np.multiply(region, keep, out=region)
    return a


def clear_frames(a, lengths):
    """`zero_frames` by assignment, sample by sample: whatever the padding holds (NaN,
    inf) becomes 0. For arrays that come from a caller."""
    size = a.shape[3] if a.ndim == 4 else a.shape[1]
    for n in np.nonzero(lengths < size)[0]:
        if a.ndim == 4:
            a[n, :, :, lengths[n]:] = 0
        else:
            a[n, lengths[n]:] = 0
    return a


def set_input_shape(layers, input_shape):
    """Re-derive every layer's input and output shape for another input size (a batch of
    another width), keeping the parameters. Conv2D recomputes its padding here."""
    shape = tuple(input_shape)
    for layer in layers:
        layer.input_shape = shape
        shape = layer.output_shape = layer.compute_output_shape(shape)
    return shape


def pad_batch(images, dtype=np.float32):
    """Right-pad images of one height and different widths with zeros into one batch.

    images: a list of (C, H, W_i) or (H, W_i) arrays. Returns (x (N, C, H, max W_i),
    widths (N,) int64), what `Sequential.forward_sequence` takes.
    """
    images = [np.asarray(im) for im in images]
    images = [im[None] if im.ndim == 2 else im for im in images]
    if not images:
        raise ValueError("no images to batch")
    c, h = images[0].shape[:2]
    if any(im.ndim != 3 or im.shape[:2] != (c, h) for im in images):
        raise ValueError("images of one batch need the same channels and height")
    widths = np.array([im.shape[2] for im in images], dtype=np.int64)
    x = np.zeros((len(images), c, h, int(widths.max())), dtype=dtype)
    for n, im in enumerate(images):
        x[n, :, :, :im.shape[2]] = im
    return x, widths
