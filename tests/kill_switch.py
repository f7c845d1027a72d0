"""A `digitrec` entry script that SIGKILLs itself at an exact optimiser step.

Killing a training run after "half a second into the second epoch" is a race:
on a fast machine the epoch is over before the signal lands. This script runs
the real CLI with one global optimiser post-step hook that kills at step N, so
the kill lands at the same place on every machine. Under torchrun only rank 0
dies; the launcher then stops the other ranks and exits with an error, as it
would after a real crash.
"""

from __future__ import annotations

from pathlib import Path

_SCRIPT = """\
import os, signal, sys
from torch.optim.optimizer import register_optimizer_step_post_hook
from digitrec.cli import main

KILL_AT = {step}
steps = 0

def kill_at_step(optimizer, args, kwargs):
    global steps
    steps += 1
    if steps == KILL_AT and os.environ.get("RANK", "0") == "0":
        os.kill(os.getpid(), signal.SIGKILL)

register_optimizer_step_post_hook(kill_at_step)
sys.argv[0] = "digitrec"
sys.exit(main())
"""


def kill_switch_script(folder: Path, step: int) -> Path:
    """Write the script into `folder`; run it as `python SCRIPT <digitrec args>` (or under torchrun)."""
    path = folder / f"digitrec_killed_at_step_{step}.py"
    path.write_text(_SCRIPT.format(step=int(step)))
    return path
