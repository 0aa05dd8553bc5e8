"""kill -9 in the middle of labelling: every event reported saved is on disk.

Thirty-odd kills of real annotate processes at random moments. Three chains
run side by side (each annotator in its own folder), and within a chain every
run resumes the file the previous kill left behind, torn last line included.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from annotate.store import read_events
from tests.conftest import ROOT

KILLS = int(os.environ.get("ANNOTATE_CRASH_KILLS", "30"))
CHAINS = 3


def start_child(
    seed: Path, annotations: Path, annotator: str = "crash", stop_after: int | None = None
) -> subprocess.Popen[bytes]:
    """A crash_child labelling `seed` into `annotations` as `annotator`."""
    arguments = [str(seed), str(annotations), annotator]
    if stop_after is not None:
        arguments.append(str(stop_after))
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "crash_child.py"), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def run_and_kill(seed: Path, annotations: Path, after: float) -> list[str]:
    child = start_child(seed, annotations)
    assert child.stdout is not None
    os.set_blocking(child.stdout.fileno(), False)
    reported = b""
    deadline = time.monotonic() + 60
    # Wait until labelling is under way, then kill at a random moment.
    while reported.count(b"\n") < 2 and time.monotonic() < deadline and child.poll() is None:
        reported += child.stdout.read() or b""
        time.sleep(0.01)
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    child.wait()
    reported += child.stdout.read() or b""
    lines = reported.decode().split("\n")
    return [line for line in lines[:-1] if line]  # the last piece may be a torn print


def chain(seed: Path, annotations: Path, kills: int, rng_seed: int) -> int:
    """Kill `kills` successive sessions on one file; returns how many events they reported."""
    rng = random.Random(rng_seed)
    reported_total = 0
    for _ in range(kills):
        reported = run_and_kill(seed, annotations, rng.uniform(0.0, 0.3))
        result = read_events(annotations / "crash.jsonl")
        on_disk = {event["id"] for event in result.events}
        missing = [event_id for event_id in reported if event_id not in on_disk]
        assert not missing, f"{len(missing)} events reported saved but not on disk"
        # The file always reads back: at most a torn line from the kill.
        assert not result.errors, result.errors
        reported_total += len(reported)
    return reported_total


def test_kill_minus_9_never_loses_a_reported_event(seed: Path, tmp_path: Path) -> None:
    per_chain = -(-KILLS // CHAINS)
    with ThreadPoolExecutor(CHAINS) as pool:
        totals = list(
            pool.map(
                lambda number: chain(seed, tmp_path / f"chain{number}", per_chain, 7 + number),
                range(CHAINS),
            )
        )
    assert per_chain * CHAINS >= 30 or KILLS < 30
    assert sum(totals) >= 2 * per_chain * CHAINS
    # After all that, a normal session opens a crashed file, labels on and quits cleanly.
    path = tmp_path / "chain0" / "crash.jsonl"
    before = len(read_events(path).events)
    child = start_child(seed, tmp_path / "chain0", stop_after=3)
    output, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    result = read_events(path)
    assert len(result.events) == before + len(output.split()) > before
    assert not result.errors
