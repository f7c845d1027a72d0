"""`digitrec data fetch`: download and verify a dataset into the cache."""

from __future__ import annotations

import argparse
from pathlib import Path

from digitrec.data import DATASETS, fetch


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="fetch and verify datasets")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch_parser = actions.add_parser("fetch", help="download (if needed) and verify a dataset")
    fetch_parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    fetch_parser.add_argument(
        "--data-dir", type=Path, default=None, help="folder holding the IDX files (else $DIGITREC_DATA or the cache)"
    )
    fetch_parser.set_defaults(run=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    paths = fetch(args.dataset, args.data_dir)
    print(f"{args.dataset}: {len(paths)} files verified (SHA-256)")
    for name, path in sorted(paths.items()):
        print(f"  {name}: {path}")
    return 0
