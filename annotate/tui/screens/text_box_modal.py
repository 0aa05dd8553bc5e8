"""A modal with one text box that keeps every key of a burst in order.

A key typed in the same burst as the key that opened the modal (see
`keyboard_app`) can reach the screen before its text box has focus, which
moves there only once the screen is mounted; it is typed into the box, as if
the box had had focus. A key typed after the `enter` that closes the modal is
for the screen beneath: the app holds it (`KeyboardApp.hold_keys`) and
dispatches it again once the modal is gone, rather than let it be typed into
a box that is already being saved (`s`, `enter`, `1` saved the source "1"
and no label).
Keys are told apart by the order they were typed in (`typed`, numbered by the
app), not by when they reach a widget: Textual runs a key's binding only once
the key has bubbled up to the app, after the box has seen the keys behind it.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from textual import events
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

from annotate.tui.keyboard_app import hold_keys_for, key_is_held, typed

ResultType = TypeVar("ResultType")


class TextBox(Input):
    """A text box that `enter` or `escape` may close: keys typed after those wait until it has.

    Used by the source and note modals and the corpus filter. The keys behind
    the closing key are held (`KeyboardApp.hold_keys`) until the focus has left
    the box (the modal gone, the list focused again), at most a second.
    """

    async def _on_key(self, event: events.Key) -> None:
        if key_is_held(self, event):
            event.stop()
            event.prevent_default()
            return
        if event.key in ("enter", "escape"):
            # Their bindings (submit, cancel) run only once the key has bubbled
            # up to the app, after this box has seen the keys queued behind it.
            screen = self.screen
            if isinstance(screen, TextBoxModal) and screen.closing_after is None:
                screen.closing_after = typed(event)
            hold_keys_for(self, lambda: self.app.focused is not self, typed(event))
        await super()._on_key(event)


class TextBoxModal(ModalScreen[ResultType], Generic[ResultType]):
    """Base of the source and note modals: one `TextBox`, `enter` saves, `escape` cancels."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.closing_after: int | None = None
        """Once the modal has its answer, the place of the key that gave it: later keys are for the screen beneath."""

    @property
    def text_box(self) -> Input:
        """The modal's text box."""
        return self.query_one(Input)

    def on_mount(self) -> None:
        """Start in the text box."""
        self.text_box.focus()

    async def on_key(self, event: events.Key) -> None:
        """Type a key that arrived before the text box had focus into it."""
        if key_is_held(self, event):
            event.stop()
            event.prevent_default()
            return
        box = self.text_box
        if self.focused is not box and self.focused is not None and event.key == "enter":
            # A pick in the suggestion list: the modal closes once the pick's message is handled.
            self._answered(typed(event))
            return
        if self.focused is not None or self.closing_after is not None:
            return  # the box has seen this key, or it closes the modal
        if event.is_printable and event.character is not None:
            if box.select_on_focus:
                # A pre-filled suggestion is replaced by typing, as it is once the box has focus.
                box.select_on_focus = False
                box.select_all()
            selection = box.selection
            if selection.is_empty:
                box.insert_text_at_cursor(event.character)
            else:
                box.replace(event.character, *selection)
        elif event.key == "backspace":
            box.action_delete_left()
        elif event.key == "enter":
            self._answered(typed(event))
            await box.action_submit()
        elif event.key == "escape":
            self._answered(typed(event))
            return  # on to the cancel binding
        else:
            return
        event.stop()
        event.prevent_default()

    def _answered(self, key: int) -> None:
        """The modal has its answer with key number `key`: later keys wait until it is gone."""
        if self.closing_after is None:
            self.closing_after = key
            hold_keys_for(self, lambda: self not in self.app.screen_stack, key)

    def dismiss(self, result: ResultType | None = None) -> Any:
        """Close with `result` (keys typed from now on go to the screen beneath)."""
        self._answered(getattr(self.app, "keys_typed", 0))
        return super().dismiss(result)

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
