"""A real annotate process that labels in a loop, for the crash tests.

Prints the id of each event as soon as the screen shows it saved, so the
parent can kill -9 this process at any moment and check every reported event
is on disk.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from annotate.cli import make_app
from annotate.tui.screens.annotate import AnnotateScreen


async def main(article: Path, annotations: Path) -> None:
    app = make_app([article], "crash", annotations)
    keys = ["1", "2", "3", "u", "j", "x", "k", "u", "2"]
    async with app.run_test(size=(100, 30)) as pilot:
        step = 0
        while True:
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
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
