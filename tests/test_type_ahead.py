"""Type-ahead in bursts: keys posted at once, as a terminal delivers them, act in the order typed.

Each case was a failure found in review of keyboard_app / text_box_modal: keys
after escape or a list pick, the corpus filter's own enter and escape, a
failed open holding keys, and a modal answered as the window shrank.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.geometry import Size

from annotate.tui.screens.annotate import AnnotateScreen
from tests.conftest import read_jsonl
from tests.test_corpus_screen import SIZE, corpus_screen, settle
from tests.test_review import SIZE as REVIEW_SIZE
from tests.test_review import disagreements, review  # noqa: F401  (fixture)
from tests.tui_helpers import assistant_started, build, screen_text

CHARS = {"enter": "\r", "escape": "\x1b", "slash": "/", "down": None}


def burst(app: Any, keys: str) -> None:
    for key in keys.split():
        app.post_message(events.Key(key, CHARS.get(key, key)))


def events_(annotations: Path) -> list[tuple[Any, Any]]:
    path = annotations / "alice.jsonl"
    return [(e["label"], e["source"]) for e in read_jsonl(path)] if path.exists() else []


def resize(app: Any, width: int, height: int) -> None:
    app._driver._size = Size(width, height)
    app.post_message(events.Resize(Size(width, height), Size(width, height)))


@pytest.fixture
def corpus(four_articles: Path) -> Path:
    return four_articles


# 1. escape in a text box: the keys after it are typed into the box being cancelled.
async def test_source_box_escape_then_label(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await assistant_started(pilot)
        burst(app, "s x escape 1")
        await pilot.pause(0.5)
        assert isinstance(app.screen, AnnotateScreen)
    assert [label for label, _ in events_(annotations)] == ["confirmed"]  # got []


# 2. corpus filter box: keys after its enter/escape are typed into the box.
async def test_filter_enter_open_label_in_one_burst(corpus: Path, annotations: Path) -> None:
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        burst(app, "slash v e n e z u e l a enter enter 1")
        await pilot.pause(1.5)
        assert listing.filter_text == "venezuela"  # got "venezuela1", article not opened
        assert isinstance(app.screen, AnnotateScreen)


async def test_filter_escape_then_sort(corpus: Path, annotations: Path) -> None:
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        await pilot.press("slash")
        burst(app, "v e n escape s")
        await pilot.pause(1.0)
        assert listing.filter_text == "" and listing.sort != "queue"  # the s went into the box


# 3. modals closed by a message (OptionSelected): the key after enter is lost.
async def test_suggestion_list_enter_then_label(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await assistant_started(pilot)
        await pilot.press("s", "down")
        burst(app, "enter 1")
        await pilot.pause(0.5)
    assert events_(annotations)[-1] == ("confirmed", "Ahmed Masood")  # got (None, 'Ahmed Masood')


async def test_review_filter_enter_then_next(disagreements: Path, corpus: Path) -> None:  # noqa: F811
    app = review(disagreements, corpus)
    async with app.run_test(size=REVIEW_SIZE) as pilot:
        await pilot.press("o", "tab", "down", "down")
        burst(app, "enter j")
        await pilot.pause(1.0)
        assert "unit 2/3" in screen_text(app)  # got unit 1/3 (pilot.press gives 2/3)


# 4. article_table passes 0.5 as `after`, not `seconds`: keys wait 1 s, even typed one by one.
async def test_unopenable_row_holds_next_key_half_a_second_at_most(corpus: Path, annotations: Path) -> None:
    (corpus / "broken.txt").write_bytes(b"\x00\x01 binary")
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        await pilot.press("slash", *"broken", "enter")
        start = time.monotonic()
        await pilot.press("enter")  # cannot open
        await pilot.press("s")
        while listing.sort == "queue" and time.monotonic() - start < 3:
            await pilot.pause(0.01)
        assert time.monotonic() - start < 0.6  # got ~1.02 s


# 5. too-small screen vs modals.
async def test_a_modal_answered_as_the_window_shrinks_closes_under_the_cover(
    seed: Path, annotations: Path
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await assistant_started(pilot)
        await pilot.press("s")
        burst(app, "x enter")
        for _ in range(3):
            await asyncio.sleep(0)
        resize(app, 40, 12)  # shrinks between the submit binding and Input.Submitted -> dismiss
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "TooSmallScreen"  # got SourceModal, at 40x12, already saved
        resize(app, 100, 30)
        await pilot.pause(0.5)
        assert isinstance(app.screen, AnnotateScreen)


async def test_keys_after_a_modal_answered_while_covered_go_to_the_article(
    seed: Path, annotations: Path
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await assistant_started(pilot)
        await pilot.press("s")
        burst(app, "x enter")
        resize(app, 40, 12)
        await pilot.pause(0.5)
        resize(app, 100, 30)
        await pilot.pause(0.5)
        burst(app, "enter 1")  # modal is back, box holds "x"
        await pilot.pause(1.5)
    assert events_(annotations)[-1] == ("confirmed", "x")  # got (None, 'x1'): stale closing_after
