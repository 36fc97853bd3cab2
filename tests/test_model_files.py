"""Model files (save, load, refusing bad or hostile files), summary(), forward_trace,
optimisers and learning-rate schedules."""

import json
import math
import struct
import zlib

import numpy as np
import pytest

from pycnn.nn import (
    SGD,
    Adam,
    Conv2D,
    CosineSchedule,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ModelFileError,
    ReLU,
    Sequential,
    Softmax,
    StepSchedule,
    load_model,
    save_model,
)
from pycnn.nn.serialize import model_arrays, model_meta, write_archive

LABELS = list("0123456789")


def small_model(seed=0):
    model = Sequential([
        Conv2D(4, 3, padding="same"), ReLU(), MaxPool2D(2),
        Conv2D(6, 3, stride=2, padding="valid", method="fft"), ReLU(),
        Flatten(), Dense(16), ReLU(), Dropout(0.3), Dense(10), Softmax(),
    ], input_shape=(1, 12, 12), labels=LABELS,
        metadata={"preprocess_version": 3, "note": "test model"}, seed=seed)
    rng = np.random.RandomState(seed + 100)
    for _, p, _ in model.parameters():
        p += rng.uniform(-0.1, 0.1, p.shape).astype(p.dtype)  # biases not all zero
    return model


def images(n=5, seed=0):
    return np.random.RandomState(seed).uniform(0, 1, (n, 1, 12, 12)).astype(np.float32)


@pytest.fixture
def saved(tmp_path):
    model = small_model()
    path = tmp_path / "model.npz"
    save_model(model, path, training={"epochs": 2})
    return model, path


# --- save and load ------------------------------------------------------------------------

def test_save_then_load_gives_identical_model(saved):
    model, path = saved
    loaded = load_model(path)
    x = images()
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.labels == LABELS
    assert loaded.metadata == model.metadata
    assert loaded.input_shape == model.input_shape
    assert loaded.config() == model.config()
    assert loaded.summary(print_fn=None) == model.summary(print_fn=None)
    for (k1, p1, _), (k2, p2, _) in zip(model.parameters(), loaded.parameters()):
        assert k1 == k2 and p1.dtype == p2.dtype
        np.testing.assert_array_equal(p1, p2)
    meta = json.loads(str(np.load(path, allow_pickle=False)["__meta__"]))
    assert meta["training"] == {"epochs": 2}
    assert meta["preprocess_version"] == 3


def test_round_trip_keeps_unusual_options(tmp_path):
    """Tuple padding, non-square kernel, stride, overlapping pool and a float64 model."""
    model = Sequential([Conv2D(3, (2, 3), stride=2, padding=(0, 1), init="glorot"), ReLU(),
                        MaxPool2D(3, 2), Flatten(), Dense(4, init="he"), Softmax()],
                       input_shape=(2, 11, 10), labels=list("abcd"), dtype=np.float64, seed=9)
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.dtype == np.float64 and loaded.config() == model.config()
    assert loaded.layers[0].padding == (0, 1) and loaded.layers[0].kernel_size == (2, 3)
    x = np.random.RandomState(0).uniform(size=(3, 2, 11, 10))
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_saving_over_a_model_replaces_it_atomically(saved, tmp_path):
    model, path = saved
    other = small_model(seed=5)
    save_model(other, path)
    x = images()
    np.testing.assert_array_equal(load_model(path).predict_proba(x), other.predict_proba(x))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary left over


# --- files that are not models --------------------------------------------------------------

def refused(path, *words):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    for word in words:
        assert word.lower() in message.lower(), message
    return message


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.5, 0.9, 0.999])
def test_truncated_file_is_refused(saved, fraction):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])
    refused(path, str(path))


def test_corrupted_bytes_in_an_array_are_refused(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    # np.savez stores arrays uncompressed: flip bytes inside the first parameter's data.
    at = data.index(b"param/0.weight")
    at = data.index(b"\n", data.index(b"{", at)) + 1  # end of the .npy header
    data[at:at + 8] = b"\xff" * 8  # NaN
    path.write_bytes(bytes(data))
    message = refused(path)
    assert "param/0.weight" in message or "crc" in message.lower() or "damaged" in message


def png_bytes():
    """A real 1x1 PNG, built by hand so the test needs no imaging library."""
    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("content", [
    b"",
    b"just some notes, not a model\n",
    png_bytes(),
    b"PK\x03\x04 looks like a zip but is not",
])
def test_renamed_non_model_file_is_refused(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    refused(path, "model.npz")


def test_plain_npz_without_metadata_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, weights=np.zeros((3, 3), np.float32))
    refused(path, "__meta__")


def test_bare_npy_renamed_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(4, np.float32))
    refused(path, "single .npy array", "not an .npz archive")


def test_missing_file_and_folder_are_refused(tmp_path):
    refused(tmp_path / "nothing.npz", "no such file")
    refused(tmp_path, "folder")


def rewrite(saved, tmp_path, change_meta=None, change_arrays=None):
    """Write a copy of the saved model with its metadata or arrays altered."""
    model, _ = saved
    meta, arrays = model_meta(model), {k: v.copy() for k, v in model_arrays(model).items()}
    if change_meta:
        change_meta(meta)
    if change_arrays:
        change_arrays(arrays)
    path = tmp_path / "altered.npz"
    write_archive(path, meta, arrays)
    return path


def test_missing_array_is_named(saved, tmp_path):
    path = rewrite(saved, tmp_path, change_arrays=lambda a: a.pop("param/6.bias"))
    refused(path, "missing", "param/6.bias")


def test_extra_array_is_named(saved, tmp_path):
    def add(arrays):
        arrays["param/99.weight"] = np.zeros(3, np.float32)
    refused(rewrite(saved, tmp_path, change_arrays=add), "unexpected", "param/99.weight")


def test_wrong_shape_is_named(saved, tmp_path):
    def reshape(arrays):
        arrays["param/0.weight"] = np.zeros((4, 1, 5, 5), np.float32)
    refused(rewrite(saved, tmp_path, change_arrays=reshape), "param/0.weight", "shape",
            "(4, 1, 5, 5)", "(4, 1, 3, 3)")


@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_wrong_dtype_is_named(saved, tmp_path, dtype):
    def cast(arrays):
        arrays["param/9.weight"] = arrays["param/9.weight"].astype(dtype)
    refused(rewrite(saved, tmp_path, change_arrays=cast), "param/9.weight", "dtype",
            np.dtype(dtype).name)


def test_nan_weights_are_refused(saved, tmp_path):
    def poison(arrays):
        arrays["param/9.bias"][3] = np.nan
    refused(rewrite(saved, tmp_path, change_arrays=poison), "param/9.bias", "nan")


def test_invalid_json_is_refused(saved, tmp_path):
    model, _ = saved
    path = tmp_path / "model.npz"
    arrays = {k: v for k, v in model_arrays(model).items()}
    np.savez(path, __meta__=np.array('{"format": "pycnn-model", "architecture": ['), **arrays)
    refused(path, "json")


def test_json_that_is_not_a_pycnn_model_is_refused(saved, tmp_path):
    path = rewrite(saved, tmp_path, change_meta=lambda m: m.update(format="something-else"))
    refused(path, "something-else")


@pytest.mark.parametrize("change", [
    lambda m: m.update(format_version=99),
    lambda m: m.update(architecture=[{"class": "Evil", "config": {}}]),
    lambda m: m["architecture"][0]["config"].update(padding="sideways"),
    lambda m: m.pop("input_shape"),
    lambda m: m.update(labels=["a", "b"]),
    lambda m: m.update(dtype="int8"),
])
def test_invalid_architecture_is_refused(saved, tmp_path, change):
    refused(rewrite(saved, tmp_path, change_meta=change))


@pytest.mark.parametrize("change, words", [
    (lambda m: m.update(labels=["a"] * 10), ["repeat"]),
    (lambda m: m.update(labels=["a\nb"] + LABELS[1:]), ["printable"]),
    (lambda m: m["architecture"][6].update(config={"units": 10 ** 9}), ["units"]),
    (lambda m: m["architecture"][0]["config"].update(stride=0), ["stride"]),
    (lambda m: m["architecture"][0]["config"].update(filters=4096, padding="full",
                                                     kernel_size=12), ["multiply-adds"]),
    (lambda m: m.update(input_shape=[1, 10 ** 6, 12]), ["input height"]),
    (lambda m: m.update(architecture=[1]), ["layer 0"]),
])
def test_architecture_is_checked_before_anything_is_built(saved, tmp_path, change, words):
    """Sizes and types come from the JSON alone: nothing huge is ever allocated."""
    refused(rewrite(saved, tmp_path, change_meta=change), *words)


@pytest.mark.parametrize("text, words", [
    ("[" * 50000 + "]" * 50000, ["nested"]),
    ('{"format": "pycnn-model", "seed": NaN}', ["NaN"]),
    ('{"format": "pycnn-model", "seed": 1e999}', ["out of range"]),
    ('{"format": "pycnn-model", "seed": ' + "7" * 3000 + "}", ["digits"]),
])
def test_hostile_json_is_refused(saved, tmp_path, text, words):
    model, _ = saved
    path = tmp_path / "model.npz"
    np.savez(path, __meta__=np.array(text), **model_arrays(model))
    refused(path, *words)


def test_archive_members_are_checked_before_they_are_read(saved, tmp_path):
    import zipfile

    _, path = saved
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("notes.txt", b"not an array")
    refused(path, "notes.txt", "not a .npy array")
    _, path = saved
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000,), }"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    huge = tmp_path / "huge.npz"
    with zipfile.ZipFile(huge, "w") as archive:  # claims 80 GB, holds a header
        archive.writestr("__meta__.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header))
                         + header.encode("latin-1"))
    refused(huge, "header claims")


def test_object_array_is_refused(saved, tmp_path):
    model, _ = saved
    arrays = dict(model_arrays(model))
    arrays["param/0.bias"] = np.array([1.0, "two", None, 4.0], dtype=object)
    path = tmp_path / "model.npz"
    np.savez(path, __meta__=np.array(json.dumps(model_meta(model))), **arrays)
    refused(path, "param/0.bias")


class CreatesFileWhenUnpickled:
    """Unpickling this calls open(target, "w"): a stand-in for arbitrary code execution."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return open, (self.target, "w")


@pytest.mark.parametrize("where", ["param/0.weight", "__meta__", "extra"])
def test_pickled_object_is_refused_and_never_unpickled(saved, tmp_path, where):
    model, _ = saved
    # The payload is real: loading it with pickle allowed does create the file.
    proof = tmp_path / "proof.txt"
    np.savez(tmp_path / "proof.npz", x=np.array([CreatesFileWhenUnpickled(proof)], dtype=object),
             allow_pickle=True)
    with np.load(tmp_path / "proof.npz", allow_pickle=True) as archive:
        archive["x"]
    assert proof.exists()

    target = tmp_path / "pwned.txt"
    payload = np.array([CreatesFileWhenUnpickled(target)], dtype=object)
    entries = {"__meta__": np.array(json.dumps(model_meta(model)))}
    entries.update(model_arrays(model))
    entries[where] = payload
    path = tmp_path / "model.npz"
    np.savez(path, allow_pickle=True, **entries)
    refused(path, where)
    assert not target.exists()


# --- summary and forward_trace ------------------------------------------------------------

def test_summary_lists_layers_shapes_and_parameter_counts():
    model = small_model()
    text = model.summary(print_fn=None)
    printed = []
    model.summary(print_fn=printed.append)
    assert printed == [text]
    # Conv 4x1x3x3+4; conv 6x4x3x3+6 on 6x6 -> 2x2 (valid, stride 2); dense 24*16+16; 16*10+10
    counts = [40, 0, 0, 222, 0, 0, 400, 0, 0, 170, 0]
    shapes = [(4, 12, 12), (4, 12, 12), (4, 6, 6), (6, 2, 2), (6, 2, 2), (24,), (16,), (16,),
              (16,), (10,), (10,)]
    names = ["Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "Flatten", "Dense", "ReLU",
             "Dropout", "Dense", "Softmax"]
    lines = text.splitlines()
    for i, (name, shape, count) in enumerate(zip(names, shapes, counts)):
        row = [line for line in lines if line.startswith("%d %s " % (i, name))]
        assert len(row) == 1, (i, name, text)
        assert str(shape) in row[0]
        assert row[0].split()[-1] == "{:,}".format(count)
    assert "Total params: {:,}".format(sum(counts)) in lines
    assert model.parameter_count() == sum(counts) == 832
    assert any(line.startswith("Input") and "(1, 12, 12)" in line for line in lines)
    table = model.layer_table()
    assert [r["params"] for r in table] == counts
    assert [tuple(r["output_shape"]) for r in table] == shapes


def test_forward_trace_agrees_with_predict_proba():
    model = small_model()
    x = images(3)
    trace = model.forward_trace(x)
    assert [name for name, _ in trace] == [layer.name for layer in model.layers]
    for (name, out), layer in zip(trace, model.layers):
        assert out.shape == (3,) + tuple(layer.output_shape), name
    np.testing.assert_allclose(trace[-1][1], model.predict_proba(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(trace[-1][1].sum(axis=1), 1.0, rtol=1e-5)
    # Inference mode: dropout is the identity, so the trace is deterministic.
    np.testing.assert_array_equal(model.forward_trace(x)[8][1], trace[7][1])
    # A model without a final Softmax still ends its trace with probabilities.
    logits_model = Sequential(model.layers[:-1], labels=LABELS)
    logits_model.input_shape = model.input_shape
    trace2 = logits_model.forward_trace(x)
    assert trace2[-1][0] == "Softmax"
    np.testing.assert_allclose(trace2[-1][1], trace[-1][1], rtol=1e-6, atol=1e-7)


# --- optimisers and schedules -------------------------------------------------------------

def test_sgd_momentum_and_weight_decay_match_a_hand_computation():
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    b0 = np.array([0.1, -0.1])
    grads = [(np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([1.0, -1.0])),
             (np.array([[-0.5, 0.0], [0.25, 0.1]]), np.array([0.5, 0.5])),
             (np.array([[0.2, 0.2], [0.2, 0.2]]), np.array([-2.0, 0.0]))]
    lr, mu, wd = 0.1, 0.9, 0.01
    w, b = w0.copy(), b0.copy()
    opt = SGD(lr=lr, momentum=mu, weight_decay=wd)
    w_ref, b_ref = w0.copy(), b0.copy()
    vw, vb = np.zeros_like(w0), np.zeros_like(b0)
    for gw, gb in grads:
        opt.step([("0.weight", w, gw.copy()), ("0.bias", b, gb.copy())])
        vw = mu * vw + (gw + wd * w_ref)  # weights decay (L2), biases don't
        vb = mu * vb + gb
        w_ref = w_ref - lr * vw
        b_ref = b_ref - lr * vb
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    np.testing.assert_allclose(b, b_ref, rtol=1e-12)
    # First step by hand, written out: v = g + wd w0, w = w0 - lr v.
    w1 = w0.copy()
    SGD(lr=lr, momentum=mu, weight_decay=wd).step([("w", w1, grads[0][0])])
    np.testing.assert_allclose(w1, w0 - lr * (grads[0][0] + wd * w0), rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_lr():
    # With bias correction, the first Adam step is lr * sign(g) (up to eps).
    w = np.zeros(5, np.float32)
    g = np.array([3.0, -0.001, 1e3, -7.0, 0.5], np.float32)
    Adam(lr=0.01).step([("w", w, g)])
    np.testing.assert_allclose(w, -0.01 * np.sign(g), rtol=1e-4)


def test_step_schedule():
    schedule = StepSchedule(0.1, step_size=3, gamma=0.5)
    assert [schedule(e) for e in (0, 1, 2.9, 3, 5.5, 6, 9)] == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])


def test_cosine_schedule():
    schedule = CosineSchedule(0.1, epochs=10, min_lr=0.001)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(5) == pytest.approx(0.001 + 0.099 / 2)
    assert schedule(2.5) == pytest.approx(0.001 + 0.099 * (1 + math.cos(math.pi / 4)) / 2)
    assert schedule(10) == pytest.approx(0.001)
    assert schedule(12) == pytest.approx(0.001)  # stays at the floor after the end
    lrs = [schedule(e / 4) for e in range(41)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    warm = CosineSchedule(0.1, epochs=10, warmup=2)
    assert warm(0) < warm(1) < warm(2) == pytest.approx(0.1 * (1 + math.cos(math.pi * 0.2)) / 2)


def test_fit_resumed_from_an_epoch_matches_an_uninterrupted_run():
    """fit's history, callbacks and reseeding: 2 epochs in one go equal 1 + 1 resumed."""
    rng = np.random.RandomState(0)
    x, y = images(40, seed=1), rng.randint(0, 10, 40)

    def new():
        return Sequential([Flatten(), Dense(8), ReLU(), Dropout(0.5), Dense(10), Softmax()],
                          input_shape=(1, 12, 12), seed=2)

    class Recorder:
        def __init__(self):
            self.events = []

        def on_epoch_begin(self, epoch, model):
            self.events.append(("begin", epoch))

        def on_batch_end(self, epoch, batch, n_batches, logs):
            self.events.append(("batch", epoch, batch, n_batches, logs["seen"]))

        def on_epoch_end(self, epoch, logs, model):
            self.events.append(("end", epoch))

    a, opt_a, rec = new(), Adam(0.01), Recorder()
    history = a.fit((x, y), opt_a, epochs=2, batch_size=16, validation=(x[:8], y[:8]),
                    callbacks=[rec])
    assert set(history) >= {"epoch", "loss", "acc", "val_loss", "val_acc", "lr"}
    assert history["epoch"] == [1, 2]
    assert rec.events[:5] == [("begin", 0), ("batch", 0, 0, 3, 16), ("batch", 0, 1, 3, 32),
                              ("batch", 0, 2, 3, 40), ("end", 0)]

    b, opt_b = new(), Adam(0.01)
    b.fit((x, y), opt_b, epochs=1, batch_size=16)
    b.fit((x, y), opt_b, epochs=2, batch_size=16, initial_epoch=1)
    for (_, pa, _), (_, pb, _) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa, pb)
