"""A one-line footer of the active keys, drawn as one piece of text.

Textual's `Footer` mounts one widget per key and styles each; with the
annotate screen's 18 bindings that cost ~90 ms before the first claim could be
labelled (profiled with cProfile on `bench/startup_child.py`). This draws the
same information in a single `Content`, keyed from the screen's active
bindings, so remapped keys show as remapped.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    """The keys of the current screen and what they do; wraps rather than hiding keys."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 4;  /* every key of the annotate screen at 60 columns, the narrowest allowed */
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self, bindings: list[BindingType] | None = None) -> None:
        super().__init__()
        # Remapped bindings move to the end of the screen's active bindings;
        # the screen's own list keeps the bar in its intended order.
        actions = [binding.action for binding in bindings or [] if isinstance(binding, Binding)]
        self.order = {action: position for position, action in enumerate(actions)}

    def on_mount(self) -> None:
        """Follow changes to the screen's bindings (keymaps, modals)."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        """Stop following the screen."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _: Screen[object]) -> None:
        self.refresh()

    def render(self) -> Content:
        """`key description` pairs; keys sharing an action are shown once, joined."""
        grouped: dict[str, tuple[list[str], str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show:
                continue
            keys, _ = grouped.setdefault(binding.action, ([], binding.description))
            keys.append(binding.key_display or self.app.get_key_display(binding))
        pieces: list[tuple[str, str] | str] = []
        last = len(self.order)
        ordered = sorted(grouped.items(), key=lambda item: self.order.get(item[0], last))
        width = self.size.width or 80
        used = 0
        for _, (keys, description) in ordered:
            key = f" {keys[0]} "
            item = len(key) + len(description) + 1
            # Break between items, never inside one, so a key stays beside its description.
            if used and used + item > width:
                pieces.append("\n")
                used = 0
            pieces.append((key, "bold $footer-key-foreground"))
            pieces.append(description + " ")
            used += item
        return Content.assemble(*pieces)

    def on_resize(self) -> None:
        """Break the lines again for the new width."""
        self.refresh(layout=True)
