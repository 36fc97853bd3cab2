"""python -m pycnn.prior: logit adjustment chosen on validation, folded into the last bias."""


import numpy as np
import pytest

from pycnn import prior
from pycnn.nn import Dense, Flatten, ReLU, Sequential, Softmax, load_model, save_model
from pycnn.nn.serialize import read_archive

LABELS = ["0", "O", "o"]


def _model():
    model = Sequential([Flatten(), Dense(3), Softmax()], labels=LABELS, seed=4,
                       metadata={"preprocess_version": 1})
    model.build((1, 2, 2))
    return model


def test_the_folded_shift_is_exactly_the_adjustment_of_the_probabilities():
    model = _model()
    x = np.random.RandomState(0).randn(5, 1, 2, 2).astype(np.float32)
    before = model.predict_proba(x)
    pi = np.array([0.2, 0.1, 0.7])
    shift = prior.logit_shift(pi, 0.5)
    prior.fold_shift_into_model(model, shift)
    np.testing.assert_allclose(model.predict_proba(x), prior.shift_probabilities(before, shift),
                               rtol=1e-5, atol=1e-6)


def test_full_adjustment_makes_a_prior_weighted_guess_uniform():
    # A model that only learnt the prior (same output for every input) becomes uniform at tau 1.
    pi = prior.class_prior([0] * 20 + [1] * 10 + [2] * 70, 3)
    adjusted = prior.shift_probabilities(pi[None, :], prior.logit_shift(pi, 1.0))
    np.testing.assert_allclose(adjusted, np.full((1, 3), 1 / 3), rtol=1e-12)
    assert np.all(prior.logit_shift(pi, 0.0) == 0)
    assert pi.min() > 0  # a class absent from training gets a pseudo-count, not log(0)


def test_choose_adjustment_undoes_a_skewed_prior_and_leaves_a_fair_one_alone():
    # Every drawing looks equally like 0, O and o: only the prior decides. Each section has
    # one class here; 'o' and 'O' are both right for either letter, '0' only for itself.
    rng = np.random.RandomState(1)
    n = 300
    targets = np.repeat([0, 1, 2], n)
    sections = np.repeat(["1a", "1b", "1c"], n)
    evidence = np.full((3 * n, 3), 0.2)
    evidence[np.arange(3 * n), targets] += 0.05 + 0.1 * rng.rand(3 * n)  # weak true signal
    skewed = np.array([0.05, 0.05, 0.9])
    probs = evidence * skewed
    probs /= probs.sum(axis=1, keepdims=True)
    tau, bias, tried = prior.choose_adjustment(probs, targets, LABELS, sections, skewed)
    assert tau >= 0.75 and bias == 0.0  # no symbol classes: no bias is tried
    assert len(tried) == len(prior.TAUS)
    scores = {t: score for t, _, _, score in tried}
    assert scores[tau] > scores[0.0] + 0.2

    fair = evidence / evidence.sum(axis=1, keepdims=True)
    tau, _, _ = prior.choose_adjustment(fair, targets, LABELS, sections, np.full(3, 1 / 3))
    assert tau == 0.0  # every tau ties; the smallest change wins


def test_a_model_without_dense_then_softmax_is_refused():
    model = Sequential([Flatten(), Dense(3), ReLU()], labels=LABELS)
    model.build((1, 2, 2))
    with pytest.raises(prior.UsageError, match="Dense then Softmax"):
        prior.fold_shift_into_model(model, np.zeros(3))


def test_an_adjusted_model_is_not_adjusted_twice(tmp_path, capsys):
    model = _model()
    model.metadata["prior_adjustment"] = {"tau": 0.5}
    path = tmp_path / "m.npz"
    save_model(model, path)
    before = path.read_bytes()
    out = tmp_path / "out.npz"
    assert prior.run_cli(prior.main, ["--model", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already has a prior adjustment" in err and "Traceback" not in err
    assert path.read_bytes() == before and not out.exists()


def test_cli_chooses_on_validation_and_records_it(tmp_path, capsys, small_model, unipen_path):
    trained = small_model
    out = tmp_path / "adjusted.npz"
    assert prior.main(["--model", str(trained), "--data", unipen_path, "--out", str(out),
                       "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "<- chosen" in printed

    meta = read_archive(out)[0]
    record = meta["metadata"]["prior_adjustment"]
    assert record["tau"] in prior.TAUS
    assert len(record["train_class_prior"]) == 62
    assert abs(sum(record["train_class_prior"]) - 1) < 1e-3
    chosen = record["validation_expected_top1"]
    assert chosen["%g/%g" % (record["tau"], record["symbol_bias"])] == max(chosen.values())
    assert record["symbol_bias"] == 0.0  # the 62-class model has no symbols to lower

    a, b = load_model(trained), load_model(out)
    shift = prior.logit_shift(np.array(record["train_class_prior"]), record["tau"])
    np.testing.assert_allclose(b.layers[-2].params["bias"] - a.layers[-2].params["bias"],
                               shift, rtol=1e-4, atol=1e-4)


def test_the_prior_of_use_lowers_symbols_that_take_letters():
    labels = ["5", "S", "$"]
    sections = np.array(["1a"] * 10 + ["1b"] * 10 + ["1c"] * 10 + ["1d"] * 10)
    targets = np.array([0] * 10 + [1] * 20 + [2] * 10)
    # Digits and letters lean towards '$' a little; symbols are read clearly.
    p = np.tile([0.40, 0.15, 0.45], (40, 1))
    p[10:30] = [0.15, 0.40, 0.45]
    p[30:] = [0.05, 0.05, 0.90]
    tau, bias, tried = prior.choose_adjustment(p, targets, labels, sections, np.full(3, 1 / 3))
    assert tau == 0.0 and bias < 0
    assert len(tried) == len(prior.TAUS) * len(prior.SYMBOL_BIASES)
    adjusted = prior.shift_probabilities(p, np.where(prior.symbol_classes(labels), bias, 0.0))
    assert (adjusted.argmax(axis=1) == targets).all()


def test_use_weighting_gives_symbols_their_share_and_merges_case():
    by_section = {"1a": 0.9, "1b": 0.6, "1c": 0.6, "1d": 0.2}
    assert prior.use_weighted_top1(by_section, 0.1) == pytest.approx(0.9 * 0.7 + 0.1 * 0.2)
    del by_section["1d"]
    assert prior.use_weighted_top1(by_section, 0.1) == pytest.approx(0.7)
    p = np.array([[0.1, 0.9, 0.0], [0.9, 0.1, 0.0]])  # 'O' drawn, 'o' read; '0' read as '0'
    assert prior.all_reading_by_section(p, np.array([2, 0]), LABELS, ["1c", "1a"]) == {
        "1a": 1.0, "1c": 1.0}
