"""Child of startup_bench: start an app headless and exit as soon as it is ready.

`python bench/startup_child.py bare` starts a bare Textual app (a Header, a
Footer); `python bench/startup_child.py annotate SEED ANNOTATIONS` runs what
`annotate open SEED` runs. Both exit from the same auto-pilot hook once their
first screen is mounted and rendered: for annotate, the screen with the first
claim highlighted, ready for a label key.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    if argv[0] == "bare":
        from textual.app import App, ComposeResult
        from textual.widgets import Footer, Header

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield Header()
                yield Footer()

        app: App[None] = Bare()

        def ready() -> bool:
            return app.screen.is_mounted

    else:
        from annotate.cli import make_app
        from annotate.tui.screens.annotate import AnnotateScreen

        app = make_app([Path(argv[1])], "bench", Path(argv[2]))

        def ready() -> bool:
            screen = app.screen
            return isinstance(screen, AnnotateScreen) and screen.is_mounted and bool(screen.session.claims)

    async def exit_when_ready(pilot: object) -> None:
        while not ready():
            await asyncio.sleep(0)
        app.screen._on_timer_update()  # the first full frame, as for every step timed
        app.exit()

    app.run(headless=True, size=(100, 30), auto_pilot=exit_when_ready)


if __name__ == "__main__":
    main(sys.argv[1:])
