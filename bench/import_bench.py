"""Benchmark `annotate import`: 10,000 generated raw articles (1,000 with --quick).

Prints the import time and peak memory (a real `annotate import` subprocess),
beside the floor measured in the same run: a subprocess that only reads every
source and writes the same bytes to new files, renamed into place (the
I/O any importer must do, made durable the same way: one flush before the
renames). Then a re-import of the same sources (a no-op).

    python bench/import_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus_articles import write_raw_articles
from bench.workdir import scratch

FLOOR = """
import os, sys
from pathlib import Path
source, target = Path(sys.argv[1]), Path(sys.argv[2])
staging = target / ".staging"
staging.mkdir(parents=True)
moves = []
for path in sorted(source.iterdir()):
    data = path.read_bytes()
    staged = staging / (path.stem + ".md")
    with open(staged, "wb") as handle:
        handle.write(data)
    moves.append((staged, target / staged.name))
os.sync()
for staged, final in moves:
    os.replace(staged, final)
staging.rmdir()
"""


def _run_child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (from wait4's resource usage)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    err = process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {err.decode()[-500:]}")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return elapsed, peak_mb


def run(quick: bool = False) -> dict[str, float]:
    """Import N generated articles; figures with the I/O floor and the ratio."""
    count = 1_000 if quick else 10_000
    root = scratch("import")
    try:
        sources = root / "sources"
        write_raw_articles(sources, count)
        floor_s, floor_mb = _run_child([sys.executable, "-c", FLOOR, str(sources), str(root / "floor")])
        command = [sys.executable, "-m", "annotate", "import", str(sources), "--corpus", str(root / "corpus")]
        import_s, peak_mb = _run_child(command)
        written = len(list((root / "corpus").glob("*.md")))
        if written != count:
            raise RuntimeError(f"expected {count} articles, found {written}")
        reimport_s, _ = _run_child(command)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "import_articles": float(count),
        "import_s": round(import_s, 3),
        "import_floor_s": round(floor_s, 3),
        "import_ratio": round(import_s / floor_s, 2),
        "import_peak_mb": round(peak_mb, 1),
        "import_floor_peak_mb": round(floor_mb, 1),
        "reimport_s": round(reimport_s, 3),
    }


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles instead of 10,000")
    args = parser.parse_args()
    figures = run(args.quick)
    count = int(figures["import_articles"])
    print(f"import {count:,} raw articles")
    print(f"  annotate import     {figures['import_s']:8.2f} s   peak {figures['import_peak_mb']:.0f} MB")
    print(
        f"  floor (copy+sync)   {figures['import_floor_s']:8.2f} s   peak {figures['import_floor_peak_mb']:.0f} MB"
    )
    print(f"  ratio               {figures['import_ratio']:8.2f} x")
    print(f"  re-import (no-op)   {figures['reimport_s']:8.2f} s")


if __name__ == "__main__":
    main()
