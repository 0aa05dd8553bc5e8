"""The running app under stress: small terminals, hostile article text, failing writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotate.store import read_events
from annotate.text import printable
from annotate.tui.screens.annotate import AnnotateScreen
from annotate.tui.widgets.article_view import ArticleView
from tests.conftest import read_jsonl
from tests.test_hostile import HOSTILE_PIECES
from tests.tui_helpers import build, screen_text, shown


async def test_80x24_works_fully(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(80, 24)) as pilot:
        text = screen_text(app)
        assert "Enlarge" not in text and "0/15 labelled" in text and "Claim 1/15" in text
        await pilot.press("1", "s", *"AP", "enter", "n", *"ok", "enter", "m", "M", "right", "enter", "u", "x")
        text = screen_text(app)
        assert "saved" in text and "Claim" in text
        await pilot.press("question_mark")
        assert "Label guidelines" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)
    events = read_jsonl(annotations / "alice.jsonl")
    assert [e["label"] for e in events][:1] == ["confirmed"]
    assert any(e["source"] == "AP" for e in events) and any(e["note"] == "ok" for e in events)
    assert any(e.get("segment") == "added" for e in events) and events[-1]["label"] == "not_a_claim"


async def test_tiny_terminal_shows_only_the_enlarge_message_and_keys_do_nothing(
    seed: Path, annotations: Path
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Enlarge the window" in text and "40×12" in text
        assert "0/15 labelled" not in text and "Claim" not in text
        # No key may label, move or save a claim the annotator cannot see.
        await pilot.press("1", "j", "2", "s", *"AP", "enter", "n", *"no", "enter", "x", "u")
        assert "Enlarge the window" in screen_text(app)
        assert not (annotations / "alice.jsonl").exists() or read_jsonl(annotations / "alice.jsonl") == []
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        text = screen_text(app)
        assert "Enlarge the window" not in text and "Claim 1/15" in text
        await pilot.press("1")
    assert [event["label"] for event in read_jsonl(annotations / "alice.jsonl")] == ["confirmed"]


async def test_shrinking_with_a_modal_open_saves_nothing_until_enlarged(
    seed: Path, annotations: Path
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", *"first")
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.press(*"unseen", "enter")
        assert "Enlarge the window" in screen_text(app)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert "Note on: Ahmed Masood" in screen_text(app)
        await pilot.press(*" seen", "enter")
        assert "saved note" in screen_text(app)
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["note"] == "first seen"


async def test_hostile_strings_as_article_text_render_literally(tmp_path: Path, annotations: Path) -> None:
    # Every hostile piece (NUL aside: such a file is refused as binary) as its own paragraph.
    pieces = [piece for piece in HOSTILE_PIECES if "\x00" not in piece and piece.strip() not in ("", "---")]
    article = tmp_path / "hostile.md"
    article.write_text(
        "---\ntitle: hostile\n---\n" + "\n\n".join(f"P{i} {p}" for i, p in enumerate(pieces)) + "\n"
    )
    app = build([article], annotations)
    async with app.run_test(size=(200, 60)) as pilot:
        view = app.screen.query_one(ArticleView)
        body = app.screen.session.article.body
        text = shown(view)
        assert "\x1b" not in text and "\x07" not in text
        # Bidirectional overrides would reorder what a terminal shows; emoji joiners stay.
        assert "\u202e" not in text and "evil" in text and "\u200d" in text
        for paragraph in body.split("\n\n"):
            for line in printable(paragraph).split("\n"):
                # Wide and combining characters take other widths on screen, never other text.
                assert (
                    line.strip()[:12].replace("\u200b", "") in text.replace("\u200b", "") or not line.strip()
                )
        claims = len(app.screen.session.claims)
        for _ in range(claims):
            await pilot.press("3")
        assert app.is_running
    assert len(read_jsonl(annotations / "alice.jsonl")) == claims


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ("write", OSError(28, "No space left on device")),
        ("write", OSError(30, "Read-only file system")),
        ("write", OSError(13, "Permission denied")),
        ("fsync", OSError(5, "Input/output error")),
    ],
    ids=["disk-full", "read-only", "permission", "fsync-eio"],
)
async def test_a_failed_write_says_not_saved_keeps_working_and_keeps_the_log_valid(
    seed: Path, annotations: Path, monkeypatch: pytest.MonkeyPatch, call: str, error: OSError
) -> None:
    app = build([seed], annotations)
    real = getattr(os, call)

    def failing(fd: int, *args: object) -> object:
        if call == "write":
            real(fd, bytes(args[0])[:9])  # part of the line reaches the file first
        raise error

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")
        monkeypatch.setattr(os, call, failing)
        await pilot.press("2")
        text = screen_text(app)
        assert "NOT SAVED" in text and error.strerror in text
        assert "1/15 labelled" in text and "✓ saved" not in text
        assert app.screen.cursor == 1  # still on the claim that failed
        await pilot.press("j", "k")  # navigation keeps working
        monkeypatch.setattr(os, call, real)
        await pilot.press("2", "3")
        assert "3/15 labelled" in screen_text(app)
    result = read_events(annotations / "alice.jsonl")
    # The failed append was cut off again: not even a torn fragment is left, and
    # after a failed fsync the line that was not shown as saved is not on disk either.
    assert not result.errors and not result.problems
    assert [event["label"] for event in result.events] == ["confirmed", "disputed", "unattributed"]


@pytest.mark.parametrize("key", ["s", "n", "M", "question_mark"])
@pytest.mark.parametrize("size", [(56, 16), (20, 6), (5, 2)])
async def test_shrinking_under_any_modal_never_crashes(
    seed: Path, annotations: Path, key: str, size: tuple[int, int]
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(key)
        modal = type(app.screen)
        await pilot.resize_terminal(*size)
        await pilot.pause(0.2)
        assert app.is_running and "Enlargethewindow" in "".join(screen_text(app).split())
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.2)
        assert app.is_running and type(app.screen) is modal
