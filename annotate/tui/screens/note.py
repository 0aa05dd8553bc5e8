"""The note modal: free text on a claim."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from annotate.text import printable
from annotate.tui.screens.text_box_modal import TextBox, TextBoxModal


class NoteModal(TextBoxModal[str | None]):
    """Edit a note; `enter` saves (blank removes it), `escape` cancels."""

    def __init__(self, current: str | None, claim_text: str) -> None:
        super().__init__()
        self.current = current
        self.claim_text = claim_text

    def compose(self) -> ComposeResult:
        """Input and hint."""
        with Vertical(classes="dialog"):
            yield Static(Content("Note on: ") + Content(printable(self.claim_text)), classes="claim")
            yield TextBox(
                value=self.current or "",
                placeholder="free text",
                id="note-input",
                select_on_focus=False,
            )
            yield Static(Content("enter: save   escape: cancel"), classes="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)
