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

ResultType = TypeVar("ResultType")


def typed(event: events.Key) -> int:
    """The key's place in the order keys were typed (numbered by the app; 0 if not yet)."""
    return getattr(event, "typed", 0)


def _hold_until_gone(screen: ModalScreen[Any], after: int) -> None:
    """Keys typed after key number `after` wait until `screen` has closed (see KeyboardApp.hold_keys)."""
    app = screen.app
    hold = getattr(app, "hold_keys", None)
    if hold is not None:
        hold(lambda: screen not in app.screen_stack, after)


def _held(screen: ModalScreen[Any], event: events.Key) -> bool:
    held = getattr(screen.app, "held", None)
    return bool(held is not None and held(event))


class TextBox(Input):
    """A text box that `enter` or `escape` may close: keys typed after those wait until it has.

    Used by the source and note modals and the corpus filter. The keys behind
    the closing key are held (`KeyboardApp.hold_keys`) until the focus has left
    the box (the modal gone, the list focused again), at most a second.
    """

    async def _on_key(self, event: events.Key) -> None:
        app = self.app
        held = getattr(app, "held", None)
        if held is not None and held(event):
            event.stop()
            event.prevent_default()
            return
        if event.key in ("enter", "escape"):
            # Their bindings (submit, cancel) run only once the key has bubbled
            # up to the app, after this box has seen the keys queued behind it.
            screen = self.screen
            if isinstance(screen, TextBoxModal) and screen.closing_after is None:
                screen.closing_after = typed(event)
            hold = getattr(app, "hold_keys", None)
            if hold is not None:
                hold(lambda: app.focused is not self, typed(event))
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
        if _held(self, event):
            event.stop()
            event.prevent_default()
            return
        box = self.text_box
        if self.focused is not box and self.focused is not None and event.key == "enter":
            # A pick in the suggestion list: the modal closes once the pick's message is handled.
            if self.closing_after is None:
                self.closing_after = typed(event)
                _hold_until_gone(self, typed(event))
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
            self.closing_after = typed(event)
            _hold_until_gone(self, typed(event))
            await box.action_submit()
        elif event.key == "escape":
            self.closing_after = typed(event)
            _hold_until_gone(self, typed(event))
            return  # on to the cancel binding
        else:
            return
        event.stop()
        event.prevent_default()

    def dismiss(self, result: ResultType | None = None) -> Any:
        """Close with `result` (keys typed from now on go to the screen beneath)."""
        if self.closing_after is None:
            self.closing_after = getattr(self.app, "keys_typed", 0)
            _hold_until_gone(self, self.closing_after)
        return super().dismiss(result)

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
