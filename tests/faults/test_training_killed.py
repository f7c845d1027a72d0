"""Training killed with SIGKILL (mid-epoch, or in the middle of writing a checkpoint) resumes cleanly.

The resumed run must end with valid checkpoints and exactly the metrics of an
uninterrupted run with the same seed: CPU training here is deterministic, so
the tolerance is zero.
"""

import json
import os
import signal
import subprocess
import sys

import pytest

from digitrec.checkpoint import read_checkpoint
from kill_switch import kill_switch_script

TRAIN = [
    "-m", "digitrec", "-q", "train", "--model", "lenet", "--epochs", "3", "--train-subset", "2048",
    "--val-size", "300", "--batch-size", "64", "--max-batches", "24", "--augment", "--threads", "1",
    "--no-progress",
]  # fmt: skip
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _run(out, *extra, code_prefix=None):
    argv = [sys.executable, *TRAIN, "--out", str(out), *extra]
    if code_prefix:
        argv = [sys.executable, "-c", code_prefix + f"\nimport sys; sys.argv = {['digitrec', *argv[4:]]!r}\n"
                "from digitrec.cli import main; sys.exit(main())"]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=300)


def _history(out):
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"}
            for line in (out / "metrics.jsonl").read_text().splitlines()]  # fmt: skip


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, mnist):
    out = tmp_path_factory.mktemp("straight") / "run"
    result = _run(out)
    assert result.returncode == 0, result.stderr[-2000:]
    return _history(out)


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path, uninterrupted):
    out = tmp_path / "run"
    entry = kill_switch_script(tmp_path, step=36)  # 24 steps an epoch: halfway through the second
    killed = subprocess.run([sys.executable, str(entry), *TRAIN[2:], "--out", str(out)], env=ENV,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert read_checkpoint(out / "last.pt")["progress"]["epoch"] == 1
    assert len(_history(out)) == 1

    resumed = _run(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert _history(out) == uninterrupted
    assert read_checkpoint(out / "best.pt")["progress"]["epoch"] >= 1


@pytest.mark.slow
def test_sigkill_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path, uninterrupted):
    out = tmp_path / "run"
    # Die inside save_atomic, after the temp file is written, before it replaces last.pt (second save).
    die_on_second_replace = (
        "import os, signal\nimport digitrec.checkpoint as c\ncalls = []\nreal = os.replace\n"
        "def replace(src, dst):\n"
        "    if str(dst).endswith('last.pt'):\n"
        "        calls.append(dst)\n"
        "        if len(calls) == 2:\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(src, dst)\n"
        "c.os = type('os_with_crash', (), {**{k: getattr(os, k) for k in dir(os) if not k.startswith('__')}, "
        "'replace': staticmethod(replace)})\n"
    )
    crashed = _run(out, code_prefix=die_on_second_replace)
    assert crashed.returncode == -signal.SIGKILL
    assert any(p.name.endswith(".tmp") for p in out.iterdir()), "the kill must land mid-save"
    assert read_checkpoint(out / "last.pt")["progress"]["epoch"] == 1  # the previous checkpoint, intact

    resumed = _run(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert _history(out) == uninterrupted
