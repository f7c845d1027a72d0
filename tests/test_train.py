import dataclasses
import json

import pytest
import torch

from digitrec.checkpoint import read_checkpoint
from digitrec.errors import CheckpointError, ConfigError
from digitrec.run_files import RunWriter
from digitrec.train import train


def test_training_lowers_the_loss_and_writes_the_run_directory(tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, epochs=3)
    result = train(cfg)
    history = [json.loads(line) for line in (cfg.out_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_acc"] > 0.5  # 10 classes: chance is 0.1
    for name in ("config.json", "metrics.csv", "curves.png", "last.pt", "best.pt"):
        assert (cfg.out_dir / name).is_file(), name
    assert 0.5 < result.test_acc <= 1.0
    assert result.best_val_acc == max(row["val_acc"] for row in history)


def test_checkpoint_holds_everything_needed_to_resume_and_to_trust_it(tiny_train_config):
    train(dataclasses.replace(tiny_train_config, epochs=1))
    payload = read_checkpoint(tiny_train_config.out_dir / "last.pt")
    for key in ("model_name", "config", "model_state", "optimizer_state", "normalization",
                "data_digests", "versions", "progress", "rng_state"):  # fmt: skip
        assert key in payload, key
    assert payload["model_name"] == "lenet"
    assert set(payload["data_digests"]) == {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    }  # fmt: skip
    assert 0.0 < payload["normalization"]["mean"] < 0.5


@pytest.mark.parametrize(
    "changes",
    [
        {"augment": True, "optimizer": "sgd", "nesterov": True, "schedule": "cosine"},
        {"ema_decay": 0.99, "schedule": "onecycle", "label_smoothing": 0.1, "optimizer": "adamw"},
        {"schedule": "multistep", "milestones": (1,), "model": "fast"},
    ],
    ids=["augment-sgd-cosine", "ema-onecycle", "multistep"],
)
def test_resume_continues_exactly_where_last_checkpoint_stopped(tiny_train_config, tmp_path, monkeypatch, changes):
    base = dataclasses.replace(tiny_train_config, **changes)
    train(dataclasses.replace(base, out_dir=tmp_path / "straight"))

    # Crash right after the first epoch's checkpoint is written.
    original_end_epoch = RunWriter.end_epoch

    def end_epoch_then_crash(self, *args, **kwargs):
        original_end_epoch(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(RunWriter, "end_epoch", end_epoch_then_crash)
    interrupted = dataclasses.replace(base, out_dir=tmp_path / "interrupted")
    with pytest.raises(KeyboardInterrupt):
        train(interrupted)
    monkeypatch.undo()
    assert read_checkpoint(tmp_path / "interrupted" / "last.pt")["progress"]["epoch"] == 1
    train(dataclasses.replace(interrupted, resume=True))

    a = read_checkpoint(tmp_path / "straight" / "last.pt")
    b = read_checkpoint(tmp_path / "interrupted" / "last.pt")
    for key, tensor in a["model_state"].items():
        assert torch.equal(tensor, b["model_state"][key]), key
    def without_timing(history):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in history]

    assert without_timing(a["progress"]["history"]) == without_timing(b["progress"]["history"])
    metrics = (tmp_path / "interrupted" / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 2  # each epoch once, even across the crash


def test_resume_of_another_model_is_refused(tiny_train_config):
    train(dataclasses.replace(tiny_train_config, epochs=1))
    with pytest.raises(CheckpointError, match="lenet"):
        train(dataclasses.replace(tiny_train_config, model="mlp", resume=True))


def test_target_accuracy_stops_training_early(tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, epochs=5, target_acc=0.3, eval_every=4)
    result = train(cfg)
    assert result.time_to_target is not None
    assert result.epochs_run == 1


def test_no_mid_epoch_check_comes_before_eval_from(tiny_train_config, monkeypatch):
    import digitrec.train as train_module

    checks = []
    monkeypatch.setattr(train_module, "_reached_target", lambda *args: checks.append(1) or False)
    # 16 steps, every 2nd from step 4 on: 4, 6, ..., 16.
    cfg = dataclasses.replace(tiny_train_config, epochs=1, target_acc=0.99, eval_every=2, eval_from=4)
    train(cfg)
    assert len(checks) == 7


def test_invalid_settings_are_rejected_with_a_sentence(tiny_train_config):
    with pytest.raises(ConfigError, match="multistep"):
        dataclasses.replace(tiny_train_config, schedule="multistep", milestones=())
    with pytest.raises(ConfigError, match="0.99"):
        dataclasses.replace(tiny_train_config, target_acc=99.0)
    with pytest.raises(ConfigError, match="eval-from"):
        dataclasses.replace(tiny_train_config, eval_from=-1)


def test_the_real_input_recipe_trains_on_nondigits_and_stores_a_fitted_temperature(tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, epochs=1, augment=True, degrade=True, nondigits=64)
    result = train(cfg)
    assert 0.3 < result.test_acc <= 1.0
    payload = read_checkpoint(cfg.out_dir / "best.pt")
    assert payload["config"]["degrade"] and payload["config"]["nondigits"] == 64
    fitted = payload["calibration"]
    assert payload["temperature"] == fitted["temperature"] > 0
    assert fitted["nll_after"] <= fitted["nll_before"] and fitted["images"] == cfg.val_size


def test_the_python_api_returns_the_metrics_and_the_best_checkpoint_and_reports_each_epoch(tiny_train_config):
    rows = []
    result = train(dataclasses.replace(tiny_train_config, epochs=2), on_epoch=rows.append)
    metrics = tiny_train_config.out_dir / "metrics.jsonl"
    on_disk = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert rows == result.history == on_disk
    assert [row["epoch"] for row in rows] == [1, 2]
    assert set(rows[0]) == {
        "epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds",
    }
    assert result.best_checkpoint == tiny_train_config.out_dir / "best.pt"
    assert read_checkpoint(result.best_checkpoint)["progress"]["epoch"] == result.best_epoch
