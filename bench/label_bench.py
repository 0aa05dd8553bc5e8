"""Label latency: a label key to the event fsynced and the screen showing it saved.

The real app runs in this process under Textual's headless driver; 500 label
keys are sent one at a time (`bench.keystrokes.timed_key`), each timed until
the event is in the log (written and fsynced: `EventLog.append` returns only
then), the panel says saved, and the compositor has rendered the new screen.
The floor is the disk alone: appending a line of the same size to a file in
the same folder and fsyncing it, 500 times.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

from bench.articles import write_long_article
from bench.keystrokes import percentile, timed_key
from bench.workdir import scratch

LABELS = 500


async def _label_times(article: Path, annotations: Path, count: int) -> tuple[list[float], int]:
    from annotate.cli import make_app
    from annotate.tui.screens.annotate import AnnotateScreen

    app = make_app([article], "bench", annotations)
    times: list[float] = []
    line_size = 0

    async def drive(pilot: object) -> None:
        nonlocal line_size
        while not (isinstance(app.screen, AnnotateScreen) and app.screen.is_mounted):
            await asyncio.sleep(0)
        screen = app.screen
        for _ in range(count):
            before = len(app.events)
            elapsed = await timed_key(
                pilot,  # type: ignore[arg-type]
                "1",
                lambda b=before: len(app.events) > b and "saved" in screen.status.plain,  # type: ignore[misc]
            )
            times.append(elapsed)
        line_size = (annotations / "bench.jsonl").stat().st_size // max(1, len(app.events))
        app.exit()

    await app.run_async(headless=True, size=(100, 30), auto_pilot=drive)
    return times, line_size


def _fsync_floor(folder: Path, size: int, count: int) -> list[float]:
    line = b"x" * (size - 1) + b"\n"
    times = []
    fd = os.open(folder / "floor.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for _ in range(count):
            start = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    return times


def run(quick: bool) -> dict[str, float]:
    """label_p50_ms and label_p99_ms over 500 labels, with the fsync floor."""
    from annotate.corpus import load_article
    from annotate.segment import default_claims

    folder = scratch("label")
    try:
        # 250 paragraphs give ~650 claims: 500 labels never run out. The
        # segmentation is cached first: this measures labelling, not opening.
        article = write_long_article(folder, 250, seed=11)
        default_claims(load_article(article))
        count = 200 if quick else LABELS
        times, size = asyncio.run(_label_times(article, folder / "annotations", count))
        floor = _fsync_floor(folder, size, count)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "label_p50_ms": percentile(times, 0.50) * 1000,
        "label_p99_ms": percentile(times, 0.99) * 1000,
        "label_floor_p50_ms": percentile(floor, 0.50) * 1000,
        "label_floor_p99_ms": percentile(floor, 0.99) * 1000,
        "labels": float(len(times)),
    }
