"""`digitrec train --tensorboard`: the event files hold the curves, the image grid, the confusion matrix."""

import dataclasses
import sys
from pathlib import Path

import pytest

from digitrec.cli import EXIT_USAGE, build_parser, main
from digitrec.cli.train_cmd import config_from_args
from digitrec.errors import ConfigError
from digitrec.tensorboard import CONFUSION_TAG, IMAGES_TAG, SCALARS
from digitrec.train import train


def read_events(folder: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def test_a_run_logs_scalars_per_epoch_one_image_grid_and_the_confusion_matrix(tiny_train_config):
    pytest.importorskip("tensorboard")
    cfg = dataclasses.replace(tiny_train_config, epochs=2, augment=True, tensorboard=True)
    result = train(cfg)
    events = read_events(cfg.out_dir / "tensorboard")
    tags = events.Tags()
    assert set(SCALARS.values()) | {"loss/test", "accuracy/test"} <= set(tags["scalars"])
    for key, tag in SCALARS.items():
        logged = [(e.step, pytest.approx(e.value)) for e in events.Scalars(tag)]
        assert logged == [(row["epoch"], row[key]) for row in result.history], tag
    assert events.Scalars("accuracy/test")[0].value == pytest.approx(result.test_acc)
    (grid,) = events.Images(IMAGES_TAG)  # once, not once per epoch
    assert (grid.width, grid.height) == (8 * 28, 8 * 28)  # 64 images of 28x28
    (confusion,) = events.Images(CONFUSION_TAG)
    assert confusion.step == 2 and confusion.width > 300 and confusion.encoded_image_string[:4] == b"\x89PNG"


def test_the_event_files_go_where_asked(tiny_train_config, tmp_path):
    pytest.importorskip("tensorboard")
    folder = tmp_path / "board"
    train(dataclasses.replace(tiny_train_config, epochs=1, tensorboard=True, tensorboard_dir=folder))
    assert "accuracy/validation" in read_events(folder).Tags()["scalars"]
    assert not (tiny_train_config.out_dir / "tensorboard").exists()


def test_a_resumed_run_carries_on_the_same_curves_with_each_epoch_once(tiny_train_config, monkeypatch):
    pytest.importorskip("tensorboard")
    from digitrec.run_files import RunWriter

    cfg = dataclasses.replace(tiny_train_config, epochs=3, tensorboard=True)
    original_end_epoch = RunWriter.end_epoch
    saved = []

    def crash_before_the_second_checkpoint(self, *args, **kwargs):
        if saved:
            raise KeyboardInterrupt  # epoch 2 is logged to TensorBoard, not checkpointed
        saved.append(original_end_epoch(self, *args, **kwargs))

    monkeypatch.setattr(RunWriter, "end_epoch", crash_before_the_second_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        train(cfg)
    monkeypatch.undo()
    result = train(dataclasses.replace(cfg, resume=True))  # redoes epoch 2
    events = read_events(cfg.out_dir / "tensorboard")
    logged = [(e.step, pytest.approx(e.value)) for e in events.Scalars("accuracy/validation")]
    assert logged == [(row["epoch"], row["val_acc"]) for row in result.history]
    assert len(events.Images(IMAGES_TAG)) == 1


def test_the_flag_takes_an_optional_folder(tmp_path):
    def parsed(*flags: str):
        return config_from_args(build_parser().parse_args(["train", "--out", str(tmp_path), *flags]))

    assert (parsed().tensorboard, parsed().tensorboard_dir) == (False, None)
    assert (parsed("--tensorboard").tensorboard, parsed("--tensorboard").tensorboard_dir) == (True, None)
    assert parsed("--tensorboard", "tb").tensorboard_dir == Path("tb")
    with pytest.raises(ConfigError, match="tensorboard=True"):
        dataclasses.replace(parsed(), tensorboard_dir=Path("tb"))


def test_without_tensorboard_installed_the_flag_fails_at_once_with_the_install_command(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # `import tensorboard` raises ImportError
    for name in [m for m in sys.modules if m.startswith("torch.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    out = tmp_path / "run"
    code = main(["train", "--model", "mlp", "--epochs", "1", "--out", str(out), "--tensorboard"])
    assert code == EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "pip install 'digitrec[train]'" in error
    assert not out.exists()  # it failed before loading data or writing anything
