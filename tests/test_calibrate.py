"""Temperature scaling, chosen on validation writers."""

import numpy as np
import pytest

from pycnn import calibrate
from pycnn.nn import load_model


def overconfident(n=4000, classes=5, seed=0):
    """Logits whose softmax is twice as sharp as the truth: the right T is about 2."""
    rng = np.random.RandomState(seed)
    true_logits = rng.randn(n, classes) * 2.0
    p = np.exp(true_logits - true_logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    targets = np.array([rng.choice(classes, p=row) for row in p])
    return true_logits * 2.0, targets


def test_temperature_undoes_overconfidence_and_lowers_calibration_error():
    logits, targets = overconfident()
    t, tried = calibrate.choose_temperature(logits, targets)
    assert t == pytest.approx(2.0, rel=0.15)
    assert min(n for _, n in tried) == calibrate.nll(logits, targets, t)
    before = calibrate.expected_calibration_error(calibrate.softmax(logits), targets)
    after = calibrate.expected_calibration_error(calibrate.softmax(logits / t), targets)
    assert after < before / 2


def test_expected_calibration_error_of_known_cases():
    sure_and_right = np.array([[0.9, 0.1]] * 10)
    assert calibrate.expected_calibration_error(sure_and_right, [0] * 9 + [1]) == \
        pytest.approx(0.0)
    assert calibrate.expected_calibration_error(sure_and_right, [1] * 10) == pytest.approx(0.9)


def test_calibrating_folds_the_temperature_into_the_model_once(tmp_path, small_model, capsys):
    out = tmp_path / "calibrated.npz"
    assert calibrate.main(["--model", str(small_model), "--out", str(out), "--quiet"]) == 0
    original, calibrated = load_model(small_model), load_model(out)
    info = calibrated.metadata["calibration"]
    t = info["temperature"]
    assert t in calibrate.TEMPERATURES
    assert "unsure_below" not in info  # chosen later, on what the page shows
    assert info["validation_nll"][1] <= info["validation_nll"][0]
    x = np.random.RandomState(0).rand(4, 1, 28, 28).astype(np.float32)
    np.testing.assert_allclose(calibrated.predict_logits(x), original.predict_logits(x) / t,
                               rtol=1e-4, atol=1e-5)
    assert "temperature" in capsys.readouterr().out
    assert calibrate.run_cli(calibrate.main, ["--model", str(out), "--quiet"]) == 2
    assert "already calibrated" in capsys.readouterr().err
