import json
import subprocess
import sys

import pytest

from digitrec.cli import EXIT_FAILURE, EXIT_USAGE, main


def test_models_lists_the_zoo_with_parameter_counts(capsys):
    assert main(["models", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["lenet5"]["parameters"] == 61_706
    assert {"mlp", "lenet", "digitnet", "convnet3", "fast", "best"} <= set(rows)


def test_train_command_runs_and_prints_the_test_accuracy(tmp_path, capsys, mnist):
    out = tmp_path / "run"
    code = main([
        "train", "--model", "mlp", "--epochs", "1", "--train-subset", "512", "--val-size", "200",
        "--max-batches", "4", "--threads", "1", "--no-progress", "--out", str(out), "--json",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["run_dir"] == str(out)
    assert 0.0 < summary["test_acc"] <= 1.0
    assert (out / "best.pt").is_file()


def test_preset_values_are_overridden_by_explicit_flags(tmp_path):
    from digitrec.cli import build_parser
    from digitrec.cli.train_cmd import config_from_args

    args = build_parser().parse_args(["train", "--preset", "seed-lenet5", "--epochs", "1", "--out", str(tmp_path)])
    cfg = config_from_args(args)
    assert (cfg.model, cfg.optimizer, cfg.lr, cfg.batch_size) == ("lenet5", "sgd", 0.9, 256)
    assert cfg.epochs == 1


def test_resume_without_a_run_directory_is_a_usage_error(capsys):
    assert main(["train", "--resume"]) == EXIT_USAGE
    assert "--out" in capsys.readouterr().err


def test_resume_refuses_to_change_the_recipe(tmp_path, capsys, mnist):
    out = tmp_path / "run"
    base = ["train", "--model", "mlp", "--epochs", "1", "--train-subset", "256", "--val-size", "100",
            "--max-batches", "2", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(base) == 0
    assert main(["train", "--resume", "--out", str(out), "--lr", "0.5"]) == EXIT_USAGE
    assert "lr" in capsys.readouterr().err


def test_bad_settings_are_usage_errors_not_tracebacks(capsys):
    assert main(["train", "--model", "mlp", "--target-acc", "99"]) == EXIT_USAGE
    assert "0.99" in capsys.readouterr().err


def test_evaluating_a_missing_checkpoint_names_it(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "ev")]) == EXIT_FAILURE
    assert "nope.pt" in capsys.readouterr().err


def test_unknown_flag_is_rejected_by_argparse():
    with pytest.raises(SystemExit) as info:
        main(["train", "--no-such-flag"])
    assert info.value.code == 2


def test_module_entry_point_works():
    result = subprocess.run([sys.executable, "-m", "digitrec", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("digitrec ")
