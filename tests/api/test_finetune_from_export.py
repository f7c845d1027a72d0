"""Corrections exported from the history are a dataset `digitrec train` fine-tunes on."""

import io
import json
import zipfile

import pytest

from digitrec.cli import main
from digitrec.weights import model_card, shipped_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_export_then_fine_tune_the_shipped_model(client, digit_png, tmp_path, capsys):
    for index in range(12):
        png, label = digit_png(index)
        item = client.post("/api/predict", files={"file": ("d.png", png, "image/png")}).json()
        assert client.post(f"/api/history/{item['history_id']}/feedback", json={"label": label}).status_code == 200
    exported = client.get("/api/history/export")
    dataset = tmp_path / "corrections"
    zipfile.ZipFile(io.BytesIO(exported.content)).extractall(dataset)

    out = tmp_path / "finetuned"
    code = main([
        "train", "--dataset", str(dataset), "--model", model_card()["model"], "--init", str(shipped_checkpoint()),
        "--epochs", "1", "--batch-size", "8", "--lr", "1e-4", "--threads", "1", "--no-progress",
        "--out", str(out), "--json",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # Starting from the shipped weights, the held-out corrected digits are still read right.
    assert summary["test_acc"] >= 0.66
    assert (out / "best.pt").is_file()
