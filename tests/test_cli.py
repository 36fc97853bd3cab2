"""The command-line tools: train (with exact resume), evaluate and predict."""

import json
import pickle
import re

import numpy as np
import pytest

from pycnn import evaluate, predict, train
from pycnn.cli import UsageError
from pycnn.data.dataset import render_batch
from pycnn.data.render import render_strokes
from pycnn.data.unipen import load_unipen, writer_split
from pycnn.nn import Dense, Flatten, Sequential, Softmax, load_model, save_model
from pycnn.nn.serialize import read_archive
from pycnn.read.preprocess import preprocess


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
    from pycnn.read.preprocess import PREPROCESS_VERSION

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

    from pycnn.read.recognizer import Recognizer

    with pytest.raises(ValueError, match="preprocessing version"):
        Recognizer(str(path))


def test_epoch_data_prefetches_the_next_epoch_but_nothing_past_the_last(monkeypatch):
    monkeypatch.setattr(train.EpochData, "_render", lambda self, epoch: "epoch %d" % epoch)
    epochs = train.EpochData(data=None, indices=None, seed=0, epochs=2)
    assert epochs(0) == "epoch 0"
    assert list(epochs._pending) == [1]  # rendering while epoch 0 trains
    assert epochs(1) == "epoch 1"
    assert epochs._pending == {}  # no third epoch rendered for nothing


def test_predict_within_a_set_shows_only_its_characters(tmp_path, small_model, capsys,
                                                        unipen_path):
    paths, rgba = _images_of_one_drawing(tmp_path, unipen_path)
    model = load_model(small_model)
    logits = model.predict_logits(preprocess(rgba)[None, None])[0]
    for spec, allowed in (("digits", "0123456789"), ("ABC", "ABC"), ("upper", None)):
        assert predict.main([str(paths["alpha"]), "--model", str(small_model), "--set", spec,
                             "--json"]) == 0
        (result,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        allowed = allowed or "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        labels = [label for label, _ in result["top5"]]
        assert set(labels) <= set(allowed) and len(labels) == min(5, len(allowed))
        # The set's softmax: the leading answer is the best-scoring class of the set.
        best = max(allowed, key=lambda c: logits[model.labels.index(c)])
        assert labels[0] == best
        assert result["lookalikes"] is None  # look-alikes are named only in "all"
        inside = np.array([logits[model.labels.index(c)] for c in allowed], np.float64)
        share = np.exp(inside - inside.max()) / np.exp(inside - inside.max()).sum()
        assert result["top5"][0][1] == pytest.approx(share.max(), abs=1e-6)


@pytest.mark.parametrize("spec, message", [
    ("nonsense€", "does not know '€'"),
    ("", "empty"),
    ("symbols", "does not know .* in set 'symbols'"),
])
def test_a_bad_set_is_one_error_line_and_status_2(tmp_path, small_model, capsys, unipen_path,
                                                  spec, message):
    paths, _ = _images_of_one_drawing(tmp_path, unipen_path)
    for tool, args in ((predict, [str(paths["alpha"])]),
                       (evaluate, ["--split", "val"])):
        status = tool.run_cli(tool.main, args + ["--model", str(small_model), "--set", spec])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and len(err) == 1
        assert err[0].startswith("error: --set:") and re.search(message, err[0])


def test_predict_names_leading_lookalikes_in_all(tmp_path, small_model, monkeypatch):
    model = load_model(small_model)
    monkeypatch.setattr(predict, "read_image", lambda path: np.zeros((1, 1, 4), np.uint8))
    monkeypatch.setattr(predict, "preprocess", lambda image: np.zeros((28, 28), np.float32))
    scores = np.full(len(model.labels), -10.0, np.float32)
    scores[model.labels.index("0")], scores[model.labels.index("O")] = 2.0, 1.8
    monkeypatch.setattr(model, "predict_logits", lambda x: scores[None])
    mask = np.ones(len(model.labels), bool)
    result = predict.predict_file(model, "zero.png", mask, ["0Oo"])
    assert result["lookalikes"] == ["0", "O"]
    assert predict.describe(result).startswith("zero.png: 0 or O (these look alike)  0 ")
    assert predict.predict_file(model, "zero.png", mask, [])["lookalikes"] is None


def test_evaluate_reports_lookalike_and_within_set_keys(tmp_path, small_model, capsys,
                                                        unipen_path):
    data = load_unipen(unipen_path)
    chosen = np.sort(np.random.RandomState(1).choice(writer_split(data)["test"], 200,
                                                     replace=False))
    path = tmp_path / "few.npz"
    _write_stroke_file(path, data, chosen)
    common = ["--model", str(small_model), "--strokes", str(path), "--json", "--quiet"]
    assert evaluate.main(common) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keys = {"n", "top1", "top3", "top1_merged", "top1_lookalike", "top1_within"}
    assert keys | {"sections"} == set(report)
    for entry in report["sections"].values():
        assert set(entry) == keys
        assert entry["top1"] <= entry["top1_lookalike"] and entry["top1"] <= entry["top1_within"]
    # Read as digits: every answer is a digit, so only the digits can be right, and the
    # within-section figures do not change.
    assert evaluate.main(common + ["--set", "digits"]) == 0
    digits = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    is_digit = np.char.isdigit(data.mapping[data.labels[chosen]].astype(str))
    assert digits["top1"] <= is_digit.mean() + 1e-12
    assert digits["sections"]["1a"]["top1"] == pytest.approx(
        report["sections"]["1a"]["top1_within"])
    assert digits["top1_within"] == pytest.approx(report["top1_within"])


def test_train_on_letters_and_symbols_together_reads_94_classes(tmp_path, unipen_path):
    from pycnn.data.unipen import SYMBOLS_FILE_NAME, default_data_path

    out = tmp_path / "model94.npz"
    assert train.main(["--data", unipen_path, default_data_path(SYMBOLS_FILE_NAME),
                       "--arch", "tiny", "--epochs", "1", "--limit-train", "1500",
                       "--limit-val", "200", "--quiet", "--out", str(out)]) == 0
    model = load_model(out)
    assert len(model.labels) == 94 and "+" in model.labels and '"' in model.labels
    assert model.metadata["training"]["data"] == (
        "unipen_alnum_strokes.npz + unipen_symbols_strokes.npz")


def test_derive_lookalikes_writes_the_table_and_the_models_unsure_threshold(tmp_path,
                                                                             small_model,
                                                                             capsys):
    from pycnn import derive_lookalikes
    from pycnn.read.recognizer import unsure_below

    table_path, model_out = tmp_path / "table.json", tmp_path / "model.npz"
    assert derive_lookalikes.main(["--model", str(small_model), "--out", str(table_path),
                                   "--model-out", str(model_out), "--quiet"]) == 0
    table = json.loads(table_path.read_text())
    model = load_model(model_out)
    assert table["split"] == "val" and table["min_share"] > 0
    assert model.metadata["unsure"]["below"] == table["unsure_below"]
    assert unsure_below(model.metadata) == table["unsure_below"]
    trials = model.metadata["unsure"]["trials"]
    # The threshold's promise holds on the drawings it was chosen on: below it, what is
    # shown is right at most half the time; above the next grid step, more often.
    chosen = [t for t in trials if t[0] == table["unsure_below"]]
    assert not chosen or chosen[0][2] is None or chosen[0][2] <= 0.5
    assert all(t[2] is None or t[2] > 0.5 for t in trials if t[0] > table["unsure_below"])
    x = np.random.RandomState(0).rand(3, 1, 28, 28).astype(np.float32)
    np.testing.assert_array_equal(model.predict_logits(x),
                                  load_model(small_model).predict_logits(x))
    assert "I'm not sure" in capsys.readouterr().out


def test_init_undoes_the_folded_adjustments_and_refuses_another_model(tmp_path, capsys,
                                                                     unipen_path):
    from pycnn.prior import final_dense, logit_shift

    code, trained = _train(tmp_path, "first")
    assert code == 0
    raw = load_model(trained)
    adjusted = load_model(trained)
    shift = logit_shift(np.linspace(0.01, 0.2, len(raw.labels)), 0.5)
    dense = final_dense(adjusted)
    dense.params["bias"] += shift.astype(np.float32)
    dense.params["weight"] /= np.float32(1.5)
    dense.params["bias"] /= np.float32(1.5)
    adjusted.metadata["calibration"] = {"temperature": 1.5}
    adjusted.metadata["prior_adjustment"] = {
        "tau": 0.5, "train_class_prior": list(np.linspace(0.01, 0.2, len(raw.labels))),
        "symbol_bias": 0.0}
    copy = load_model(trained)
    train.unfold_adjustments(adjusted, adjusted.metadata)
    for (_, a, _), (_, b, _) in zip(adjusted.parameters(), copy.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

    code, tuned = _train(tmp_path, "tuned", ["--init", str(trained), "--paper", "0.5"])
    assert code == 0
    assert load_model(tuned).metadata["training"]["init"] == str(trained)
    other = Sequential([Flatten(), Dense(3), Softmax()], labels=["a", "b", "c"], seed=1)
    other.build((1, 28, 28))
    save_model(other, tmp_path / "other.npz")
    with pytest.raises(UsageError, match="reads other classes"):
        _train(tmp_path, "bad", ["--init", str(tmp_path / "other.npz")])
