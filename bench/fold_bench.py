"""Folding 1,000,000 events (200,000 claims × 5 annotators) against the parse floor.

- `fold_s`: `store.read_events` on each annotator's file (parse, validate,
  skip torn lines) then `store.fold_events` (the current state), as every
  command that reads annotations does.
- `parse_floor_s`: the same files read whole and every line given to
  `orjson.loads`, the fastest parser the project uses, doing nothing else.

Each is the best of three runs, taken alternately, so that neither gains
from a warmer page cache.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import orjson

from annotate.store import fold_events, read_events
from bench.events import sizes, write_event_files
from bench.workdir import scratch


def _fold(paths: list[Path]) -> int:
    spans = 0
    for path in paths:
        spans += len(fold_events(read_events(path).events))
    return spans


def _parse(paths: list[Path]) -> int:
    loads = orjson.loads
    records = 0
    for path in paths:
        for line in path.read_bytes().splitlines():
            loads(line)
            records += 1
    return records


def run(quick: bool) -> dict[str, float]:
    """fold_s and parse_floor_s over the same generated files."""
    claims, annotators = sizes(quick)
    folder = scratch("fold")
    try:
        paths = write_event_files(folder, claims, annotators)
        fold_times, parse_times = [], []
        for _ in range(3):
            start = time.perf_counter()
            records = _parse(paths)
            parse_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            spans = _fold(paths)
            fold_times.append(time.perf_counter() - start)
        size = sum(path.stat().st_size for path in paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert records == claims * annotators and spans == claims * annotators
    return {
        "fold_s": min(fold_times),
        "parse_floor_s": min(parse_times),
        "events": float(records),
        "events_mb": size / 1e6,
    }
