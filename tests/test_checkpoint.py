import os

import pytest
import torch

from digitrec import checkpoint
from digitrec.checkpoint import load_model, read_checkpoint, save_atomic
from digitrec.errors import CheckpointError
from digitrec.models import create_model


def _payload(model_name: str = "lenet") -> dict:
    return {
        "format_version": 1,
        "model_name": model_name,
        "model_state": create_model(model_name).state_dict(),
        "normalization": {"mean": 0.13, "std": 0.31},
    }


def test_save_then_load_gives_the_same_weights(tmp_path):
    payload = _payload()
    save_atomic(payload, tmp_path / "a.pt")
    loaded = load_model(tmp_path / "a.pt")
    for key, value in payload["model_state"].items():
        assert torch.equal(loaded.model.state_dict()[key], value)
    assert (loaded.mean, loaded.std) == (0.13, 0.31)


def test_interrupted_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_atomic(_payload(), path)
    before = path.read_bytes()

    def crash_midway(obj, handle):
        handle.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.torch, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        save_atomic(_payload(), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["last.pt"]  # no temp file left behind
    monkeypatch.undo()
    read_checkpoint(path)


def test_truncated_checkpoint_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "cut.pt"
    save_atomic(_payload(), path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="cut.pt"):
        load_model(path)


def test_garbage_and_missing_files_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_model(junk)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_model(tmp_path / "absent.pt")


def test_a_foreign_dictionary_is_not_taken_for_a_checkpoint(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"state_dict": create_model("mlp").state_dict()}, path)
    with pytest.raises(CheckpointError, match="missing"):
        load_model(path)


def test_weights_of_another_architecture_are_refused(tmp_path):
    payload = _payload("lenet")
    payload["model_name"] = "mlp"  # claims mlp, holds lenet weights
    save_atomic(payload, tmp_path / "mixed.pt")
    with pytest.raises(CheckpointError, match="do not fit model 'mlp'"):
        load_model(tmp_path / "mixed.pt")


def test_expected_model_mismatch_is_refused(tmp_path):
    save_atomic(_payload("lenet"), tmp_path / "lenet.pt")
    with pytest.raises(CheckpointError, match="expected 'best'"):
        load_model(tmp_path / "lenet.pt", expected_model="best")


def test_pickled_code_is_never_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    torch.save({"format_version": 1, "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        load_model(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()
