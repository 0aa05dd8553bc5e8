"""The source modal: who a claim is attributed to, with suggestions."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from annotate.text import printable
from annotate.tui.screens.text_box_modal import TextBox, TextBoxModal


class SourceModal(TextBoxModal[str | None]):
    """Type a source or pick a suggestion; `enter` saves, `escape` cancels.

    With no source yet, the text box starts with the assistant's suggested
    source, selected: `enter` accepts it, typing replaces it. The suggestion is
    also first in the list. Returns the source text (empty to remove it), or
    None when cancelled.
    """

    BINDINGS = [Binding("down", "suggestions", "Suggestions", show=False, id="modal.suggestions")]

    def __init__(
        self, claim_text: str, current: str | None, suggestions: list[str], suggested: str | None = None
    ) -> None:
        super().__init__()
        self.claim_text = claim_text
        self.current = current
        self.suggested = suggested
        self.suggestions = ([suggested] if suggested else []) + [s for s in suggestions if s != suggested]
        self._matches: list[str] = []

    def compose(self) -> ComposeResult:
        """Claim, input, suggestion list."""
        with Vertical(classes="dialog"):
            yield Static(Content("Source of: ") + Content(printable(self.claim_text)), classes="claim")
            prefilled = not self.current and bool(self.suggested)
            yield TextBox(
                value=self.current or self.suggested or "",
                placeholder="who the claim is attributed to (enter saves, blank removes)",
                id="source-input",
                select_on_focus=prefilled,
            )
            yield OptionList(*self._options(""), id="suggestions")
            hint = "enter: save   ↓: pick a suggestion   escape: cancel"
            if prefilled:
                hint = "enter: accept the suggestion · type: replace it · ↓: pick · escape: cancel"
            yield Static(Content(hint), classes="hint")

    def _options(self, typed: str) -> list[Option]:
        # The pre-filled suggestion is not a filter: the list stays whole until the annotator types.
        needle = "" if typed == (self.current or self.suggested or "") else typed.strip().lower()
        matches = [s for s in self.suggestions if needle in s.lower()] if needle else self.suggestions
        self._matches = matches[:50]
        return [
            Option(
                Content(printable(s))
                + (Content.styled("  suggested", "dim") if s == self.suggested else Content()),
                id=str(i),
            )
            for i, s in enumerate(self._matches)
        ]

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    @on(OptionList.OptionSelected)
    def _pick(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._matches[event.option_index])

    def action_suggestions(self) -> None:
        """Move into the suggestion list."""
        options = self.query_one(OptionList)
        if options.option_count:
            options.focus()
            options.highlighted = 0
