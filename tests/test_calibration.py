import numpy as np
import pytest

from digitrec.calibration import fit_temperature, nll, reliability
from digitrec.errors import ConfigError


def _overconfident(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose softmax at T = 1 is far surer than the labels drawn from softmax(logits / 3) justify."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 6, (n, 10))
    scaled = np.exp(logits / 3.0)
    probs = scaled / scaled.sum(1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in probs])
    return logits, labels


def test_the_fitted_temperature_recovers_the_true_one_and_lowers_the_nll():
    logits, labels = _overconfident()
    fitted = fit_temperature(logits, labels)
    assert fitted.temperature == pytest.approx(3.0, rel=0.1)
    assert fitted.nll_after < fitted.nll_before
    assert fitted.nll_after == pytest.approx(nll(logits, labels, fitted.temperature))
    assert fitted.nll_after <= nll(logits, labels, 2.5) and fitted.nll_after <= nll(logits, labels, 3.5)


def test_calibrating_shrinks_the_expected_calibration_error():
    logits, labels = _overconfident()
    fitted = fit_temperature(logits, labels)

    def ece(t: float) -> float:
        p = np.exp(logits / t - (logits / t).max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return reliability(p.max(1), p.argmax(1) == labels).ece

    assert ece(fitted.temperature) < 0.03 < ece(1.0)


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy():
    # 10 answers at 0.9 of which 6 right, 10 at 0.3 of which 3 right: |0.6 - 0.9| / 2 + 0.
    confidences = np.array([0.9] * 10 + [0.3] * 10)
    correct = np.array([1] * 6 + [0] * 4 + [1] * 3 + [0] * 7, dtype=bool)
    result = reliability(confidences, correct, bins=10)
    assert result.ece == pytest.approx(0.15)
    assert sum(result.counts) == 20 and result.counts[8] == 10 and result.counts[2] == 10
    assert result.accuracy[8] == pytest.approx(0.6) and result.accuracy[0] is None


def test_bad_calibration_input_is_a_clear_error():
    with pytest.raises(ConfigError):
        fit_temperature(np.zeros((3, 10)), np.zeros(2, dtype=int))
    with pytest.raises(ConfigError):
        reliability(np.array([]), np.array([], dtype=bool))
