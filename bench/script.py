"""One benchmark module run alone: `python -m bench.<name>_bench [--quick] [--json]`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import orjson


def main(run: Callable[[bool], dict[str, float]], description: str) -> None:
    """Parse --quick and --json, run, print the figures as a table or one JSON object."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="20,000 claims instead of 200,000")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = run(args.quick)
    if args.json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
        return
    for key, value in figures.items():
        print(f"{key:36} {value:>12}")
