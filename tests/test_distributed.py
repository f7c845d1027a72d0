"""Multi-process training: a real two-process DDP run on CPU (gloo) through torchrun; device per rank."""

import json
import os
import subprocess
import sys

import pytest
import torch

from digitrec.runtime import DistInfo, rank_device


@pytest.mark.slow
def test_two_process_training_writes_one_run_from_rank_zero(tmp_path, mnist):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "digitrec", "-q", "train", "--model", "lenet", "--epochs", "2", "--train-subset", "1024",
        "--val-size", "300", "--batch-size", "128", "--threads", "1", "--no-progress", "--out", str(out), "--json",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    summaries = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 2  # each rank reports, both on the same selected checkpoint
    assert summaries[0]["test_acc"] == summaries[1]["test_acc"] > 0.5
    history = (out / "metrics.jsonl").read_text().splitlines()
    assert len(history) == 2  # only rank 0 wrote, once per epoch
    # Each rank took half of the 1024 images per epoch: 512 / 64 per rank = 8 steps.
    assert json.loads(history[0])["step"] == 8


def test_each_rank_trains_on_its_own_gpu_and_cpu_ranks_share_the_cpu():
    # Pure device arithmetic: no GPU is needed to check which one each rank would take.
    second = DistInfo(rank=3, world_size=4, local_rank=1)
    assert rank_device(torch.device("cuda"), second) == torch.device("cuda", 1)
    assert rank_device(torch.device("cuda"), DistInfo()) == torch.device("cuda")  # alone: as chosen
    assert rank_device(torch.device("cpu"), second) == torch.device("cpu")
