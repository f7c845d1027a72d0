"""Command line: `digitrec <command> ...` (also `python -m digitrec`).

Each command lives in its own module with `add_parser(subparsers)` and
`run(args) -> int`. This module only dispatches and maps typed errors to
exit codes, so no command prints a traceback for a mistake the user can fix.
"""

from __future__ import annotations

import argparse
import logging
import sys

from digitrec import __version__
from digitrec.cli import (
    data_cmd,
    evaluate_cmd,
    export_cmd,
    models_cmd,
    pack_cmd,
    predict_cmd,
    serve_cmd,
    train_cmd,
)
from digitrec.errors import ConfigError, DataError, DigitrecError

COMMANDS = (data_cmd, models_cmd, train_cmd, evaluate_cmd, predict_cmd, export_cmd, pack_cmd, serve_cmd)

EXIT_OK = 0
EXIT_FAILURE = 1  # something the user asked for failed (bad file, bad checkpoint)
EXIT_USAGE = 2  # argparse's own code for bad flags; also used for bad settings
EXIT_DATA = 3  # a dataset could not be found, fetched or verified
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitrec", description="Handwritten-digit recognition: data, models, training, evaluation."
    )
    parser.add_argument("--version", action="version", version=f"digitrec {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="show warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"digitrec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataError as exc:
        print(f"digitrec: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except DigitrecError as exc:
        print(f"digitrec: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("digitrec: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
