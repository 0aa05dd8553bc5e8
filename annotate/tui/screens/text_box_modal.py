"""A modal with one text box that also takes the keys typed before it was ready."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import events
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

ResultType = TypeVar("ResultType")


class TextBoxModal(ModalScreen[ResultType], Generic[ResultType]):
    """Base of the source and note modals: one `Input`, `enter` saves, `escape` cancels.

    A key typed in the same burst as the key that opened the modal (see
    `keyboard_app`) can reach the screen before its text box has focus, which
    moves there only once the screen is mounted; it is typed into the box, as
    if the box had had focus.
    """

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]

    @property
    def text_box(self) -> Input:
        """The modal's text box."""
        return self.query_one(Input)

    def on_mount(self) -> None:
        """Start in the text box."""
        self.text_box.focus()

    async def on_key(self, event: events.Key) -> None:
        """Type a key that arrived before the text box had focus into it."""
        box = self.text_box
        if self.focused is not None:
            return  # the box (or the suggestion list) has focus and has seen this key
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
            await box.action_submit()
        else:
            return
        event.stop()
        event.prevent_default()

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
