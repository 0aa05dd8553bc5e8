"""Timing one key press in a running app, from the key event to the drawn screen.

`Pilot.press` waits for the app to go idle (at least two 20 ms sleeps), so it
cannot time anything shorter. Here the key event is handed to the driver
exactly as `Pilot.press` does, the loop runs until the action's effect is
visible in the app's state, and the screen's compositor update (what would be
written to the terminal) is rendered before the clock stops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual import events
from textual.pilot import Pilot


async def timed_key(pilot: Pilot[object], key: str, done: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds from posting `key` until `done()` holds and the screen is rendered."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    start = time.perf_counter()
    driver.send_message(event)
    while not done():
        await asyncio.sleep(0)
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"key {key!r} had no effect within {timeout} s")
    # Let every widget handle what the action posted (refresh and layout
    # requests) without Pilot's idle sleeps, then force the same update
    # Pilot.pause() ends with: the compositor renders every dirty line into
    # the update the driver would write to the terminal.
    await pilot._wait_for_screen()
    app.screen._on_timer_update()
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    """The `share` (0-1) percentile of `values`, nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]
