"""Folding 1,000,000 events (200,000 claims × 5 annotators) against the parse floor.

- `fold_s`: `store.read_events` on each annotator's file (parse, validate,
  skip torn lines) then `store.fold_events` (the current state), as every
  command that reads annotations does.
- `parse_floor_s`: the same files read whole and parsed to plain Python
  values, doing nothing else, by the faster of the two parsers the project
  uses: `orjson.loads` on every line (`parse_orjson_s`) or msgspec's
  whole-buffer `decode_lines` with no type (`parse_msgspec_s`). The readers
  decode with msgspec against the event type, which is faster than either
  (structs are cheaper to build than dicts), so the floor is the cost of
  parsing alone, not of the readers' own first step.

Each is the best of three runs, taken alternately, so that neither gains
from a warmer page cache.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import msgspec
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


def _parse_msgspec(paths: list[Path]) -> int:
    decode_lines = msgspec.json.Decoder().decode_lines
    return sum(len(decode_lines(path.read_bytes())) for path in paths)


def run(quick: bool) -> dict[str, float]:
    """fold_s and parse_floor_s over the same generated files."""
    claims, annotators = sizes(quick)
    folder = scratch("fold")
    try:
        paths = write_event_files(folder, claims, annotators)
        fold_times, parse_times, msgspec_times = [], [], []
        for _ in range(3):
            start = time.perf_counter()
            records = _parse(paths)
            parse_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert _parse_msgspec(paths) == records
            msgspec_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            spans = _fold(paths)
            fold_times.append(time.perf_counter() - start)
        size = sum(path.stat().st_size for path in paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert records == claims * annotators and spans == claims * annotators
    return {
        "fold_s": min(fold_times),
        "parse_floor_s": min(min(parse_times), min(msgspec_times)),
        "parse_orjson_s": min(parse_times),
        "parse_msgspec_s": min(msgspec_times),
        "events": float(records),
        "events_mb": size / 1e6,
    }
