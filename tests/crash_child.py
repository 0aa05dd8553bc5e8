"""A real annotate process that labels in a loop, for the crash and concurrency tests.

Prints the id of each event as soon as the screen shows it saved, so the
parent can kill -9 this process at any moment and check every reported event
is on disk. `python tests/crash_child.py ARTICLE ANNOTATIONS [ANNOTATOR [STOP_AFTER]]`:
with STOP_AFTER, it quits normally after that many key presses.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from annotate.cli import make_app
from annotate.tui.screens.annotate import AnnotateScreen


async def main(article: Path, annotations: Path, annotator: str, stop_after: int | None) -> None:
    app = make_app([article], annotator, annotations)
    keys = ["1", "2", "3", "u", "j", "x", "k", "u", "2", "m", "u"]
    async with app.run_test(size=(100, 30)) as pilot:
        step = 0
        while stop_after is None or step < stop_after:
            key = keys[step % len(keys)]
            step += 1
            before = len(app.events)
            await pilot.press(key)
            screen = app.screen
            assert isinstance(screen, AnnotateScreen)
            if len(app.events) > before and "saved" in str(screen.status):
                for event in app.events[before:]:
                    sys.stdout.write(event["id"] + "\n")
                sys.stdout.flush()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(
        main(
            Path(arguments[0]),
            Path(arguments[1]),
            arguments[2] if len(arguments) > 2 else "crash",
            int(arguments[3]) if len(arguments) > 3 else None,
        )
    )
