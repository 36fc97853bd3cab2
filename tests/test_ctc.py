"""CTC loss and best-path decoding (pycnn/nn/ctc.py), in pure NumPy so that they also run
inside Pyodide (`make compat`); the comparison with PyTorch is in test_torch_oracle.py.

The loss is checked against a brute-force sum over every frame-by-frame path, its gradient
against float64 central differences, and padding (frames past input_lengths, labels past
label_lengths) against the same samples without it.
"""

import itertools

import numpy as np
import pytest

from pycnn.nn.ctc import CTCLoss, best_path, collapse, ctc_greedy_decode

EPS = 1e-6


def relative_error(analytic, numeric):
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-12)
    return float(np.abs(analytic - numeric).max() / scale)


def numeric_gradient(loss, array):
    """Central differences of loss() with respect to every element of `array`, in place."""
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + EPS
        plus = loss()
        flat[i] = old - EPS
        minus = loss()
        flat[i] = old
        flat_grad[i] = (plus - minus) / (2 * EPS)
    return grad


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def brute_force_loss(logits, label, blank=0):
    """-log of the summed probability of every path of len(logits) frames whose collapse
    is `label`: C^T paths, so only for tiny cases, but it shares nothing with ctc.py (not
    even its collapse)."""
    log_p = log_softmax(np.asarray(logits, np.float64))
    frames, classes = log_p.shape
    total = []
    for path in itertools.product(range(classes), repeat=frames):
        if [k for k, _ in itertools.groupby(path) if k != blank] == list(label):
            total.append(log_p[np.arange(frames), path].sum())
    if not total:
        return np.inf
    return -np.logaddexp.reduce(total)


# (input length, label): repeated labels that need a blank between them, a label as long
# as the frames allow, an empty label, and a single frame.
CASES = [
    (6, [1, 1]),
    (5, [2, 1, 2]),
    (4, [3]),
    (3, []),
    (5, [1, 1, 1]),  # a, blank, a, blank, a: the only alignment of 5 frames
    (1, [2]),
    (6, [2, 3, 3, 1]),
]


def batch(cases, classes, frames=None, seed=0, junk=-1):
    """Logits (N, T, C), input lengths, padded labels (padding = `junk`), label lengths."""
    rng = np.random.RandomState(seed)
    frames = frames or max(t for t, _ in cases)
    width = max(max(len(lab) for _, lab in cases), 1)
    labels = np.full((len(cases), width), junk, np.int64)
    for i, (_, lab) in enumerate(cases):
        labels[i, :len(lab)] = lab
    return (rng.standard_normal((len(cases), frames, classes)),
            np.array([t for t, _ in cases]), labels, np.array([len(lab) for _, lab in cases]))


def test_loss_equals_the_sum_over_all_paths():
    logits, t_len, labels, s_len = batch(CASES, classes=4)
    ctc = CTCLoss(reduction="sum")
    ctc.forward(logits, t_len, labels, s_len)
    for n, (frames, label) in enumerate(CASES):
        expected = brute_force_loss(logits[n, :frames], label)
        np.testing.assert_allclose(ctc.losses[n], expected, rtol=1e-12)
    assert not ctc.impossible.any()


@pytest.mark.parametrize("reduction", ["mean", "sum", "mean_batch"])
def test_gradient_matches_finite_differences(reduction):
    logits, t_len, labels, s_len = batch(CASES, classes=4, seed=1)
    ctc = CTCLoss(reduction=reduction)
    ctc.forward(logits, t_len, labels, s_len)
    grad = ctc.backward()
    assert grad.shape == logits.shape and grad.dtype == np.float64
    numeric = numeric_gradient(lambda: ctc.forward(logits, t_len, labels, s_len), logits)
    error = relative_error(grad, numeric)
    assert error < 1e-6, "relative error %.2e" % error
    # softmax sums to 1 over classes and the state occupancies to 1 over states.
    np.testing.assert_allclose(grad.sum(axis=2), 0.0, atol=1e-12)


def test_reductions():
    logits, t_len, labels, s_len = batch(CASES, classes=4, seed=2)
    losses = {}
    for reduction in ("mean", "sum", "mean_batch"):
        ctc = CTCLoss(reduction=reduction)
        losses[reduction] = ctc.forward(logits, t_len, labels, s_len)
        assert isinstance(losses[reduction], float)
    per_sample = ctc.losses
    n = len(CASES)
    assert losses["sum"] == pytest.approx(per_sample.sum(), rel=1e-12)
    assert losses["mean_batch"] == pytest.approx(per_sample.sum() / n, rel=1e-12)
    # PyTorch's "mean": each loss over its label length (at least 1), then the batch mean.
    assert losses["mean"] == pytest.approx((per_sample / np.maximum(s_len, 1)).mean(), rel=1e-12)


def test_padding_changes_nothing_and_gets_zero_gradient():
    logits, t_len, labels, s_len = batch(CASES, classes=5, seed=3)
    ctc = CTCLoss()
    loss = ctc.forward(logits, t_len, labels, s_len)
    losses, grad = ctc.losses.copy(), ctc.backward()
    # Junk frames after every sample (some inf or nan), and junk in the label padding.
    rng = np.random.RandomState(4)
    longer = np.concatenate([logits, rng.standard_normal((len(CASES), 5, 5)) * 10], axis=1)
    for n, frames in enumerate(t_len):
        longer[n, frames:] = rng.standard_normal((longer.shape[1] - frames, 5)) * 10
    longer[1, -1, 2], longer[3, -2, 0], longer[4, -3, 1] = np.inf, -np.inf, np.nan
    junk_labels = np.where(labels >= 0, labels, rng.randint(0, 100, labels.shape))
    junk_labels = np.concatenate([junk_labels, rng.randint(-5, 5, (len(CASES), 3))], axis=1)
    assert ctc.forward(longer, t_len, junk_labels, s_len) == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(ctc.losses, losses, rtol=1e-13)
    longer_grad = ctc.backward()
    for n, frames in enumerate(t_len):
        np.testing.assert_allclose(longer_grad[n, :frames], grad[n, :frames], rtol=1e-12,
                                   atol=1e-15)
        assert (longer_grad[n, frames:] == 0).all()
        assert (grad[n, frames:] == 0).all()


def test_each_sample_alone_gives_the_same_loss_and_gradient():
    logits, t_len, labels, s_len = batch(CASES, classes=4, seed=5)
    ctc = CTCLoss(reduction="sum")
    ctc.forward(logits, t_len, labels, s_len)
    grad = ctc.backward()
    for n, (frames, label) in enumerate(CASES):
        alone = CTCLoss(reduction="sum")
        loss = alone.forward(logits[n:n + 1, :frames], [frames], [label], [len(label)])
        assert loss == pytest.approx(ctc.losses[n], rel=1e-13)
        np.testing.assert_allclose(alone.backward()[0], grad[n, :frames], rtol=1e-12,
                                   atol=1e-15)


def test_flat_labels_equal_padded_labels():
    logits, t_len, labels, s_len = batch(CASES, classes=4, seed=6)
    flat = np.concatenate([lab for _, lab in CASES]).astype(np.int64)
    a, b = CTCLoss(), CTCLoss()
    assert a.forward(logits, t_len, flat, s_len) == b.forward(logits, t_len, labels, s_len)
    np.testing.assert_array_equal(a.backward(), b.backward())


def test_another_blank_index_is_the_same_loss_with_classes_renamed():
    logits, t_len, labels, s_len = batch(CASES, classes=4, seed=7)
    # Class 0 becomes 3 and every other class k becomes k - 1.
    renamed = np.concatenate([logits[:, :, 1:], logits[:, :, :1]], axis=2)
    a, b = CTCLoss(), CTCLoss(blank=3)
    loss = a.forward(logits, t_len, labels, s_len)
    assert b.forward(renamed, t_len, np.where(labels > 0, labels - 1, labels), s_len) \
        == pytest.approx(loss, rel=1e-13)
    grad = a.backward()
    np.testing.assert_allclose(b.backward(), np.concatenate([grad[:, :, 1:], grad[:, :, :1]],
                                                            axis=2), rtol=1e-12, atol=1e-15)


def test_impossible_alignment_with_and_without_zero_infinity():
    # "aa" needs 3 frames (a, blank, a), "abc" needs 3: 2 frames are too few for both.
    cases = [(4, [1, 2]), (2, [1, 1]), (2, [1, 2, 3])]
    logits, t_len, labels, s_len = batch(cases, classes=4, seed=8)
    zeroed = CTCLoss(reduction="sum")
    loss = zeroed.forward(logits, t_len, labels, s_len)
    assert np.isfinite(loss)
    assert list(zeroed.impossible) == [False, True, True]
    assert np.isinf(zeroed.losses[1:]).all()
    assert loss == pytest.approx(zeroed.losses[0], rel=1e-13)  # the others count as 0
    grad = zeroed.backward()
    assert (grad[1:] == 0).all() and np.abs(grad[0]).max() > 0

    kept = CTCLoss(reduction="sum", zero_infinity=False)
    assert kept.forward(logits, t_len, labels, s_len) == np.inf
    grad_inf = kept.backward()
    np.testing.assert_array_equal(grad_inf[0], grad[0])
    # As PyTorch: nan on the frames of an infinite loss, 0 on its padding frames.
    assert np.isnan(grad_inf[1:, :2]).all() and (grad_inf[1:, 2:] == 0).all()


def test_float32_logits_give_a_float32_gradient_close_to_float64():
    logits, t_len, labels, s_len = batch(CASES, classes=6, seed=9)
    ctc64, ctc32 = CTCLoss(), CTCLoss()
    loss64 = ctc64.forward(logits, t_len, labels, s_len)
    loss32 = ctc32.forward(logits.astype(np.float32), t_len, labels, s_len)
    assert loss32 == pytest.approx(loss64, rel=1e-6)
    grad32 = ctc32.backward()
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(grad32, ctc64.backward(), atol=1e-6)


def test_huge_logits_stay_finite():
    # Log space throughout: paths of probability exp(-10000) still add up correctly.
    logits, t_len, labels, s_len = batch(CASES, classes=4, seed=10)
    ctc = CTCLoss(reduction="sum")
    ctc.forward(logits * 1000, t_len, labels, s_len)
    assert np.isfinite(ctc.losses).all()
    assert ctc.losses.max() > 1000
    for n, (frames, label) in enumerate(CASES):
        if frames <= 5:  # brute force stays affordable
            expected = brute_force_loss(logits[n, :frames] * 1000, label)
            np.testing.assert_allclose(ctc.losses[n], expected, rtol=1e-12)
    grad = ctc.backward()
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad.sum(axis=2), 0.0, atol=1e-9)


def test_bad_arguments_raise():
    logits, t_len, labels, s_len = batch(CASES, classes=4)
    ctc = CTCLoss()
    with pytest.raises(ValueError, match="blank"):
        ctc.forward(logits, t_len, np.where(labels == 1, 0, labels), s_len)
    with pytest.raises(ValueError, match="class indices"):
        ctc.forward(logits, t_len, np.where(labels == 1, 4, labels), s_len)
    with pytest.raises(ValueError, match="input_lengths"):
        ctc.forward(logits, t_len + 1, labels, s_len)
    with pytest.raises(ValueError, match="input_lengths"):
        ctc.forward(logits, t_len * 0, labels, s_len)
    with pytest.raises(ValueError, match="label_lengths"):
        ctc.forward(logits, t_len, labels, s_len + 5)
    with pytest.raises(ValueError, match=r"\(N, T, C\)"):
        ctc.forward(logits[0], t_len, labels, s_len)
    with pytest.raises(ValueError, match="reduction"):
        CTCLoss(reduction="none")


def one_hot_frames(path, classes=4):
    """Logits whose argmax at frame t is path[t]."""
    logits = np.zeros((len(path), classes))
    logits[np.arange(len(path)), path] = 5.0
    return logits


def test_greedy_decode_collapses_repeats_then_drops_blanks():
    paths = [
        [1, 1, 0, 1, 2, 2],  # a a _ a b b -> a a b
        [0, 0, 0, 0, 0, 0],  # only blanks -> nothing
        [3, 0, 3, 3, 0, 0],  # c _ c c _ _ -> c c
        [2, 1, 2, 1, 0, 1],  # no repeats -> every label
    ]
    logits = np.stack([one_hot_frames(p) for p in paths])
    assert ctc_greedy_decode(logits) == [[1, 1, 2], [], [3, 3], [2, 1, 2, 1, 1]]
    # Probabilities or log-probabilities decode the same as logits.
    assert ctc_greedy_decode(np.exp(log_softmax(logits))) == ctc_greedy_decode(logits)
    # Frames past input_lengths are ignored, whatever they hold.
    assert ctc_greedy_decode(logits, input_lengths=np.array([3, 6, 1, 4])) \
        == [[1], [], [3], [2, 1, 2, 1]]


def test_best_path_gives_every_frame_for_alignments():
    logits = np.stack([one_hot_frames([1, 1, 0, 2]), one_hot_frames([0, 3, 3, 3])])
    paths = best_path(logits, np.array([4, 2]))
    assert [p.tolist() for p in paths] == [[1, 1, 0, 2], [0, 3]]
    assert [p.tolist() for p in best_path(logits)] == [[1, 1, 0, 2], [0, 3, 3, 3]]


def test_greedy_decode_with_another_blank():
    logits = one_hot_frames([3, 1, 1, 3, 1, 2])[None]
    assert ctc_greedy_decode(logits, blank=3) == [[1, 1, 2]]
    assert collapse([], blank=0) == []
