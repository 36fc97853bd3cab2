"""The word trainer, `python -m pycnn.train --task words` (pycnn/train_words.py): a short run
end to end, exact resume, a real learning check on a few words, option and checkpoint
checks, and the model file it writes.

The words are synthetic so that the tests need not load the 80 MB words file: every
character has its own one-stroke glyph, and a word is its characters' glyphs side by side,
slightly different for each sample. The network must still learn which ink is which
character, in order, from whole words and their texts.
"""

import json

import numpy as np
import pytest

from pycnn import train
from pycnn import train_words as tw
from pycnn.cli import run_cli
from pycnn.data.word_render import render_words
from pycnn.data.words import load_words
from pycnn.nn import Adam, Sequential, load_model, save_model
from pycnn.nn.ctc import CTCLoss
from pycnn.nn.serialize import MAX_MULTIPLY_ADDS, ModelFileError, read_archive
from pycnn.read.word_preprocess import HEIGHT, MAX_WIDTH, MIN_WIDTH, WORD_PREPROCESS_VERSION

VOCABULARY = ["cat", "dog", "pen", "ink", "sun", "map", "tea", "cup", "owl", "fig", "hat",
              "jam", "key", "log"]
WRITERS = ["synthetic-writer-%d" % i for i in range(10)]


def glyph(ch):
    """A character's own stroke: a few points, 60 units wide at most and 0..100 high."""
    rng = np.random.RandomState(ord(ch))
    n = rng.randint(4, 8)
    x = np.sort(rng.uniform(0, 60, n))
    y = rng.uniform(0, 100, n)
    y[0], y[-1] = 0, 100  # every glyph spans the full height: a word's box is its size
    return np.stack([x, y], axis=1)


def words_file(path, texts, writers, seed=0):
    """A words file in the shared format (data/unipen/README.md) holding these words."""
    rng = np.random.RandomState(seed)
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for text in texts:
        for k, ch in enumerate(text):
            stroke = glyph(ch) + [500 + 75 * k, 500] + rng.normal(0, 2, (1, 2))
            points.append(np.round(stroke + rng.normal(0, 1.5, stroke.shape)))
            stroke_offsets.append(stroke_offsets[-1] + len(stroke))
        sample_offsets.append(len(stroke_offsets) - 1)
    n = len(texts)
    np.savez(path, text=np.array(texts), writer=np.array(writers), section=np.full(n, "7"),
             source=np.full(n, "kai"), points=np.concatenate(points).astype(np.int16),
             stroke_offsets=np.array(stroke_offsets, dtype=np.int64),
             sample_stroke_offsets=np.array(sample_offsets, dtype=np.int64))
    return path


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    """10 writers of 14 words each: 8 writers train, 1 validates, 1 is the test split."""
    texts = [word for _ in WRITERS for word in VOCABULARY]
    writers = [writer for writer in WRITERS for _ in VOCABULARY]
    return words_file(tmp_path_factory.mktemp("words") / "words.npz", texts, writers)


RUN = ["--task", "words", "--arch", "words-tiny", "--limit-train", "64", "--limit-val", "16",
       "--epochs", "2", "--batch-size", "8", "--seed", "4", "--quiet"]


def _train(tmp_path, data_path, name, extra=()):
    out = tmp_path / name / "words.npz"
    code = run_cli(train.main, RUN + ["--data", str(data_path), "--out", str(out)] + list(extra))
    return code, out


def test_a_short_run_writes_a_word_model_and_its_report(tmp_path, data_path, capsys):
    code, out = _train(tmp_path, data_path, "run")
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "64 training and 14 validation words" in printed
    assert "M multiply-adds for the validation words' mean width" in printed
    assert "val CER" in printed and "val word acc" in printed

    model = load_model(out, sequence=True)
    assert model.labels == tw.LABELS and len(model.labels) == 95 and model.labels[1] == "!"
    assert model.input_shape == (1, HEIGHT, MAX_WIDTH)
    meta = model.metadata
    assert meta["task"] == "words" and meta["blank"] == 0
    assert meta["word_preprocess_version"] == WORD_PREPROCESS_VERSION
    training = meta["training"]
    assert training["arch"] == "words-tiny" and training["epochs"] == 2
    assert training["lr"] == 1e-3 and training["clip_norm"] == 5.0
    assert training["augment"] == "standard" and training["synthetic"] == 0
    assert 1 <= training["best_epoch"] <= 2 and training["best_val_cer"] >= 0
    assert len(training["data_fingerprint"]) == 64
    assert training["multiply_adds_per_word"] > 0 and training["val_mean_width"] >= MIN_WIDTH

    with pytest.raises(ModelFileError, match="sequence"):
        load_model(out)  # a word model is refused where a character model is wanted

    metrics = json.loads((out.parent / "metrics.json").read_text())
    assert metrics["task"] == "words" and metrics["validation"]["words"] == 14
    assert len(metrics["history"]["val_cer"]) == 2
    assert len(metrics["history"]["loss"]) == 2
    assert (out.parent / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_interrupted_then_resumed_training_matches_uninterrupted(tmp_path, data_path, capsys):
    code, straight = _train(tmp_path, data_path, "straight")
    assert code == 0
    code, resumed = _train(tmp_path, data_path, "resumed", ["--stop-after", "1"])
    assert code == 0
    assert "continue with --resume" in capsys.readouterr().out
    half = read_archive(resumed.parent / "checkpoint.npz")[0]["checkpoint"]["state"]
    assert half["epochs_done"] == 1
    code, _ = _train(tmp_path, data_path, "resumed", ["--resume"])
    assert code == 0
    assert "resuming after epoch 1" in capsys.readouterr().out

    a = read_archive(straight.parent / "checkpoint.npz")[1]
    b = read_archive(resumed.parent / "checkpoint.npz")[1]
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)

    # A resume with other options, or on other data, is refused.
    code, _ = _train(tmp_path, data_path, "resumed", ["--resume", "--clip-norm", "1"])
    assert code == 2 and "different options (--clip-norm 5.0)" in capsys.readouterr().err
    code, _ = _train(tmp_path, data_path, "resumed", ["--resume", "--augment", "strong"])
    assert code == 2 and "different options (--augment standard)" in capsys.readouterr().err
    other = words_file(tmp_path / "other.npz", [w[::-1] for w in VOCABULARY] * len(WRITERS),
                       [writer for writer in WRITERS for _ in VOCABULARY])
    code = run_cli(train.main, RUN + ["--data", str(other), "--out",
                                      str(resumed), "--resume"])
    assert code == 2 and "other data" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--task", "words", "--arch", "default"], "character architecture"),
    (["--arch", "words"], "use it with --task words"),
    (["--task", "words", "--paper", "0.5"], "--paper is for --task characters only"),
    (["--task", "words", "--clip-norm", "nan"], "--clip-norm must be between"),
    (["--task", "words", "--clip-norm", "-1"], "--clip-norm must be between"),
    (["--clip-norm", "1"], "--clip-norm is for --task words only"),
    (["--augment", "strong"], "--augment is for --task words only"),
    (["--task", "words", "--augment", "wild"], "invalid choice"),
    (["--synthetic", "100"], "--synthetic is for --task words only"),
    (["--task", "words", "--synthetic", "-1"], "--synthetic must be between"),
    (["--task", "words", "--batch-size", "1000"], "--batch-size must be between 1 and 256"),
    (["--task", "words", "--lr", "inf"], "--lr must be between"),
    (["--task", "sentences"], "invalid choice"),
    (["--task", "words", "--data", "a.npz", "b.npz"], "one words file, not 2"),
])
def test_bad_options_are_refused_before_anything_is_read(tmp_path, capsys, args, message):
    code = run_cli(train.main, args + ["--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert err.startswith("error:") and "Traceback" not in err


def test_init_starts_from_a_trained_word_model(tmp_path, data_path, capsys):
    code, first = _train(tmp_path, data_path, "first", ["--epochs", "1"])
    assert code == 0, capsys.readouterr().err
    code, second = _train(tmp_path, data_path, "second",
                          ["--epochs", "1", "--lr", "1e-8", "--init", str(first)])
    assert code == 0, capsys.readouterr().err
    trained, tuned = load_model(first, sequence=True), load_model(second, sequence=True)
    # A learning rate of 1e-8 leaves the copied weights where they were
    for (_, a, _), (_, b, _) in zip(trained.parameters(), tuned.parameters()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert tuned.metadata["training"]["init"] == str(first)


def test_init_refuses_a_character_model(tmp_path, data_path, capsys):
    code, _ = _train(tmp_path, data_path, "run", ["--init", "weights/model.npz"])
    err = capsys.readouterr().err
    assert code == 2 and "--init weights/model.npz" in err and "Traceback" not in err


def test_a_missing_words_file_is_a_clear_error(tmp_path, capsys):
    code = run_cli(train.main, ["--task", "words", "--data", str(tmp_path / "none.npz"),
                                "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert code == 2 and "none.npz" in err and "Traceback" not in err


def test_a_character_checkpoint_is_no_word_checkpoint(tmp_path, data_path, capsys):
    code, out = _train(tmp_path, data_path, "run", ["--stop-after", "1"])
    assert code == 0
    checkpoint = out.parent / "checkpoint.npz"
    code = run_cli(train.main, ["--arch", "tiny", "--data", str(data_path), "--resume",
                                "--checkpoint", str(checkpoint), "--out",
                                str(tmp_path / "c.npz")])
    assert code == 2 and "different options" in capsys.readouterr().err


def _synthetic_images(data_path, count):
    data = load_words(str(data_path))
    images, texts, _ = render_words(data, np.arange(count), augment=False)
    return images, texts


def test_the_loss_falls_and_the_words_are_read_after_overfitting_a_few(data_path):
    images, texts = _synthetic_images(data_path, 6)  # cat dog pen ink sun map
    assert texts == VOCABULARY[:6]
    model = Sequential(tw.architecture("words-tiny", len(tw.LABELS)), input_shape=tw.INPUT_SHAPE,
                       labels=tw.LABELS, seed=0)
    optimizer, ctc = Adam(1e-2), CTCLoss()
    losses = [tw.train_step(model, optimizer, ctc, images, texts, 5.0)[0] for _ in range(150)]
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < 0.1 * np.mean(losses[:10])
    readings, loss = tw.read_words(model, images, texts)
    assert readings == texts and loss < 0.5


def test_a_word_too_long_for_its_frames_is_skipped_and_counted(data_path):
    images, texts = _synthetic_images(data_path, 2)
    narrow = np.zeros((HEIGHT, MIN_WIDTH), np.float32)  # 8 frames
    narrow[10:20, 5:25] = 1.0
    model = Sequential(tw.architecture("words-tiny", len(tw.LABELS)), input_shape=tw.INPUT_SHAPE,
                       labels=tw.LABELS, seed=0)
    loss, impossible, norm = tw.train_step(model, Adam(1e-3), CTCLoss(), images + [narrow],
                                           texts + ["abcdefghijkl"], 5.0)
    assert impossible == 1 and np.isfinite(loss) and np.isfinite(norm)
    assert all(np.all(np.isfinite(p)) for _, p, _ in model.parameters())


def test_gradients_are_clipped_to_the_global_norm():
    model = Sequential(tw.architecture("words-tiny", len(tw.LABELS)), input_shape=tw.INPUT_SHAPE,
                       labels=tw.LABELS, seed=0)
    for layer in model.layers:
        layer.grads = {name: np.full_like(p, 3.0) for name, p in layer.params.items()}
    count = sum(p.size for _, p, _ in model.parameters())
    assert tw.clip_gradients(model, 2.0) == pytest.approx(3.0 * np.sqrt(count))
    after = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum())
                        for _, _, g in model.parameters()))
    assert after == pytest.approx(2.0, rel=1e-5)
    assert tw.clip_gradients(model, 0) == pytest.approx(2.0, rel=1e-5)  # 0: no clipping


def test_batches_hold_words_of_similar_width_in_random_order():
    rng = np.random.RandomState(0)
    images = [np.zeros((HEIGHT, w), np.float32) for w in rng.randint(32, 300, 100)]
    batches = tw.width_batches(images, 8, np.random.RandomState(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(100))
    widths = [[images[i].shape[1] for i in batch] for batch in batches]
    spans = sorted((min(w), max(w)) for w in widths)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # sorted, then cut
    assert [min(w) for w in widths] != sorted(min(w) for w in widths)  # taken at random
    again = tw.width_batches(images, 8, np.random.RandomState(1))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_reading_scores():
    assert tw.edit_distance("kitten", "sitting") == 3
    assert tw.edit_distance("", "abc") == 3 and tw.edit_distance("abc", "abc") == 0
    scores = tw.reading_scores(["cat", "dgo", ""], ["cat", "dog", "ink"])
    assert scores["cer"] == pytest.approx((0 + 2 + 3) / 9)
    assert scores["word_acc"] == pytest.approx(1 / 3)
    assert tw.decode(tw.encode("a~!Z")) == "a~!Z"
    assert tw.encode("!") == [1] and tw.encode("~") == [94]


@pytest.mark.parametrize("arch", ["words", "words-rf", "words-wide"])
def test_the_word_network_costs_and_loads(tmp_path, arch):
    model = Sequential(tw.architecture(arch, len(tw.LABELS)), input_shape=tw.INPUT_SHAPE,
                       labels=tw.LABELS, metadata={"task": "words"})
    per_px = tw.multiply_adds(model, 400) / 400
    assert tw.multiply_adds(model, 100) == pytest.approx(100 * per_px, rel=0.01)
    assert tw.multiply_adds(model, 120) < tw.COST_BUDGET  # 1.5 times the mean validation word
    assert tw.multiply_adds(model, MAX_WIDTH) <= MAX_MULTIPLY_ADDS  # the model file's limit
    assert tw.mean_multiply_adds(model, [100, 100, 200]) == pytest.approx(
        (2 * tw.multiply_adds(model, 100) + tw.multiply_adds(model, 200)) / 3)
    save_model(model, tmp_path / "words.npz")
    assert load_model(tmp_path / "words.npz", sequence=True).config() == model.config()


def test_synthetic_words_come_from_training_writers_only(data_path, capsys):
    from pycnn.data.unipen import default_data_path, load_unipen, writer_split

    data = load_words(str(data_path))
    train_idx = np.arange(0, len(data), 2)
    joined, indices = tw.add_synthetic_words(data, train_idx, 40, seed=3)
    assert "synthetic words: 40" in capsys.readouterr().out
    assert len(joined) == len(data) + 40
    np.testing.assert_array_equal(indices[:len(train_idx)], train_idx)
    np.testing.assert_array_equal(indices[len(train_idx):], len(data) + np.arange(40))
    assert joined.text[:len(data)].tolist() == data.text.tolist()
    assert set(joined.text[len(data):].tolist()) <= set(data.text[train_idx].tolist())
    chars = load_unipen(default_data_path())
    training_writers = set(chars.writers[writer_split(chars)["train"]].tolist())
    assert set(joined.writers[len(data):].tolist()) <= training_writers
