"""Help: the keys and the label guidelines of the schema in use."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from annotate.schema import LabelSchema


def screen_keys(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(keys, what they do) for each of the screen's own bindings, as the keymap has them.

    Only bindings with an id (this tool's, the ones a keymap can move): not
    Textual's focus and copy keys, which do nothing useful here. A label key
    says only the label's name: its guideline is printed in full above.
    """
    grouped: dict[str, tuple[list[str], str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.id is None:
            continue
        what = (
            binding.description
            if binding.action.startswith("label(")
            else binding.tooltip or binding.description
        )
        keys, _ = grouped.setdefault(binding.action, ([], what))
        keys.append(screen.app.get_key_display(binding))
    return [(", ".join(keys), description) for keys, description in grouped.values()]


class HelpScreen(ModalScreen[None]):
    """Keys and guidelines; any of escape, q or ? closes it."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, schema: LabelSchema, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.schema = schema
        self.keys = keys

    def compose(self) -> ComposeResult:
        """Guidelines first, then the keys."""
        parts = [
            Content.from_markup("[dim]esc, q or ? closes this help[/dim]\n\n"),
            Content.from_markup("[b]Label guidelines[/b] ($ref)\n", ref=self.schema.ref),
        ]
        if self.schema.description:
            parts.append(Content(self.schema.description + "\n"))
        for label in self.schema.labels:
            parts.append(
                Content.from_markup(
                    "\n[b $color]$key  $name[/]\n$description\n",
                    color=label.color,
                    key=label.key,
                    name=label.name,
                    description=label.description,
                )
            )
        parts.append(
            Content.from_markup(
                "\n[b #808080]x  not_a_claim[/]\nA segment that states nothing checkable: a byline, a heading, "
                "a question, boilerplate.\n"
            )
        )
        parts.append(Content.from_markup("\n[b]Keys[/b]\n"))
        width = max((len(keys) for keys, _ in self.keys), default=0)
        for keys, description in self.keys:
            parts.append(Content.from_markup("$keys  $what\n", keys=keys.ljust(width), what=description))
        parts.append(Content("\nKeys can be remapped in ~/.config/annotate/keymap.yaml (see README)."))
        with VerticalScroll(classes="dialog help"):
            yield Static(Content("").join(parts))

    def action_close(self) -> None:
        """Back to the article."""
        self.dismiss(None)
