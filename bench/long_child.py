"""Child process of long_bench: open an article, step through it, report JSON on stdout.

Run as `python bench/long_child.py ARTICLE ANNOTATIONS STEPS`. Peak memory is
this process's maximum resident set, so it runs alone in its own process.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from pathlib import Path

import orjson
from textual.pilot import Pilot


async def main(article: Path, annotations: Path, steps: int) -> dict[str, float]:
    start = time.perf_counter()
    from annotate.cli import make_app
    from annotate.tui.screens.annotate import AnnotateScreen
    from bench.keystrokes import timed_key

    app = make_app([article], "bench", annotations)
    figures: dict[str, float] = {}

    async def drive(pilot: Pilot[object]) -> None:
        while not (isinstance(app.screen, AnnotateScreen) and app.screen.is_mounted):
            await asyncio.sleep(0)
        screen = app.screen
        screen._on_timer_update()
        figures["open_s"] = time.perf_counter() - start
        times = []
        step = 1
        for _ in range(steps):
            before = screen.cursor
            # Claim by claim to the end of what is segmented, then back up.
            if not 0 <= before + step < len(screen.session.claims):
                step = -step
            if not 0 <= before + step < len(screen.session.claims):
                break
            key = "j" if step > 0 else "k"
            target = before + step

            def arrived(target: int = target) -> bool:
                return bool(screen.cursor == target)

            times.append(await timed_key(pilot, key, arrived))
        figures["steps"] = len(times)
        figures["step_times"] = times  # type: ignore[assignment]
        while screen.session.segmenting:
            await asyncio.sleep(0.01)
        figures["segmented_s"] = time.perf_counter() - start
        figures["claims"] = len(screen.session.claims)
        app.exit()

    await app.run_async(headless=True, size=(100, 30), auto_pilot=drive)
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return figures


if __name__ == "__main__":
    result = asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])))
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
