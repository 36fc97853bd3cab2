"""The word layers against PyTorch (an oracle only, never part of pycnn): Conv1D with
dilation and both paddings, TimeDense, MaxPoolHeight, Collapse, and a whole word model on a
padded batch, forward values and gradients. Not among the tests `make compat` runs inside
Pyodide, which has no PyTorch.

Skipped, with the reason printed by pytest -ra, when torch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed, so the comparisons against it cannot run "
                    "(pip install torch==2.13.0 for the CPU build)")
F = torch.nn.functional

from pycnn.nn import (  # noqa: E402  (after the skip, on purpose)
    Collapse,
    Conv1D,
    Conv2D,
    MaxPool2D,
    MaxPoolHeight,
    ReLU,
    Sequential,
    TimeDense,
    pad_batch,
)


def t(a, grad=False):
    return torch.tensor(np.ascontiguousarray(a), requires_grad=grad)


def close(ours, theirs, dtype):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    rtol, atol = (1e-10, 1e-10) if dtype == np.float64 else (1e-4, 1e-5)
    scale = max(np.abs(theirs).max(), 1.0)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * scale)


def torch_conv1d(x, w, b, kernel, dilation, padding):
    """pycnn's Conv1D in torch's terms. x is (N, T, C) like pycnn's, torch wants (N, C, T).
    'same' pads d*(k-1) in all, the odd zero after (spelled out with F.pad)."""
    total = dilation * (kernel - 1) if padding == "same" else 0
    xt = F.pad(x.transpose(1, 2), (total // 2, total - total // 2))
    return F.conv1d(xt, w, b, dilation=dilation).transpose(1, 2)


# (frames, features, filters, kernel, dilation, padding)
CONV1D_CASES = [
    (20, 8, 6, 3, 1, "same"),
    (20, 8, 6, 3, 2, "same"),
    (17, 5, 4, 3, 4, "same"),
    (16, 6, 5, 2, 1, "same"),   # even kernel
    (16, 6, 5, 4, 3, "same"),   # odd total padding: the extra zero after
    (19, 7, 3, 5, 1, "valid"),
    (19, 7, 3, 3, 3, "valid"),
    (12, 4, 9, 1, 1, "same"),
    (4, 3, 2, 3, 3, "same"),    # span longer than the sequence
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("frames, features, filters, kernel, dilation, padding", CONV1D_CASES)
def test_conv1d_matches_torch(frames, features, filters, kernel, dilation, padding, dtype):
    layer = Conv1D(filters, kernel, padding=padding, dilation=dilation)
    layer.build((frames, features), np.random.RandomState(0), dtype)
    rng = np.random.RandomState(1)
    layer.params["bias"][...] = rng.standard_normal(filters)
    x = rng.standard_normal((3, frames, features)).astype(dtype)
    xt, wt, bt = t(x, True), t(layer.params["weight"], True), t(layer.params["bias"], True)
    yt = torch_conv1d(xt, wt, bt, kernel, dilation, padding)
    y = layer.forward(x)
    assert y.shape == tuple(yt.shape)
    close(y, yt, dtype)
    dy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(t(dy))
    close(layer.backward(dy), xt.grad, dtype)
    close(layer.grads["weight"], wt.grad, dtype)
    close(layer.grads["bias"], bt.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_time_dense_matches_torch_linear(dtype):
    layer = TimeDense(7)
    layer.build((9, 12), np.random.RandomState(0), dtype)
    rng = np.random.RandomState(1)
    layer.params["bias"][...] = rng.standard_normal(7)
    x = rng.standard_normal((4, 9, 12)).astype(dtype)
    xt, wt, bt = t(x, True), t(layer.params["weight"].T, True), t(layer.params["bias"], True)
    yt = F.linear(xt, wt, bt)
    close(layer.forward(x), yt, dtype)
    dy = rng.standard_normal((4, 9, 7)).astype(dtype)
    yt.backward(t(dy))
    close(layer.backward(dy), xt.grad, dtype)
    close(layer.grads["weight"], wt.grad.T, dtype)
    close(layer.grads["bias"], bt.grad, dtype)


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("values", ["random", "ties"])
def test_maxpool_height_matches_torch_including_ties(size, values):
    rng = np.random.RandomState(size)
    shape = (2, 3, 8, 7)
    x = {"random": rng.standard_normal(shape),
         "ties": rng.randint(0, 3, shape).astype(np.float64)}[values]
    layer = MaxPoolHeight(size)
    layer.build(shape[1:], None, np.float64)
    y = layer.forward(x, training=True)
    xt = t(x, True)
    yt = F.max_pool2d(xt, (size, 1), (size, 1))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    dy = rng.standard_normal(y.shape)
    yt.backward(t(dy))
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_whole_word_model_on_a_padded_batch_matches_torch():
    """A word model and the same weights in torch, each word run alone in torch (torch's
    padding is then its convolutions' own zeros): the padded batch gives each word's
    logits and the sum of the words' gradients of a loss on their own frames."""
    model = Sequential([
        Conv2D(6, 3, padding="same"), ReLU(), MaxPool2D(2),
        Conv2D(8, 3, padding="same"), ReLU(), MaxPoolHeight(2),
        Collapse(), Conv1D(10, 3), ReLU(), Conv1D(10, 3, dilation=2), ReLU(), TimeDense(5),
    ], input_shape=(1, 16, 80), seed=3, dtype=np.float64)
    rng = np.random.RandomState(0)
    for _, p, _ in model.parameters():
        p += rng.uniform(-0.05, 0.05, p.shape)
    images = [rng.uniform(0, 1, (1, 16, w)) for w in (41, 80, 27)]
    x, widths = pad_batch(images, np.float64)
    weights = rng.standard_normal((3, 40, 5))

    logits, lengths = model.forward_sequence(x, widths)
    dy = np.zeros_like(logits)
    for n, length in enumerate(lengths):
        dy[n, :length] = weights[n, :length]
    model.backward_sequence(dy)

    params = {key: t(p, True) for key, p, _ in model.parameters()}
    for n, image in enumerate(images):
        h = F.relu(F.conv2d(t(image[None]), params["0.weight"], params["0.bias"], padding=1))
        h = F.max_pool2d(h, 2)
        h = F.relu(F.conv2d(h, params["3.weight"], params["3.bias"], padding=1))
        h = F.max_pool2d(h, (2, 1))
        h = h.flatten(1, 2)  # (1, C*H, T): torch's Collapse, frames last
        h = F.relu(F.conv1d(h, params["7.weight"], params["7.bias"], padding=1))
        h = F.relu(F.conv1d(h, params["9.weight"], params["9.bias"], padding=2, dilation=2))
        out = F.linear(h.transpose(1, 2), params["11.weight"].T, params["11.bias"])[0]
        assert out.shape[0] == lengths[n]
        close(logits[n, :lengths[n]], out, np.float64)
        (out * t(weights[n, :lengths[n]])).sum().backward()
    for key, _, grad in model.parameters():
        close(grad, params[key].grad, np.float64)
