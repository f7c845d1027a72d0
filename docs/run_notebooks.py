"""Run the tutorial notebooks top to bottom and save them with their outputs (`make notebooks`).

    .venv/bin/python docs/run_notebooks.py                          # both, in place, full training
    DIGITREC_TUTORIAL_QUICK=1 .venv/bin/python docs/run_notebooks.py docs/tutorial.ipynb

Uses nbclient, Jupyter's own executor, with the `python3` kernel of this
environment (ipykernel). A cell that raises stops the run and nothing is saved.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

DOCS = Path(__file__).resolve().parent
NOTEBOOKS = (DOCS / "tutorial.ipynb", DOCS / "tutorial.zh-CN.ipynb")


def execute(path: Path, timeout: int = 1200) -> nbformat.NotebookNode:
    """The notebook at `path` with every cell run in its folder; CellExecutionError at the first error."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,  # per cell: full training on a slow CPU
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # A progress bar redraws its line with carriage returns: keep only what a reader saw last.
        coalesce_streams=True,
        record_timing=False,  # no timestamps in the committed cells
    )
    client.execute()
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, default=list(NOTEBOOKS))
    args = parser.parse_args(argv)
    for path in args.notebooks:
        started = time.perf_counter()
        notebook = execute(path)
        nbformat.write(notebook, path)
        print(f"{path}: executed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
