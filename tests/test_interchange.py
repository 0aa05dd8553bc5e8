"""Prodigy, doccano and Label Studio: write, read back, import; offsets; problems reported."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from annotate.corpus import Article, discover
from annotate.interchange import (
    FORMATS,
    Task,
    TaskSpan,
    Utf16Index,
    import_labels,
    read_tasks,
    write_tasks,
)
from annotate.schema import DEFAULT_SCHEMA, NOT_A_CLAIM, load_schema
from annotate.segment import default_claims
from annotate.session import ArticleSession, claim_layout
from annotate.store import Event, read_events
from tests.conftest import CORPUS, ROOT

SCHEMA = load_schema(DEFAULT_SCHEMA)
EMOJI_ARTICLE = """---
title: Emoji test “quoted” 🐱
license: CC0
---
🐱 Officials said the cat was “safe”, Reuters reported. The army denies it 👩‍❤️‍👩 entirely.

A second paragraph with 𝒎𝒂𝒕𝒉 letters says the talks failed. Nobody confirmed that.

Café owners in Zürich, according to the mayor, closed early 🙂. It rained.
"""


@pytest.fixture
def articles(tmp_path: Path) -> list[Article]:
    """The sample corpus plus an article full of astral-plane characters."""
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    (root / "emoji-test.md").write_text(EMOJI_ARTICLE, encoding="utf-8")
    return [item.load() for item in discover([root])]


def labelled(article: Article, annotator: str = "alice") -> list[Event]:
    """Events of an annotator who labels every claim, records sources and notes, and merges once."""
    events: list[Event] = []
    session = ArticleSession(article, SCHEMA, annotator, [], events.extend)
    if len(session.claims) > 1 and session.claims[0].paragraph == session.claims[1].paragraph:
        session.merge_with_next(0)
    names = [*SCHEMA.names, NOT_A_CLAIM]
    for index in range(len(session.claims)):
        session.set_label(index, names[index % len(names)])
        if index % 3 == 0:
            session.set_source(index, f"source “{index}” 🐱")
        if index % 4 == 1:
            session.set_note(index, "note with 👩‍❤️‍👩 and a\nnewline")
    return events


def folded(
    article: Article, events: list[Event]
) -> dict[tuple[int, int], tuple[str, str | None, str | None]]:
    """What the annotate screen shows for an article: claim span -> (label, source, note)."""
    state: dict[tuple[int, int], Event] = {}
    for event in events:
        if event["article_id"] != article.article_id:
            continue
        key = (event["start"], event["end"])
        if event["op"] == "clear":
            state.pop(key, None)
        else:
            state[key] = event
    claims = {
        (claim.start, claim.end)
        for claim in claim_layout(article, [e for e in events if e["article_id"] == article.article_id])
    }
    return {
        key: (e["label"], e["source"], e["note"]) for key, e in state.items() if key in claims and e["label"]
    }


def task_of(article: Article, events: list[Event]) -> Task:
    spans = [
        TaskSpan(s, e, label, source, note)
        for (s, e), (label, source, note) in folded(article, events).items()
    ]
    return Task(article, tuple(sorted(spans)))


def test_utf16_index_counts_astral_characters_twice() -> None:
    text = "“a” 🐱 b 👩‍❤️‍👩 c"
    index = Utf16Index(text)
    for position in range(len(text) + 1):
        units = len(text[:position].encode("utf-16-le")) // 2
        assert index.to_units(position) == units
        assert index.to_code_points(units) == position
    # The middle of a surrogate pair is not a code point boundary.
    cat = text.index("🐱")
    assert index.to_code_points(index.to_units(cat) + 1) is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_the_same_labels_on_every_article(
    fmt: str, articles: list[Article], tmp_path: Path
) -> None:
    assert any(any(ord(c) > 0xFFFF for c in a.body) for a in articles)
    alice = {article.article_id: labelled(article) for article in articles}
    tasks = [task_of(article, alice[article.article_id]) for article in articles]
    path = tmp_path / f"out.{fmt}"
    with path.open("wb") as handle:
        assert write_tasks(tasks, fmt, handle) == len(articles)
    result = import_labels(read_tasks(path, fmt), articles, SCHEMA, "bob", [], fmt)
    assert not result.problems, result.problems
    assert result.articles == {a.article_id for a in articles}
    for article in articles:
        mine = folded(article, alice[article.article_id])
        theirs = folded(article, result.events)
        assert theirs == mine, article.article_id
        # The merged claim is a claim for bob too: same layout on screen.
        bob_events = [e for e in result.events if e["article_id"] == article.article_id]
        assert set(theirs) <= {(c.start, c.end) for c in claim_layout(article, bob_events)}
        for event in bob_events:
            assert article.body[event["start"] : event["end"]] == event["text"]
            assert event["annotator"] == "bob" and event["imported"] == fmt


def test_label_studio_offsets_in_code_points_or_utf16(articles: list[Article], tmp_path: Path) -> None:
    article = next(a for a in articles if a.article_id == "emoji-test")
    task = task_of(article, labelled(article))
    outputs = {}
    for offsets in ("code-points", "utf-16"):
        buffer = io.BytesIO()
        write_tasks([task], "label-studio", buffer, offsets=offsets)
        outputs[offsets] = orjson.loads(buffer.getvalue())
    body16 = article.body.encode("utf-16-le")
    late = [r for r in outputs["utf-16"][0]["annotations"][0]["result"] if r["type"] == "labels"][-1]["value"]
    # What a browser's String.slice gives at those offsets is the claim text.
    assert body16[2 * late["start"] : 2 * late["end"]].decode("utf-16-le") == late["text"]
    cp = [r for r in outputs["code-points"][0]["annotations"][0]["result"] if r["type"] == "labels"][-1][
        "value"
    ]
    assert article.body[cp["start"] : cp["end"]] == cp["text"]
    assert late["start"] > cp["start"]  # emoji before it count twice in UTF-16
    for offsets, data in outputs.items():
        path = tmp_path / f"{offsets}.json"
        path.write_bytes(orjson.dumps(data))
        result = import_labels(read_tasks(path, "label-studio"), articles, SCHEMA, "bob", [], "label-studio")
        assert not result.problems, (offsets, result.problems)
        assert result.trimmed == 0, offsets  # no span had spaces at its ends to trim
        assert folded(article, result.events) == {
            (s.start, s.end): (s.label, s.source, s.note) for s in task.spans
        }


def test_doccano_offsets_in_utf16_units_by_default(articles: list[Article], tmp_path: Path) -> None:
    article = next(a for a in articles if a.article_id == "emoji-test")
    task = task_of(article, labelled(article))
    outputs = {}
    for offsets in ("utf-16", "code-points"):
        buffer = io.BytesIO()
        write_tasks([task], "doccano", buffer, offsets=offsets)
        outputs[offsets] = orjson.loads(buffer.getvalue())
    default = io.BytesIO()
    write_tasks([task], "doccano", default)
    assert orjson.loads(default.getvalue()) == outputs["utf-16"]
    body16 = article.body.encode("utf-16-le")
    for (start, end, _), span in zip(outputs["utf-16"]["label"], task.spans, strict=True):
        # What JavaScript's String.slice gives at those offsets is the claim text.
        assert body16[2 * start : 2 * end].decode("utf-16-le") == article.body[span.start : span.end]
    assert [s[:2] for s in outputs["code-points"]["label"]] == [[s.start, s.end] for s in task.spans]
    assert outputs["utf-16"]["label"][-1][0] > task.spans[-1].start  # the emoji before it count twice
    for offsets, data in outputs.items():
        path = tmp_path / f"{offsets}.jsonl"
        path.write_bytes(orjson.dumps(data) + b"\n")
        result = import_labels(read_tasks(path, "doccano", offsets), articles, SCHEMA, "bob", [], "doccano")
        assert not result.problems, (offsets, result.problems)
        assert folded(article, result.events) == {
            (s.start, s.end): (s.label, s.source, s.note) for s in task.spans
        }
    # Read with the wrong convention, a span that cuts the cat emoji in two is reported, not moved.
    cat = article.body.index("🐱")
    path = tmp_path / "cut.jsonl"
    path.write_bytes(
        orjson.dumps({"text": article.body, "label": [[cat + 1, cat + 12, "confirmed"]]}) + b"\n"
    )
    result = import_labels(read_tasks(path, "doccano"), articles, SCHEMA, "bob", [], "doccano")
    assert result.problems == [
        f"{path}:1: span {cat + 1}-{cat + 12} cuts an emoji or other character in two when read as UTF-16 "
        "units; if the file counts code points, pass --doccano-offsets code-points"
    ]
    assert not result.events


def test_importing_twice_writes_nothing_new(articles: list[Article], tmp_path: Path) -> None:
    article = articles[0]
    path = tmp_path / "p.jsonl"
    with path.open("wb") as handle:
        write_tasks([task_of(article, labelled(article))], "prodigy", handle)
    first = import_labels(read_tasks(path, "prodigy"), articles, SCHEMA, "bob", [], "prodigy")
    again = import_labels(read_tasks(path, "prodigy"), articles, SCHEMA, "bob", first.events, "prodigy")
    assert first.events and not again.events and not again.problems


def test_paragraph_tasks_and_text_matching_without_ids(articles: list[Article], tmp_path: Path) -> None:
    article = next(a for a in articles if a.article_id == "emoji-test")
    paragraph = article.paragraphs[1]
    start = paragraph.index("the talks")
    end = paragraph.index(".", start)
    lines = [
        # A task holding one paragraph, offsets relative to it, no id.
        {"text": paragraph, "spans": [{"start": start, "end": end, "label": "disputed"}], "answer": "accept"},
        # A whole body, matched by its text.
        {"text": article.body, "spans": [{"start": 0, "end": 5, "label": "confirmed"}]},
        {"text": article.body, "spans": [], "answer": "reject"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    result = import_labels(read_tasks(path, "prodigy"), articles, SCHEMA, "bob", [], "prodigy")
    assert not result.problems, result.problems
    base = article.paragraph_starts[1]
    labels = {(e["start"], e["end"]): e["label"] for e in result.events if e["op"] == "label"}
    assert labels[(base + start, base + end)] == "disputed"
    assert article.body[base + start : base + end] == paragraph[start:end]
    assert any("p.jsonl:3" in note and "reject" in note for note in result.notes)


def test_problems_are_reported_line_by_line(articles: list[Article], tmp_path: Path) -> None:
    article = articles[0]
    body = article.body
    lines = [
        orjson.dumps({"text": body, "label": [[0, 5, "confirmed"]], "article_id": article.article_id}),
        orjson.dumps({"text": body, "label": [[0, 5, "SUPPORTS"]], "article_id": article.article_id}),
        orjson.dumps({"text": "Some other article text entirely.", "label": [[0, 4, "confirmed"]]}),
        orjson.dumps({"text": body, "label": [[10, 5, "confirmed"]]}),
        b"{not json",
        orjson.dumps({"text": body + " edited", "label": [], "article_id": article.article_id}),
        orjson.dumps({"text": body, "label": [[0, len(body), "confirmed"]]}),
    ]
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    # Offsets written by Python: code points.
    result = import_labels(read_tasks(path, "doccano", "code-points"), articles, SCHEMA, "bob", [], "doccano")
    text = "\n".join(result.problems)
    assert f"{path}:2: unknown label 'SUPPORTS'" in text
    assert f"{path}:3: no article in the corpus" in text
    assert f"{path}:4: span 10-5 is outside" in text
    assert f"{path}:5: malformed JSON" in text
    assert f"{path}:6: the task text is not the body of article" in text
    assert f"{path}:7: span 0-{len(body)} crosses a paragraph break" in text
    assert len(result.problems) == 6
    # What could be mapped still is (the CLI refuses to write it without --skip-bad).
    assert {(e["start"], e["end"], e["label"]) for e in result.events if e["op"] == "label"} == {
        (0, 5, "confirmed")
    }


def test_label_studio_mismatching_region_text_and_unmappable_results(
    articles: list[Article], tmp_path: Path
) -> None:
    article = articles[0]
    task = {
        "data": {"text": article.body, "article_id": article.article_id},
        "annotations": [
            {
                "result": [
                    {
                        "id": "a",
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": 0, "end": 4, "text": "nope", "labels": ["confirmed"]},
                    },
                    {
                        "id": "b",
                        "type": "choices",
                        "from_name": "doc",
                        "to_name": "text",
                        "value": {"choices": ["x"]},
                    },
                    {
                        "id": "c",
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": 0, "end": 4, "labels": ["confirmed", "disputed"]},
                    },
                ]
            }
        ],
    }
    path = tmp_path / "ls.json"
    path.write_text("[\n" + orjson.dumps(task).decode() + "\n]\n", encoding="utf-8")
    result = import_labels(read_tasks(path, "label-studio"), articles, SCHEMA, "bob", [], "label-studio")
    assert len(result.problems) == 3, result.problems
    assert all(p.startswith(f"{path}:2:") for p in result.problems)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_import_refuses_bad_files_and_writes_nothing(corpus: Path, tmp_path: Path) -> None:
    article = discover([corpus])[0].load()
    path = tmp_path / "p.jsonl"
    good = {
        "text": article.body,
        "spans": [{"start": 0, "end": 5, "label": "confirmed"}],
        "meta": {"article_id": article.article_id},
    }
    bad = {
        "text": article.body,
        "spans": [{"start": 0, "end": 5, "label": "WRONG"}],
        "meta": {"article_id": article.article_id},
    }
    path.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n")
    annotations = tmp_path / "ann"
    args = [
        "import-labels",
        str(path),
        "--format",
        "prodigy",
        "--annotator",
        "carol",
        "--corpus",
        str(corpus),
        "--annotations",
        str(annotations),
    ]
    refused = cli(*args)
    assert refused.returncode == 2, refused.stderr
    assert f"{path}:2: unknown label 'WRONG'" in refused.stderr
    assert "nothing imported" in refused.stderr and "Traceback" not in refused.stderr
    assert not (annotations / "carol.jsonl").exists() or not read_events(annotations / "carol.jsonl").events
    partial = cli(*args, "--skip-bad")
    assert partial.returncode == 0, partial.stderr
    assert f"{path}:2: unknown label 'WRONG'" in partial.stderr
    events = read_events(annotations / "carol.jsonl").events
    assert [(e["start"], e["end"], e["label"]) for e in events if e["op"] == "label"] == [(0, 5, "confirmed")]


def test_import_on_a_full_disk_is_one_line_and_imports_nothing(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import os

    from annotate.cli import main

    article = discover([corpus])[0].load()
    path = tmp_path / "p.jsonl"
    spans = [{"start": c.start, "end": c.end, "label": "confirmed"} for c in default_claims(article)]
    path.write_bytes(
        orjson.dumps({"text": article.body, "spans": spans, "meta": {"article_id": article.article_id}})
    )
    annotations = tmp_path / "ann"
    real = os.write

    def disk_full(fd: int, data: object) -> int:
        real(fd, bytes(data)[:100])  # type: ignore[call-overload]  # part of the batch reaches the file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    args = ["import-labels", str(path), "--format", "prodigy", "--annotator", "carol"]
    status = main([*args, "--corpus", str(corpus), "--annotations", str(annotations)])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert "No space left on device" in err and "nothing was imported" in err
    assert (annotations / "carol.jsonl").read_bytes() == b""  # all or nothing
    monkeypatch.setattr(os, "write", real)
    assert main([*args, "--corpus", str(corpus), "--annotations", str(annotations)]) == 0
    assert len(read_events(annotations / "carol.jsonl").events) == len(spans)


@pytest.mark.parametrize("content", [b"", b"\n"])
def test_importing_a_file_with_no_labels_is_refused(corpus: Path, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(content)
    args = [
        "import-labels",
        str(path),
        "--format",
        "prodigy",
        "--annotator",
        "carol",
        "--corpus",
        str(corpus),
    ]
    result = cli(*args, "--annotations", str(tmp_path / "ann"))
    assert result.returncode == 2 and "no labelled span in 0 task(s) read as prodigy" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_with_the_wrong_format_is_refused(corpus: Path, tmp_path: Path) -> None:
    article = discover([corpus])[0].load()
    path = tmp_path / "p.jsonl"
    spans = [{"start": c.start, "end": c.end, "label": "confirmed"} for c in default_claims(article)[:2]]
    path.write_bytes(
        orjson.dumps({"text": article.body, "spans": spans, "meta": {"article_id": article.article_id}})
    )
    args = [
        "import-labels",
        str(path),
        "--format",
        "doccano",
        "--annotator",
        "carol",
        "--corpus",
        str(corpus),
    ]
    result = cli(*args, "--annotations", str(tmp_path / "ann"))
    assert result.returncode == 2 and "check --format" in result.stderr
    assert (
        not (tmp_path / "ann" / "carol.jsonl").exists()
        or not read_events(tmp_path / "ann" / "carol.jsonl").events
    )
