"""Startup: launch to the first claim ready to label, against a bare Textual app.

Both are real processes started the same way (`python bench/startup_child.py
...`), both headless, both exiting from the same hook once their first screen
is mounted and rendered. The time is wall-clock from spawning the process to
its exit, so it includes the interpreter, every import, reading the log and
the article, and the first frame. Runs alternate between the two so that load
on the machine hits both alike; the figure is the median. One unmeasured run
of each comes first (bytecode caches, the seed's segmentation cache).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

from bench.articles import ROOT, SEED
from bench.workdir import child_env, scratch


def _time(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "startup_child.py"), *args],
        check=True,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def run(quick: bool) -> dict[str, float]:
    """startup_s and startup_floor_s, medians of alternating runs."""
    folder = scratch("startup")
    env = child_env(XDG_CACHE_HOME=str(folder / "cache"))
    ours = ["annotate", str(SEED), str(folder / "annotations")]
    try:
        _time(["bare"], env)
        _time(ours, env)
        bare, annotate = [], []
        for _ in range(5 if quick else 15):
            bare.append(_time(["bare"], env))
            annotate.append(_time(ours, env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "startup_s": statistics.median(annotate),
        "startup_floor_s": statistics.median(bare),
    }
