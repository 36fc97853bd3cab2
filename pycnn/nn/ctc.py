"""Connectionist temporal classification (Graves et al. 2006): the loss, and best-path decoding.

A network reads a line of writing as T frames and gives each frame scores over C classes,
class `blank` (0) meaning "no character here". Shapes, batch first as everywhere in pycnn
and as Sequential.forward_sequence gives them:

    z: (N, T, C) logits     input_lengths: (N,) T_n, frames t >= T_n are padding
    labels: (N, S) padded label indices (or their flat concatenation), label_lengths: (N,) S_n

A label c_1..c_S (never the blank) is read as the extended label
l = (blank, c_1, blank, ..., c_S, blank) of length L = 2S + 1. With y_t = log_softmax(z_t),
an alignment is a path through the states s = 0..L-1 that starts in state 0 or 1, ends in
state L-1 or L-2, and at each frame stays, moves one state on, or skips a blank (s-2 -> s)
when l_s is not blank and l_s != l_{s-2} (so "aa" has to pass through the blank between its
two a's). In log space:

    alpha_0(0) = y_0[l_0],  alpha_0(1) = y_0[l_1]
    alpha_t(s) = y_t[l_s] + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if skip)
    loss_n     = -log p(c | z) = -logsumexp(alpha_{T_n-1}(L-1), alpha_{T_n-1}(L-2))

and backwards, beta_t(s) = log p(frames t+1.. | state s at frame t), without frame t's own
emission so that alpha + beta never meets -inf - -inf:

    beta_{T_n-1}(s) = 0 for s in {L-1, L-2}
    beta_t(s) = logsumexp_{s' in s, s+1, s+2 if skip into s+2} (beta_{t+1}(s') + y_{t+1}[l_s'])

gamma_t(s) = exp(alpha_t(s) + beta_t(s) + loss_n) is the probability that frame t sits in
state s, summing to 1 over s, and the gradient with respect to the logits is

    dloss_n/dz_t[k] = softmax(z_t)[k] - sum_{s: l_s = k} gamma_t(s)     for t < T_n, else 0

Reductions (the `reduction` argument), with PyTorch's meaning of "mean":
    "mean":       (1/N) sum_n loss_n / max(S_n, 1)
    "sum":        sum_n loss_n
    "mean_batch": (1/N) sum_n loss_n

Everything is vectorised over the batch and the L states; only the T frames are a Python
loop, once forwards (in `forward`, which is all a validation pass needs) and once backwards
(in `backward`). The recursions run in float64 whatever the input dtype, and the gradient
comes back in the input's dtype.

Speed, N=32, T=200, C=80, S=10, float32 logits: forward about 8 ms and backward about 9 ms
of CPU time (NumPy 2.4, x86-64, measured while a training run shared the two cores). Each
of the two time loops is about 4.5 ms of that, some 23 us a frame, nearly all of it the
two np.logaddexp calls over the (L, N) states; the rest is the softmax over all N T C
logits and the gather and scatter between them and the states. T=100 takes half as long.
"""

import numpy as np

REDUCTIONS = ("mean", "sum", "mean_batch")


class CTCLoss:
    """CTC loss on logits of shape (N, T, C); `forward` returns the reduced loss as a float,
    `backward` the gradient with respect to the logits, same shape and dtype.

    `blank` is the class index of the blank. `zero_infinity=True` (the default) gives a
    sample whose label cannot be aligned at all (more characters, counting the blank that
    must separate a repeated character, than frames) loss 0 and gradient 0 instead of an
    infinite loss; `losses` still shows inf for it, and `impossible` says which they were.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=True):
        if reduction not in REDUCTIONS:
            raise ValueError("reduction must be one of %s, not %r"
                             % (", ".join(REDUCTIONS), reduction))
        self.blank = int(blank)
        self.reduction = reduction
        self.zero_infinity = bool(zero_infinity)

    def forward(self, logits, input_lengths, labels, label_lengths):
        """logits: (N, T, C); input_lengths: (N,) in 1..T; labels: (N, S) padded (the
        padding is ignored) or 1-D, all labels one after another; label_lengths: (N,).

        Log-probabilities are also fine as input: log_softmax leaves them unchanged.
        """
        z = np.asarray(logits)
        if z.ndim != 3:
            raise ValueError("logits must have shape (N, T, C), not %s" % (z.shape,))
        n, frames, classes = z.shape
        if not 0 <= self.blank < classes:
            raise ValueError("blank %d is not one of the %d classes" % (self.blank, classes))
        t_len = _lengths(input_lengths, n, 1, frames, "input_lengths")
        padded, s_len = _padded_labels(labels, label_lengths, n, self.blank, classes)

        # Softmax with the row max subtracted, kept for backward: in float32 for float32
        # logits (several times faster, and the gradient goes back in float32 anyway),
        # else float64. log Z_t = log(sum) + max is float64 like everything after it.
        out_dtype = z.dtype if np.issubdtype(z.dtype, np.floating) else np.dtype(np.float64)
        z = z.astype(np.float32 if z.dtype == np.float32 else np.float64, copy=False)
        with np.errstate(invalid="ignore"):  # inf - inf on a padding frame holding inf
            peak = z.max(axis=2, keepdims=True)
            e = z - peak
            np.exp(e, out=e)
            total = e.sum(axis=2, keepdims=True)
            e /= total
            log_z = np.log(total.astype(np.float64)) + peak  # (N, T, 1)

        ext = _extend(padded, self.blank)  # (N, L)
        states = ext.shape[1]
        ext_len = 2 * s_len + 1
        rows = np.arange(n)
        # y_t[l_s], gathered from z.ravel() at (n T + t) C + l_s and laid out (T, L, N):
        # each step of the loops below then reads one contiguous (L, N) block, and the
        # s-1, s-2 neighbours of all the states are that block shifted by whole rows.
        # intp (32 bits in Pyodide's wasm) is the index type np.take wants.
        flat = (rows * frames)[None, None, :] + np.arange(frames)[:, None, None]
        flat = (flat * classes + ext.T[None, :, :]).astype(np.intp)
        y = np.take(z.ravel(), flat) - log_z.transpose(1, 2, 0)
        # States past a sample's own 2 S_n + 1, and frames past its T_n, are unreachable:
        # -inf keeps every path out. Padding frames then play no part whatever they hold,
        # even inf or nan, and their softmax is set to 0 so that their gradient is 0.
        y[:, np.arange(states)[:, None] >= ext_len[None, :]] = -np.inf
        padding = np.arange(frames)[None, :] >= t_len[:, None]  # (N, T)
        y.transpose(0, 2, 1)[padding.T] = -np.inf
        e[padding] = 0.0

        skip = _skip_penalty(padded, s_len)
        alpha = _forward_variables(y, skip, int(t_len.max()))
        last = alpha[t_len - 1, :, rows]  # (N, L + 2): each sample's last real frame
        log_p = np.logaddexp(last[rows, ext_len + 1], last[rows, ext_len])
        impossible = ~np.isfinite(log_p)

        losses = -log_p
        if self.reduction == "mean":
            weight = 1.0 / (n * np.maximum(s_len, 1))
        elif self.reduction == "sum":
            weight = np.ones(n)
        else:
            weight = np.full(n, 1.0 / n)
        if self.zero_infinity:
            weight[impossible] = 0.0  # both its loss and its gradient
        counted = np.where(weight == 0.0, 0.0, losses)  # 0 * inf would be nan

        self._saved = (out_dtype, e, y, padded, skip, alpha, log_p, t_len, ext_len, weight)
        self.losses = losses
        self.impossible = impossible
        return float(np.sum(counted * weight))

    def backward(self):
        out_dtype, softmax, y, labels, skip, alpha, log_p, t_len, ext_len, weight = self._saved
        n, frames, classes = softmax.shape
        states = y.shape[1]
        beta = _backward_variables(y, skip, t_len, ext_len)

        # gamma_t(s), (T, L, N). A sample with no alignment at all has log p = -inf;
        # 0 in its place keeps gamma finite (it is 0, as alpha + beta is -inf throughout).
        finite = np.isfinite(log_p)
        gamma = alpha[:, 2:] + beta[:, :states]
        gamma -= np.where(finite, log_p, 0.0)
        np.exp(gamma, out=gamma)

        # An infinite loss (zero_infinity=False) has no gradient: nan, as in PyTorch.
        # Padding frames (t >= T_n) get exactly 0 (their softmax is 0 already, and so is
        # gamma, but 0 * nan would be nan).
        scale = np.where(finite | (weight == 0.0), weight, np.nan)
        scale = np.where(np.arange(frames)[:, None] < t_len[None, :], scale[None, :], 0.0)

        # dz = scale (softmax - sum_{s: l_s = k} gamma_t(s)). Several states of a frame
        # share a class (every blank state, a letter that occurs twice), so the sum goes
        # first into a small (T, S + 1, N) array of slots, one per distinct class of the
        # sample, and is then subtracted where those classes sit. A slot no class uses
        # points at one spare element after the gradient, so that no two slots of the
        # fancy-indexed subtraction point at the same element. No (N, T, C) temporary
        # besides the gradient itself.
        slot, target = _class_slots(labels, ext_len // 2, self.blank, frames, classes)
        width = target.shape[1]
        index = (np.arange(frames)[:, None, None] * width + slot.T[None]) * n + np.arange(n)
        occupancy = np.bincount(index.astype(np.intp).ravel(), weights=gamma.ravel(),
                                minlength=frames * width * n).reshape(frames, width, n)
        occupancy *= scale[:, None, :]
        buffer = np.empty(n * frames * classes + 1, softmax.dtype)
        grad = buffer[:-1].reshape(n, frames, classes)
        np.multiply(softmax, scale.T[:, :, None], out=grad)
        buffer[target] -= occupancy
        return grad.astype(out_dtype, copy=False)


def _lengths(values, n, low, high, name):
    values = np.asarray(values)
    if values.shape != (n,) or not np.issubdtype(values.dtype, np.integer):
        raise ValueError("%s must be %d integers, not %r" % (name, n, values))
    if values.size and (values.min() < low or values.max() > high):
        raise ValueError("%s must lie in %d..%d, not %r" % (name, low, high, values))
    return values.astype(np.int64)


def _padded_labels(labels, lengths, n, blank, classes):
    """(labels as an (N, S) int64 array with every position past a sample's length set to
    blank, label lengths as int64)."""
    labels = np.asarray(labels)
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("labels must be integers, not %s" % labels.dtype)
    if labels.ndim == 1:  # all labels one after another, split by the lengths
        lengths = _lengths(lengths, n, 0, labels.size, "label_lengths")
        if lengths.sum() != labels.size:
            raise ValueError("label_lengths must add up to the %d labels given one after "
                             "another, not %d" % (labels.size, lengths.sum()))
        padded = np.full((n, int(lengths.max(initial=0))), blank, np.int64)
        padded[np.arange(padded.shape[1])[None, :] < lengths[:, None]] = labels
        labels = padded
    elif labels.ndim == 2 and labels.shape[0] == n:
        lengths = _lengths(lengths, n, 0, labels.shape[1], "label_lengths")
    else:
        raise ValueError("labels must have shape (N, S) or (sum of label_lengths,), "
                         "not %s" % (labels.shape,))
    real = np.arange(labels.shape[1])[None, :] < lengths[:, None]
    labels = np.where(real, labels, blank).astype(np.int64)  # padding may hold anything
    if ((labels < 0) | (labels >= classes)).any():
        raise ValueError("labels must be class indices in 0..%d" % (classes - 1))
    if (real & (labels == blank)).any():
        raise ValueError("the blank class %d cannot be a label" % blank)
    return labels, lengths


def _extend(labels, blank):
    """(N, S) labels -> (N, 2S + 1) extended labels: blank, y_1, blank, ..., y_S, blank."""
    ext = np.full((labels.shape[0], 2 * labels.shape[1] + 1), blank, np.int64)
    ext[:, 1::2] = labels
    return ext


def _class_slots(labels, lengths, blank, frames, classes):
    """Where backward adds up state occupancies: slot, (N, L), of each state among the
    sample's distinct classes (0 for the blank, 1 + j for the label class whose first
    occurrence is c_j), and target, (T, S + 1, N), the flat index in the (N, T, C)
    gradient of each slot's class, or the spare element N T C for slots no class uses."""
    n, width = labels.shape
    first = np.zeros((n, width), np.int64)  # (N, S): the first k' with c_k' = c_k
    if width:  # argmax refuses an empty axis
        first[...] = (labels[:, :, None] == labels[:, None, :]).argmax(axis=2)
    slot = np.zeros((n, 2 * width + 1), np.int64)
    slot[:, 1::2] = 1 + first
    ks = np.arange(width)
    used = (first == ks[None, :]) & (ks[None, :] < lengths[:, None])
    cls = np.full((n, width + 1), -1, np.int64)
    cls[:, 0] = blank
    cls[:, 1:] = np.where(used, labels, -1)
    base = (np.arange(n) * frames)[None, None, :] + np.arange(frames)[:, None, None]
    target = np.where(cls.T[None] >= 0, base * classes + cls.T[None], n * frames * classes)
    return slot, target.astype(np.intp)


def _skip_penalty(labels, lengths):
    """(S, N): 0 where label state 2k+1 may be entered from 2k-1, skipping the blank
    between them (k >= 1, c_k != c_{k-1}, k < S_n), else -inf. Only label states (odd s)
    can ever skip, so the recursions do their third logaddexp on those S rows only, and
    adding -inf instead of masking keeps that one ufunc call."""
    allowed = np.zeros(labels.shape, dtype=bool)
    allowed[:, 1:] = labels[:, 1:] != labels[:, :-1]
    allowed &= np.arange(labels.shape[1])[None, :] < lengths[:, None]
    return np.ascontiguousarray(np.where(allowed, 0.0, -np.inf).T)


def _forward_variables(y, skip, frames):
    """alpha, (T, L + 2, N) with two rows of -inf in front so that alpha(s-1) and
    alpha(s-2) are plain slices: alpha_t(s) is alpha[t, s + 2]. Frames from `frames` on
    (padding for every sample) stay -inf."""
    total, states, n = y.shape
    labels = skip.shape[0]
    alpha = np.full((total, states + 2, n), -np.inf)
    alpha[0, 2:4] = y[0, :2]
    for t in range(1, frames):
        prev = alpha[t - 1]
        out = alpha[t, 2:]
        np.logaddexp(prev[2:], prev[1:-1], out=out)  # stay, or move on by one
        odd = out[1::2]  # the label states 2k+1, whose s-2 is row 2k+1 of prev
        np.logaddexp(odd, prev[1:2 * labels:2] + skip, out=odd)
        out += y[t]
    return alpha


def _backward_variables(y, skip, t_len, ext_len):
    """beta, (T, L + 2, N) with two rows of -inf after so that beta(s+1) and beta(s+2)
    are plain slices: beta_t(s) is beta[t, s]. Sample n starts at its own last frame
    T_n - 1; later frames stay -inf, which is what gives them zero gradient."""
    total, states, n = y.shape
    labels = skip.shape[0]
    beta = np.full((total, states + 2, n), -np.inf)
    # Label state 2k+1 may go on to 2k+3 exactly when 2k+3 may be entered from 2k+1.
    skip_next = np.full((labels, n), -np.inf)
    skip_next[:-1] = skip[1:]
    start = np.full((states, n), -np.inf)
    rows = np.arange(n)
    start[ext_len - 1, rows] = 0.0
    start[ext_len[ext_len > 1] - 2, rows[ext_len > 1]] = 0.0
    ends = {}
    for i, t in enumerate(t_len - 1):
        ends.setdefault(int(t), []).append(i)

    frames = int(t_len.max())
    step = np.full((states + 2, n), -np.inf)  # beta_{t+1}(s) + y_{t+1}[l_s], -inf after
    for t in range(frames - 1, -1, -1):
        if t + 1 < frames:
            np.add(beta[t + 1, :states], y[t + 1], out=step[:states])
            out = beta[t, :states]
            np.logaddexp(step[:states], step[1:-1], out=out)
            odd = out[1::2]  # label state 2k+1 skipping to 2k+3, row 2k+3 of step
            np.logaddexp(odd, step[3::2] + skip_next, out=odd)
        if t in ends:
            now = beta[t]
            now[:states, ends[t]] = start[:, ends[t]]
    return beta


def best_path(scores, input_lengths=None):
    """The most likely class of every frame: a list of N int arrays, sample n's of length
    T_n. scores: (N, T, C) logits, log-probabilities or probabilities (same argmax)."""
    scores = np.asarray(scores)
    if scores.ndim != 3:
        raise ValueError("scores must have shape (N, T, C), not %s" % (scores.shape,))
    n, frames, _ = scores.shape
    if input_lengths is None:
        input_lengths = np.full(n, frames, np.int64)
    t_len = _lengths(input_lengths, n, 0, frames, "input_lengths")
    best = scores.argmax(axis=2)
    return [best[i, :t_len[i]] for i in range(n)]


def collapse(path, blank=0):
    """A frame-by-frame path -> its label: merge runs of the same class, then drop blanks
    (so a, a, blank, a gives a, a)."""
    path = np.asarray(path)
    if path.size == 0:
        return []
    keep = np.ones(path.shape, dtype=bool)
    keep[1:] = path[1:] != path[:-1]
    keep &= path != blank
    return [int(k) for k in path[keep]]


def ctc_greedy_decode(scores, input_lengths=None, blank=0):
    """Best-path decoding: argmax each frame, merge repeats, drop blanks. A list of N lists
    of class indices. Not the most likely label (which would need a beam search over
    all paths), but its usual and cheap approximation."""
    return [collapse(path, blank) for path in best_path(scores, input_lengths)]
