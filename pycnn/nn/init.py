"""Weight initialisation. Each function takes (rng, shape, fan_in, fan_out).

- He (Kaiming) normal, for layers followed by ReLU: std = sqrt(2 / fan_in), so the
  activation variance stays constant through ReLU layers.
- Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), which keeps
  forward and backward variance balanced for linear or symmetric activations.
"""

import numpy as np


def he_normal(rng, shape, fan_in, fan_out):
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def glorot_uniform(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


INITIALISERS = {"he": he_normal, "glorot": glorot_uniform}


def check_initialiser(name):
    """Refuse an unknown initialiser name when a layer is made, not when it is built."""
    if name not in INITIALISERS:
        raise ValueError("init must be one of %s, not %r" % (tuple(INITIALISERS), name))
