"""Pilot tests of the corpus screen: list, filter, sort, open, label, come back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotate.assignments import Assignments, write_assignments
from annotate.corpus import load_article
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.session import ArticleSession
from annotate.store import EventLog, log_path
from annotate.tui.app import AnnotateApp
from annotate.tui.screens.annotate import AnnotateScreen
from annotate.tui.screens.corpus import CorpusScreen
from tests.conftest import SEED_ID, read_jsonl
from tests.tui_helpers import build, screen_text


@pytest.fixture
def corpus(four_articles: Path) -> Path:
    """These tests' figures were worked out on the four original sample articles."""
    return four_articles


SIZE = (110, 30)
VOA = "voa-2006-12-13-chad-army-rebels-claim-victory"
MOSUL = "wikinews-2004-11-19-beheaded-bodies-found-mosul"
VENEZUELA = "wikinews-2005-04-04-venezuela-buys-weapons-from-spain"


def corpus_screen(app: AnnotateApp) -> CorpusScreen:
    assert isinstance(app.screen, CorpusScreen), app.screen
    return app.screen


def assign_to_alice(corpus: Path) -> None:
    write_assignments(
        corpus / "assignments.yaml",
        Assignments(
            2,
            0,
            ("alice", "bob", "carol"),
            {
                SEED_ID: ("bob", "carol"),
                VOA: ("alice", "bob"),
                MOSUL: ("bob", "carol"),
                VENEZUELA: ("alice", "carol"),
            },
            leads=("carol",),
        ),
    )


def label_everything(
    corpus: Path, annotations: Path, annotator: str, article_id: str, count: int | None = None
) -> None:
    article = load_article(
        corpus / f"{article_id}.md" if article_id != SEED_ID else corpus / f"{article_id}.txt", corpus
    )
    with EventLog(log_path(annotations, annotator)) as log:
        session = ArticleSession(
            article, load_schema(DEFAULT_SCHEMA), annotator, log.read().events, log.append
        )
        for index in range(len(session.claims) if count is None else count):
            session.set_label(index, "confirmed")


async def settle(app: AnnotateApp, pilot: Any) -> None:
    """Wait until the worker has counted every article and its messages are handled."""
    for _ in range(500):
        await app.workers.wait_for_complete()
        await pilot.pause()
        listing = app.screen
        if isinstance(listing, CorpusScreen) and not listing.counting and listing.rows:
            return
    raise AssertionError("the corpus screen never finished counting")


async def test_filter_open_label_come_back_progress_updated(corpus: Path, annotations: Path) -> None:
    assign_to_alice(corpus)
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        text = screen_text(app)
        assert "your queue: 2 articles, 0 done" in text
        assert "Venezuela buys more weapons" in text and "0/8" in text and "0/15" in text
        # The queue comes first, and the cursor is on its first unfinished article.
        assert listing.shown[:2] == [VOA, VENEZUELA]
        assert listing.highlighted_id == VOA
        await pilot.press("slash", *"venez")
        assert listing.shown == [VENEZUELA]
        assert "1 of 4 shown" in screen_text(app) and "Chad" not in screen_text(app)
        await pilot.press("enter", "enter")  # leave the filter box, open the article
        assert isinstance(app.screen, AnnotateScreen)
        assert app.screen.session.article.article_id == VENEZUELA
        await pilot.press("1", "2")
        assert "2/8 labelled" in screen_text(app)
        await pilot.press("escape")
        listing = corpus_screen(app)
        assert listing.highlighted_id == VENEZUELA
        assert "2/8" in screen_text(app)
        await pilot.press("escape")  # clears the filter
        assert len(listing.shown) == 4 and "Chad" in screen_text(app)
    events = read_jsonl(annotations / "alice.jsonl")
    assert [(e["article_id"], e["label"]) for e in events] == [
        (VENEZUELA, "confirmed"),
        (VENEZUELA, "disputed"),
    ]


async def test_cursor_starts_on_first_unfinished_queue_article(corpus: Path, annotations: Path) -> None:
    assign_to_alice(corpus)
    label_everything(corpus, annotations, "alice", VOA)
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        assert listing.highlighted_id == VENEZUELA
        assert "your queue: 2 articles, 1 done" in screen_text(app)
        assert "✓ 14" in screen_text(app)
        await pilot.press("enter")
        assert isinstance(app.screen, AnnotateScreen)
        assert app.screen.session.article.article_id == VENEZUELA
        # Finishing it leaves nothing unfinished in alice's queue.
        await pilot.press(*["3"] * 8)
        assert "Every article here is labelled" in screen_text(app)
        await pilot.press("escape")
        assert "your queue: 2 articles, 2 done" in screen_text(app)


async def test_sort_cycles_and_reverses(corpus: Path, annotations: Path) -> None:
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        assert "no assignments.yaml" in screen_text(app)
        await pilot.press("s")
        assert "sort: title" in screen_text(app)
        titles = [listing.rows[article_id].entry.title for article_id in listing.shown]
        assert titles == sorted(titles, key=str.casefold)
        await pilot.press("s", "s")
        assert "sort: date" in screen_text(app)
        assert listing.shown[0] == MOSUL
        await pilot.press("S")
        assert listing.shown[0] == SEED_ID
        await pilot.press("s", "s")  # progress: alice has labelled nothing, order by corpus
        assert "sort: progress" in screen_text(app)


async def test_lead_sees_every_annotators_progress(corpus: Path, annotations: Path) -> None:
    assign_to_alice(corpus)
    label_everything(corpus, annotations, "alice", VOA)
    label_everything(corpus, annotations, "bob", SEED_ID, count=3)
    app = build([corpus], annotations, annotator="carol")
    assert app.lead  # carol is a lead in assignments.yaml
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "team: alice 1/2 done, 0 started · bob 0/3 done, 1 started · carol 0/3 done, 0 started" in text
        assert "bob 3/15" in text
        await pilot.press("enter")  # carol's first unfinished: the seed
        await pilot.press("1")
        await pilot.press("escape")
        assert "carol 0/3 done, 1 started" in screen_text(app)
    # bob's file was only read: still three events.
    assert len(read_jsonl(annotations / "bob.jsonl")) == 3


async def test_article_file_opens_directly_without_back(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, AnnotateScreen)
        assert "esc Back" not in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)


async def test_unreadable_article_is_flagged_not_fatal(corpus: Path, annotations: Path) -> None:
    (corpus / "broken.txt").write_bytes(b"\x00\x01 binary")
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        await pilot.press("slash", *"broken", "enter", "enter")
        assert isinstance(app.screen, CorpusScreen)
        assert "binary" in screen_text(app)
        assert listing.rows["broken"].problem


async def test_large_corpus_is_counted_in_worker_processes(
    corpus: Path, annotations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import annotate.catalog
    import annotate.tui.screens.corpus

    monkeypatch.setattr(annotate.catalog, "PROCESS_THRESHOLD", 1)
    monkeypatch.setattr(annotate.tui.screens.corpus, "PROCESS_THRESHOLD", 1)
    label_everything(corpus, annotations, "alice", VOA)
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        assert listing.rows[SEED_ID].claims == 15
        assert (listing.rows[VOA].done, listing.rows[VOA].total) == (14, 14)
        assert "✓ 14" in screen_text(app)


def test_corpus_screen_snapshot_100x24(snap_compare: Any, corpus: Path, annotations: Path) -> None:
    assign_to_alice(corpus)
    label_everything(corpus, annotations, "alice", VOA)

    async def counted(pilot: Any) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(build([corpus], annotations), run_before=counted, terminal_size=(100, 24))


async def test_q_quits_from_the_list_and_from_an_article(corpus: Path, annotations: Path, seed: Path) -> None:
    # A screen's binding runs its action on the screen, and Screen has no quit action.
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
    assert app.return_code == 0
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_code == 0


async def test_cursor_skips_an_article_that_cannot_be_opened(tmp_path: Path, annotations: Path) -> None:
    # Sorted by file name, the front-matter-only article comes first; it cannot be
    # opened (no text), which only counting finds out: the cursor must not stay on it.
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a-empty.md").write_text("---\ntitle: Empty\n---\n", encoding="utf-8")
    (folder / "b-fine.md").write_text("---\ntitle: Fine\n---\nThe ministry said the road was open.\n")
    app = build([folder], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)
        assert listing.rows["a-empty"].problem
        assert listing.highlighted_id == "b-fine"
        await pilot.press("enter")
        assert isinstance(app.screen, AnnotateScreen)


async def test_a_fixed_article_loses_its_warning_on_refresh(tmp_path: Path, annotations: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: [unclosed\n---\nThe ministry said so.\n", encoding="utf-8")
    app = build([folder], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert corpus_screen(app).rows["a"].problem and "⚠" in screen_text(app)
        (folder / "a.md").write_text(
            "---\ntitle: Fixed title\n---\nThe ministry said so.\n", encoding="utf-8"
        )
        await pilot.press("r")
        await settle(app, pilot)
        text = screen_text(app)
        assert "⚠" not in text and "Fixed title" in text
        assert corpus_screen(app).rows["a"].problem is None


async def test_an_article_with_stale_events_says_so_in_the_list(tmp_path: Path, annotations: Path) -> None:
    # Labelled, then its text edited: the labels no longer count, and the list must
    # say why rather than show an article that looks untouched.
    folder = tmp_path / "corpus"
    folder.mkdir()
    path = folder / "a.md"
    path.write_text("---\ntitle: A\n---\nThe ministry said the road was open.\n", encoding="utf-8")
    label_everything(folder, annotations, "alice", "a")
    path.write_text("---\ntitle: A\n---\nThe ministry said the road was closed.\n", encoding="utf-8")
    app = build([folder], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = " ".join(screen_text(app).split())
        assert "0/1" in text and "1 of your events are for an earlier version of this article's text" in text


async def test_help_or_a_small_window_leaves_the_cursor_where_it_was(corpus: Path, annotations: Path) -> None:
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "escape")  # open an article and come back
        listing = corpus_screen(app)
        opened = listing.highlighted_id
        await pilot.press("down", "down")
        moved = listing.highlighted_id
        assert moved != opened
        await pilot.press("question_mark", "escape")
        assert listing.highlighted_id == moved
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert listing.highlighted_id == moved
        await pilot.press("enter")
        assert app.screen.session.article.article_id == moved  # type: ignore[attr-defined]


async def test_keys_typed_in_one_burst_on_the_list_go_where_the_first_sends_them(
    corpus: Path, annotations: Path
) -> None:
    # `/venezuela enter` filters (it sorted the list and opened the wrong article),
    # then `enter 1 2` opens the article and labels two claims (the labels were lost).
    from textual import events

    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = corpus_screen(app)

        async def burst(keys: list[str]) -> None:
            for key in keys:
                app.post_message(events.Key(key, {"slash": "/", "enter": "\r"}.get(key, key)))
            await pilot.pause(0.5)

        await burst(["slash", *"venezuela", "enter"])
        assert listing.filter_text == "venezuela" and listing.sort == "queue"
        assert listing.highlighted_id == VENEZUELA
        await burst(["enter", "1", "2"])
        assert isinstance(app.screen, AnnotateScreen)
    events_ = read_jsonl(annotations / "alice.jsonl")
    assert [e["label"] for e in events_] == ["confirmed", "disputed"]
    assert {e["article_id"] for e in events_} == {VENEZUELA}
