"""pycnn.data.paper: canvas ink made to look like a photo of ink on paper, for training."""

import numpy as np
import pytest

from pycnn.data.dataset import render_batch
from pycnn.data.paper import paper_photos
from pycnn.data.unipen import load_stroke_files
from pycnn.read.preprocess import ink_from_pixels


def _strokes_alpha():
    alpha = np.zeros((3, 48, 48), np.float32)
    alpha[0, 10:38, 22:26] = 1.0  # a bar
    alpha[1, 12:16, 8:40] = 1.0
    alpha[2, 20:28, 20:28] = 0.6
    return alpha


def test_photos_are_opaque_8_bit_pictures_and_the_same_seed_gives_the_same_ones():
    alpha = _strokes_alpha()
    a = paper_photos(alpha, np.random.RandomState(5))
    b = paper_photos(alpha, np.random.RandomState(5))
    assert a.dtype == np.uint8 and a.shape == alpha.shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, paper_photos(alpha, np.random.RandomState(6)))


def test_the_page_s_ink_finder_reads_the_ink_back_from_the_photo():
    alpha = _strokes_alpha()
    for seed in range(20):
        photos = paper_photos(alpha, np.random.RandomState(seed))
        for photo, truth in zip(photos, alpha):
            ink = ink_from_pixels(photo)
            # Where the pen went there is more ink than on the paper around it, even for a
            # faint pencil pressed lightly (strength 0.45 x 0.6 on a grey sheet).
            assert ink[truth > 0.5].mean() > ink[truth == 0].mean() + 0.08, seed


def test_paper_applies_to_the_asked_fraction_and_zero_changes_nothing(unipen_path):
    data = load_stroke_files([unipen_path])
    indices = np.arange(40)
    plain, labels = render_batch(data, indices, rng=3, augment=True)
    again, _ = render_batch(data, indices, rng=3, augment=True, paper=0.0)
    np.testing.assert_array_equal(plain, again)  # paper=0 draws nothing more from rng
    photos, photo_labels = render_batch(data, indices, rng=3, augment=True, paper=1.0)
    np.testing.assert_array_equal(labels, photo_labels)
    assert photos.shape == plain.shape and photos.max() == pytest.approx(1.0)
    differs = [not np.allclose(p, q, atol=0.05) for p, q in zip(photos, plain)]
    assert sum(differs) >= 30
    with pytest.raises(ValueError, match="needs rng"):
        render_batch(data, indices, paper=0.5)
