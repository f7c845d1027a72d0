import dataclasses
import json

import numpy as np
import pytest

from digitrec.backends import OnnxBackend, TorchBackend
from digitrec.checkpoint import read_checkpoint
from digitrec.pack import pack_run, training_command
from digitrec.train import train


def test_a_packed_run_is_slim_calibrated_and_its_card_says_how_to_make_it_again(tiny_train_config, tmp_path):
    cfg = dataclasses.replace(tiny_train_config, epochs=2, preset="fast", model="fast", seed=3)
    train(cfg)
    result = pack_run(cfg.out_dir, tmp_path / "weights")
    slim = read_checkpoint(result.weights)
    assert "optimizer_state" not in slim and "rng_states" not in slim
    run = read_checkpoint(cfg.out_dir / "best.pt")
    assert slim["temperature"] == run["temperature"] != 1.0
    card = json.loads(result.card.read_text())
    assert card["temperature"] == slim["temperature"] and 0.0 <= card["test_ece"] < 0.5
    assert card["training_command"] == (
        "digitrec train --preset fast --lr 0.002 --schedule none --batch-size 64 --label-smoothing 0.0 "
        f"--val-size 500 --train-subset 1024 --max-batches 16 --seed 3 --out {cfg.out_dir}"
    )
    last = read_checkpoint(cfg.out_dir / "last.pt")["progress"]["train_seconds"]
    assert card["train_seconds"] == pytest.approx(last, abs=0.1)
    pixels = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(OnnxBackend(result.onnx).logits(pixels), TorchBackend(result.weights).logits(pixels),
                               rtol=1e-4, atol=1e-4)  # fmt: skip
    assert "temperature" in (tmp_path / "weights" / "MODEL_CARD.md").read_text()


def test_the_training_command_names_only_what_differs_from_the_preset(tmp_path):
    config = {"preset": "real", "model": "best", "epochs": 10, "degrade": False, "nondigits": 12000, "seed": 1}
    assert training_command(config, tmp_path) == f"digitrec train --preset real --no-degrade --epochs 10 --seed 1 --out {tmp_path}"
