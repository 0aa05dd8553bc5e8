"""The 'enlarge the window' screen, shown over everything while the terminal is too small."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static


class TooSmallScreen(Screen[None]):
    """Asks to enlarge the window; every key but quit does nothing here.

    It covers whatever screen or modal was open, so no key can label,
    save or move anything the annotator cannot see; enlarging the window
    takes it away and leaves that screen as it was.
    """

    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
    }
    TooSmallScreen Static {
        width: 100%;
        content-align: center middle;
        text-style: bold;
    }
    """
    BINDINGS = [Binding("q", "app.quit", "Quit", id="quit")]

    def __init__(self, size: Size, minimum: Size) -> None:
        super().__init__()
        self.minimum = minimum
        self.size_now = size

    def compose(self) -> ComposeResult:
        """The message."""
        yield Static(self._message(), id="enlarge")

    def _message(self) -> Content:
        minimum, size = self.minimum, self.size_now
        return Content(
            f"Enlarge the window: annotate needs at least {minimum.width}×{minimum.height} "
            f"(now {size.width}×{size.height}). q quits; nothing else does anything until then."
        )

    def show_size(self, size: Size) -> None:
        """Say the new size."""
        self.size_now = size
        if self.is_mounted:
            self.query_one("#enlarge", Static).update(self._message())
