"""Run every benchmark and report figures, floors, ratios and targets.

    python -m bench [--quick] [--json]

Modules run in this order: this issue's own (startup, label, long, fold),
then any other `bench/*_bench.py` present (agreement, export, import, corpus
screen, attribution, ...), each exposing `run(quick: bool) -> dict[str, float]`.
A module that is absent or fails is reported in `notes`; its figures are null.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

import bench

OWN = ["startup_bench", "label_bench", "long_bench", "fold_bench"]
# Modules other issues add; named here so that their absence is reported.
EXPECTED = ["agreement_bench", "export_bench", "import_bench", "corpus_screen_bench", "attribution_bench"]
KEYS = [
    "startup_s",
    "startup_floor_s",
    "label_p50_ms",
    "label_p99_ms",
    "long_open_s",
    "long_step_p99_ms",
    "long_peak_mb",
    "fold_s",
    "agreement_s",
    "export_s",
    "parse_floor_s",
]


@dataclass(frozen=True)
class Target:
    """A target of issue 7: a figure under a bound, alone or as a ratio to its floor."""

    key: str
    bound: float
    floor: str | None = None

    def describe(self) -> str:
        """The target in words."""
        return f"≤ {self.bound}× {self.floor}" if self.floor else f"< {self.bound}"


TARGETS = [
    Target("startup_s", 1.3, "startup_floor_s"),
    Target("label_p99_ms", 25),
    Target("long_open_s", 1),
    Target("long_step_p99_ms", 16),
    Target("long_peak_mb", 300),
    Target("fold_s", 2, "parse_floor_s"),
    Target("agreement_s", 2, "parse_floor_s"),
    Target("export_s", 2, "parse_floor_s"),
]


def _modules() -> list[str]:
    found = {info.name for info in pkgutil.iter_modules(bench.__path__) if info.name.endswith("_bench")}
    ordered = [name for name in [*OWN, *EXPECTED] if name in found]
    return ordered + sorted(found - set(ordered))


def run_all(quick: bool, only: list[str] | None = None) -> dict[str, Any]:
    """Every figure, with ratios, targets and notes, as one JSON-ready object."""
    figures: dict[str, float | None] = dict.fromkeys(KEYS)
    notes: list[str] = []
    seconds: dict[str, float] = {}
    names = _modules()
    for name in EXPECTED:
        if name not in names:
            notes.append(f"bench/{name}.py is not in this branch: its figures are null")
    for name in names:
        if only and name not in only:
            continue
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            figures.update(module.run(quick))
        except Exception as error:  # a failing module must not hide the others' figures
            notes.append(f"bench/{name}.py failed: {type(error).__name__}: {error}")
        seconds[name] = round(time.perf_counter() - start, 2)
    ratios: dict[str, float | None] = {}
    targets: dict[str, dict[str, Any]] = {}
    for target in TARGETS:
        value = figures.get(target.key)
        measured = value
        if target.floor is not None:
            floor = figures.get(target.floor)
            measured = value / floor if value is not None and floor else None
            ratios[f"{target.key.removesuffix('_s')}_ratio"] = _round(measured)
        targets[target.key] = {
            "target": target.describe(),
            "measured": _round(measured),
            "met": None if measured is None else measured < target.bound,
        }
    return {
        **{key: _round(value) for key, value in figures.items()},
        "ratios": ratios,
        "targets": targets,
        "notes": notes,
        "quick": quick,
        "seconds": seconds,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="annotate benchmarks" + (" (--quick)" if report["quick"] else ""))
    for column in ("figure", "value"):
        table.add_column(column)
    for key, value in report.items():
        if (isinstance(value, float | int) and not isinstance(value, bool)) or value is None:
            table.add_row(key, "—" if value is None else f"{value:g}")
    console = Console()
    console.print(table)
    targets = Table(title="targets")
    for column in ("figure", "target", "measured", "met"):
        targets.add_column(column)
    for key, target in report["targets"].items():
        met = {True: "[green]met[/]", False: "[red]missed[/]", None: "not measured"}[target["met"]]
        measured = "—" if target["measured"] is None else f"{target['measured']:g}"
        targets.add_row(key, target["target"], measured, met)
    console.print(targets)
    for note in report["notes"]:
        console.print(f"note: {note}", markup=False)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print a table or one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--only", nargs="*", metavar="MODULE", help="run only these modules (e.g. fold_bench)"
    )
    args = parser.parse_args(argv)
    # Scratch files on the project's disk (fsync is real there), and a
    # segmentation cache of the run's own, removed afterwards.
    work = Path(tempfile.mkdtemp(prefix="run-", dir=_work_root()))
    os.environ["BENCH_WORKDIR"] = str(work)
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    try:
        report = run_all(args.quick, args.only)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _table(report)
    return 0


def _work_root() -> Path:
    root = Path(os.environ.get("BENCH_WORKDIR") or Path(__file__).resolve().parent.parent / ".bench")
    root.mkdir(parents=True, exist_ok=True)
    return root


if __name__ == "__main__":
    sys.exit(main())
