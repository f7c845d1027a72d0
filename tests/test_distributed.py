"""Multi-process training: a real two-process DDP run on CPU (gloo) through torchrun; device per rank."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from digitrec.checkpoint import read_checkpoint
from digitrec.runtime import DistInfo, rank_device
from kill_switch import kill_switch_script


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


def _torchrun(out, *extra: str, entry: Path | None = None) -> list[str]:
    program = [str(entry)] if entry else ["-m", "digitrec"]
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        *program, "-q", "train", "--model", "lenet", "--epochs", "2", "--train-subset", "1024",
        "--val-size", "300", "--batch-size", "64", "--augment", "--threads", "1", "--no-progress",
        "--out", str(out), *extra,
    ]  # fmt: skip


def _history(out) -> list[dict]:
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"}
            for line in (out / "metrics.jsonl").read_text().splitlines()]  # fmt: skip


@pytest.mark.slow
def test_a_killed_two_process_run_resumes_exactly(tmp_path, mnist):
    # With augmentation each rank draws its own random numbers: both ranks' states must come back.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    straight = tmp_path / "straight"
    result = subprocess.run(_torchrun(straight), capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    killed = tmp_path / "killed"
    # 16 steps an epoch: rank 0 dies by SIGKILL halfway through the second, and the job with it.
    entry = kill_switch_script(tmp_path, step=24)
    crashed = subprocess.run(_torchrun(killed, entry=entry), env=env, capture_output=True, text=True, timeout=300)
    assert crashed.returncode != 0
    assert read_checkpoint(killed / "last.pt")["progress"]["epoch"] == 1
    assert len(_history(killed)) == 1

    result = subprocess.run(_torchrun(killed, "--resume"), capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _history(killed) == _history(straight)
