"""Reading what the running app shows, for Pilot tests."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from annotate.cli import make_app
from annotate.tui.app import AnnotateApp


def shown(widget: Widget) -> str:
    """The text a widget currently shows on screen, line by line."""
    width, height = widget.outer_size
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join(strip.text.rstrip() for strip in strips)


def screen_text(app: App[object]) -> str:
    """All text on the active screen, widget by widget."""
    return "\n".join(shown(widget) for widget in app.screen.walk_children(Widget) if widget.display)


async def assistant_started(pilot: Pilot[object]) -> None:
    """Wait until the annotate screen shows the attribution hint and marks."""
    for _ in range(500):
        if getattr(pilot.app.screen, "assistant_ready", True):
            await pilot.pause()
            return
        await pilot.pause(0.01)
    raise AssertionError("the attribution assistant did not start")


def build(paths: list[Path], annotations: Path, annotator: str = "alice", **kwargs: object) -> AnnotateApp:
    """The real app, as `annotate open` builds it."""
    return make_app(paths, annotator, annotations, **kwargs)  # type: ignore[arg-type]
