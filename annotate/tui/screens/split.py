"""The split modal: choose the word boundary where a claim is cut in two."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from annotate.corpus import Article
from annotate.segment import Claim, split_points
from annotate.text import printable


class SplitModal(ModalScreen[int | None]):
    """Move the cut with ←/→ (h/l) word by word; `enter` splits there. Returns a body offset."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("left,h", "move(-1)", "Word left", id="split.left"),
        Binding("right,l", "move(1)", "Word right", id="split.right"),
        Binding("enter", "split", "Split here", id="split.confirm"),
        Binding("escape", "cancel", "Cancel", id="modal.cancel"),
    ]

    def __init__(self, article: Article, claim: Claim) -> None:
        super().__init__()
        self.article = article
        self.claim = claim
        self.points = split_points(article, claim)
        # Start near the middle: the usual cut is between two clauses.
        self.position = len(self.points) // 2

    def compose(self) -> ComposeResult:
        """The claim with the cut marked, and a hint."""
        with Vertical(classes="dialog"):
            yield Static(id="split-preview")
            yield Static(Content("←/→ or h/l: move the cut   enter: split   escape: cancel"), classes="hint")

    def on_mount(self) -> None:
        """Draw the preview."""
        self._draw()

    def _draw(self) -> None:
        body = self.article.body
        if not self.points:
            self.query_one("#split-preview", Static).update(
                Content("This claim is one word; it cannot be split.")
            )
            return
        at = self.points[self.position]
        text = Text(printable(body[self.claim.start : at]), style=Style(color="#8ab4f8"))
        text.append(" ┃ ", Style(color="red", bold=True))
        text.append(printable(body[at : self.claim.end]), Style(color="#f8c58a"))
        self.query_one("#split-preview", Static).update(text)

    def action_move(self, step: int) -> None:
        """Move the cut one word."""
        if self.points:
            self.position = max(0, min(len(self.points) - 1, self.position + step))
            self._draw()

    def action_split(self) -> None:
        """Split at the marked boundary."""
        self.dismiss(self.points[self.position] if self.points else None)

    def action_cancel(self) -> None:
        """Close without splitting."""
        self.dismiss(None)
