"""`digitrec models`: list the zoo with parameter counts."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list the model zoo with parameter counts")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from digitrec.models import available_models, count_parameters, create_model, model_info

    rows = [
        {"name": name, "parameters": count_parameters(create_model(name)), "summary": model_info(name).summary}
        for name in available_models()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'model':<10} {'parameters':>10}  description")
    for row in rows:
        print(f"{row['name']:<10} {row['parameters']:>10,}  {row['summary']}")
    return 0
