"""Exchange labelled claims with Prodigy, doccano and Label Studio.

One task per article: the task's text is the article **body** (DESIGN 3), so
span offsets are body offsets and a round trip needs no re-anchoring. Each
tool's documented JSON format is written and read, with its offset convention:

- **Prodigy** (JSONL): `{"text", "spans": [{"start", "end", "label"}], "answer",
  "meta"}` as in Prodigy's "Annotation interfaces" docs (ner_manual /
  spans_manual task format; `answer` is "accept", "reject" or "ignore"). Span
  `start`/`end` are character offsets into `text`: Prodigy is Python, so code
  points, the same as ours. Source and note ride on each span as extra keys
  (`source`, `note`); Prodigy passes unknown task and span keys through to
  `db-out`.
- **doccano** (sequence labelling JSONL): `{"text", "label": [[start, end,
  "LABEL"]]}` as in doccano's import examples; every other key becomes the
  example's metadata and comes back on export. Offsets: doccano 1.x counts the
  browser's UTF-16 code units (its annotator slices JavaScript strings;
  doccano issue #2290 shows an emoji moving later spans by one), the default
  here both ways; `--doccano-offsets code-points` is for files that count code
  points (doccano before 1.0, after its PR #108, and scripts). doccano's JSONL
  carries no span text to check offsets against, so the choice cannot be
  guessed. Its project option "Count grapheme clusters as one character" is not
  supported. Source and note go in a metadata key, `claim_sources`, matched back
  by exact span.
- **Label Studio** (JSON task list): `{"data": {"text", ...}, "annotations":
  [{"result": [{"id", "from_name", "to_name", "type": "labels", "value":
  {"start", "end", "text", "labels": [...]}}]}]}` as in Label Studio's "Task
  format" guide and the `Text`/`Labels` tag pages. Source and note are per-region
  `TextArea` results (`type: "textarea"`, `value.text: [..]`, same `id` as the
  region), as the TextArea tag's `perRegion` option stores them. Offsets: the
  Text tag's `value.start`/`value.end` count code points in current Label Studio
  (label-studio PR #1559, merged as label-studio-frontend PR #308: "Store code
  points instead of js length"); older releases counted the browser's UTF-16
  code units (label-studio issue #1347: a span after an emoji one too far).
  `--label-studio-offsets utf-16` writes the old convention; on import, a region
  whose `value.text` only matches when read as UTF-16 is converted.

Importing turns tasks back into events of a named annotator (`import_labels`).
Nothing is dropped silently: every span or task that cannot be mapped is a
`file:line: reason` problem, and by default any problem means nothing is
written.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import IO, Any

import orjson

from annotate.corpus import Article
from annotate.errors import AnnotateError
from annotate.schema import NOT_A_CLAIM, LabelSchema
from annotate.segment import Claim
from annotate.session import claim_layout, fold_article, span_event, split_stale
from annotate.store import Event

FORMATS = ("prodigy", "doccano", "label-studio")
OFFSET_UNITS = ("code-points", "utf-16")
# What each tool counts by default (module docstring); Prodigy always counts code points.
DEFAULT_OFFSETS = {"prodigy": "code-points", "doccano": "utf-16", "label-studio": "code-points"}
# Names used in the Label Studio labeling config this tool writes and reads.
LS_TEXT = "text"
LS_LABELS = "label"
LS_SOURCE = "source"
LS_NOTE = "note"
DOCCANO_SOURCES = "claim_sources"


@dataclass(frozen=True, order=True)
class TaskSpan:
    """One labelled span of a task, in body code points."""

    start: int
    end: int
    label: str
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Task:
    """One article with its labelled spans, ready to write in a tool's format."""

    article: Article
    spans: tuple[TaskSpan, ...]
    meta: dict[str, Any] = field(default_factory=dict)


# -- offsets --------------------------------------------------------------------


class Utf16Index:
    """Convert offsets between code points and UTF-16 code units for one text.

    Only astral-plane characters (emoji, some CJK) differ: each is one code
    point but two UTF-16 units. Curly quotes and accented letters are one of each.
    """

    def __init__(self, text: str) -> None:
        self.astral = [index for index, char in enumerate(text) if ord(char) > 0xFFFF]
        self.length = len(text)

    def to_units(self, index: int) -> int:
        """The UTF-16 offset of code point offset `index`."""
        return index + bisect.bisect_left(self.astral, index)

    def to_code_points(self, units: int) -> int | None:
        """The code point offset of UTF-16 offset `units`; None inside a surrogate pair or past the end."""
        low, high = 0, self.length
        while low <= high:
            middle = (low + high) // 2
            value = self.to_units(middle)
            if value == units:
                return middle
            if value < units:
                low = middle + 1
            else:
                high = middle - 1
        return None


# -- writing --------------------------------------------------------------------


def task_meta(article: Article) -> dict[str, Any]:
    """What a task carries about its article: id and body hash, plus title and url when known."""
    meta: dict[str, Any] = {"article_id": article.article_id, "article_sha256": article.sha256}
    for key in ("title", "url"):
        if article.meta.get(key):
            meta[key] = str(article.meta[key])
    return meta


def _dumps(record: Any) -> bytes:
    # Sorted keys: the same labels always give the same bytes.
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def prodigy_record(task: Task) -> dict[str, Any]:
    """A Prodigy task (ner_manual / spans_manual format) for one article."""
    spans = []
    for span in task.spans:
        item: dict[str, Any] = {"start": span.start, "end": span.end, "label": span.label}
        if span.source:
            item["source"] = span.source
        if span.note:
            item["note"] = span.note
        spans.append(item)
    return {
        "text": task.article.body,
        "spans": spans,
        "answer": "accept",
        "meta": {**task_meta(task.article), **task.meta},
    }


def _offsets_in(body: str, offsets: str) -> Callable[[int], int]:
    """Code point offset -> the tool's offset (`offsets`: code-points or utf-16) in `body`."""
    if offsets == "utf-16":
        return Utf16Index(body).to_units
    return lambda index: index


def doccano_record(task: Task, offsets: str = "utf-16") -> dict[str, Any]:
    """A doccano sequence-labelling example for one article; metadata as top-level keys."""
    at = _offsets_in(task.article.body, offsets)
    record: dict[str, Any] = {
        "text": task.article.body,
        "label": [[at(span.start), at(span.end), span.label] for span in task.spans],
        **task_meta(task.article),
        **task.meta,
    }
    details = [
        {"start": at(span.start), "end": at(span.end), "source": span.source, "note": span.note}
        for span in task.spans
        if span.source or span.note
    ]
    if details:
        record[DOCCANO_SOURCES] = details
    return record


def label_studio_record(task: Task, offsets: str = "code-points") -> dict[str, Any]:
    """A Label Studio task with one annotation holding the spans as `labels` regions."""
    body = task.article.body
    at = _offsets_in(body, offsets)
    result: list[dict[str, Any]] = []
    for number, span in enumerate(task.spans):
        start, end = at(span.start), at(span.end)
        region = f"c{number}"
        base = {"start": start, "end": end}
        result.append(
            {
                "id": region,
                "from_name": LS_LABELS,
                "to_name": LS_TEXT,
                "type": "labels",
                "value": {**base, "text": body[span.start : span.end], "labels": [span.label]},
            }
        )
        for name, value in ((LS_SOURCE, span.source), (LS_NOTE, span.note)):
            if value:
                result.append(
                    {
                        "id": region,
                        "from_name": name,
                        "to_name": LS_TEXT,
                        "type": "textarea",
                        "value": {**base, "text": [value]},
                    }
                )
    return {
        "data": {LS_TEXT: body, **task_meta(task.article), **task.meta},
        "annotations": [{"result": result}],
    }


def label_studio_config(schema: LabelSchema, labels: Sequence[str]) -> str:
    """A Label Studio labeling config matching what `label_studio_record` writes."""
    from xml.sax.saxutils import quoteattr

    lines = ["<View>", f'  <Labels name="{LS_LABELS}" toName="{LS_TEXT}">']
    for name in labels:
        label = schema.label(name)
        color = f" background={quoteattr(label.color)}" if label else ""
        lines.append(f"    <Label value={quoteattr(name)}{color}/>")
    lines += [
        "  </Labels>",
        f'  <Text name="{LS_TEXT}" value="${LS_TEXT}"/>',
        f'  <TextArea name="{LS_SOURCE}" toName="{LS_TEXT}" perRegion="true" placeholder="source"/>',
        f'  <TextArea name="{LS_NOTE}" toName="{LS_TEXT}" perRegion="true" placeholder="note"/>',
        "</View>",
    ]
    return "\n".join(lines) + "\n"


class TaskWriter:
    """Write tasks one at a time in format `fmt` (Label Studio's JSON list is streamed too).

    `offsets` (code-points or utf-16) applies to doccano and Label Studio; each
    tool's own convention by default.
    """

    def __init__(self, fmt: str, handle: IO[bytes], offsets: str | None = None) -> None:
        if fmt not in FORMATS:
            raise AnnotateError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.fmt = fmt
        self.handle = handle
        self.offsets = offsets or DEFAULT_OFFSETS[fmt]
        self.count = 0

    def write(self, task: Task) -> None:
        """Add one task."""
        if self.fmt == "label-studio":
            self.handle.write(b"[\n" if self.count == 0 else b",\n")
            self.handle.write(_dumps(label_studio_record(task, self.offsets)))
        elif self.fmt == "doccano":
            self.handle.write(_dumps(doccano_record(task, self.offsets)) + b"\n")
        else:
            self.handle.write(_dumps(prodigy_record(task)) + b"\n")
        self.count += 1

    def close(self) -> None:
        """Finish the file (closes Label Studio's list)."""
        if self.fmt == "label-studio":
            self.handle.write(b"\n]\n" if self.count else b"[]\n")


def write_tasks(tasks: Iterable[Task], fmt: str, handle: IO[bytes], offsets: str | None = None) -> int:
    """Write tasks to `handle` in format `fmt`; returns how many were written."""
    writer = TaskWriter(fmt, handle, offsets)
    for task in tasks:
        writer.write(task)
    writer.close()
    return writer.count


# -- reading --------------------------------------------------------------------


@dataclass
class RawSpan:
    """A span as a tool's file gave it, before it is checked against the body."""

    start: Any
    end: Any
    label: Any
    text: Any = None
    source: str | None = None
    note: str | None = None
    units: str = "code-points"
    """code-points, utf-16, or "either" (Label Studio: code points unless only UTF-16 units match `text`)."""


@dataclass
class RawTask:
    """One task read from a file: where it is, its text, its claimed article and spans."""

    where: str
    text: Any
    article_id: str | None
    spans: list[RawSpan]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: bool = False  # deliberately not imported (rejected, cancelled); a note says why


def _jsonl(path: Path, data: bytes) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield where, orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield where, _Malformed(f"malformed JSON ({error.msg})")


@dataclass
class _Malformed:
    message: str


def _json_array(path: Path, data: bytes) -> Iterator[tuple[str, Any]]:
    """Elements of a JSON array (or one object) with the line each starts on."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AnnotateError(
            f"{path}: not UTF-8 (byte offset {error.start}); save the file as UTF-8"
        ) from None
    decoder = json.JSONDecoder()
    newlines = [i for i, char in enumerate(text) if char == "\n"]

    def line_at(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1

    pos = _skip_space(text, 0)
    if pos < len(text) and text[pos] == "{":
        try:
            value, _ = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as error:
            raise AnnotateError(f"{path}:{error.lineno}: malformed JSON ({error.msg})") from None
        yield f"{path}:{line_at(pos)}", value
        return
    if pos >= len(text) or text[pos] != "[":
        raise AnnotateError(
            f"{path}:{line_at(pos)}: expected a JSON list of Label Studio tasks (export as JSON from Label Studio)"
        )
    pos = _skip_space(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as error:
            raise AnnotateError(
                f"{path}:{error.lineno}: malformed JSON ({error.msg}); fix the file"
            ) from None
        yield f"{path}:{line_at(pos)}", value
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return
        raise AnnotateError(f"{path}:{line_at(pos)}: malformed JSON (expected ',' or ']'); fix the file")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text_or_none(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _prodigy_task(where: str, record: Any) -> RawTask | None:
    if not isinstance(record, dict):
        return RawTask(where, None, None, [], problems=[f"{where}: not a JSON object"])
    meta = _object(record.get("meta"))
    article_id = meta.get("article_id") or record.get("article_id")
    task = RawTask(where, record.get("text"), article_id if isinstance(article_id, str) else None, [])
    answer = record.get("answer", "accept")
    if answer != "accept":
        # A rejected or ignored example is the annotator's decision, not an error.
        task.notes.append(f"{where}: skipped: answer is {answer!r}, only accepted tasks are imported")
        task.skipped = True
        return task
    spans = record.get("spans", [])
    if not isinstance(spans, list):
        task.problems.append(f"{where}: 'spans' is not a list")
        return task
    for item in spans:
        if not isinstance(item, dict):
            task.problems.append(f"{where}: a span is not an object: {item!r}")
            continue
        task.spans.append(
            RawSpan(
                item.get("start"),
                item.get("end"),
                item.get("label"),
                item.get("text"),
                _text_or_none(item.get("source")),
                _text_or_none(item.get("note")),
            )
        )
    return task


def _doccano_task(where: str, record: Any, units: str = "utf-16") -> RawTask | None:
    if not isinstance(record, dict):
        return RawTask(where, None, None, [], problems=[f"{where}: not a JSON object"])
    meta = _object(record.get("meta"))
    article_id = record.get("article_id") or meta.get("article_id")
    task = RawTask(where, record.get("text"), article_id if isinstance(article_id, str) else None, [])
    # doccano has written the spans as "label", "labels" (1.0) and, in
    # relation projects, as "entities" objects with start_offset/end_offset.
    key = next((k for k in ("label", "labels", "entities") if k in record), None)
    items = record.get(key, []) if key else []
    if not isinstance(items, list):
        task.problems.append(f"{where}: {key!r} is not a list of [start, end, label]")
        return task
    details: dict[tuple[Any, Any], dict[str, Any]] = {}
    extra = record.get(DOCCANO_SOURCES, meta.get(DOCCANO_SOURCES))
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                details[(item.get("start"), item.get("end"))] = item
    for item in items:
        if isinstance(item, list) and len(item) == 3:
            start, end, label = item
        elif isinstance(item, dict):
            start, end, label = item.get("start_offset"), item.get("end_offset"), item.get("label")
        else:
            task.problems.append(f"{where}: a span is not [start, end, label]: {item!r}")
            continue
        detail = details.get((start, end), {})
        task.spans.append(
            RawSpan(
                start,
                end,
                label,
                None,
                _text_or_none(detail.get("source")),
                _text_or_none(detail.get("note")),
                units=units,
            )
        )
    return task


def _label_studio_task(where: str, record: Any) -> RawTask | None:
    if not isinstance(record, dict):
        return RawTask(where, None, None, [], problems=[f"{where}: not a JSON object"])
    data = _object(record.get("data"))
    text = data.get(LS_TEXT)
    if text is None:
        strings = [value for value in data.values() if isinstance(value, str) and len(value) > 80]
        text = strings[0] if len(strings) == 1 else None
    article_id = data.get("article_id") or _object(record.get("meta")).get("article_id")
    task = RawTask(where, text, article_id if isinstance(article_id, str) else None, [])
    if text is None:
        task.problems.append(
            f"{where}: task has no data.{LS_TEXT}; export the project that holds the article text"
        )
        return task
    annotations = record.get("annotations", record.get("completions", []))
    if not isinstance(annotations, list):
        task.problems.append(f"{where}: 'annotations' is not a list")
        return task
    kept = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    skipped = len(annotations) - len(kept)
    if skipped:
        task.notes.append(f"{where}: skipped {skipped} cancelled annotation(s)")
    if not kept:
        why = "only predictions, which are not imported" if record.get("predictions") else "no annotations"
        task.notes.append(f"{where}: skipped: {why}")
        task.skipped = True
        return task
    if len(kept) > 1:
        task.notes.append(
            f"{where}: {len(kept)} annotations on this task; all are imported as this one annotator's labels"
        )
    for annotation in kept:
        results = annotation.get("result", [])
        if not isinstance(results, list):
            task.problems.append(f"{where}: an annotation's 'result' is not a list")
            continue
        regions: dict[str, RawSpan] = {}
        extras: list[dict[str, Any]] = []
        for item in results:
            if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
                task.problems.append(f"{where}: a result is not an object with a 'value'")
                continue
            kind = item.get("type")
            value = item["value"]
            if kind == "labels":
                labels = value.get("labels")
                if not isinstance(labels, list) or len(labels) != 1:
                    task.problems.append(
                        f"{where}: region {item.get('id')!r} has labels {labels!r}; a claim takes exactly one label"
                    )
                    continue
                span = RawSpan(
                    value.get("start"), value.get("end"), labels[0], value.get("text"), units="either"
                )
                task.spans.append(span)
                regions[str(item.get("id"))] = span
            elif kind == "textarea" and item.get("from_name") in (LS_SOURCE, LS_NOTE):
                extras.append(item)
            elif kind == "relation":
                task.problems.append(
                    f"{where}: relation results are not imported (annotate has no relations)"
                )
            else:
                task.problems.append(
                    f"{where}: result of type {kind!r} from {item.get('from_name')!r} cannot be mapped to a claim"
                )
        for item in extras:
            span_for = regions.get(str(item.get("id")))
            texts = item["value"].get("text")
            value_text = (
                " ".join(t for t in texts if isinstance(t, str)) if isinstance(texts, list) else texts
            )
            if span_for is None:
                task.problems.append(
                    f"{where}: {item.get('from_name')} text for region {item.get('id')!r}, which has no label"
                )
            elif item.get("from_name") == LS_SOURCE:
                span_for.source = _text_or_none(value_text)
            else:
                span_for.note = _text_or_none(value_text)
    return task


def read_tasks(path: Path, fmt: str, doccano_offsets: str = "utf-16") -> Iterator[RawTask]:
    """The tasks of a Prodigy, doccano or Label Studio file, in file order.

    `doccano_offsets` says what a doccano file counts (code-points or utf-16);
    Label Studio regions are checked against their text, Prodigy counts code points.
    """
    if fmt not in FORMATS:
        raise AnnotateError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if doccano_offsets not in OFFSET_UNITS:
        raise AnnotateError(f"unknown offsets {doccano_offsets!r}: use one of {', '.join(OFFSET_UNITS)}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnnotateError(f"{path}: no such file; check the path") from None
    except OSError as error:
        raise AnnotateError(f"{path}: cannot read ({error.strerror})") from None
    if fmt == "label-studio":
        items: Iterator[tuple[str, Any]] = _json_array(path, data)
        parse: Callable[[str, Any], RawTask | None] = _label_studio_task
    else:
        items = _jsonl(path, data)
        parse = _prodigy_task if fmt == "prodigy" else partial(_doccano_task, units=doccano_offsets)
    for where, record in items:
        if isinstance(record, _Malformed):
            yield RawTask(where, None, None, [], problems=[f"{where}: {record.message}"])
            continue
        task = parse(where, record)
        if task is not None:
            yield task


# -- importing ------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import found: events to write, problems that block it, and notes."""

    events: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tasks: int = 0
    spans: int = 0
    articles: set[str] = field(default_factory=set)
    trimmed: int = 0


@dataclass
class _Placed:
    article: Article
    shift: int  # body offset of the task text (non-zero when a task holds one paragraph)
    how: str


class ArticleIndex:
    """The corpus, findable by article id, by exact body and by exact paragraph."""

    def __init__(self, articles: Iterable[Article]) -> None:
        self.by_id: dict[str, Article] = {}
        self.by_body: dict[str, list[Article]] = {}
        self.by_paragraph: dict[str, list[tuple[Article, int]]] = {}
        for article in articles:
            self.by_id[article.article_id] = article
            self.by_body.setdefault(article.body, []).append(article)
            for index, paragraph in enumerate(article.paragraphs):
                self.by_paragraph.setdefault(paragraph, []).append((article, index))

    def place(self, task: RawTask) -> _Placed | str:
        """The article (and offset shift) a task's text belongs to, or why there is none."""
        text = task.text
        if not isinstance(text, str):
            return "task has no text"
        if task.article_id is not None and task.article_id in self.by_id:
            article = self.by_id[task.article_id]
            if article.body == text:
                return _Placed(article, 0, "id")
            return (
                f"the task text is not the body of article {task.article_id!r} "
                "(the article or the text changed since export); re-export, or fix the corpus"
            )
        bodies = self.by_body.get(text, [])
        if len(bodies) == 1:
            return _Placed(bodies[0], 0, "text")
        if len(bodies) > 1:
            return f"the task text is the body of {len(bodies)} articles; add meta.article_id to say which"
        paragraphs = self.by_paragraph.get(text, [])
        if len(paragraphs) == 1:
            article, index = paragraphs[0]
            return _Placed(article, article.paragraph_starts[index], "paragraph")
        if task.article_id is not None:
            return f"unknown article {task.article_id!r}, and no article body matches the task text"
        return "no article in the corpus has this text as its body or a paragraph; check --corpus"


def import_labels(
    tasks: Iterable[RawTask],
    articles: Iterable[Article],
    schema: LabelSchema,
    annotator: str,
    existing: Sequence[Event],
    fmt: str,
) -> ImportResult:
    """Turn tasks into events for `annotator`, on top of their `existing` events.

    Spans are checked against the article body; claims that an imported span
    merges or splits are retired (`segment` events) so the annotate screen shows
    the imported spans as claims. A span whose label, source and note the
    annotator already has writes nothing, so importing twice changes nothing.
    """
    index = ArticleIndex(articles)
    result = ImportResult()
    wanted: dict[str, dict[tuple[int, int], tuple[TaskSpan, str]]] = {}
    placed_articles: dict[str, Article] = {}
    for task in tasks:
        result.tasks += 1
        result.notes.extend(task.notes)
        result.problems.extend(task.problems)
        if task.skipped or (task.problems and task.text is None):
            continue
        placed = index.place(task)
        if isinstance(placed, str):
            result.problems.append(f"{task.where}: {placed}")
            continue
        article = placed.article
        placed_articles[article.article_id] = article
        spans = wanted.setdefault(article.article_id, {})
        for raw in task.spans:
            checked = _check_span(task, raw, placed, schema, result)
            if checked is None:
                continue
            key = (checked.start, checked.end)
            earlier = spans.get(key)
            if earlier is not None and earlier[0] != checked:
                result.problems.append(
                    f"{task.where}: span {checked.start}-{checked.end} is labelled {checked.label!r} here "
                    f"but {earlier[0].label!r} at {earlier[1]}; import each annotator's work separately"
                )
                continue
            spans[key] = (checked, task.where)
    for article_id, spans in wanted.items():
        article = placed_articles[article_id]
        ordered = sorted(spans.values(), key=lambda item: (item[0].start, item[0].end))
        kept: list[tuple[TaskSpan, str]] = []
        for span, where in ordered:
            if kept and span.start < kept[-1][0].end:
                left, where_left = kept[-1]
                result.problems.append(
                    f"{where}: span {span.start}-{span.end} overlaps span {left.start}-{left.end} "
                    f"(from {where_left}); annotate claims do not overlap"
                )
                continue
            kept.append((span, where))
        ordered = kept
        if not ordered:
            continue
        result.articles.add(article_id)
        result.spans += len(ordered)
        result.events.extend(
            _article_events(article, [span for span, _ in ordered], schema, annotator, existing, fmt)
        )
    return result


def _check_span(
    task: RawTask, raw: RawSpan, placed: _Placed, schema: LabelSchema, result: ImportResult
) -> TaskSpan | None:
    where = task.where
    text = task.text
    assert isinstance(text, str)
    start, end = raw.start, raw.end
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        result.problems.append(f"{where}: span start/end {start!r}-{end!r} are not whole numbers")
        return None
    if raw.units == "either":
        converted = _label_studio_offsets(text, start, end, raw.text)
    elif raw.units == "utf-16":
        converted = _from_utf16(text, start, end)
    elif 0 <= start < end <= len(text):
        converted = start, end
    else:
        converted = f"is outside the text (length {len(text)})"
    if isinstance(converted, str):
        result.problems.append(f"{where}: span {start}-{end} {converted}")
        return None
    start, end = converted
    if raw.units != "either" and isinstance(raw.text, str) and text[start:end] != raw.text:
        result.problems.append(
            f"{where}: span {start}-{end} has text {raw.text!r} but the task text there is {text[start:end]!r}"
        )
        return None
    label = raw.label
    if not isinstance(label, str) or label == "" or not schema.allows(label):
        known = ", ".join([*schema.names, NOT_A_CLAIM])
        result.problems.append(
            f"{where}: unknown label {label!r} at {raw.start}-{raw.end}; schema {schema.ref} has {known} "
            "(rename it in the file or pass --schema)"
        )
        return None
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    if lead or trail:
        # Tools often let a selection take the space after a word; the claim is the same.
        result.trimmed += 1
        start, end = start + lead, end - trail
        if start >= end:
            result.problems.append(f"{where}: span {raw.start}-{raw.end} holds only whitespace")
            return None
    body_start, body_end = start + placed.shift, end + placed.shift
    if "\n\n" in placed.article.body[body_start:body_end]:
        result.problems.append(
            f"{where}: span {raw.start}-{raw.end} crosses a paragraph break; annotate claims stay within one paragraph"
        )
        return None
    return TaskSpan(body_start, body_end, label, raw.source, raw.note)


@lru_cache(maxsize=4)
def _utf16_index(text: str) -> Utf16Index:
    # One index per task text, however many spans the task has.
    return Utf16Index(text)


def _from_utf16(text: str, start: int, end: int) -> tuple[int, int] | str:
    """Code point offsets of a span given in UTF-16 units, or why there are none."""
    index = _utf16_index(text)
    length = index.to_units(len(text))
    if not 0 <= start < end <= length:
        return f"is outside the text (length {length} UTF-16 units)"
    cp_start, cp_end = index.to_code_points(start), index.to_code_points(end)
    if cp_start is None or cp_end is None:
        return (
            "cuts an emoji or other character in two when read as UTF-16 units; if the file counts "
            "code points, pass --doccano-offsets code-points"
        )
    return cp_start, cp_end


def _label_studio_offsets(text: str, start: int, end: int, claimed: Any) -> tuple[int, int] | str:
    """Code point offsets of a Label Studio region, trying UTF-16 units for older exports."""
    in_range = 0 <= start < end <= len(text)
    if not isinstance(claimed, str):
        if in_range:
            return start, end
        return f"is outside the text (length {len(text)})"
    candidates = [(start, end)] if in_range else []
    index = _utf16_index(text)
    if index.astral:
        cp_start, cp_end = index.to_code_points(start), index.to_code_points(end)
        if cp_start is not None and cp_end is not None:
            candidates.append((cp_start, cp_end))
    # An exact match in either unit first: a UTF-16 region read as code points can
    # match word for word, off by a space, and would then be "trimmed" wrongly.
    for same in (str.__eq__, _same_text):
        for cp_start, cp_end in candidates:
            if same(text[cp_start:cp_end], claimed):
                return cp_start, cp_end
    found = text[start:end] if in_range else "(outside the text)"
    return f": region text {claimed!r} does not match the task text there ({found!r}) in code points or UTF-16 units"


def _same_text(actual: str, claimed: str) -> bool:
    # Label Studio trims runs of spaces in value.text unless the Text tag is
    # styled white-space: pre-wrap (Text tag docs); compare word for word then.
    return actual == claimed or actual.split() == claimed.split()


def _article_events(
    article: Article,
    spans: list[TaskSpan],
    schema: LabelSchema,
    annotator: str,
    existing: Sequence[Event],
    fmt: str,
) -> list[Event]:
    current, _ = split_stale(article, existing)
    layout = {(claim.start, claim.end) for claim in claim_layout(article, current)}
    state = fold_article(current)
    wanted = {(span.start, span.end) for span in spans}
    events: list[Event] = []

    def claim(start: int, end: int) -> Claim:
        return Claim(start, end, article.paragraph_of(start))

    def add(start: int, end: int, op: str, span: TaskSpan | None = None, segment: str | None = None) -> None:
        label, source, note = (span.label, span.source, span.note) if span else (None, None, None)
        event = span_event(
            article, schema.ref, annotator, claim(start, end), op, label, source, note, segment
        )
        event["imported"] = fmt
        events.append(event)

    for span in spans:
        key = (span.start, span.end)
        if key in layout:
            continue
        # The imported span merges or splits claims: retire the claims it
        # overlaps (unless they are imported too) and add it, as a merge would.
        for other in sorted(layout):
            if other not in wanted and other[0] < span.end and span.start < other[1]:
                add(other[0], other[1], "clear", segment="removed")
                layout.discard(other)
                state.pop(other, None)
        add(span.start, span.end, "clear", segment="added")
        layout.add(key)
    for span in spans:
        before = state.get((span.start, span.end))
        if before is not None and (before.get("label"), before.get("source"), before.get("note")) == (
            span.label,
            span.source,
            span.note,
        ):
            continue
        add(span.start, span.end, "label", span)
    if len(events) > 1:
        # One action per article, so undo in the annotate screen takes the
        # whole import of this article back.
        for event in events:
            event["action"] = events[0]["id"]
    return events


def import_file(
    path: Path,
    fmt: str,
    annotator: str,
    articles: Sequence[Article],
    schema: LabelSchema,
    log_file: Path,
    skip_bad: bool = False,
    report: Callable[[str], None] = lambda line: None,
    doccano_offsets: str = "utf-16",
) -> ImportResult:
    """Import a tool's file as `annotator`'s events, appended to `log_file` under its lock.

    Every problem and note goes to `report`, one line each. With problems and
    without `skip_bad`, nothing is written and AnnotateError says how many.
    """
    from annotate.progress import progress
    from annotate.store import EventLog
    from annotate.validate import check_events_against_schema

    tasks = list(read_tasks(path, fmt, doccano_offsets))
    with EventLog(log_file) as log:
        existing = log.read()
        if existing.errors:
            first = existing.errors[0]
            raise AnnotateError(
                f"{first}; fix the annotation file first (annotate validate lists every problem)"
            )
        check_events_against_schema(existing.events, schema, log.path)
        result = import_labels(tasks, articles, schema, annotator, existing.events, fmt)
        for line in result.notes:
            report(line)
        for line in result.problems:
            report(line)
        if result.problems and not skip_bad:
            raise AnnotateError(
                f"{path}: {len(result.problems)} problem(s) listed above; nothing imported "
                "(fix them, or pass --skip-bad to import everything else)"
            )
        if not result.spans and not result.problems:
            # Most often a file of another tool read with the wrong --format, or an empty file.
            raise AnnotateError(
                f"{path}: no labelled span in {result.tasks} task(s) read as {fmt}; nothing imported "
                "(check --format: prodigy, doccano or label-studio)"
            )
        batch = 5000
        start = log.end()
        try:
            with progress(len(result.events), "importing") as tick:
                for offset in range(0, len(result.events), batch):
                    chunk = result.events[offset : offset + batch]
                    log.append(chunk)
                    tick(len(chunk))
        except OSError as error:
            # All or nothing: the chunks already written are cut off again.
            undone = log.truncate(start)
            raise AnnotateError(
                f"{log_file}: cannot write ({error.strerror or error}); "
                + (
                    "nothing was imported"
                    if undone
                    else "the import stopped part-way (run it again once fixed)"
                )
                + ": free space or fix the folder, then import again"
            ) from None
    return result
