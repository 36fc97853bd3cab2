"""Model files: one `.npz` of parameter arrays plus one JSON string, never a pickle.

Layout of the archive:
    ``__meta__``            0-d unicode array holding the JSON metadata
    ``param/<i>.<name>``    parameter `name` of layer `i` (e.g. ``param/0.weight``)
Other groups (for instance ``optim/...`` in a training checkpoint) may be added by the
caller through `write_archive`; `load_model` refuses any array it does not expect.

The JSON carries the architecture, input shape, labels, preprocessing version and training
metadata. Loading uses ``allow_pickle=False`` and validates everything, raising
`ModelFileError` with a sentence that names the problem, so a bad or hostile file is
refused before anything from it is used, and nothing in it is ever executed.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from .model import Sequential

FORMAT = "pycnn-model"
FORMAT_VERSION = 1
META_KEY = "__meta__"
PARAM_PREFIX = "param/"


class ModelFileError(ValueError):
    """The file is not a usable pycnn model; the message says why."""


def write_archive(path, meta, arrays):
    """Write meta + arrays atomically: a killed process leaves the old file intact."""
    path = os.fspath(path)
    payload = {META_KEY: np.array(json.dumps(meta, sort_keys=True))}
    for key, value in arrays.items():
        payload[key] = np.ascontiguousarray(value)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_archive(path):
    """Return (meta dict, {key: array}) from an archive, refusing anything suspicious."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError("%s: no such file" % path)
    if os.path.isdir(path):
        raise ModelFileError("%s: is a folder, not a model file" % path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError("%s: not a pycnn model file (%s)" % (path, _reason(err))) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ModelFileError("%s: not a pycnn model file (a bare .npy array, not an .npz archive)"
                             % path)
    arrays = {}
    with archive:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as err:  # object arrays need pickle: refused, never loaded
                raise ModelFileError("%s: array %r cannot be loaded safely (%s)"
                                     % (path, key, _reason(err))) from None
            except (OSError, EOFError, zipfile.BadZipFile) as err:
                raise ModelFileError("%s: array %r is damaged or truncated (%s)"
                                     % (path, key, _reason(err))) from None
    meta_array = arrays.pop(META_KEY, None)
    if meta_array is None:
        raise ModelFileError("%s: not a pycnn model file (no %s entry)" % (path, META_KEY))
    if meta_array.dtype.kind != "U" or meta_array.ndim != 0:
        raise ModelFileError("%s: %s must be a JSON string" % (path, META_KEY))
    try:
        meta = json.loads(str(meta_array))
    except ValueError as err:
        raise ModelFileError("%s: metadata is not valid JSON (%s)" % (path, err)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("%s: not a pycnn model file (format is %r)"
                             % (path, meta.get("format") if isinstance(meta, dict) else meta))
    for key, value in arrays.items():
        if value.dtype.kind not in "fiub":
            raise ModelFileError("%s: array %r has unsupported dtype %s" % (path, key, value.dtype))
    return meta, arrays


def _reason(err):
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def model_meta(model, training=None):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": model.config(),
        "input_shape": list(model.input_shape),
        "labels": model.labels,
        "dtype": model.dtype.name,
        "seed": model.seed,
        "preprocess_version": model.metadata.get("preprocess_version"),
        "metadata": model.metadata,
        "training": training if training is not None else model.metadata.get("training", {}),
    }


def model_arrays(model):
    return {PARAM_PREFIX + key: p for key, p, _ in model.parameters()}


def model_from_archive(path, meta, arrays):
    """Rebuild a Sequential from read_archive's output; `arrays` must hold exactly the
    parameters the architecture needs, with the right shapes and dtype."""
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError("%s: format version %r is not supported (expected %d)"
                             % (path, meta.get("format_version"), FORMAT_VERSION))
    try:
        dtype = np.dtype(meta.get("dtype", "float32"))
        if dtype.kind != "f":
            raise TypeError(dtype)
        model = Sequential.from_config(
            meta["architecture"], labels=meta.get("labels"), metadata=meta.get("metadata"),
            seed=int(meta.get("seed", 0)), dtype=dtype)
        model.build(meta["input_shape"])
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError("%s: the architecture in the metadata is invalid (%s: %s)"
                             % (path, type(err).__name__, err)) from None
    expected = model_arrays(model)
    given = {k: v for k, v in arrays.items() if k.startswith(PARAM_PREFIX)}
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(arrays) - set(expected))
    if missing:
        raise ModelFileError("%s: missing parameter arrays: %s" % (path, ", ".join(missing)))
    if extra:
        raise ModelFileError("%s: unexpected arrays: %s" % (path, ", ".join(extra)))
    for key, target in expected.items():
        value = given[key]
        if value.shape != target.shape:
            raise ModelFileError("%s: array %s has shape %s, expected %s"
                                 % (path, key, value.shape, target.shape))
        if value.dtype != target.dtype:
            raise ModelFileError("%s: array %s has dtype %s, expected %s"
                                 % (path, key, value.dtype, target.dtype))
        if not np.all(np.isfinite(value)):
            raise ModelFileError("%s: array %s holds NaN or infinite values" % (path, key))
        target[...] = value
    return model


def save_model(model, path, training=None):
    """Write `model` to `path` (.npz) atomically."""
    write_archive(path, model_meta(model, training), model_arrays(model))


def load_model(path):
    """Read a model written by `save_model`. Raises ModelFileError for anything else."""
    meta, arrays = read_archive(path)
    return model_from_archive(path, meta, arrays)
