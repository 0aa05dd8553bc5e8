"""Help: the keys and the label guidelines of the schema in use."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from annotate.schema import LabelSchema


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
        parts = [Content.from_markup("[b]Label guidelines[/b] ($ref)\n", ref=self.schema.ref)]
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
