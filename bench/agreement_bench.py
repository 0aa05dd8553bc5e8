"""Benchmark: `annotate agreement --json` over a million events, beside the parse floor.

Two inputs of 200,000 claims × 5 annotators (1,000,000 events):

- the shared benchmark events (`bench.events`, the same bytes `fold_bench`
  measures, so the runner's `parse_floor_s` is this input's floor): figures
  `agreement_s`, `agreement_floor_s` (the floor measured here, alternating with
  the agreement runs), wall and CPU ratios, peak memory;
- the same size with 1,000 distinct source strings and 1% of claims merged
  differently by one annotator (overlap matching): `agreement_sources1000_*`.
  1,000 distinct values is what exhausts memory with a dense units × values²
  matrix.

The floor reads every file and parses each line with orjson (the project's JSON
parser), nothing else; agreement is the real CLI entry point
(`annotate agreement DIR --json`), output discarded, run in a fresh process
and timed inside it once its modules are imported (`in_fresh_process`: the
command forks children, see `--jobs`), and also in this process
(`*_in_process_s`). Each is the best of runs alternating them; CPU time
(children included) is reported beside wall time because it is steadier on a
shared machine. Peak memory is the resident high-water mark
(VmHWM) of a fresh process doing only that.

    python -m bench.agreement_bench [--quick] [--json]

`run(quick)` returns the figures for `python -m bench` (--quick: 20,000 claims).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import math
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/agreement_bench.py`
    sys.path.insert(0, str(ROOT))

from bench.events import sizes, write_event_files  # noqa: E402
from bench.script import main  # noqa: E402
from bench.workdir import scratch  # noqa: E402

LABELS = ["confirmed", "disputed", "unattributed", "not_a_claim"]
ANNOTATORS = 5
CLAIMS_PER_ARTICLE = 100


def generate(folder: Path, claims: int, sources: int, seed: int = 7) -> int:
    """Write the annotator files; returns the number of events written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"source {i} of the ministry" for i in range(sources)]
    truth = [rng.randrange(len(LABELS)) for _ in range(claims)]
    written = 0
    for index in range(ANNOTATORS):
        annotator = f"annotator{index}"
        lines: list[bytes] = []
        with (folder / f"{annotator}.jsonl").open("wb") as handle:
            claim = 0
            while claim < claims:
                article = claim // CLAIMS_PER_ARTICLE
                position = claim % CLAIMS_PER_ARTICLE
                start = position * 130
                end = start + 120
                merged = index == ANNOTATORS - 1 and position % 100 == 50
                if merged:
                    end += 130  # this annotator merged the claim with the next one
                label = truth[claim] if rng.random() < 0.8 else rng.randrange(len(LABELS))
                event = {
                    "v": 1,
                    "id": f"{rng.getrandbits(128):032x}",
                    "ts": f"2024-05-01T10:{claim // 6000 % 60:02d}:{claim // 100 % 60:02d}.000Z",
                    "annotator": annotator,
                    "article_id": f"news/article-{article:05d}",
                    "article_sha256": hashlib.sha256(str(article).encode()).hexdigest(),
                    "paragraph": position // 4,
                    "start": start,
                    "end": end,
                    "text": "w" * (end - start),
                    "op": "label",
                    "label": LABELS[label],
                    "source": names[rng.randrange(sources)] if rng.random() < 0.7 else None,
                    "note": None,
                    "schema": "credibility/1",
                }
                lines.append(orjson.dumps(event) + b"\n")
                written += 1
                if merged:
                    claim += 1
                    removed = {**event, "id": f"{rng.getrandbits(128):032x}", "op": "clear", "label": None}
                    removed.update(start=end - 120, end=end, text="w" * 120, source=None, segment="removed")
                    lines.append(orjson.dumps(removed) + b"\n")
                    written += 1
                claim += 1
                if len(lines) >= 10_000:
                    handle.write(b"".join(lines))
                    lines.clear()
            handle.write(b"".join(lines))
    return written


def parse_floor(folder: Path) -> None:
    """Read every file and parse each line with orjson: the floor, as `fold_bench` measures it."""
    loads = orjson.loads
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            loads(line)


def stream_floor(folder: Path) -> None:
    """The same, reading line by line (no whole file in memory): a lower floor, reported too."""
    loads = orjson.loads
    for path in sorted(folder.glob("*.jsonl")):
        with path.open("rb") as handle:
            for line in handle:
                loads(line)


class _Discard(io.TextIOWrapper):
    def __init__(self) -> None:
        super().__init__(io.BytesIO())


def agreement_json(folder: Path) -> None:
    """`annotate agreement FOLDER --json`, in process, output discarded."""
    from annotate.cli import main

    with contextlib.redirect_stdout(_Discard()):
        status = main(["agreement", str(folder), "--json"])
    if status != 0:
        raise RuntimeError(f"annotate agreement exited {status}")


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (`--jobs` forks some)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def interleaved(repeats: int, jobs: dict[str, Callable[[], tuple[float, float] | None]]) -> dict[str, float]:
    """Best wall (`<name>_s`) and CPU (`<name>_cpu_s`) seconds of each job, the jobs run in turn.

    The machine is shared: alternating the jobs and keeping each one's fastest
    run makes the ratios fair when the load changes during the benchmark, and
    process CPU time is reported beside wall time because it is steadier. A
    job that times itself (`in_fresh_process`) returns its (wall, CPU) seconds.
    """
    best = {f"{name}{suffix}": math.inf for name in jobs for suffix in ("_s", "_cpu_s")}
    for _ in range(repeats):
        for name, job in jobs.items():
            wall, cpu = time.perf_counter(), cpu_seconds()
            timed = job()
            if timed is None:
                timed = (time.perf_counter() - wall, cpu_seconds() - cpu)
            best[f"{name}_s"] = min(best[f"{name}_s"], timed[0])
            best[f"{name}_cpu_s"] = min(best[f"{name}_cpu_s"], timed[1])
    return best


# The start of a probe: `work` is the function "module:name" of argv[2], `args` the paths after it.
_LOAD_WORK = (
    "import importlib, json, os, resource, sys, time; sys.path.insert(0, sys.argv[1]);"
    "from pathlib import Path; module, name = sys.argv[2].split(':');"
    "work = getattr(importlib.import_module(module), name); args = [*map(Path, sys.argv[3:])];"
)


def _probe(code: str, function: str, args: tuple[Path, ...]) -> str:
    """The last line `code` prints, run after `_LOAD_WORK` in a fresh Python process."""
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_WORK + code, str(ROOT), function, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()[-1]


def in_fresh_process(function: str, *args: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `function` ("module:name") on `args` in a fresh process, timed inside it.

    The clock starts after the imports, so this is the command's work as a
    user's `annotate` process does it, without the interpreter's start. It is
    the figure for work that forks (`--jobs`): repeated in one long-lived
    process, each fork copies, page by page, memory that earlier runs freed
    and the next one reuses (measured: 5.6-5.8 s for an export that takes
    4.4-4.8 s in a fresh process).
    """
    code = (
        "import annotate.cli, annotate.export, annotate.agreement, annotate.card, annotate.units;"
        "cpu = lambda t: t.user + t.system + t.children_user + t.children_system;"
        "before, wall = os.times(), time.perf_counter(); work(*args);"
        "wall = time.perf_counter() - wall; print(json.dumps([wall, cpu(os.times()) - cpu(before)]))"
    )
    wall, cpu = orjson.loads(_probe(code, function, args))
    return float(wall), float(cpu)


def peak_mb(function: str, *args: Path) -> tuple[float, float]:
    """Peak resident memory in MB of a fresh process running `function` ("module:name") on `args`, and of its largest child.

    The child's figure (a `--jobs` worker, forked) counts the pages it still
    shares with the parent, so the two added are an upper bound.

    Read from VmHWM in /proc (the new program's own high-water mark: ru_maxrss
    would include the pages of the large parent that forked it), else ru_maxrss.
    """
    code = (
        "work(*args); status = Path('/proc/self/status');"
        "hwm = [l.split()[1] for l in status.read_text().splitlines() if l.startswith('VmHWM')] if status.exists() else [];"
        "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    own, children = _probe(code, function, args).split()
    return int(own) / 1024, int(children) / 1024  # kB on Linux


def measure(
    events: Path,
    repeats: int,
    function: str = "bench.agreement_bench:agreement_json",
    target: Path | None = None,
) -> dict[str, float]:
    """Time and weigh the floor over `events` and `function` ("module:name") run on `target` (default `events`)."""
    target = target or events
    module, name = function.split(":")
    work = getattr(importlib.import_module(module), name)
    parse_floor(events)  # warm the page cache for both
    best = interleaved(
        repeats,
        {
            "floor": lambda: parse_floor(events),
            "stream": lambda: stream_floor(events),
            "work": lambda: in_fresh_process(function, target),
            "in_process": lambda: work(target),
        },
    )
    own_peak, children_peak = peak_mb(function, target)
    return {
        "s": round(best["work_s"], 3),
        "floor_s": round(best["floor_s"], 3),
        "vs_floor": round(best["work_s"] / best["floor_s"], 2),
        "cpu_vs_floor": round(best["work_cpu_s"] / best["floor_cpu_s"], 2),
        "in_process_s": round(best["in_process_s"], 3),
        "in_process_vs_floor": round(best["in_process_s"] / best["floor_s"], 2),
        "stream_floor_s": round(best["stream_s"], 3),
        "vs_stream_floor": round(best["work_s"] / best["stream_s"], 2),
        "peak_mb": round(own_peak, 1),
        "children_peak_mb": round(children_peak, 1),
        "floor_peak_mb": round(peak_mb("bench.agreement_bench:parse_floor", events)[0], 1),
    }


def run(quick: bool = False) -> dict[str, float]:
    """Every figure, flat: `agreement_*` (shared events) and `agreement_sources1000_*`."""
    claims, annotators = sizes(quick)
    repeats = 2 if quick else 3
    figures: dict[str, float] = {}
    folder = scratch("agreement")
    try:
        write_event_files(folder / "shared", claims, annotators)
        for key, value in measure(folder / "shared", repeats).items():
            figures[f"agreement_{key}"] = value
        figures["agreement_events"] = float(generate(folder / "sources1000", claims, 1000))
        for key, value in measure(folder / "sources1000", repeats).items():
            figures[f"agreement_sources1000_{key}"] = value
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
