"""`annotate validate`: every problem in a schema, a corpus and the event files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from annotate.corpus import Article, discover
from annotate.errors import AnnotateError
from annotate.schema import DEFAULT_SCHEMA, LabelSchema, load_schema
from annotate.store import ANNOTATOR_NAME, Event, ReadResult, event_files, numbered_events, read_events
from annotate.units import gold_event_problem, gold_files, stale_reason


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


def validate(
    paths: Sequence[Path], annotations: Path, schema_path: Path | None, required: bool = True
) -> tuple[list[str], str]:
    """All problems found, one line each with file and line, and a summary line.

    A missing `annotations` is refused when `required` (it was asked for), else
    only the schema and the articles are checked.
    """
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
    if required and not annotations.exists():
        raise AnnotateError(f"{annotations}: no such annotation folder or file; check --annotations")
    counted = 0
    stale = 0
    files_read = event_files([annotations]) if annotations.exists() else []
    for path in files_read:
        if not ANNOTATOR_NAME.fullmatch(path.stem):
            problems.append(f"{path}: file name is not a valid annotator name")
        for number, event in _numbered(path, problems):
            counted += 1
            if event["annotator"] != path.stem:
                problems.append(
                    f"{path}:{number}: an event of annotator {event['annotator']!r} in {path.name}; "
                    "each annotator's events belong in <annotator>.jsonl"
                )
            if schema is not None and event["schema"] != schema.ref:
                problems.append(f"{path}:{number}: schema {event['schema']!r}, expected {schema.ref!r}")
            elif schema is not None and not schema.allows(event.get("label")):
                problems.append(f"{path}:{number}: unknown label {event['label']!r} for schema {schema.ref}")
            known = articles.get(event["article_id"])
            if known is None:
                if paths:
                    problems.append(
                        f"{path}:{number}: article {event['article_id']!r} is not in the corpus given; "
                        "agreement, status and export leave this event out"
                    )
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
    gold = gold_files([annotations])
    for path in gold:
        for number, event in _numbered(path, problems):
            counted += 1
            problem = gold_event_problem(event, schema.ref if schema else None, schema)
            reason = stale_reason(event, articles if paths else None)
            if problem is None and reason == "stale":
                stale += 1
                problem = f"stale decision: article {event['article_id']!r} has changed since it was made"
            elif problem is None and reason == "unknown":
                problem = f"article {event['article_id']!r} is not in the corpus given"
            if problem is not None:
                problems.append(f"{path}:{number}: {problem}")
    summary = (
        f"checked {len(articles)} articles, {len(files_read)} annotation files and {len(gold)} gold files, "
        f"{counted} events: "
        f"{len(problems)} problems ({stale} stale events)"
    )
    return problems, summary


def _numbered(path: Path, problems: list[str]) -> Iterator[tuple[int, Event]]:
    """The events of `path` with their line numbers; its bad lines go to `problems`."""
    result = ReadResult()
    read_events(path, result)
    problems.extend(str(problem) for problem in result.problems)
    return numbered_events(path, result)
