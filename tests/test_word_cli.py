"""The word commands: `python -m pycnn.evaluate --words` and `python -m pycnn.predict --words`,
on small word models built here (no trained word model is needed), a synthetic words file
and word pads drawn as the page draws them; and their refusals: one `error:` line, the
exit-status convention, never a traceback."""

import json

import numpy as np
import pytest
from test_hostile import png
from test_word_reader import LABELS, saved, word_model
from test_words_data import word_arrays

from pycnn import evaluate, predict
from pycnn.cli import run_cli
from pycnn.data.word_render import ink_on_word_pad, render_words
from pycnn.data.words import load_words
from pycnn.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, save_model
from pycnn.read.charsets import edit_distance
from pycnn.read.word_reader import WordReader

LEXICON = "weights/lexicon-en.tsv.gz"
TEXTS = ["a", "A", "an", "cat", "xqzv", "a", "dog", "Cat"] * 2
FIGURES = ("n", "cer", "word_acc", "word_acc_lexicon", "word_acc_lexicon_in_vocab", "oov_rate")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("word_cli")


@pytest.fixture(scope="module")
def reads_a(folder):
    """A word model that reads "a" in every frame of any word."""
    return saved(folder, word_model(favour="a"), "reads_a.npz")


@pytest.fixture(scope="module")
def random_model(folder):
    return saved(folder, word_model(seed=5), "random.npz")


@pytest.fixture(scope="module")
def words_path(folder):
    """16 words by 4 writers at two sites (UNIPEN sources)."""
    arrays = word_arrays(TEXTS, writers=["w%d" % (i % 4) for i in range(len(TEXTS))])
    arrays["source"] = np.array(["kai", "apa"] * (len(TEXTS) // 2))
    path = folder / "words.npz"
    np.savez(path, **arrays)
    return path


def run(tool, args, capsys):
    """(status, stdout, stderr) of the tool run as `python -m` runs it."""
    status = run_cli(tool.main, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def refused(tool, args, capsys, status, *words):
    """Exit `status` with exactly one `error:` line, naming `words`."""
    code, out, err = run(tool, args, capsys)
    lines = [line for line in (out + err).splitlines() if "error:" in line]
    assert len(lines) == 1 and lines[0].startswith("error: "), out + err
    for word in words:
        assert word in lines[0], lines[0]
    assert code == status, (code, out + err)
    return lines[0]


# --- evaluate --words ------------------------------------------------------------------------

def expected_figures(truths, raws):
    """The six figures, worked out from a model whose every reading is `raws`' and the
    shipped lexicon (with "a" its best word too)."""
    vocabulary = {"a", "an", "cat", "dog"}  # xqzv is in no English dictionary
    in_vocab = [t.lower() in vocabulary for t in truths]
    right = [r == t for r, t in zip(raws, truths)]
    return {"n": len(truths),
            "cer": sum(edit_distance(r, t) for r, t in zip(raws, truths))
            / sum(len(t) for t in truths),
            "word_acc": np.mean(right), "word_acc_lexicon": np.mean(right),
            "word_acc_lexicon_in_vocab": np.mean([r for r, v in zip(right, in_vocab) if v]),
            "oov_rate": 1 - np.mean(in_vocab)}


def test_evaluate_words_gives_the_six_figures_overall_and_per_site(reads_a, words_path,
                                                                   capsys):
    status, out, err = run(evaluate, ["--words", "--strokes", words_path, "--model", reads_a,
                                      "--lexicon", LEXICON, "--json", "--quiet"], capsys)
    assert status == 0 and not err
    report = json.loads(out.strip().splitlines()[-1])
    assert set(report) == set(FIGURES) | {"per_site", "per_kind"}
    data = load_words(words_path)
    _, _, kept = render_words(data, np.arange(len(data)))
    raws = ["a" if i in kept else "" for i in range(len(data))]  # no image: misread
    truths = data.text.tolist()
    for key, value in expected_figures(truths, raws).items():
        assert report[key] == pytest.approx(value), key
    assert sorted(report["per_site"]) == ["apa", "kai"]
    for site, figures in report["per_site"].items():
        assert set(figures) == set(FIGURES)
        chosen = np.flatnonzero(data.source == site)
        expected = expected_figures([truths[i] for i in chosen], [raws[i] for i in chosen])
        for key, value in expected.items():
            assert figures[key] == pytest.approx(value), (site, key)
    assert sum(f["n"] for f in report["per_site"].values()) == report["n"] == len(TEXTS)
    # Per kind of word: "a", "an", "cat", "dog" in small letters, "A" and "Cat" not,
    # "xqzv" outside the list.
    kinds = report["per_kind"]
    assert {k: f["n"] for k, f in kinds.items()} == {
        "list word": 10, "List word, other case": 4, "other letters": 2}
    chosen = [i for i, t in enumerate(truths) if t in ("A", "Cat")]
    assert kinds["List word, other case"]["word_acc"] == pytest.approx(
        np.mean([raws[i] == truths[i] for i in chosen]))
    assert "kind of word" in out and "share" in out
    # The table: a row per site, one overall, and the case-insensitive columns.
    assert "raw Aa" in out and "lex Aa" in out
    overall = [line for line in out.splitlines() if line.startswith("overall")][0]
    assert "%.2f%%" % (100 * report["cer"]) in overall


@pytest.mark.parametrize("text, kind", [
    ("the", "list word"), ("The", "List word, other case"), ("THE", "List word, other case"),
    ("the.", "list word, marks"), ("(The", "list word, marks"), ("Kilcoyne", "other letters"),
    ("x=y", "other letters"), ("4/10/94.", "number"), ("(408)", "number"),
    ("...", "marks only"), (",", "marks only")])
def test_every_word_has_one_kind(text, kind):
    assert evaluate.word_kind(text, {"the", "a"}) == kind
    assert kind in evaluate.WORD_KINDS


def test_evaluate_words_limit_reads_a_seeded_sample(reads_a, words_path, capsys):
    args = ["--words", "--strokes", words_path, "--model", reads_a, "--json", "--quiet",
            "--limit", "5"]
    first = json.loads(run(evaluate, args, capsys)[1].strip().splitlines()[-1])
    again = json.loads(run(evaluate, args, capsys)[1].strip().splitlines()[-1])
    assert first["n"] == 5 and first == again
    refused(evaluate, ["--strokes", words_path, "--limit", "5"], capsys, 2,
            "--limit is for reading words")
    refused(evaluate, args[:-1] + ["-1"], capsys, 2, "--limit must be between")


def test_evaluate_words_reads_through_the_word_reader(random_model, words_path, capsys):
    status, out, _ = run(evaluate, ["--words", "--strokes", words_path, "--model",
                                    random_model, "--json", "--quiet"], capsys)
    assert status == 0
    report = json.loads(out.strip().splitlines()[-1])
    data = load_words(words_path)
    images, texts, kept = render_words(data, np.arange(len(data)))
    readings = WordReader(random_model, LEXICON).read_inputs(images)
    assert len(kept) == len(TEXTS)  # these words all give an image
    assert report["word_acc"] == np.mean([r["raw"] == t for r, t in zip(readings, texts)])
    assert report["word_acc_lexicon"] == np.mean([r["words"][0][0] == t
                                                  for r, t in zip(readings, texts)])
    errors = sum(edit_distance(r["raw"], t) for r, t in zip(readings, texts))
    assert report["cer"] == pytest.approx(errors / sum(len(t) for t in texts))
    for key in FIGURES[2:]:
        assert 0 <= report[key] <= 1
    assert report["cer"] >= 0


def test_evaluate_words_refusals(reads_a, words_path, folder, capsys):
    base = ["--words", "--model", reads_a, "--quiet"]
    refused(evaluate, base + ["--split", "test", "--data", words_path], capsys, 2,
            "holds no words")  # its writers are all unknown to the split: all train
    refused(evaluate, base + ["--split", "test", "--data", words_path, words_path], capsys,
            2, "one words file")
    strokes = folder / "characters.npz"
    np.savez(strokes, labels=np.zeros(1, np.uint8), mapping=np.array(["0"]))
    refused(evaluate, base + ["--strokes", strokes], capsys, 2, "text")
    refused(evaluate, base + ["--strokes", folder / "absent.npz"], capsys, 2, "no such file")
    refused(evaluate, base + ["--strokes", words_path, "--set", "digts"], capsys, 2,
            "did you mean 'digits'")
    refused(evaluate, ["--strokes", words_path, "--lexicon", LEXICON], capsys, 2,
            "--lexicon is for reading words")


# --- predict --words -------------------------------------------------------------------------

def pad_png(folder, name, text_strokes=3, paper=False, width=300, height=96):
    """A word pad drawn as the page draws one (ink_on_word_pad), saved as the canvas export
    (ink in alpha) or as dark ink on white paper (a photo or a scan)."""
    from PIL import Image

    strokes = []
    for k in range(text_strokes):
        x = 30 + 70 * k + np.linspace(0, 50, 12)
        y = 30 + 35 * np.abs(np.sin(np.linspace(0, 3, 12)))
        strokes.append(np.stack([x, y], axis=1))
    alpha = np.round(ink_on_word_pad(strokes, width, height) * 255).astype(np.uint8)
    path = folder / name
    if paper:
        Image.fromarray(255 - alpha).convert("RGB").save(path, quality=95)
    else:
        rgba = np.zeros(alpha.shape + (4,), np.uint8)
        rgba[..., 3] = alpha
        Image.fromarray(rgba, "RGBA").save(path)
    return path


def test_predict_words_reads_canvas_exports_and_photos(reads_a, folder, capsys):
    images = [pad_png(folder, "pad.png"), pad_png(folder, "paper.jpg", paper=True)]
    status, out, err = run(predict, ["--words"] + images + ["--model", reads_a, "--lexicon",
                                                            LEXICON, "--json"], capsys)
    assert status == 0 and not err
    lines = out.strip().splitlines()
    assert lines[0].startswith("%s: a" % images[0]) and "raw: a" in lines[0]
    results = json.loads(lines[-1])
    assert [r["file"] for r in results] == [str(p) for p in images]
    for r in results:
        assert set(r) == {"file", "words", "raw", "unsure"}
        assert r["raw"] == "a" and r["words"][0][0] == "a" and 1 <= len(r["words"]) <= 3
        scores = [score for _, score in r["words"]]
        assert scores == sorted(scores, reverse=True)


def test_predict_words_on_bad_images_one_line_each_and_status_1(reads_a, folder, capsys):
    from PIL import Image

    good = pad_png(folder, "good.png")
    wide = folder / "wide.png"
    wide.write_bytes(png(20000, 40))  # refused from its header, before decoding
    empty = folder / "empty.png"
    Image.new("RGBA", (300, 96)).save(empty)
    line = np.zeros((40, 4000, 4), np.uint8)
    line[10:30, 5:3995, 3] = 255
    too_long = folder / "line.png"
    Image.fromarray(line, "RGBA").save(too_long)
    expected = {wide: "20000x40", empty: "empty", too_long: "too long to read as one word"}
    for path, words in expected.items():
        refused(predict, ["--words", path, "--model", reads_a], capsys, 1, str(path), words)
    status, out, err = run(predict, ["--words", good, wide, empty, too_long, "--model",
                                     reads_a, "--json"], capsys)
    assert status == 1 and len(err.strip().splitlines()) == 3
    results = json.loads(out.strip().splitlines()[-1])
    assert "words" in results[0] and all(set(r) == {"file", "error"} for r in results[1:])


def test_predict_words_refuses_models_and_lexicons_it_cannot_use(reads_a, folder, capsys):
    image = pad_png(folder, "any.png")
    characters = folder / "characters.npz"
    save_model(Sequential([Conv2D(4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(10)],
                          input_shape=(1, 28, 28), labels=list("0123456789")), characters)
    no_blank = saved(folder, word_model(labels=LABELS[1:] + ["<b>"]), "no_blank.npz")
    other_version = saved(folder, word_model(metadata={"task": "words",
                                                       "word_preprocess_version": 99}),
                          "v99.npz")
    garbage = folder / "garbage.tsv.gz"
    garbage.write_bytes(b"\x1f\x8b" + b"junk" * 10)
    spaced = folder / "spaced.tsv"
    spaced.write_bytes(b"cat\t3\nhot dog\t1\n")
    cases = [
        (["--model", characters], "not a sequence (word) model"),
        (["--model", no_blank], "<blank>"),
        (["--model", other_version], "word preprocessing version 99"),
        (["--model", folder / "absent.npz"], "no such file"),
        (["--model", reads_a, "--lexicon", garbage], "not a valid gzip file"),
        (["--model", reads_a, "--lexicon", spaced], "line 2"),
        (["--model", reads_a, "--lexicon", folder / "absent.tsv"], "cannot read lexicon"),
        (["--model", reads_a, "--set", "digts"], "did you mean 'digits'"),
    ]
    for args, words in cases:
        refused(predict, ["--words", image] + args, capsys, 2, words)
    # A word model where a character model is wanted, and --lexicon without --words.
    refused(predict, [image, "--model", reads_a], capsys, 2, "it is a sequence (word) model")
    refused(predict, [image, "--lexicon", LEXICON], capsys, 2, "add --words")
