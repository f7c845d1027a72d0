import dataclasses
import json

import numpy as np
import pytest

from digitrec.config import EvalConfig
from digitrec.evaluate import accuracy_interval, confusion_matrix, evaluate, per_class_scores
from digitrec.train import train
from digitrec.weights import model_card, shipped_checkpoint


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    true = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 2, 0])
    m = confusion_matrix(true, pred, 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_per_class_scores_match_hand_computed_values():
    m = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    rows = per_class_scores(m, ("a", "b", "c"))
    a, b, c = rows
    assert a["precision"] == pytest.approx(1 / 2) and a["recall"] == pytest.approx(1 / 2)
    assert b["precision"] == pytest.approx(1 / 2) and b["recall"] == pytest.approx(1.0)
    assert b["f1"] == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert c["precision"] == pytest.approx(1.0) and c["recall"] == pytest.approx(2 / 3)
    assert [r["support"] for r in rows] == [2, 1, 3]


def test_a_class_never_predicted_has_zero_precision_not_a_crash():
    rows = per_class_scores(np.array([[2, 0], [1, 0]]), ("x", "y"))
    assert rows[1]["precision"] == 0.0 and rows[1]["f1"] == 0.0


@pytest.mark.parametrize(("right", "total"), [(473, 500), (9967, 10_000), (3, 10), (1, 2)])
def test_accuracy_interval_bounds_are_where_the_accuracy_is_z_standard_errors_away(right, total):
    low, high = accuracy_interval(right, total)
    p = right / total
    assert low < p < high
    for bound in (low, high):  # Wilson's bounds solve |p - b| = z * sqrt(b (1 - b) / n)
        assert abs(p - bound) == pytest.approx(1.96 * np.sqrt(bound * (1 - bound) / total))


def test_accuracy_interval_stays_inside_zero_to_one_and_narrows_with_more_images():
    low, high = accuracy_interval(500, 500)
    assert high == pytest.approx(1.0) and 0.99 < low < 0.995  # a perfect score is not a certainty
    low, high = accuracy_interval(0, 500)
    assert low == pytest.approx(0.0) and 0.005 < high < 0.01
    small, large = accuracy_interval(95, 100), accuracy_interval(950, 1000)
    assert large[1] - large[0] < small[1] - small[0]


@pytest.mark.parametrize(("right", "total"), [(1, 0), (-1, 10), (11, 10)])
def test_accuracy_interval_rejects_counts_that_are_not_a_measurement(right, total):
    with pytest.raises(ValueError):
        accuracy_interval(right, total)


@pytest.fixture(scope="module")
def two_checkpoints(tmp_path_factory, mnist):
    from digitrec.config import TrainConfig

    root = tmp_path_factory.mktemp("runs")
    base = TrainConfig(model="lenet", epochs=1, batch_size=64, train_subset=2048, val_size=500,
                       max_batches=32, progress=False, threads=1)  # fmt: skip
    paths = []
    for seed in (0, 1):
        cfg = dataclasses.replace(base, seed=seed, out_dir=root / f"seed{seed}")
        train(cfg)
        paths.append(cfg.out_dir / "best.pt")
    return paths


def test_evaluation_writes_report_confusion_and_gallery(two_checkpoints, tmp_path):
    report = evaluate(EvalConfig(checkpoints=(two_checkpoints[0],), out_dir=tmp_path))
    assert report.count == 10_000
    assert report.confusion.sum() == 10_000
    assert report.accuracy == pytest.approx(np.trace(report.confusion) / 10_000)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["accuracy"] == report.accuracy
    assert saved["errors"] == report.errors == 10_000 - np.trace(report.confusion)
    low, high = saved["accuracy_interval95"]
    assert low < report.accuracy < high
    assert len(saved["per_class"]) == 10
    for name in ("confusion.json", "confusion.png", "errors.png", "reliability.png"):
        assert (tmp_path / name).stat().st_size > 0
    # Calibration: the ECE of the report is the one of its own reliability bins.
    bins = saved["reliability"]
    assert sum(bins["counts"]) == 10_000
    gap = sum(n * abs(a - c) for n, a, c in zip(bins["counts"], bins["accuracy"], bins["confidence"]) if n)
    assert saved["ece"] == pytest.approx(gap / 10_000) == pytest.approx(report.ece)
    assert 0.0 <= report.ece < 0.5


def test_evaluation_applies_the_checkpoints_temperature(two_checkpoints, tmp_path):
    from digitrec.checkpoint import read_checkpoint, save_atomic

    payload = read_checkpoint(two_checkpoints[0])
    assert payload["temperature"] > 0 and payload["calibration"]["nll_after"] <= payload["calibration"]["nll_before"]
    hot = tmp_path / "hot.pt"
    save_atomic({**payload, "temperature": 50.0}, hot)
    calibrated = evaluate(EvalConfig(checkpoints=(two_checkpoints[0],), out_dir=tmp_path / "a"))
    flattened = evaluate(EvalConfig(checkpoints=(hot,), out_dir=tmp_path / "b"))
    assert flattened.accuracy == calibrated.accuracy  # a temperature never changes the answer...
    assert flattened.ece > calibrated.ece  # ...only how sure it is said to be


def test_ensemble_and_tta_give_valid_reports(two_checkpoints, tmp_path):
    single = [evaluate(EvalConfig(checkpoints=(p,), out_dir=tmp_path / p.parent.name)) for p in two_checkpoints]
    ensemble = evaluate(EvalConfig(checkpoints=tuple(two_checkpoints), out_dir=tmp_path / "ens"))
    assert ensemble.models == [str(p) for p in two_checkpoints]
    # Averaging two weak models should not be much worse than the better one.
    assert ensemble.accuracy > max(s.accuracy for s in single) - 0.02
    tta = evaluate(EvalConfig(checkpoints=(two_checkpoints[0],), out_dir=tmp_path / "tta", tta=True))
    assert tta.tta and 0.5 < tta.accuracy <= 1.0


@pytest.mark.slow
def test_shipped_model_reaches_its_card_accuracy_on_the_full_test_set(tmp_path):
    card = model_card()
    report = evaluate(EvalConfig(out_dir=tmp_path))
    assert report.models == [str(shipped_checkpoint())]
    assert report.count == 10_000
    # The card rounds to 4 places; the same weights on the same data must give the same figure.
    assert report.accuracy >= card["test_accuracy"] - 0.0001
    assert card["test_accuracy"] >= 0.99


def test_evaluate_command_prints_the_accuracy_with_its_interval(two_checkpoints, tmp_path, capsys):
    from digitrec.cli import main

    assert main(["evaluate", str(two_checkpoints[0]), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    first = printed[0]
    saved = json.loads((tmp_path / "report.json").read_text())
    low, high = saved["accuracy_interval95"]
    assert f"{100 * saved['accuracy']:.2f}%  ({saved['errors']} errors in 10000;" in first
    assert f"95% interval {100 * low:.2f}-{100 * high:.2f}%)" in first
    assert f"expected calibration error: {100 * saved['ece']:.2f}%" in printed[1]
