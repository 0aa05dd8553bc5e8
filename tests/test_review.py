"""Pilot tests of `annotate review`: adjudicate disagreements into gold, on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.cli import make_review_app
from annotate.errors import AnnotateError
from annotate.tui.screens.review import ReviewScreen
from tests.conftest import read_jsonl
from tests.tui_helpers import screen_text
from tests.votes import label_claims, seed_article

SIZE = (100, 32)


@pytest.fixture
def disagreements(seed: Path, annotations: Path) -> Path:
    """Three annotators: claims 0 and 3 unanimous, 1 a majority, 2 and 4 disagreements, 5 a tie."""
    article = seed_article(seed)
    label_claims(
        annotations,
        "alice",
        article,
        ["confirmed", "disputed", "unattributed", "confirmed", "disputed", "confirmed"],
        [None, "Reuters", None, None, "[bold]Taliban[/"],
    )
    label_claims(
        annotations,
        "bob",
        article,
        ["confirmed", "disputed", "confirmed", "confirmed", "unattributed", "disputed"],
        [None, "reuters", None, None, "an aide"],
    )
    label_claims(
        annotations, "carol", article, ["confirmed", "unattributed", "confirmed", "confirmed", "unattributed"]
    )
    return annotations


def review(annotations: Path, corpus: Path, **kwargs: object) -> object:
    return make_review_app([annotations], "lead", [corpus], **kwargs)  # type: ignore[arg-type]


def screen(app: object) -> ReviewScreen:
    assert isinstance(app.screen, ReviewScreen)  # type: ignore[attr-defined]
    return app.screen  # type: ignore[attr-defined,no-any-return]


async def test_adjudicate_three_disagreements_and_find_gold_on_disk(
    disagreements: Path, corpus: Path
) -> None:
    app = review(disagreements, corpus, only_disagreements=True)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        text = screen_text(app)  # type: ignore[arg-type]
        assert "0/4 adjudicated" in text and "filter: disagreements" in text
        assert "majority" in text and "enter accepts disputed" in text
        await pilot.press("enter")  # claim 1: disputed 2, unattributed 1
        assert "✓ saved gold disputed" in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("3")  # claim 2: the lead overrules the majority
        assert "tie" not in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("x")  # claim 4: not a claim after all
        assert "3/4 adjudicated" in screen_text(app)  # type: ignore[arg-type]
    events = read_jsonl(disagreements / "gold" / "lead.jsonl")
    assert [event["label"] for event in events] == ["disputed", "unattributed", "not_a_claim"]
    assert all(event["adjudicated"] is True and event["annotator"] == "lead" for event in events)
    assert events[0]["votes"] == {"alice": "disputed", "bob": "disputed", "carol": "unattributed"}
    assert events[0]["source"] == "Reuters"  # the majority's source, as first spelled
    assert events[2]["votes"] == {"alice": "disputed", "bob": "unattributed", "carol": "unattributed"}
    article = seed_article(disagreements.parent / "corpus" / "panjshir-2021-09-06.txt")
    for event in events:
        assert article.body[event["start"] : event["end"]] == event["text"]
        assert event["article_sha256"] == article.sha256 and event["schema"] == "credibility/1"


async def test_resume_skips_adjudicated_units_and_gold_is_not_an_annotator(
    disagreements: Path, corpus: Path
) -> None:
    app = review(disagreements, corpus, only_disagreements=True)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        await pilot.press("enter", "enter")
    app = review(disagreements, corpus, only_disagreements=True)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        assert screen(app).adjudication.units.annotators == ["alice", "bob", "carol"]
        assert "unit 3/4" in screen_text(app) and "2/4 adjudicated" in screen_text(app)  # type: ignore[arg-type]
        assert "gold:" not in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("k")
        assert "gold: confirmed" in screen_text(app)  # type: ignore[arg-type]


async def test_a_tie_needs_a_label_key_and_the_source_can_be_edited(
    disagreements: Path, corpus: Path
) -> None:
    app = review(disagreements, corpus)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        review_screen = screen(app)
        review_screen.cursor = 5
        review_screen._update()
        await pilot.pause()
        assert "tie" in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("enter")
        assert "pick a label" in screen_text(app)  # type: ignore[arg-type]
        assert not (disagreements / "gold" / "lead.jsonl").read_bytes()
        await pilot.press("s")
        await pilot.press(*"AFP", "enter")
        await pilot.press("2")
    [event] = read_jsonl(disagreements / "gold" / "lead.jsonl")
    assert (event["label"], event["source"]) == ("disputed", "AFP")
    assert event["votes"] == {"alice": "confirmed", "bob": "disputed"}


async def test_filters_by_label_annotator_and_header_figures(disagreements: Path, corpus: Path) -> None:
    app = review(disagreements, corpus)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        assert "6 units with 2+ votes" in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("m")
        assert "filter: disagreements" in screen_text(app) and "4 units with 2+ votes" in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("o")
        await pilot.press("tab", "down", "down")  # label list: any, confirmed, disputed
        await pilot.press("enter")
        text = screen_text(app)  # type: ignore[arg-type]
        assert "label disputed" in text and "disagreements" in text
        assert len(screen(app).keys) == 3
        await pilot.press("o", "tab", "tab", "down", "down", "down", "enter")  # annotator carol
        assert "annotator carol" in screen_text(app)  # type: ignore[arg-type]
        assert len(screen(app).keys) == 2


async def test_untrusted_source_text_is_shown_literally(disagreements: Path, corpus: Path) -> None:
    app = review(disagreements, corpus)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        screen(app).cursor = 4
        screen(app)._update()
        # Until the frame is drawn: a single pause was not always enough on a loaded machine.
        for _ in range(50):
            await pilot.pause()
            if "[bold]Taliban[/" in screen_text(app):  # type: ignore[arg-type]
                break
        assert "[bold]Taliban[/" in screen_text(app)  # type: ignore[arg-type]


def test_review_refuses_files_of_another_schema(tmp_path: Path, corpus: Path) -> None:
    from tests.test_units import raw_event, write

    folder = tmp_path / "ann"
    write(folder, "a", [raw_event("a", 0, 10, schema="fever/1")])
    with pytest.raises(AnnotateError, match="pass the matching --schema"):
        make_review_app([folder], "lead", [corpus])


def test_a_second_review_by_the_same_adjudicator_is_refused(disagreements: Path, corpus: Path) -> None:
    first = review(disagreements, corpus)
    try:
        with pytest.raises(AnnotateError, match="another annotate session"):
            review(disagreements, corpus)
    finally:
        first.event_log.close()  # type: ignore[attr-defined]


async def test_every_key_is_on_the_key_bar_and_q_quits(disagreements: Path, corpus: Path) -> None:
    app = review(disagreements, corpus)
    async with app.run_test(size=(100, 30)) as pilot:  # type: ignore[attr-defined]
        bar = screen_text(app)  # type: ignore[arg-type]
        for key in ("tab Undecided", "m Disagreements", "o Filter", "? Help", "q Quit"):
            assert key in bar, key
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running  # type: ignore[attr-defined]


async def test_untrusted_article_text_is_literal_in_the_claim_context(
    tmp_path: Path, annotations: Path
) -> None:
    from annotate.corpus import load_article
    from annotate.tui.widgets.claim_context import ClaimContext
    from tests.tui_helpers import shown

    folder = tmp_path / "corpus"
    folder.mkdir()
    path = folder / "hostile.md"
    path.write_text(
        "---\ntitle: hostile\n---\nThe ministry said [bold]x[/bold] and [@click=app.quit]y[/] \x1b[31mred\x1b[0m.\n",
        encoding="utf-8",
    )
    article = load_article(path, folder)
    label_claims(annotations, "alice", article, ["confirmed"])
    label_claims(annotations, "bob", article, ["disputed"])
    app = review(annotations, folder)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        text = shown(app.screen.query_one(ClaimContext))  # type: ignore[attr-defined]
        assert "[bold]x[/bold]" in text and "[@click=app.quit]y[/]" in text
        assert "\x1b" not in text and "␛[31mred␛[0m" in text
        await pilot.click(ClaimContext, offset=(20, 0))
        assert app.is_running  # type: ignore[attr-defined]


async def test_a_failed_gold_write_says_not_saved_and_keeps_the_unit_undecided(
    disagreements: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from annotate.store import read_events

    real = os.write

    def disk_full(fd: int, data: object) -> int:
        real(fd, bytes(data)[:9])  # type: ignore[call-overload]  # part of the line reaches the file first
        raise OSError(errno.ENOSPC, "No space left on device")

    app = review(disagreements, corpus, only_disagreements=True)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        monkeypatch.setattr(os, "write", disk_full)
        await pilot.press("enter")
        text = screen_text(app)  # type: ignore[arg-type]
        assert "NOT SAVED" in text and "No space left" in text and "✓ saved" not in text
        assert "0/4 adjudicated" in text and "unit 1/4" in text  # still on it, still undecided
        monkeypatch.setattr(os, "write", real)
        await pilot.press("enter")
        assert "✓ saved gold disputed" in screen_text(app)  # type: ignore[arg-type]
        assert "1/4 adjudicated" in screen_text(app)  # type: ignore[arg-type]
    result = read_events(disagreements / "gold" / "lead.jsonl")
    assert not result.errors and [event["label"] for event in result.events] == ["disputed"]


@pytest.mark.parametrize("size", [(56, 16), (20, 6), (5, 2)])
async def test_shrinking_under_the_filter_box_never_crashes(
    disagreements: Path, corpus: Path, size: tuple[int, int]
) -> None:
    from annotate.tui.screens.review_filter import FilterModal

    app = review(disagreements, corpus)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        await pilot.press("o")
        await pilot.resize_terminal(*size)
        await pilot.pause(0.2)
        assert app.is_running  # type: ignore[attr-defined]
        await pilot.resize_terminal(*SIZE)
        await pilot.pause(0.2)
        assert isinstance(app.screen, FilterModal)  # type: ignore[attr-defined]


async def test_a_burst_with_enter_after_the_source_key_decides_nothing(
    disagreements: Path, corpus: Path
) -> None:
    # enter (accept the majority) once ran before the `s` typed ahead of it, saving a
    # decision nobody asked for and opening the source box on the next unit.
    from textual import events

    app = review(disagreements, corpus)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        await pilot.press("j")
        keys = [("s", "s"), *((c, c) for c in "Gashikanyi"), ("enter", "\r")]
        for key, character in keys:
            app.post_message(events.Key(key, character))  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        text = screen_text(app)  # type: ignore[arg-type]
        assert "unit 2/" in text and " 0/" in text and "Gashikanyi" in text
        assert "saved gold" not in text
    gold = disagreements / "gold" / "lead.jsonl"
    assert not gold.exists() or read_jsonl(gold) == []
