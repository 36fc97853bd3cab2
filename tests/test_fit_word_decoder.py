"""The word decoder's weights: chosen on validation writers, stored in the model, used by
every reader of it."""

import numpy as np
import pytest
from test_train_words import VOCABULARY, WRITERS, words_file

from pycnn import fit_word_decoder, train
from pycnn.cli import run_cli
from pycnn.nn import load_model, save_model
from pycnn.read import word_decode
from pycnn.read.word_reader import WordModelError, WordReader, decoder_settings


def test_the_coordinate_search_finds_the_best_of_each_grid():
    grid = {"a": (0, 1, 2, 3), "b": (-1, 0, 5)}
    best, score, tries = fit_word_decoder.coordinate_search(
        lambda s: -(s["a"] - 2) ** 2 - abs(s["b"] - 5), {"a": 0, "b": 0}, grid, rounds=3)
    assert best == {"a": 2, "b": 5} and score == 0
    assert tries[0] == ({"a": 0, "b": 0}, -9)


def test_the_search_keeps_the_start_on_ties():
    best, score, _ = fit_word_decoder.coordinate_search(lambda s: 1.0, {"a": 1}, {"a": (0, 1, 2)},
                                                        rounds=2)
    assert best == {"a": 1} and score == 1.0


def test_every_tunable_weight_has_a_grid_and_a_first_guess():
    assert tuple(fit_word_decoder.GRID) == word_decode.TUNABLE
    guesses = fit_word_decoder.first_guesses()
    assert set(guesses) == set(word_decode.TUNABLE)
    assert guesses["lm_weight"] == word_decode.LM_WEIGHT


@pytest.mark.parametrize("decoder, message", [
    ({"beam": 3}, "does not have"),
    ({"lm_weight": "a lot"}, "not a number"),
    ({"lm_weight": float("nan")}, "not a number"),
    ({"oov_log_prior": 1e9}, "not a number"),
    ({"keep_mark": True}, "not a number"),
    ([1, 2], "not a table"),
])
def test_bad_decoder_settings_in_a_model_are_refused(decoder, message):
    with pytest.raises(WordModelError, match=message):
        decoder_settings({"decoder": decoder})


def test_no_settings_means_the_first_guesses():
    assert decoder_settings({}) == {}
    assert decoder_settings({"decoder": {"lm_weight": 1}}) == {"lm_weight": 1.0}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit")
    texts = [word for _ in WRITERS for word in VOCABULARY]
    writers = [writer for writer in WRITERS for _ in VOCABULARY]
    data = words_file(folder / "words.npz", texts, writers)
    out = folder / "words-model.npz"
    code = run_cli(train.main, ["--task", "words", "--arch", "words-tiny", "--epochs", "1",
                                "--batch-size", "8", "--quiet", "--data", str(data),
                                "--out", str(out)])
    assert code == 0
    lexicon = folder / "lexicon.tsv"
    lexicon.write_text("".join("%s\t%d\n" % (w, 10 + k) for k, w in enumerate(VOCABULARY)))
    return data, out, lexicon


def test_the_tool_writes_its_choice_into_the_model_and_the_reader_uses_it(
        tiny_model, tmp_path, capsys, monkeypatch):
    data, model_path, lexicon = tiny_model
    out = tmp_path / "fitted.npz"
    code = run_cli(fit_word_decoder.main, ["--model", str(model_path), "--lexicon", str(lexicon),
                                           "--data", str(data), "--out", str(out), "--rounds",
                                           "1", "--quiet"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "14 words" in printed.out and "chosen weights" in printed.out
    fitted = load_model(out, sequence=True)
    chosen = fitted.metadata["decoder"]
    assert set(chosen) == set(word_decode.TUNABLE)
    assert all(chosen[k] in fit_word_decoder.GRID[k] for k in chosen)
    assert fitted.metadata["decoder_fit"]["words"] == 14

    # The reader passes the stored weights to the decoder.
    seen = {}
    real = word_decode.decode

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(word_decode, "decode", spy)
    reader = WordReader(str(out), str(lexicon))
    reader.read_input(np.zeros((32, 64), dtype=np.float32) + 0.5)
    assert {k: seen[k] for k in chosen} == chosen


def test_a_model_with_broken_settings_is_refused_by_the_reader(tiny_model, tmp_path):
    _, model_path, _ = tiny_model
    model = load_model(model_path, sequence=True)
    model.metadata["decoder"] = {"lm_weight": "high"}
    save_model(model, tmp_path / "broken.npz")
    with pytest.raises(WordModelError, match="lm_weight"):
        WordReader(str(tmp_path / "broken.npz"))


@pytest.mark.parametrize("args, message", [
    (["--limit", "-1"], "--limit must be between"),
    (["--rounds", "0"], "--rounds must be between"),
    (["--model", "no-such-model.npz"], "no-such-model.npz"),
])
def test_bad_options_are_clear_errors(args, message, capsys):
    code = run_cli(fit_word_decoder.main, args + ["--out", "/tmp/never-written.npz"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
