"""A stand-in for photographed handwriting: pen strokes rendered as ink on paper, photographed.

There is no set of photos of UNIPEN writers, so the benchmarks make one: a test-split
character's strokes become an RGB photo that `pycnn.predict` would be handed. It is built
to differ in form from what training sees (`pycnn/data/paper.py`, which shades gray pictures
linearly, varies the pressure with smooth waves and blurs with binomial passes):

- pen: every stroke drawn separately with its own pressure (ink strength 0.55 to 1), a
  ballpoint line 0.02 to 0.04 of the pad, at 3x resolution, then downsampled;
- colour: blue or black ink on cream or grey paper, in RGB;
- light: a radial vignette (corners 5-25% darker) and blotchy low-frequency paper texture;
- camera: the ink turned by -6..6 degrees, a Gaussian blur of radius 0.3 to 1.3 px, the
  picture scaled to 48-160 px (a crop of a phone photo), saved as JPEG at quality 45-85
  and decoded again.

Deterministic for a given seed and sample. Uses Pillow, so it lives in bench/, never in
the product.
"""

import io

import numpy as np
from PIL import Image, ImageFilter

from pycnn.data.render import DEFAULT_FILL, flatten_strokes, place_in_pad, rasterize

PAD = 280
OVERSAMPLE = 3


PARTS = ("pen", "light", "blur", "small", "jpeg")


def photo_of(strokes, seed, without=()):
    """One character's strokes -> (H, W, 3) uint8 RGB photo of the same ink on paper.

    without: parts of the degradation to leave out, for an ablation (bench/paper_ablation.py):
    "pen" (a steady 0.045 brush, the page's default), "light" (even light, no vignette or
    blotches), "blur", "small" (a 200 px picture), "jpeg" (quality 98). The random draws
    are the same either way, so the rest of each photo stays as it was."""
    rng = np.random.RandomState(seed)
    side = PAD * OVERSAMPLE
    xy, connects = flatten_strokes(strokes)
    if len(xy) == 0:
        return np.full((64, 64, 3), 230, np.uint8)
    stroke_of_point = np.concatenate([[0], np.cumsum(~connects[:-1])]).astype(np.int64)
    n_strokes = int(stroke_of_point[-1]) + 1
    placed = place_in_pad(xy, np.zeros(len(xy), np.int64), 1, side, fill=DEFAULT_FILL)
    width = rng.uniform(0.02, 0.04) * side
    if "pen" in without:
        width = 0.045 * side
    alpha = rasterize(placed, connects, stroke_of_point, n_strokes, side, width)
    pressure = rng.uniform(0.55, 1.0, size=n_strokes)[:, None, None]
    ink = (alpha * pressure).max(axis=0)

    layer = Image.fromarray(np.round(ink * 255).astype(np.uint8))
    layer = layer.rotate(rng.uniform(-6, 6), resample=Image.BILINEAR)
    layer = layer.resize((PAD, PAD), Image.LANCZOS)
    ink = np.asarray(layer, dtype=np.float32) / 255.0

    paper = np.array([rng.uniform(215, 250), rng.uniform(205, 245), rng.uniform(185, 235)])
    if rng.uniform() < 0.3:
        paper[:] = paper.mean()
    pen = np.array([25, 30, 110]) if rng.uniform() < 0.5 else np.array([25, 25, 25])
    pen = pen + rng.uniform(0, 40)
    yy, xx = np.mgrid[0:PAD, 0:PAD] / (PAD - 1.0) - 0.5
    vignette = 1.0 - rng.uniform(0.05, 0.25) * (xx ** 2 + yy ** 2) / 0.5
    blotch = Image.fromarray(rng.uniform(0, 255, size=(5, 5)).astype(np.uint8))
    blotch = np.asarray(blotch.resize((PAD, PAD), Image.BICUBIC), dtype=np.float32) / 255.0
    light = vignette * (1.0 - 0.08 * blotch)
    if "light" in without:
        light = np.ones_like(light)
    rgb = (paper[None, None, :] * (1 - ink[..., None]) + pen[None, None, :] * ink[..., None])
    rgb = np.clip(rgb * light[..., None], 0, 255).astype(np.uint8)

    radius = rng.uniform(0.3, 1.3)
    picture = Image.fromarray(rgb)
    if "blur" not in without:
        picture = picture.filter(ImageFilter.GaussianBlur(radius))
    size = int(rng.randint(48, 161))
    if "small" in without:
        size = 200
    picture = picture.resize((size, size), Image.BILINEAR)
    buffer = io.BytesIO()
    quality = int(rng.randint(45, 86))
    picture.save(buffer, format="JPEG", quality=98 if "jpeg" in without else quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
