"""Pilot tests: the attribution hint, the accept key, the suggested field, the pre-filled source modal."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList

from annotate.tui.screens.source import SourceModal
from annotate.tui.widgets.article_view import ArticleView
from tests.conftest import read_jsonl
from tests.tui_helpers import build, screen_text, shown

SIZE = (100, 32)
SEED_FIRST = {"label": "confirmed", "source": "Ahmed Masood"}


async def test_hint_is_shown_and_nothing_is_saved_on_its_own(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert (
            "Suggests confirmed (attributed, nothing contests it) · source: Ahmed Masood  a accepts" in text
        )
        assert "a Accept" in text  # in the footer
        await pilot.press("j", "j", "j", "j", "j")
        assert "Suggests disputed (hedge “uncertainty”)" in screen_text(app)
        await pilot.press("k", "J", "K")
        assert "0/15 labelled" in screen_text(app)
    assert not (annotations / "alice.jsonl").exists() or read_jsonl(annotations / "alice.jsonl") == []


async def test_accept_writes_label_source_and_what_was_suggested(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        text = screen_text(app)
        assert "✓ saved confirmed (suggested)" in text and "1/15 labelled" in text
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["label"] == "confirmed" and event["source"] == "Ahmed Masood"
    assert event["suggested"] == {**SEED_FIRST, "accepted": True}
    assert event["start"] == 0


async def test_other_label_key_records_the_ignored_suggestion(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        assert "✓ saved disputed" in screen_text(app)
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["label"] == "disputed"
    assert event["source"] is None  # the suggested source is not filled in behind the annotator's back
    assert event["suggested"] == SEED_FIRST  # no "accepted": the key was not used


async def test_source_modal_is_prefilled_with_the_suggestion(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "s")  # claim 2: “...,” he told ... -> resolved to Ahmed Masood
        assert isinstance(app.screen, SourceModal)
        assert app.screen.query_one(Input).value == "Ahmed Masood"
        options = app.screen.query_one(OptionList)
        assert options.option_count > 3  # the pre-filled text does not filter the list
        assert str(options.get_option_at_index(0).prompt).startswith("Ahmed Masood")
        assert "enter: accept the suggestion" in screen_text(app)
        await pilot.press("enter")
        await pilot.press("j", "s", *"Reuters", "enter")  # typing replaces the pre-filled suggestion
    first, second = read_jsonl(annotations / "alice.jsonl")
    assert first["source"] == "Ahmed Masood" and first["label"] is None
    assert first["suggested"] == SEED_FIRST
    assert second["source"] == "Reuters"


async def test_accept_keeps_a_source_the_annotator_typed(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", *"Reuters", "enter", "a")
    events = read_jsonl(annotations / "alice.jsonl")
    assert events[-1]["label"] == "confirmed" and events[-1]["source"] == "Reuters"
    assert events[-1]["suggested"]["accepted"] is True


async def test_no_label_to_accept(tmp_path: Path, annotations: Path) -> None:
    article = tmp_path / "pronoun.md"
    article.write_text("---\ntitle: T\n---\nHe said the bridge was safe.\n", encoding="utf-8")
    app = build([article], annotations)
    async with app.run_test(size=SIZE) as pilot:
        assert "No suggestion (cues but no source found)" in screen_text(app)
        await pilot.press("a")
        assert "No suggested label for this claim" in screen_text(app)
    assert not (annotations / "alice.jsonl").exists() or read_jsonl(annotations / "alice.jsonl") == []


async def test_untrusted_source_text_stays_literal(tmp_path: Path, annotations: Path) -> None:
    article = tmp_path / "hostile.md"
    article.write_text(
        '---\ntitle: T\n---\nOfficials of [bold]Acme[/bold] said "[@click=app.quit]stop[/] now".\n',
        encoding="utf-8",
    )
    app = build([article], annotations)
    async with app.run_test(size=SIZE) as pilot:
        assert '"[@click=app.quit]stop[/] now"' in shown(app.screen.query_one(ArticleView))
        assert "source: Officials of [bold]Acme[/bold]" in screen_text(app)
        await pilot.press("s")
        assert app.screen.query_one(Input).value == "Officials of [bold]Acme[/bold]"
        await pilot.press("escape", "a")
        assert app.is_running
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["source"] == "Officials of [bold]Acme[/bold]"
    assert event["suggested"]["source"] == "Officials of [bold]Acme[/bold]"
