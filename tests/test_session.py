"""The annotation session: labels, merge, split, undo across restarts, stale events."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.corpus import Article, load_article
from annotate.errors import AnnotateError
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.session import ArticleSession, article_progress
from annotate.store import EventLog, fold_events, read_events
from tests.conftest import read_jsonl

SCHEMA = load_schema(DEFAULT_SCHEMA)


def open_session(article: Article, path: Path) -> tuple[ArticleSession, EventLog]:
    log = EventLog(path)
    log.open()
    events = log.read().events
    return ArticleSession(article, SCHEMA, "alice", events, log.append), log


def test_label_source_note_land_on_disk_and_fold(seed: Path, tmp_path: Path) -> None:
    article = load_article(seed, seed.parent)
    path = tmp_path / "alice.jsonl"
    session, log = open_session(article, path)
    session.set_source(0, "Reuters")
    session.set_label(0, "confirmed")
    session.set_note(0, "  checked  ")
    session.set_label(1, "not_a_claim")
    log.close()
    events = read_jsonl(path)
    assert [e["op"] for e in events] == ["label"] * 4
    assert events[0]["label"] is None and events[0]["source"] == "Reuters"
    state = fold_events(read_events(path).events)
    first = state[(article.article_id, session.claims[0].start, session.claims[0].end)]
    assert (first["label"], first["source"], first["note"]) == ("confirmed", "Reuters", "checked")
    for e in events:
        assert article.body[e["start"] : e["end"]] == e["text"]
        assert e["article_sha256"] == article.sha256 and e["schema"] == "credibility/1"
    assert session.progress == (2, 15)


def test_unknown_label_is_refused(seed: Path, tmp_path: Path) -> None:
    session, log = open_session(load_article(seed, seed.parent), tmp_path / "alice.jsonl")
    with pytest.raises(AnnotateError, match="not in schema"):
        session.set_label(0, "maybe")
    log.close()
    assert read_jsonl(tmp_path / "alice.jsonl") == []


def test_merge_split_and_undo_across_restart(seed: Path, tmp_path: Path) -> None:
    article = load_article(seed, seed.parent)
    path = tmp_path / "alice.jsonl"
    session, log = open_session(article, path)
    index = next(i for i, c in enumerate(session.claims) if c.paragraph == 4)  # three sentences
    first, second = session.claims[index], session.claims[index + 1]
    session.set_label(index, "disputed")
    merged = session.merge_with_next(index)
    assert (session.claims[merged].start, session.claims[merged].end) == (first.start, second.end)
    assert len(session.claims) == 14
    log.close()

    # A restart: the layout and the undo history come back from the file.
    session, log = open_session(article, path)
    assert len(session.claims) == 14
    assert session.undo() == (first.start, first.end)
    assert len(session.claims) == 15
    assert session.claim_label(index).label == "disputed"  # the label before the merge is back
    assert session.undo() is not None  # undoes the label
    assert session.claim_label(index).label is None
    assert session.undo() is None
    log.close()
    ops = [(e["op"], e.get("segment"), e.get("undoes") is not None) for e in read_jsonl(path)]
    assert ops[:4] == [
        ("label", None, False),
        ("clear", "removed", False),
        ("clear", "removed", False),
        ("clear", "added", False),
    ]
    assert ("label", "added", True) in ops and ("clear", "removed", True) in ops
    assert fold_events(read_events(path).events) == {}


def test_split_at_word_boundary(seed: Path, tmp_path: Path) -> None:
    article = load_article(seed, seed.parent)
    session, log = open_session(article, tmp_path / "alice.jsonl")
    claim = session.claims[0]
    at = article.body.index("said on Sunday")
    left = session.split_at(0, at)
    assert article.body[session.claims[left].start : session.claims[left].end].endswith("Panjshir,")
    assert article.body[session.claims[left + 1].start : session.claims[left + 1].end].startswith(
        "said on Sunday"
    )
    assert session.claims[left + 1].end == claim.end
    with pytest.raises(AnnotateError):
        session.merge_with_next(len(session.claims) - 1)
    session.undo()
    assert session.claims[0] == claim
    log.close()


def test_stale_events_are_reported_not_applied(seed: Path, tmp_path: Path) -> None:
    article = load_article(seed, seed.parent)
    path = tmp_path / "alice.jsonl"
    session, log = open_session(article, path)
    session.set_label(0, "confirmed")
    log.close()
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("Ahmed Masood, one", "Ahmad Masood, one"),
        encoding="utf-8",
    )
    changed = load_article(seed, seed.parent)
    session, log = open_session(changed, path)
    assert len(session.stale) == 1
    assert session.progress == (0, 15)
    log.close()
    assert article_progress(changed, read_events(path).events) == (0, 15)


def test_write_failure_changes_nothing(seed: Path) -> None:
    article = load_article(seed, seed.parent)

    def failing(_: object) -> None:
        raise OSError(28, "No space left on device")

    session = ArticleSession(article, SCHEMA, "alice", [], failing)
    with pytest.raises(OSError):
        session.set_label(0, "confirmed")
    assert session.progress == (0, 15)
    assert session.claim_label(0).label is None
    assert session.history == []
