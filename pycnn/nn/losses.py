"""Softmax cross-entropy, computed from logits.

    L = (1/N) sum_n [ logsumexp(z_n) - z_n[y_n] ]
    dL/dz = (softmax(z) - onehot(y)) / N

z: (N, K) logits, y: (N,) integer labels. logsumexp subtracts the row max, so large
logits neither overflow nor lose the small probabilities.
"""

import numpy as np


class SoftmaxCrossEntropy:
    def forward(self, logits, labels):
        labels = np.asarray(labels, dtype=np.int64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - log_z
        self._p = np.exp(log_p)
        self._labels = labels
        return float(-log_p[np.arange(len(labels)), labels].mean())

    def backward(self):
        n = len(self._labels)
        d = self._p.copy()
        d[np.arange(n), self._labels] -= 1.0
        return d / d.dtype.type(n)

    @property
    def probabilities(self):
        return self._p
