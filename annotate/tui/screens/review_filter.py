"""The review filter modal: disagreements only, and a label, annotator or article."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Checkbox, OptionList, Static
from textual.widgets.option_list import Option

from annotate.adjudication import ReviewFilter
from annotate.text import printable
from annotate.tui.keyboard_app import hold_keys_for, typed

ANY = "(any)"


class FilterModal(ModalScreen[ReviewFilter | None]):
    """Pick what the review walks; `enter` in a list applies, `escape` cancels."""

    CSS_PATH = ["modal.tcss", "review_filter.tcss"]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filter.apply"),
    ]

    def __init__(
        self, current: ReviewFilter, labels: list[str], annotators: list[str], articles: list[str]
    ) -> None:
        super().__init__()
        self.current = current
        self.choices = {"label": labels, "annotator": annotators, "article": articles}

    def compose(self) -> ComposeResult:
        """A checkbox and three lists."""
        current = {
            "label": self.current.label,
            "annotator": self.current.annotator,
            "article": self.current.article_id,
        }
        with Vertical(classes="dialog filter"):
            yield Static(Content("Filter the units to review"), classes="claim")
            yield Checkbox(Content("disagreements only"), self.current.disagreements_only, id="disagreements")
            with Horizontal(classes="lists"):
                for kind, values in self.choices.items():
                    options = [Option(Content("(any)"), id="")]
                    options.extend(Option(Content(printable(value))) for value in values)
                    option_list = OptionList(*options, id=f"filter-{kind}", classes="filter-list")
                    option_list.border_title = Content(kind)
                    chosen = current[kind]
                    option_list.highlighted = values.index(chosen) + 1 if chosen in values else 0
                    yield option_list
            yield Static(
                Content("tab: next · ↑↓: choose · enter: apply · escape: cancel"),
                classes="hint",
            )

    def _picked(self, kind: str) -> str | None:
        option_list = self.query_one(f"#filter-{kind}", OptionList)
        index = option_list.highlighted
        if not index:
            return None
        return self.choices[kind][index - 1]

    def _result(self) -> ReviewFilter:
        return ReviewFilter(
            disagreements_only=self.query_one("#disagreements", Checkbox).value,
            label=self._picked("label"),
            annotator=self._picked("annotator"),
            article_id=self._picked("article"),
        )

    def on_key(self, event: events.Key) -> None:
        """Enter in a list closes the filter: keys typed behind it wait until it has (as in the text boxes)."""
        if event.key == "enter" and isinstance(self.focused, OptionList):
            hold_keys_for(self, lambda: self not in self.app.screen_stack, typed(event))

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.dismiss(self._result())

    def action_apply(self) -> None:
        """Apply the filter as chosen."""
        self.dismiss(self._result())

    def action_cancel(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
