"""The command-line tools: train (with exact resume), evaluate and predict."""

import json
import pickle

import numpy as np
import pytest

from pycnn import evaluate, predict, train
from pycnn.data.dataset import render_batch
from pycnn.data.render import render_strokes
from pycnn.data.unipen import load_unipen, writer_split
from pycnn.nn import load_model
from pycnn.nn.serialize import read_archive
from pycnn.preprocess import preprocess


@pytest.fixture
def no_pickle(monkeypatch):
    """Make any unpickling in the tools fail loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


TINY = ["--arch", "tiny", "--epochs", "2", "--limit-train", "400", "--limit-val", "100",
        "--batch-size", "32", "--seed", "3", "--quiet"]


def _train(tmp_path, name, extra=()):
    out = tmp_path / name / "model.npz"
    code = train.main(TINY + ["--out", str(out)] + list(extra))
    return code, out


def test_interrupted_then_resumed_training_matches_uninterrupted(tmp_path, no_pickle, unipen_path):
    code, straight = _train(tmp_path, "straight")
    assert code == 0
    code, resumed = _train(tmp_path, "resumed", ["--stop-after", "1"])
    assert code == 0
    half = read_archive(resumed.parent / "checkpoint.npz")[0]["checkpoint"]["state"]
    assert half["epochs_done"] == 1
    assert train.main(TINY + ["--out", str(resumed), "--resume"]) == 0

    a = read_archive(straight.parent / "checkpoint.npz")[1]
    b = read_archive(resumed.parent / "checkpoint.npz")[1]
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    metrics = json.loads((straight.parent / "metrics.json").read_text())
    assert len(metrics["history"]["loss"]) == 2
    assert metrics["history"]["loss"][1] < metrics["history"]["loss"][0]
    assert (straight.parent / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (straight.parent / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_with_other_options_is_refused(tmp_path, capsys, unipen_path):
    _train(tmp_path, "run", ["--stop-after", "1"])
    code = train.run_cli(train.main, TINY + ["--out", str(tmp_path / "run" / "model.npz"),
                                             "--resume", "--lr", "0.5"])
    assert code == 2
    assert "different options" in capsys.readouterr().err


def test_train_with_missing_data_is_a_clear_error(tmp_path, capsys):
    code = train.run_cli(train.main, ["--data", str(tmp_path / "none.npz"),
                                      "--out", str(tmp_path / "m.npz")])
    assert code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def _write_stroke_file(path, data, indices):
    """A stroke file in the shared format holding the given samples."""
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for i in indices:
        for stroke in data.strokes(i):
            points.append(np.asarray(stroke, dtype=np.int16))
            stroke_offsets.append(stroke_offsets[-1] + len(stroke))
        sample_offsets.append(len(stroke_offsets) - 1)
    np.savez(path, labels=data.labels[indices].astype(np.uint8), mapping=data.mapping,
             section=data.section[indices], points=np.concatenate(points),
             stroke_offsets=np.array(stroke_offsets, dtype=np.int64),
             sample_stroke_offsets=np.array(sample_offsets, dtype=np.int64))


def test_evaluate_on_a_stroke_file(tmp_path, small_model, capsys, no_pickle, unipen_path):
    data = load_unipen(unipen_path)
    test_idx = writer_split(data)["test"]
    chosen = np.sort(np.random.RandomState(0).choice(test_idx, 300, replace=False))
    path = tmp_path / "few.npz"
    _write_stroke_file(path, data, chosen)

    assert evaluate.main(["--model", str(small_model), "--strokes", str(path), "--json",
                          "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["n"] == 300
    assert sum(s["n"] for s in report["sections"].values()) == 300
    assert set(report["sections"]) == set(data.section[chosen])

    model = load_model(small_model)
    x, y = render_batch(data, chosen, augment=False)
    expected = float((model.predict(x) == y).mean())
    assert report["top1"] == pytest.approx(expected)
    assert report["top1"] <= report["top1_merged"] <= 1
    assert report["top1"] <= report["top3"] <= 1
    assert report["top1"] > 0.3  # far above 1/62: it really read the strokes


def test_evaluate_refuses_a_foreign_file(tmp_path, small_model, capsys):
    bad = tmp_path / "foreign.npz"
    np.savez(bad, something=np.arange(3))
    assert evaluate.run_cli(evaluate.main, ["--model", str(small_model), "--strokes",
                                            str(bad)]) == 2
    assert "error:" in capsys.readouterr().err


def _images_of_one_drawing(tmp_path, data_path):
    from PIL import Image

    data = load_unipen(data_path)
    i = int(np.flatnonzero(data.mapping[data.labels] == "7")[0])
    alpha = np.round(render_strokes(data.strokes(i), pad_size=200) * 255).astype(np.uint8)
    rgba = np.zeros(alpha.shape + (4,), np.uint8)
    rgba[..., 3] = alpha
    paths = {"alpha": tmp_path / "canvas.png", "dark_on_light": tmp_path / "paper.jpg",
             "light_on_dark": tmp_path / "board.png"}
    Image.fromarray(rgba, "RGBA").save(paths["alpha"])
    Image.fromarray(255 - alpha).convert("RGB").save(paths["dark_on_light"], quality=95)
    Image.fromarray(alpha).convert("RGB").save(paths["light_on_dark"])
    return paths, rgba


def test_predict_reads_every_kind_of_image(tmp_path, small_model, capsys, no_pickle, unipen_path):
    paths, rgba = _images_of_one_drawing(tmp_path, unipen_path)
    files = [str(p) for p in paths.values()]
    assert predict.main(files + ["--model", str(small_model), "--json"]) == 0
    results = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["file"] for r in results] == files
    model = load_model(small_model)
    expected = model.labels[int(model.predict(preprocess(rgba)[None, None])[0])]
    for r in results:
        assert len(r["top5"]) == 5
        assert r["top5"][0][0] == expected
        probs = [p for _, p in r["top5"]]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001


def test_predict_reports_each_bad_image_and_exits_1_if_any_failed(tmp_path, small_model, capsys,
                                                                   unipen_path):
    from PIL import Image

    paths, _ = _images_of_one_drawing(tmp_path, unipen_path)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(paths["alpha"].read_bytes()[:60])
    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), "white").save(blank)
    args = [str(corrupt), str(blank), "--model", str(small_model), "--json"]

    assert predict.main(args) == 1
    captured = capsys.readouterr()
    results = json.loads(captured.out.strip().splitlines()[-1])
    assert [("error" in r) for r in results] == [True, True]
    assert "empty" in results[1]["error"]
    errors = captured.err.splitlines()  # one `error:` line per bad image, on stderr
    assert errors == ["error: %s: %s" % (r["file"], r["error"]) for r in results]

    # Exit status 1 whenever an image failed, even when others were read.
    assert predict.main([str(paths["alpha"])] + args) == 1
    results = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "top5" in results[0] and "error" in results[1]


def test_a_model_from_another_preprocessing_version_is_refused(tmp_path, capsys):
    from pycnn.nn import Dense, Flatten, Sequential, save_model
    from pycnn.preprocess import PREPROCESS_VERSION

    model = Sequential([Flatten(), Dense(2)], input_shape=(1, 28, 28), labels=["a", "b"],
                       metadata={"preprocess_version": PREPROCESS_VERSION + 1})
    path = tmp_path / "future.npz"
    save_model(model, path)
    image = tmp_path / "x.png"
    from PIL import Image

    Image.new("RGB", (8, 8), "white").save(image)
    assert predict.run_cli(predict.main, [str(image), "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert "preprocessing version %d" % (PREPROCESS_VERSION + 1) in err
    assert "Traceback" not in err

    from pycnn.recognizer import Recognizer

    with pytest.raises(ValueError, match="preprocessing version"):
        Recognizer(str(path))


def test_epoch_data_prefetches_the_next_epoch_but_nothing_past_the_last(monkeypatch):
    monkeypatch.setattr(train.EpochData, "_render", lambda self, epoch: "epoch %d" % epoch)
    epochs = train.EpochData(data=None, indices=None, seed=0, epochs=2)
    assert epochs(0) == "epoch 0"
    assert list(epochs._pending) == [1]  # rendering while epoch 0 trains
    assert epochs(1) == "epoch 1"
    assert epochs._pending == {}  # no third epoch rendered for nothing
