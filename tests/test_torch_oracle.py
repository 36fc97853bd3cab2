"""pycnn against PyTorch (an oracle only, never part of pycnn): conv, max pool, dense,
softmax cross-entropy, CTC and a whole network, forward values and gradients, and the
optimisers.
Not among the tests `make compat` runs inside Pyodide, which has no PyTorch.

Skipped, with the reason printed by pytest -ra, when torch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed, so the comparisons against it cannot run "
                    "(pip install torch==2.13.0 for the CPU build)")
F = torch.nn.functional

from pycnn.nn import (  # noqa: E402  (after the skip, on purpose)
    SGD,
    Adam,
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
from pycnn.nn.ctc import CTCLoss  # noqa: E402


def t(a, grad=False):
    return torch.tensor(np.ascontiguousarray(a), requires_grad=grad)


def close(ours, theirs, dtype):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    rtol, atol = (1e-10, 1e-10) if dtype == np.float64 else (1e-4, 1e-5)
    scale = max(np.abs(theirs).max(), 1.0)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * scale)


def torch_conv(x, w, b, stride, padding, kernel):
    """torch's conv2d with pycnn's border modes spelled in torch's own terms."""
    kh, kw = kernel
    if padding == "full":
        return F.conv2d(x, w, b, stride=stride, padding=(kh - 1, kw - 1))
    if padding == "same" and stride == 1 and kh % 2 and kw % 2:
        return F.conv2d(x, w, b, stride=1, padding="same")  # symmetric for odd kernels
    if padding == "same":
        # TensorFlow's 'same': ceil(size / stride) outputs, the odd padding row after.
        pads = []
        for size, k in ((x.shape[3], kw), (x.shape[2], kh)):
            total = max((-(-size // stride) - 1) * stride + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), w, b, stride=stride)
    return F.conv2d(x, w, b, stride=stride, padding=padding if padding != "valid" else 0)


CONV_CASES = [
    # (C, H, W, F, kernel, stride, padding)
    (1, 28, 28, 8, 3, 1, "same"),
    (3, 14, 14, 6, 3, 1, "same"),
    (2, 9, 9, 4, 5, 1, "same"),
    (2, 10, 9, 3, 4, 1, "same"),
    (2, 11, 11, 4, 3, 2, "same"),
    (2, 10, 10, 4, 3, 1, "valid"),
    (2, 10, 10, 4, 3, 2, "valid"),
    (2, 11, 12, 3, 3, 3, "valid"),
    (2, 6, 6, 3, 3, 1, "full"),
    (2, 7, 7, 3, 3, 2, "full"),
    (2, 8, 8, 3, 3, 1, 1),
    (2, 8, 8, 3, 5, 2, 2),
    (1, 9, 8, 2, (3, 5), 1, "same"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["im2col", "fft"])
@pytest.mark.parametrize("c, h, w, f, kernel, stride, padding", CONV_CASES)
def test_conv2d_matches_torch(c, h, w, f, kernel, stride, padding, method, dtype):
    layer = Conv2D(f, kernel, stride=stride, padding=padding, method=method)
    layer.build((c, h, w), np.random.RandomState(0), dtype)
    rng = np.random.RandomState(1)
    layer.params["bias"][...] = rng.standard_normal(f)
    x = rng.standard_normal((3, c, h, w)).astype(dtype)
    xt, wt, bt = t(x, True), t(layer.params["weight"], True), t(layer.params["bias"], True)
    yt = torch_conv(xt, wt, bt, stride, padding, layer.kernel_size)
    y = layer.forward(x)
    assert y.shape == tuple(yt.shape)
    close(y, yt, dtype)
    dy = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(t(dy))
    close(layer.backward(dy), xt.grad, dtype)
    close(layer.grads["weight"], wt.grad, dtype)
    close(layer.grads["bias"], bt.grad, dtype)


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (3, 3), (2, 1), (3, 1)])
@pytest.mark.parametrize("values", ["random", "ties", "constant"])
def test_maxpool_matches_torch_including_ties(size, stride, values):
    rng = np.random.RandomState(size * 10 + stride)
    shape = (2, 3, 9, 8)
    x = {"random": rng.standard_normal(shape),
         "ties": rng.randint(0, 3, shape).astype(np.float64),
         "constant": np.full(shape, 0.25)}[values]
    layer = MaxPool2D(size, stride)
    layer.build(shape[1:], None, np.float64)
    y = layer.forward(x)
    xt = t(x, True)
    yt = F.max_pool2d(xt, size, stride)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    dy = rng.standard_normal(y.shape)
    yt.backward(t(dy))
    # Same winners as torch: the gradients agree exactly up to summation order.
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_matches_torch_linear(dtype):
    layer = Dense(7)
    layer.build((12,), np.random.RandomState(0), dtype)
    rng = np.random.RandomState(1)
    layer.params["bias"][...] = rng.standard_normal(7)
    x = rng.standard_normal((5, 12)).astype(dtype)
    xt, wt, bt = t(x, True), t(layer.params["weight"].T, True), t(layer.params["bias"], True)
    yt = F.linear(xt, wt, bt)  # torch stores the weight as (out, in)
    close(layer.forward(x), yt, dtype)
    dy = rng.standard_normal((5, 7)).astype(dtype)
    yt.backward(t(dy))
    close(layer.backward(dy), xt.grad, dtype)
    close(layer.grads["weight"], wt.grad.T, dtype)
    close(layer.grads["bias"], bt.grad, dtype)


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy_matches_torch(scale, dtype):
    rng = np.random.RandomState(0)
    logits = (rng.standard_normal((8, 62)) * scale).astype(dtype)
    labels = rng.randint(0, 62, size=8)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(logits, labels)
    zt = t(logits, True)
    lt = F.cross_entropy(zt, torch.tensor(labels))
    lt.backward()
    assert np.isfinite(loss)
    close(np.array(loss), lt, dtype)
    close(loss_fn.backward(), zt.grad, dtype)
    close(loss_fn.probabilities, torch.softmax(t(logits), dim=1), dtype)


def test_whole_network_matches_torch():
    """The stand-in default architecture (smaller), the same weights in a torch model:
    same logits, same loss, same gradient for every parameter, dropout mask included."""
    model = Sequential([
        Conv2D(8, 3, padding="same"), ReLU(), MaxPool2D(2),
        Conv2D(16, 3, padding="same"), ReLU(), MaxPool2D(2),
        Flatten(), Dense(32), ReLU(), Dropout(0.3), Dense(10), Softmax(),
    ], input_shape=(1, 28, 28), seed=3, dtype=np.float64)
    rng = np.random.RandomState(0)
    for _, p, _ in model.parameters():
        p += rng.uniform(-0.05, 0.05, p.shape)
    x = rng.uniform(0, 1, (6, 1, 28, 28))
    labels = rng.randint(0, 10, size=6)

    loss_fn = SoftmaxCrossEntropy()
    end = len(model.layers) - 1
    logits = model.forward(x, training=True, upto=end)
    loss = loss_fn.forward(logits, labels)
    model.backward(loss_fn.backward(), upto=end)
    mask = model.layers[9]._mask
    assert mask is not None and (mask == 0).any()

    params = {key: t(p, True) for key, p, _ in model.parameters()}
    h = F.max_pool2d(F.relu(F.conv2d(t(x), params["0.weight"], params["0.bias"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, params["3.weight"], params["3.bias"], padding=1)), 2)
    h = F.relu(F.linear(h.flatten(1), params["7.weight"].T, params["7.bias"]))
    h = h * t(mask)  # the same dropout mask, already scaled by 1 / (1 - p)
    logits_t = F.linear(h, params["10.weight"].T, params["10.bias"])
    loss_t = F.cross_entropy(logits_t, torch.tensor(labels))
    loss_t.backward()

    close(logits, logits_t, np.float64)
    close(np.array(loss), loss_t, np.float64)
    assert len(params) == 8
    for key, _, grad in model.parameters():
        close(grad, params[key].grad, np.float64)
    # Inference: dropout off, probabilities equal torch's softmax of the same logits.
    model_p = model.predict_proba(x)
    with torch.no_grad():
        h = F.max_pool2d(F.relu(F.conv2d(t(x), params["0.weight"], params["0.bias"],
                                         padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, params["3.weight"], params["3.bias"], padding=1)), 2)
        h = F.relu(F.linear(h.flatten(1), params["7.weight"].T, params["7.bias"]))
        p_t = torch.softmax(F.linear(h, params["10.weight"].T, params["10.bias"]), dim=1)
    close(model_p, p_t, np.float64)


def test_relu_gradient_at_exactly_zero_matches_torch():
    # Blank regions of a drawing with zero biases (as initialised) give conv outputs of
    # exactly 0; PyTorch sends no gradient through them, and neither may pycnn.
    layer = ReLU()
    x = np.array([[-1.0, 0.0, 0.0, 2.0, -0.0, 1e-300]])
    layer.forward(x)
    xt = t(x, True)
    F.relu(xt).backward(torch.ones_like(xt))
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), xt.grad.numpy())


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
def test_softmax_layer_matches_torch_even_for_huge_logits(scale):
    rng = np.random.RandomState(1)
    z = rng.standard_normal((4, 62)) * scale
    layer = Softmax()
    p = layer.forward(z)
    zt = t(z, True)
    pt = torch.softmax(zt, dim=1)
    assert np.isfinite(p).all()
    close(p, pt, np.float64)
    dy = rng.standard_normal(z.shape)
    pt.backward(t(dy))
    close(layer.backward(dy), zt.grad, np.float64)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_optimisers_match_torch(name, weight_decay):
    rng = np.random.RandomState(0)
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    wt, bt = torch.tensor(w.copy(), requires_grad=True), torch.tensor(b.copy(), requires_grad=True)
    groups = [{"params": [wt], "weight_decay": weight_decay},
              {"params": [bt], "weight_decay": 0.0}]  # pycnn never decays biases
    if name == "adam":
        ours = Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=weight_decay)
        cls = torch.optim.AdamW if weight_decay else torch.optim.Adam
        theirs = cls(groups, lr=0.01, betas=(0.8, 0.99), eps=1e-7)
    else:
        ours = SGD(lr=0.05, momentum=0.9, weight_decay=weight_decay)
        theirs = torch.optim.SGD(groups, lr=0.05, momentum=0.9)
    for _ in range(5):
        gw, gb = rng.standard_normal(w.shape), rng.standard_normal(b.shape)
        ours.step([("0.weight", w, gw), ("0.bias", b, gb)])
        wt.grad, bt.grad = torch.tensor(gw), torch.tensor(gb)
        theirs.step()
        np.testing.assert_allclose(w, wt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b, bt.detach().numpy(), rtol=1e-10, atol=1e-12)


def random_ctc_batch(rng, n, frames, classes, max_label):
    """Logits (N, T, C), input lengths (the longest exactly T), padded labels with runs of
    the same label (which need a blank between them) and label lengths from 0 up, each
    short enough to be alignable in its sample's frames."""
    t_len = rng.randint(max(frames // 2, 1), frames + 1, n)
    t_len[0] = frames
    s_len = np.minimum(rng.randint(0, max_label + 1, n), t_len // 2)
    s_len[0] = max_label
    labels = rng.randint(1, classes, (n, max_label))
    labels[:, 1::3] = labels[:, 0::3][:, :labels[:, 1::3].shape[1]]  # repeats
    return rng.standard_normal((n, frames, classes)) * 3, t_len, labels, s_len


def torch_ctc(logits, t_len, labels, s_len, reduction, zero_infinity=True):
    """torch's ctc_loss on the same logits: log_softmax, then (T, N, C) as torch wants."""
    zt = t(logits, True)
    loss = F.ctc_loss(F.log_softmax(zt, dim=2).transpose(0, 1), torch.tensor(labels),
                      torch.tensor(t_len), torch.tensor(s_len), blank=0,
                      reduction=reduction, zero_infinity=zero_infinity)
    loss.backward()
    return loss, zt.grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("n, frames, classes, max_label", [
    (6, 20, 5, 6),     # few classes: many repeats and shared classes within a frame
    (4, 9, 12, 4),     # labels nearly as long as the frames allow
    (32, 120, 80, 10),  # the size CTC is meant for
])
def test_ctc_matches_torch(n, frames, classes, max_label, reduction, dtype):
    rng = np.random.RandomState(frames)
    logits, t_len, labels, s_len = random_ctc_batch(rng, n, frames, classes, max_label)
    logits = logits.astype(dtype)
    ctc = CTCLoss(reduction=reduction)
    loss = ctc.forward(logits, t_len, labels, s_len)
    grad = ctc.backward()
    # torch always in float64: its float32 CTC runs the recursions in float32 and is off
    # by 4e-4 in the gradient at T=120, pycnn (float64 recursions) by 3e-7.
    loss_t, grad_t = torch_ctc(logits.astype(np.float64), t_len, labels, s_len, reduction)
    assert not ctc.impossible.any() and grad.dtype == dtype
    close(np.array(loss), loss_t, dtype)
    close(grad, grad_t, dtype)


@pytest.mark.parametrize("zero_infinity", [True, False])
def test_ctc_impossible_alignments_match_torch(zero_infinity):
    rng = np.random.RandomState(0)
    logits, t_len, labels, s_len = random_ctc_batch(rng, 5, 8, 6, 4)
    t_len[1], labels[1, :2], s_len[1] = 3, [2, 2], 3  # a a x: at least 4 frames
    t_len[3], s_len[3] = 2, 3  # 3 labels, 2 frames
    ctc = CTCLoss(reduction="mean", zero_infinity=zero_infinity)
    loss = ctc.forward(logits, t_len, labels, s_len)
    loss_t, grad_t = torch_ctc(logits, t_len, labels, s_len, "mean", zero_infinity)
    assert list(ctc.impossible) == [False, True, False, True, False]
    assert np.isfinite(loss) == zero_infinity
    if zero_infinity:
        close(np.array(loss), loss_t, np.float64)
    else:
        assert loss_t.item() == np.inf
    grad = ctc.backward()
    if not zero_infinity:  # nan on the frames of the two infinite losses, as in torch
        assert np.array_equal(np.isnan(grad), np.isnan(grad_t.numpy()))
        assert np.isnan(grad[[1, 3], :2]).all()
        grad, grad_t = grad[[0, 2, 4]], grad_t[[0, 2, 4]]
    close(grad, grad_t, np.float64)
