"""Optimisers and learning-rate schedules.

An optimiser updates parameter arrays in place from their gradients. `state_dict()` holds
its buffers as plain arrays so a checkpoint can resume a run exactly.

- SGD with momentum (PyTorch's form):  v <- mu v + g;  w <- w - lr v
- Adam:  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
         w <- w - lr * m_hat / (sqrt(v_hat) + eps),  with bias-corrected m_hat, v_hat.
- Weight decay: L2 added to the gradient for SGD (g <- g + wd w); decoupled for Adam
  (AdamW: w <- w - lr wd w), which is what works with adaptive steps.
  Biases are not decayed.
"""

import math

import numpy as np


class Optimizer:
    def __init__(self, lr, weight_decay=0.0):
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.steps = 0
        self.state = {}

    def step(self, parameters):
        """parameters: iterable of (key, param, grad) with param updated in place."""
        self.steps += 1
        for key, param, grad in parameters:
            decay = self.weight_decay if param.ndim > 1 else 0.0
            self.update(key, param, grad, decay)

    def update(self, key, param, grad, decay):
        raise NotImplementedError

    def state_dict(self):
        arrays = {"%s/%s" % (name, key): value
                  for key, buffers in self.state.items() for name, value in buffers.items()}
        return {"steps": self.steps, "lr": self.lr}, arrays

    def load_state_dict(self, meta, arrays):
        self.steps = int(meta["steps"])
        self.lr = float(meta["lr"])
        self.state = {}
        for full_key, value in arrays.items():
            name, key = full_key.split("/", 1)
            self.state.setdefault(key, {})[name] = np.array(value)


class SGD(Optimizer):
    def __init__(self, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = float(momentum)

    def update(self, key, param, grad, decay):
        if decay:
            grad = grad + decay * param
        if self.momentum:
            buffers = self.state.setdefault(key, {})
            v = buffers.get("velocity")
            if v is None:
                v = buffers["velocity"] = np.zeros_like(param)
            v *= self.momentum
            v += grad
            grad = v
        param -= param.dtype.type(self.lr) * grad


class Adam(Optimizer):
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, key, param, grad, decay):
        buffers = self.state.setdefault(key, {})
        if "m" not in buffers:
            buffers["m"] = np.zeros_like(param)
            buffers["v"] = np.zeros_like(param)
        m, v = buffers["m"], buffers["v"]
        m *= self.beta1
        m += (1.0 - self.beta1) * grad
        v *= self.beta2
        v += (1.0 - self.beta2) * np.square(grad)
        t = self.steps
        step = self.lr * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        # eps scaled like v's bias correction, so eps is added to sqrt(v_hat) as documented
        # (and as PyTorch does), not to the uncorrected sqrt(v).
        eps = self.eps * math.sqrt(1.0 - self.beta2 ** t)
        if decay:
            param -= param.dtype.type(self.lr * decay) * param
        param -= param.dtype.type(step) * m / (np.sqrt(v) + param.dtype.type(eps))


class StepSchedule:
    """lr = base * gamma ** (epoch // step_size)."""

    def __init__(self, base_lr, step_size, gamma=0.1):
        self.base_lr, self.step_size, self.gamma = float(base_lr), int(step_size), float(gamma)

    def __call__(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineSchedule:
    """lr = min + (base - min) (1 + cos(pi epoch / epochs)) / 2, with an optional linear
    warm-up over the first `warmup` epochs."""

    def __init__(self, base_lr, epochs, min_lr=0.0, warmup=0):
        self.base_lr, self.epochs = float(base_lr), int(epochs)
        self.min_lr, self.warmup = float(min_lr), int(warmup)

    def __call__(self, epoch):
        if epoch < self.warmup:
            return self.base_lr * (epoch + 1) / (self.warmup + 1)
        t = min(epoch, self.epochs) / max(self.epochs, 1)
        return self.min_lr + (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * t)) / 2
