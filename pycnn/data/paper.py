"""Ink on paper: turn a canvas rendering into what a photo or a scan of the same ink looks like.

`pycnn.predict` reads photos and scans as well as canvas exports. A photo differs from the
page's transparent canvas in ways the stroke augmentation never shows: the pen presses
unevenly, the lens blurs, the paper is grey rather than white and lit unevenly, the sensor is
noisy, and the picture is opaque, so `preprocess.ink_from_pixels` must find the ink by its
brightness instead of reading the alpha channel. Training passes a fraction of its images
through `paper_photos` so the network learns that look; the result goes through the page's
own `ink_from_pixels` and `preprocess_ink`, exactly as `pycnn.predict` treats a photo.

Per image, all drawn from `rng` (one batch at a time, NumPy only):
- pressure: the ink's strength times a smooth random field in [PRESSURE_MIN, 1] (two long
  waves): a ballpoint or a pencil leaves lighter and darker parts of one stroke;
- blur: a binomial kernel applied 0 to MAX_BLUR_PASSES times along each axis (each pass is
  [1, 2, 1] / 4, about 0.7 px of standard deviation at the training pad's 96 px);
- paper: a brightness in PAPER_RANGE with a linear shading of up to SHADING across the picture
  in a random direction (a lamp on one side, a phone's shadow);
- ink: a darkness in INK_RANGE (black ink to a faint pencil), laid over the paper;
- noise: Gaussian per-pixel noise of standard deviation up to NOISE_MAX, then 8-bit
  quantisation as a camera file stores it;
- a few pictures (LIGHT_ON_DARK) are chalk on a board: light ink on a dark background.

Small rotations and other shapes of the hand come from the stroke augmentation before
rendering, so they are not repeated here. Nothing here is used by the page.
"""

import numpy as np

PRESSURE_MIN = 0.45
MAX_BLUR_PASSES = 3
PAPER_RANGE = (0.55, 1.0)
SHADING = 0.18
INK_RANGE = (0.0, 0.45)
NOISE_MAX = 0.05
LIGHT_ON_DARK = 0.05


def _smooth_field(n, size, rng, low):
    """(n, size, size) fields in [low, 1]: a sum of two long sine waves per image."""
    axis = (np.arange(size, dtype=np.float32) + 0.5) / size
    x, y = axis[None, :], axis[:, None]
    field = np.zeros((n, size, size), np.float32)
    for _ in range(2):
        cycles = rng.uniform(0.3, 1.5, size=n).astype(np.float32)
        angle = rng.uniform(0.0, 2.0 * np.pi, size=n).astype(np.float32)
        phase = rng.uniform(0.0, 2.0 * np.pi, size=n).astype(np.float32)
        u = (2.0 * np.pi * cycles * np.cos(angle))[:, None, None]
        v = (2.0 * np.pi * cycles * np.sin(angle))[:, None, None]
        field += np.sin(u * x + v * y + phase[:, None, None])
    field = (field + 2.0) / 4.0  # [0, 1]
    return low + (1.0 - low) * field


def _binomial_blur(images, passes):
    """Blur each image (N, S, S) `passes[i]` times with [1, 2, 1] / 4 on both axes."""
    out = images.copy()
    for step in range(int(passes.max()) if len(passes) else 0):
        which = passes > step
        part = out[which]
        padded = np.pad(part, ((0, 0), (1, 1), (0, 0)), mode="edge")
        part = 0.25 * padded[:, :-2] + 0.5 * padded[:, 1:-1] + 0.25 * padded[:, 2:]
        padded = np.pad(part, ((0, 0), (0, 0), (1, 1)), mode="edge")
        out[which] = 0.25 * padded[:, :, :-2] + 0.5 * padded[:, :, 1:-1] + 0.25 * padded[:, :, 2:]
    return out


def paper_photos(alpha, rng):
    """Canvas ink alpha (N, S, S) in [0, 1] -> (N, S, S) uint8 gray photos of that ink."""
    alpha = np.asarray(alpha, dtype=np.float32)
    n, size = alpha.shape[0], alpha.shape[1]
    ink = alpha * _smooth_field(n, size, rng, PRESSURE_MIN)
    passes = np.floor(rng.uniform(0, MAX_BLUR_PASSES + 1, size=n)).astype(np.int64)
    ink = _binomial_blur(ink, passes)

    axis = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n).astype(np.float32)
    ramp = (np.cos(angle)[:, None, None] * axis[None, None, :]
            + np.sin(angle)[:, None, None] * axis[None, :, None])
    shading = rng.uniform(0.0, SHADING, size=n).astype(np.float32)[:, None, None]
    paper = rng.uniform(*PAPER_RANGE, size=n).astype(np.float32)[:, None, None]
    paper = np.clip(paper * (1.0 + shading * ramp), 0.0, 1.0)
    ink_level = rng.uniform(*INK_RANGE, size=n).astype(np.float32)[:, None, None]
    gray = paper + ink * (ink_level - paper)

    board = rng.uniform(size=n) < LIGHT_ON_DARK
    gray[board] = 1.0 - gray[board]
    noise = rng.uniform(0.0, NOISE_MAX, size=n).astype(np.float32)[:, None, None]
    gray = gray + noise * rng.standard_normal(size=gray.shape).astype(np.float32)
    return np.round(np.clip(gray, 0.0, 1.0) * 255.0).astype(np.uint8)
