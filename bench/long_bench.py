"""A generated 5,000-paragraph article: open (cold and warm), step claim by claim, peak memory.

Each measurement runs `long_child.py` in its own process so that peak memory
(the maximum resident set) is that of one annotate session and nothing else.

- cold: a fresh segmentation cache; the first paragraphs are segmented at
  once and the rest in a background child process while the steps run.
- warm: the same article again, its segmentation now in the cache.
- floor: the same child on the 4-paragraph seed article.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import orjson

from bench.articles import ROOT, SEED, write_long_article
from bench.keystrokes import percentile
from bench.workdir import child_env, scratch

PARAGRAPHS = 5000


def _child(article: str, folder: str, steps: int, cache: str) -> dict[str, float]:
    env = child_env(XDG_CACHE_HOME=cache)
    output = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "long_child.py"), article, folder, str(steps)],
        capture_output=True,
        check=True,
        cwd=ROOT,
        env=env,
    ).stdout
    result: dict[str, float] = orjson.loads(output)
    return result


def run(quick: bool) -> dict[str, float]:
    """Figures for the long-article targets, with their floors."""
    folder = scratch("long")
    try:
        article = str(write_long_article(folder, PARAGRAPHS))
        steps = 200 if quick else 500
        cache = str(folder / "cache")
        cold = _child(article, str(folder / "cold"), steps, cache)
        warm = _child(article, str(folder / "warm"), steps, cache)
        floor = _child(str(SEED), str(folder / "seed"), steps, str(folder / "seed-cache"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    cold_steps: list[float] = cold["step_times"]  # type: ignore[assignment]
    warm_steps: list[float] = warm["step_times"]  # type: ignore[assignment]
    floor_steps: list[float] = floor["step_times"]  # type: ignore[assignment]
    both = cold_steps + warm_steps
    return {
        "long_open_s": cold["open_s"],
        "long_open_warm_s": warm["open_s"],
        "long_open_floor_s": floor["open_s"],
        "long_segmented_s": cold["segmented_s"],
        "long_claims": cold["claims"],
        "long_step_p50_ms": percentile(both, 0.50) * 1000,
        "long_step_p99_ms": percentile(both, 0.99) * 1000,
        "long_step_cold_p99_ms": percentile(cold_steps, 0.99) * 1000,
        "long_step_warm_p99_ms": percentile(warm_steps, 0.99) * 1000,
        "long_step_floor_p99_ms": percentile(floor_steps, 0.99) * 1000,
        "long_peak_mb": max(cold["peak_mb"], warm["peak_mb"]),
        "long_segmenter_peak_mb": cold["children_peak_mb"],
        "long_peak_floor_mb": floor["peak_mb"],
    }
