import json

import numpy as np
import onnx
import pytest
import torch

from digitrec.backends import OnnxBackend, TorchBackend, open_backend
from digitrec.checkpoint import save_atomic
from digitrec.errors import CheckpointError
from digitrec.export import export_onnx
from digitrec.models import create_model
from digitrec.weights import shipped_checkpoint, shipped_onnx


@pytest.fixture(scope="module")
def lenet_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "lenet.pt"
    torch.manual_seed(0)
    save_atomic({"format_version": 1, "model_name": "lenet", "model_state": create_model("lenet").state_dict(),
                 "normalization": {"mean": 0.13, "std": 0.31}, "classes": [str(i) for i in range(10)]}, path)  # fmt: skip
    return path


def test_export_has_a_dynamic_batch_and_self_describing_metadata(lenet_checkpoint, tmp_path):
    out = export_onnx(lenet_checkpoint, tmp_path / "lenet.onnx")
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["digitrec_model"] == "lenet"
    backend = OnnxBackend(out)
    assert backend.info.name == "lenet" and backend.info.classes == tuple("0123456789")
    for n in (1, 7, 300):
        assert backend.logits(np.random.rand(n, 1, 28, 28).astype(np.float32)).shape == (n, 10)


def test_onnx_folds_the_normalisation_in_and_matches_pytorch(lenet_checkpoint, tmp_path):
    out = export_onnx(lenet_checkpoint, tmp_path / "lenet.onnx")
    pixels = np.random.default_rng(0).random((50, 1, 28, 28), dtype=np.float32)
    onnx_logits = OnnxBackend(out).logits(pixels)
    torch_logits = TorchBackend(lenet_checkpoint).logits(pixels)
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-5)


def test_the_temperature_survives_export(lenet_checkpoint, tmp_path):
    from digitrec.checkpoint import read_checkpoint

    hot = tmp_path / "calibrated.pt"
    save_atomic({**read_checkpoint(lenet_checkpoint), "temperature": 0.5}, hot)
    out = export_onnx(hot, tmp_path / "calibrated.onnx")
    pixels = np.random.default_rng(1).random((20, 1, 28, 28), dtype=np.float32)
    calibrated, raw = OnnxBackend(out).logits(pixels), TorchBackend(lenet_checkpoint).logits(pixels)
    np.testing.assert_allclose(calibrated, raw / 0.5, rtol=1e-4, atol=1e-4)  # folded into the graph
    np.testing.assert_allclose(calibrated, TorchBackend(hot).logits(pixels), rtol=1e-4, atol=1e-4)
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(meta["digitrec_temperature"])["temperature"] == 0.5


@pytest.mark.slow
def test_shipped_onnx_agrees_with_shipped_pytorch_on_the_whole_test_set(mnist):
    pixels = (mnist.test.images.astype(np.float32) / 255.0)[:, None]
    onnx_logits = OnnxBackend(shipped_onnx()).logits(pixels)
    torch_logits = TorchBackend(shipped_checkpoint()).logits(pixels)
    assert (onnx_logits.argmax(1) == torch_logits.argmax(1)).all()
    assert np.abs(onnx_logits - torch_logits).max() < 1e-3


def test_a_file_that_is_not_onnx_is_a_clear_error(tmp_path):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"\x00not an onnx model" * 50)
    with pytest.raises(CheckpointError, match="garbage.onnx"):
        open_backend(bad)
    with pytest.raises(CheckpointError, match="no such ONNX"):
        open_backend(tmp_path / "absent.onnx")


def test_an_onnx_model_of_the_wrong_shape_is_refused(tmp_path):
    class Flat(torch.nn.Module):
        def forward(self, x):
            return x.sum(dim=1, keepdim=True).repeat(1, 10)

    path = tmp_path / "wrong.onnx"
    torch.onnx.export(Flat(), (torch.zeros(1, 5),), str(path), dynamo=False, input_names=["x"])
    with pytest.raises(CheckpointError, match=r"wrong.onnx.*\(batch, 1, 28, 28\)"):
        OnnxBackend(path)


def test_export_of_a_broken_checkpoint_names_it(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(CheckpointError, match="broken.pt"):
        export_onnx(bad, tmp_path / "x.onnx")
