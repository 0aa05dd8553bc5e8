"""`annotate validate`: every problem in a schema, a corpus and the event files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from annotate.corpus import Article, discover
from annotate.errors import AnnotateError
from annotate.schema import DEFAULT_SCHEMA, LabelSchema, load_schema
from annotate.store import ANNOTATOR_NAME, Event, ReadResult, event_files, read_events


def check_events_against_schema(events: Iterable[Event], schema: LabelSchema, path: Path) -> None:
    """Refuse events whose schema or label the given schema does not know."""
    for event in events:
        if event["schema"] != schema.ref:
            raise AnnotateError(
                f"{path}: events use schema {event['schema']!r} but the schema given is {schema.ref!r}; "
                "pass the matching --schema"
            )
        if not schema.allows(event.get("label")):
            raise AnnotateError(
                f"{path}: event {event['id']} has label {event['label']!r}, which schema {schema.ref} "
                "does not have; pass the matching --schema"
            )


def validate(paths: Sequence[Path], annotations: Path, schema_path: Path | None) -> tuple[list[str], str]:
    """All problems found, one line each with file and line, and a summary line."""
    problems: list[str] = []
    try:
        schema: LabelSchema | None = load_schema(schema_path or DEFAULT_SCHEMA)
    except AnnotateError as error:
        problems.append(str(error))
        schema = None
    articles: dict[str, Article] = {}
    if paths:
        try:
            files = discover(paths)
        except AnnotateError as error:
            problems.append(str(error))
            files = []
        for item in files:
            try:
                article = item.load()
            except AnnotateError as error:
                problems.append(str(error))
                continue
            articles[article.article_id] = article
    counted = 0
    stale = 0
    files_read = event_files([annotations]) if annotations.exists() else []
    for path in files_read:
        result = ReadResult()
        read_events(path, result)
        problems.extend(str(problem) for problem in result.problems)
        if not ANNOTATOR_NAME.fullmatch(path.stem):
            problems.append(f"{path}: file name is not a valid annotator name")
        for number, event in _numbered(path, result):
            counted += 1
            if schema is not None and event["schema"] != schema.ref:
                problems.append(f"{path}:{number}: schema {event['schema']!r}, expected {schema.ref!r}")
            elif schema is not None and not schema.allows(event.get("label")):
                problems.append(f"{path}:{number}: unknown label {event['label']!r} for schema {schema.ref}")
            known = articles.get(event["article_id"])
            if known is None:
                continue
            if event["article_sha256"] != known.sha256:
                stale += 1
                problems.append(
                    f"{path}:{number}: stale event: article {event['article_id']!r} has changed since it was made"
                )
            elif known.body[event["start"] : event["end"]] != event["text"]:
                problems.append(
                    f"{path}:{number}: text does not match the article body at {event['start']}-{event['end']}"
                )
    summary = (
        f"checked {len(articles)} articles, {len(files_read)} annotation files, {counted} events: "
        f"{len(problems)} problems ({stale} stale events)"
    )
    return problems, summary


def _numbered(path: Path, result: ReadResult) -> Iterable[tuple[int, Event]]:
    # Line numbers are needed for the report; events do not carry them, so the
    # skipped lines are used to recover each event's line.
    skipped = {problem.line for problem in result.problems}
    number = 0
    with path.open("rb") as handle:
        blank = {i for i, line in enumerate(handle, 1) if not line.strip()}
    for event in result.events:
        number += 1
        while number in skipped or number in blank:
            number += 1
        yield number, event
