"""The rehearsal set: what keeps a model's untaught classes while it learns new ones.

weights/rehearsal.npz (training writers only, evenly per class, made by
`python -m pycnn.adapt --make-rehearsal`, which reads the training data the page never has)
holds uint8 28x28 images and their labels. `load_rehearsal` reads it as hostile;
`stratified` chooses the images a learning uses, as many of each class as it can.
"""

import os

import numpy as np

from ..nn.serialize import printable, read_npz
from ..read.preprocess import OUTPUT_SIZE
from .errors import AdaptError

# The shipped set, in the repository's weights/ (this file is pycnn/learn/rehearsal.py; the
# page passes its own path, beside the model).
REHEARSAL_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "weights",
    "rehearsal.npz")
MAX_REHEARSAL_FILE_BYTES = 16 * 2 ** 20


def load_rehearsal(path=REHEARSAL_PATH):
    """(images uint8 (N, 28, 28), labels [str]) of a rehearsal file, read as hostile."""
    arrays = read_npz(path, AdaptError, MAX_REHEARSAL_FILE_BYTES, 4 * MAX_REHEARSAL_FILE_BYTES,
                      what="a rehearsal file")
    images, labels = arrays.get("images"), arrays.get("labels")
    if (images is None or labels is None or images.dtype != np.uint8 or images.ndim != 3
            or images.shape[1:] != (OUTPUT_SIZE, OUTPUT_SIZE) or labels.dtype.kind != "U"
            or labels.shape != images.shape[:1]):
        raise AdaptError("%s: not a rehearsal file (uint8 images (N, 28, 28) and N labels)"
                         % printable(path))
    return images, [str(label) for label in labels]


def load_rehearsal_features(path=REHEARSAL_PATH):
    """(trunk fingerprint, float16 features (N, F)) kept in a rehearsal file: every image's
    features at the end of the trunk of the model it was made for
    (`pycnn.learn.adaptation.trunk_fingerprint`), so that learning need not compute them; None
    when the file has none or they do not fit its images."""
    arrays = read_npz(path, AdaptError, MAX_REHEARSAL_FILE_BYTES, 4 * MAX_REHEARSAL_FILE_BYTES,
                      what="a rehearsal file")
    features, trunk, images = arrays.get("features"), arrays.get("trunk"), arrays.get("images")
    if (features is None or trunk is None or images is None or features.ndim != 2
            or features.dtype.kind != "f" or len(features) != len(images)
            or trunk.dtype.kind != "U" or trunk.size != 1):
        return None
    return str(trunk.reshape(-1)[0]), features


def stratified(labels, classes, count, rng):
    """Sorted indices of about `count` of `labels`, as many of each of `classes` as it
    has up to ceil(count / len(classes)), chosen at random."""
    labels = np.array(labels, dtype=np.str_)  # an empty list would be float, never equal
    each = -(-count // max(len(classes), 1))
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:each] for c in classes]
    chosen = [c for c in chosen if len(c)]
    return np.sort(np.concatenate(chosen)).astype(np.intp) if chosen \
        else np.zeros(0, dtype=np.intp)

