"""What both apps (annotate, review) share as keyboard-only tools.

- Type-ahead acts in the order typed. Textual hands every key of a burst to
  the widget focused when the burst arrived, and checks the bindings only as
  each key comes back up to the app. So a key typed after one that opens a
  screen or moves the focus reached the old one (and was lost, or ran as its
  binding), and a key typed after one whose effect lands later (an `enter`
  closing a box, `/` focusing the corpus filter, `enter` opening an article)
  reached the box or list before that effect. Keys are numbered as typed; a
  key that comes back to a screen or focus other than the one it was typed
  for is sent again to the one showing now, and keys typed after a key whose
  effect lands later are held (`hold_keys`) and dispatched in typed order once
  it has.
- Below the minimum size an 'enlarge the window' screen covers everything, so
  no key acts on a claim the annotator cannot see; a screen that closes itself
  while covered closes under the cover (`pop_screen`).
- `key_name`: which keymap entries name keys a terminal can send.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.dom import DOMNode
from textual.geometry import Size
from textual.keys import Keys, _character_to_key, key_to_character
from textual.timer import Timer

from annotate.tui.screens.too_small import TooSmallScreen

MIN_SIZE = Size(60, 16)
_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_NAMED_KEYS = {key.value for key in Keys if "+" not in key.value and not key.value.startswith("<")}


# Keys a terminal cannot tell from others: ctrl+i is tab, ctrl+m enter, ctrl+[ escape.
_INDISTINCT = {
    "ctrl+i": "tab",
    "ctrl+m": "enter",
    "ctrl+left_square_bracket": "escape",
    "ctrl+h": "backspace",
}


def key_name(key: str) -> str | None:
    """Textual's name for a key as a keymap writes it ('?' -> 'question_mark'), None if no key has it.

    Uses Textual's own character-to-name rule (private, but Textual is pinned),
    so that '?' and 'question_mark' are seen as one key. Refused as no key:
    `shift+` a letter (the terminal sends the capital: write 'J'), and keys a
    terminal sends as another (ctrl+i arrives as tab), which would never fire.
    """
    if key == "+":
        return "plus"
    *modifiers, base = key.split("+")
    if not base or any(modifier not in _MODIFIERS for modifier in modifiers):
        return None
    if len(base) == 1:
        if "shift" in modifiers and base.isalpha():
            return None
        base = _character_to_key(base)
    elif base not in _NAMED_KEYS and key_to_character(base) is None and base not in ("plus", "minus"):
        return None
    name = "+".join([*modifiers, base])
    return None if name in _INDISTINCT else name


def typed(event: events.Key) -> int:
    """The key's place in the order keys were typed (numbered by the app; 0 if not yet)."""
    return getattr(event, "typed", 0)


def _again(event: events.Key) -> events.Key:
    """A fresh copy of `event` to dispatch from the start, keeping its place in the order."""
    again = events.Key(event.key, event.character)
    again.typed = typed(event)  # type: ignore[attr-defined]
    return again


def hold_keys_for(
    node: DOMNode, until: Callable[[], bool], after: int | None = None, seconds: float = 1.0
) -> None:
    """`KeyboardApp.hold_keys` from a widget or screen (nothing in another kind of app)."""
    app = node.app
    if isinstance(app, KeyboardApp):
        app.hold_keys(until, after, seconds)


def key_is_held(node: DOMNode, event: events.Key) -> bool:
    """`KeyboardApp.held` from a widget or screen: whether `event` was kept for later."""
    app = node.app
    return isinstance(app, KeyboardApp) and app.held(event)


class KeyboardApp(App[None]):
    """An App that keeps type-ahead and refuses to work in a too-small window."""

    keys_typed = 0
    """How many keys have been typed: each key's place in that order is its `typed` number."""
    _handling = 0
    _held: tuple[Callable[[], bool], int, float] | None = None
    _held_keys: list[events.Key]
    _release_timer: Timer | None = None

    def hold_keys(self, until: Callable[[], bool], after: int | None = None, seconds: float = 1.0) -> None:
        """Keys typed after key number `after` (the one being handled) wait until `until()` holds.

        For a key whose effect lands later than the keys typed behind it:
        `enter` in a source box closes it only once its binding has run
        (`s enter 1` typed the 1 into the box), `/` moves the focus to the
        corpus filter only once the box is shown (`/sudan` sorted the list),
        `enter` on the list opens the article through a message (the label
        keys typed after it were lost). The held keys are dispatched again in
        the order they were typed once `until()` holds, or after `seconds`.
        """
        if self._held is None:
            self._held_keys = []
        self._held = (until, self._handling if after is None else after, time.monotonic() + seconds)
        if self._release_timer is None:
            self._release_timer = self.set_interval(0.01, self._release_held)
        else:
            self._release_timer.resume()

    def held(self, event: events.Key) -> bool:
        """Keep `event` for later if keys are being held and it was typed after the holding key."""
        if self._held is None or typed(event) <= self._held[1]:
            return False
        self._held_keys.append(_again(event))
        return True

    def release_held(self) -> None:
        """Dispatch the held keys now (the awaited effect will not come: an article that cannot open)."""
        self._release_held(now=True)

    def _release_held(self, now: bool = False) -> None:
        if self._held is None:
            return
        until, _, deadline = self._held
        if not now and not until() and time.monotonic() < deadline:
            return
        self._held = None
        if self._release_timer is not None:
            self._release_timer.pause()
        for key in sorted(self._held_keys, key=typed):
            self.post_message(key)
        self._held_keys = []

    async def on_event(self, event: events.Event) -> None:
        """Send a key of a burst to the screen showing now, if an earlier key changed it."""
        # Every event the app gets passes here: only keys do any work.
        top = self.screen_stack[-1] if isinstance(event, events.Key) and self.screen_stack else None
        if top is not None:
            assert isinstance(event, events.Key)
            if not typed(event):
                self.keys_typed += 1
                event.typed = self.keys_typed  # type: ignore[attr-defined]
            if self.held(event):
                return
            self._handling = typed(event)
            # Where the key was meant to go: the screen and the widget with focus.
            target = (top, top.focused)
            if not event.is_forwarded:
                event.typed_on = target  # type: ignore[attr-defined]
            elif getattr(event, "typed_on", target) != target:
                retyped = _again(event)
                retyped.typed_on = target  # type: ignore[attr-defined]
                await super().on_event(retyped)
                return
        await super().on_event(event)

    def on_resize(self, event: events.Resize) -> None:
        """Cover the app while the window is too small, uncover it when it is large enough."""
        self.guard_size(event.size)

    def pop_screen(self) -> AwaitComplete:
        """Pop the top screen; a screen closing under the 'enlarge' cover is popped from under it.

        A modal whose answer arrives as the window shrinks (a burst ending in
        `enter`) closes itself with `pop_screen`, which would take the cover off
        instead and leave the answered modal open.
        """
        top = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(top, TooSmallScreen) and len(self.screen_stack) > 2:
            super().pop_screen()
            popped = super().pop_screen()
            self.push_screen(TooSmallScreen(top.size_now, MIN_SIZE))
            return popped
        return super().pop_screen()

    def guard_size(self, size: Size | None = None) -> None:
        """Show or take away the 'enlarge the window' screen for `size` (the app's size by default)."""
        size = size or self.size
        small = size.width < MIN_SIZE.width or size.height < MIN_SIZE.height
        top = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(top, TooSmallScreen):
            if small:
                top.show_size(size)
            else:
                super().pop_screen()  # the cover itself, not a screen under it
        elif small and len(self.screen_stack) > 1:  # the app's own first screen is up
            self.push_screen(TooSmallScreen(size, MIN_SIZE))
