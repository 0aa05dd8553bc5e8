"""kill -9 in the middle of labelling: every event reported saved is on disk."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from annotate.store import read_events
from tests.conftest import ROOT

KILLS = int(os.environ.get("ANNOTATE_CRASH_KILLS", "8"))


def run_and_kill(seed: Path, annotations: Path, after: float) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "crash_child.py"), str(seed), str(annotations)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    os.set_blocking(child.stdout.fileno(), False)
    reported = b""
    deadline = time.monotonic() + 30
    # Wait until labelling is under way, then kill at a random moment.
    while reported.count(b"\n") < 3 and time.monotonic() < deadline:
        reported += child.stdout.read() or b""
        time.sleep(0.01)
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    child.wait()
    reported += child.stdout.read() or b""
    lines = reported.decode().split("\n")
    return [line for line in lines[:-1] if line]  # the last piece may be a torn print


def test_kill_minus_9_never_loses_a_reported_event(seed: Path, tmp_path: Path) -> None:
    annotations = tmp_path / "annotations"
    rng = random.Random(7)
    reported_total = 0
    for _ in range(KILLS):
        reported = run_and_kill(seed, annotations, rng.uniform(0.0, 0.4))
        result = read_events(annotations / "crash.jsonl")
        on_disk = {event["id"] for event in result.events}
        missing = [event_id for event_id in reported if event_id not in on_disk]
        assert not missing, f"{len(missing)} events reported saved but not on disk"
        # The file always reads back: at most a torn line from the kill.
        assert not result.errors, result.errors
        reported_total += len(reported)
    assert reported_total >= 3 * KILLS
