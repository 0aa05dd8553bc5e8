"""Pilot tests: drive the real app with keys and check what lands on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotate.tui.screens.annotate import AnnotateScreen
from annotate.tui.widgets.article_view import ArticleView
from tests.conftest import SEED_ID, read_jsonl
from tests.tui_helpers import assistant_started, build, screen_text, shown

SIZE = (100, 32)


def screen(app: object) -> AnnotateScreen:
    assert isinstance(app.screen, AnnotateScreen)  # type: ignore[attr-defined]
    return app.screen  # type: ignore[attr-defined,no-any-return]


async def test_label_three_claims_with_keys(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        assert "0/15 labelled" in screen_text(app)
        await pilot.press("1", "2", "3")
        assert "3/15 labelled" in screen_text(app)
        assert "✓ saved unattributed" in screen_text(app)
    events = read_jsonl(annotations / "alice.jsonl")
    assert [e["label"] for e in events] == ["confirmed", "disputed", "unattributed"]
    assert [e["start"] for e in events] == sorted(e["start"] for e in events)
    assert {e["article_id"] for e in events} == {SEED_ID}
    assert all(e["annotator"] == "alice" and e["op"] == "label" for e in events)


async def test_the_header_count_is_whole_when_it_gains_a_digit(seed: Path, annotations: Path) -> None:
    # The count is redrawn in place while its width stays, and laid out again
    # when it grows: "10/15" must not be cut to the width "9/15" had.
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"1" * 9)
        assert "9/15 labelled" in shown(app.screen.query_one("#progress"))
        await pilot.press("1")
        assert shown(app.screen.query_one("#progress")).strip() == "10/15 labelled"
        await pilot.press("2")
        assert shown(app.screen.query_one("#progress")).strip() == "11/15 labelled"
        await pilot.press("u", "u")
        assert shown(app.screen.query_one("#progress")).strip() == "9/15 labelled"
    assert len(read_jsonl(annotations / "alice.jsonl")) == 13


async def test_navigation_and_not_a_claim(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "down", "k")
        assert screen(app).cursor == 2
        await pilot.press("J")
        assert screen(app).session.claims[screen(app).cursor].paragraph == 3
        await pilot.press("K", "K")
        assert screen(app).session.claims[screen(app).cursor].paragraph == 1
        await pilot.press("x")
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["label"] == "not_a_claim" and event["paragraph"] == 1


async def test_undo_repeatedly_with_u_and_ctrl_z(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "u")
        assert "1/15 labelled" in screen_text(app)
        assert screen(app).cursor == 1
        await pilot.press("ctrl+z")
        assert "0/15 labelled" in screen_text(app)
        await pilot.press("u")
        assert "Nothing to undo" in screen_text(app)
    events = read_jsonl(annotations / "alice.jsonl")
    assert [(e["op"], e["label"]) for e in events] == [
        ("label", "confirmed"),
        ("label", "disputed"),
        ("clear", None),
        ("clear", None),
    ]
    assert events[2]["undoes"] == events[1]["id"] and events[3]["undoes"] == events[0]["id"]


async def test_merge_and_split_become_events(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("J", "J", "J", "J")  # paragraph 5 has three sentences
        start = screen(app).session.claims[screen(app).cursor]
        await pilot.press("m")
        merged = screen(app).session.claims[screen(app).cursor]
        assert merged.start == start.start and merged.end > start.end
        assert "Claim 12/14" not in screen_text(app)
        await pilot.press("M", "right", "enter")
    events = read_jsonl(annotations / "alice.jsonl")
    assert [(e["op"], e.get("segment")) for e in events] == [
        ("clear", "removed"),
        ("clear", "removed"),
        ("clear", "added"),
        ("clear", "removed"),
        ("clear", "added"),
        ("clear", "added"),
    ]
    left, right = events[4], events[5]
    assert left["start"] == start.start and right["end"] == merged.end
    assert left["end"] < right["start"]
    body_gap = right["start"] - left["end"]
    assert body_gap == 1  # one space between the two halves, trimmed from both


async def test_source_modal_typed_and_suggested(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.press(*"Reuters", "enter")
        assert "source: Reuters" in screen_text(app)
        await pilot.press("1")  # label it; moves on
        await pilot.press("s", "down", "enter")  # pick the first suggestion
        await pilot.press("s", "escape")  # cancel changes nothing
    events = read_jsonl(annotations / "alice.jsonl")
    assert events[0]["source"] == "Reuters" and events[0]["label"] is None
    assert events[1]["source"] == "Reuters" and events[1]["label"] == "confirmed"
    assert len(events) == 3
    assert events[2]["start"] == events[1]["end"] + 2 or events[2]["paragraph"] == 1
    assert events[2]["source"]  # a suggestion from the article


async def test_note_modal(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"check wire copy", "enter")
        assert "note: check wire copy" in screen_text(app)
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["note"] == "check wire copy"


async def test_restart_resumes_where_work_stopped(seed: Path, annotations: Path) -> None:
    # Claim 3 skipped on purpose: work resumes after the last claim labelled, not at the gap.
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "1", "j", "1", "q")
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        assert screen(app).cursor == 4 and "Claim 5/15" in screen_text(app)
        assert "3/15 labelled" in screen_text(app)
        await pilot.press("k", "k", "2", "q")  # back to the skipped claim, which is labelled now
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        assert screen(app).cursor == 4
        await pilot.press("u", "q")  # undo: the last change is on claim 3 again
    app = build([seed], annotations)
    async with app.run_test(size=SIZE):
        assert screen(app).cursor == 2


async def test_done_article_offers_the_next_one(corpus: Path, annotations: Path) -> None:
    app = build([corpus], annotations)
    async with app.run_test(size=SIZE) as pilot:
        # A folder starts on the corpus list with the cursor on the first
        # unfinished article: one enter starts work.
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        first = screen(app).session.article.article_id
        total = len(screen(app).session.claims)
        await pilot.press(*["3"] * total)
        text = screen_text(app)
        assert "Article done." in text and "Press o for the next article" in text
        await pilot.press("o")
        assert screen(app).session.article.article_id != first
        assert "0/" in screen_text(app)


async def test_help_shows_keys_and_guidelines(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("question_mark")
        text = screen_text(app)
        assert "Label guidelines" in text and "another party in the article contests" in text.lower()
        assert "Undo the last change" in text and "esc, q or ? closes this help" in text
        # Each guideline once (the key list names the label), and none of Textual's own keys.
        assert text.lower().count("another party in the article contests") == 1
        assert "Focus Previous" not in text and "Copy" not in text
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)


async def test_keys_are_configurable(seed: Path, annotations: Path, tmp_path: Path) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("claim.next: l\nlabel.confirmed: c\n", encoding="utf-8")
    app = build([seed], annotations, keymap_path=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        assert screen(app).cursor == 1
        await pilot.press("c")
        assert "l Next" in screen_text(app).replace("  ", " ")
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["label"] == "confirmed" and event["paragraph"] == 1


async def test_failed_write_is_shown_not_saved(
    seed: Path, annotations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        real_write = os.write

        def full(fd: int, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "write", full)
        await pilot.press("1")
        text = screen_text(app)
        assert "NOT SAVED" in text and "0/15 labelled" in text
        assert screen(app).cursor == 0
        monkeypatch.setattr(os, "write", real_write)
        await pilot.press("1")
        assert "1/15 labelled" in screen_text(app)
    assert [e["label"] for e in read_jsonl(annotations / "alice.jsonl")] == ["confirmed"]


HOSTILE = "Plain [/ start. [bold]x[/bold] and [@click=app.quit]y[/] here. Esc \x1b[31mred\x1b[0m done.\n\nSecond [link=x]z[/link]."


async def test_untrusted_text_is_shown_literally(tmp_path: Path, annotations: Path) -> None:
    article = tmp_path / "hostile.md"
    article.write_text(f"---\ntitle: '[b]T[/b] [@click=app.quit]q[/]'\n---\n{HOSTILE}\n", encoding="utf-8")
    app = build([article], annotations)
    async with app.run_test(size=SIZE) as pilot:
        text = shown(app.screen.query_one(ArticleView))
        assert "[/ start." in text and "[bold]x[/bold]" in text and "[@click=app.quit]y[/]" in text
        assert "\x1b" not in text and "␛[31mred␛[0m" in text
        assert "[b]T[/b] [@click=app.quit]q[/]" in screen_text(app)
        await pilot.click(ArticleView, offset=(30, 0))
        await pilot.click("#header", offset=(10, 0))
        await pilot.press("1")
        assert app.is_running
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert "[@click=app.quit]y[/]" in event["text"]


async def test_tiny_terminal_asks_to_enlarge(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert "Enlarge the window" in screen_text(app)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert "Enlarge the window" not in screen_text(app)
        assert "0/15 labelled" in screen_text(app)


async def test_keys_typed_in_one_burst_with_the_modal_key_go_into_the_modal(
    seed: Path, annotations: Path
) -> None:
    # A terminal delivers type-ahead as one burst: every key arrives before the
    # modal opened by the first has mounted. None may be lost, and `enter` must
    # save what was typed, not the pre-filled suggestion or an empty note.
    from textual import events

    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await assistant_started(pilot)

        async def burst(keys: list[tuple[str, str]]) -> None:
            for key, character in keys:
                app.post_message(events.Key(key, character))
            await pilot.pause(0.3)

        await burst([("s", "s"), *((c if c != " " else "space", c) for c in "xReuters 2"), ("enter", "\r")])
        await burst([("n", "n"), *((c, c) for c in "check"), ("backspace", "\x7f"), ("enter", "\r")])
        text = screen_text(app)
    assert "source: xReuters 2" in text and "note: chec" in text
    sources = [e["source"] for e in read_jsonl(annotations / "alice.jsonl")]
    notes = [e["note"] for e in read_jsonl(annotations / "alice.jsonl")]
    assert sources == ["xReuters 2", "xReuters 2"] and notes == [None, "chec"]


async def test_the_current_claim_is_on_screen_deep_in_a_long_paragraph(
    tmp_path: Path, annotations: Path
) -> None:
    # 40 sentences in one paragraph are far taller than the screen: moving claim by
    # claim must keep the claim about to be labelled in view.
    sentences = " ".join(
        f"S{n} officials in the northern district said the road was closed again." for n in range(40)
    )
    article = tmp_path / "long.md"
    article.write_text(f"---\ntitle: long paragraph\n---\nA short first paragraph.\n\n{sentences}\n")
    app = build([article], annotations)
    async with app.run_test(size=(80, 24)) as pilot:
        session = screen(app).session
        seen = 0
        for _ in range(len(session.claims) - 1):
            await pilot.press("j")
            claim = session.claims[screen(app).cursor]
            marker = session.article.body[claim.start : claim.end].split()[0]
            assert marker in shown(app.screen.query_one(ArticleView)), marker
            seen += marker.startswith("S")
        assert seen == 40
        await pilot.press("1")
    [event] = read_jsonl(annotations / "alice.jsonl")
    assert event["text"].startswith("S39 ")


async def test_untrusted_text_is_literal_in_the_panel_the_modals_and_the_corpus_list(
    tmp_path: Path, annotations: Path
) -> None:
    # Every place article text, a title, a source or a note is drawn, not only the article view.
    markup = "[bold]x[/bold] [@click=app.quit]y[/]"
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "hostile.md").write_text(
        f"---\ntitle: '[b]T[/b] [@click=app.quit]q[/]'\n---\nThe ministry said {markup} was done.\n",
        encoding="utf-8",
    )
    app = build([folder], annotations)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if "[b]T[/b] [@click=app.quit]q[/]" in screen_text(app):
                break
            await pilot.pause(0.02)
        assert "[b]T[/b] [@click=app.quit]q[/]" in screen_text(app)  # the corpus list
        await pilot.press("enter")
        await pilot.press("s")
        assert markup in screen_text(app)  # the source modal's claim
        await pilot.press(*markup, "enter", "n", *markup, "enter")
        panel = " ".join(screen_text(app).split())  # the panel wraps the long note
        assert f"source: {markup}" in panel and f"note: {markup}" in panel
        await pilot.press("M")
        split = screen_text(app)  # the split modal's claim, with the cut marked inside it
        assert "[bold]x[/bold]" in split and "[@click=app.quit]y[/]" in split
        await pilot.press("escape")
        await pilot.click("#claim-panel", offset=(20, 0))
        assert app.is_running
    events = read_jsonl(annotations / "alice.jsonl")
    assert events[-1]["source"] == markup and events[-1]["note"] == markup


async def test_merge_says_which_labels_and_notes_it_clears(seed: Path, annotations: Path) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=SIZE) as pilot:
        claims = screen(app).session.claims
        first = next(i for i in range(len(claims) - 1) if claims[i].paragraph == claims[i + 1].paragraph)
        await pilot.press(*["j"] * first, "n", *"verify with UN report", "enter", "2", "k", "m")
        text = " ".join(screen_text(app).split())
        assert (
            f"saved merge · cleared label disputed of claim {first + 1}, note of claim {first + 1} (u undoes)"
            in text
        )
        await pilot.press("u")
        assert "disputed" in screen_text(app) and "verify with UN report" in screen_text(app)
        await pilot.press("j", "M", "right", "enter")  # the next claim has nothing to lose
        assert "saved split" in screen_text(app) and "cleared" not in screen_text(app)


async def test_the_header_shortens_the_title_not_the_outlet_and_date(corpus: Path, annotations: Path) -> None:
    liberia = next(corpus.glob("voa-2002-08-16-*.md"))
    app = build([liberia], annotations)
    async with app.run_test(size=(80, 24)):
        header = screen_text(app).splitlines()[:4]
        assert any("2002-08-16 VOA" in line for line in header) and any("…" in line for line in header)


async def test_keys_typed_after_the_enter_that_closes_a_modal_go_to_the_article(
    seed: Path, annotations: Path
) -> None:
    # `s enter 1` accepts the suggested source and labels the claim: the 1 once went
    # into the box being saved (source "1", no label); `n note enter 2` likewise.
    from textual import events

    app = build([seed], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        await assistant_started(pilot)

        async def burst(keys: str) -> None:
            for key in keys.split():
                character = {"enter": "\r"}.get(key, key)
                app.post_message(events.Key(key, character))
            await pilot.pause(0.3)

        await burst("s enter 1")
        await burst("n n o t e enter 2")
        await burst("s enter escape")  # the escape is for the article screen: nothing to go back to
        assert app.is_running
    events_ = read_jsonl(annotations / "alice.jsonl")
    first, second = events_[1], events_[3]
    assert (first["label"], first["source"]) == ("confirmed", "Ahmed Masood")
    assert (second["label"], second["note"]) == ("disputed", "note") and second["start"] != first["start"]


async def test_at_the_narrowest_size_every_key_is_on_the_bar_and_the_date_in_the_header(
    seed: Path, annotations: Path
) -> None:
    app = build([seed], annotations)
    async with app.run_test(size=(60, 16)):
        text = " ".join(screen_text(app).split())
        for key in ("o Next article", "? Help", "q Quit", "tab Unlabelled"):
            assert key in text, key
        assert "2021-09-06" in text
