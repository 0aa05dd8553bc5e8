"""`annotate export`: the labelled dataset (DESIGN 4.6), its card, and interchange files.

One record per claim unit. Units, votes and the final decision come from
`annotate.units` (gold beats majority beats a single vote; ties marked `tie`);
this module filters them, shapes records, splits by article and writes files.

Every file is written to a hidden temporary file in the target folder, fsynced
and renamed over the target (`os.replace`), so a reader sees the old file or
the new one, never a partial one. The same input gives byte-identical output:
records are sorted, keys are sorted, and nothing depends on the clock.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from annotate.corpus import Article
from annotate.errors import AnnotateError
from annotate.schema import NOT_A_CLAIM, LabelSchema

DATA_FORMATS = ("jsonl", "csv")
FORMATS = (*DATA_FORMATS, "prodigy", "doccano", "label-studio")
SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "prodigy": ".jsonl", "doccano": ".jsonl", "label-studio": ".json"}
CARD_NAME = "DATASET.md"
ARTICLE_FIELDS = ("title", "outlet", "author", "date", "url", "license")
DECISIONS = ("gold", "majority", "single", "tie")
# Record keys in sorted order: records are built in this order so the JSONL
# has sorted keys without orjson sorting every record.
RECORD_KEYS = tuple(
    sorted(
        (
            "id",
            "article_id",
            "article_sha256",
            *ARTICLE_FIELDS,
            "paragraph",
            "start",
            "end",
            "text",
            "context",
            "label",
            "source",
            "decision",
            "adjudicator",
            "tied_labels",
            "annotators",
            "votes",
            "split",
            "schema",
        )
    )
)
_SPLIT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Columns of the CSV, in order; `votes` and `tied_labels` hold JSON.
CSV_COLUMNS = (
    "id",
    "article_id",
    "article_sha256",
    *ARTICLE_FIELDS,
    "paragraph",
    "start",
    "end",
    "text",
    "context",
    "label",
    "source",
    "decision",
    "adjudicator",
    "tied_labels",
    "annotators",
    "votes",
    "split",
    "schema",
)


@dataclass(frozen=True)
class Split:
    """One named part of a split dataset and its share of the articles."""

    name: str
    fraction: float


def parse_split(spec: str) -> list[Split]:
    """Parse `train=0.8,dev=0.1,test=0.1`; shares must be positive and add up to 1."""
    parts: list[Split] = []
    for piece in spec.split(","):
        name, sep, value = piece.strip().partition("=")
        name = name.strip()
        if not sep or not _SPLIT_NAME.fullmatch(name):
            raise AnnotateError(
                f"--split {spec!r}: {piece.strip()!r} is not NAME=SHARE (names are lower-case letters, digits, "
                "'_' or '-'); e.g. --split train=0.8,dev=0.1,test=0.1"
            )
        try:
            fraction = float(value)
        except ValueError:
            raise AnnotateError(
                f"--split {spec!r}: share {value.strip()!r} of {name!r} is not a number"
            ) from None
        if not 0 < fraction <= 1:
            raise AnnotateError(f"--split {spec!r}: share of {name!r} must be above 0 and at most 1")
        if any(part.name == name for part in parts):
            raise AnnotateError(f"--split {spec!r}: {name!r} is given twice")
        parts.append(Split(name, fraction))
    total = sum(part.fraction for part in parts)
    if abs(total - 1) > 1e-6:
        raise AnnotateError(f"--split {spec!r}: the shares add up to {total:g}, not 1")
    return parts


def assign_splits(article_ids: Iterable[str], splits: Sequence[Split], seed: int) -> dict[str, str]:
    """Each article's split: articles shuffled with `seed`, then cut by share (largest remainder).

    Whole articles go to one split, so no article's claims leak across splits.
    """
    ordered = sorted(set(article_ids))
    random.Random(seed).shuffle(ordered)
    total = len(ordered)
    counts = [int(part.fraction * total) for part in splits]
    remainders = sorted(range(len(splits)), key=lambda i: (-(splits[i].fraction * total - counts[i]), i))
    for i in remainders[: total - sum(counts)]:
        counts[i] += 1
    assignment: dict[str, str] = {}
    position = 0
    for part, count in zip(splits, counts, strict=True):
        for article_id in ordered[position : position + count]:
            assignment[article_id] = part.name
        position += count
    return assignment


def split_path(out: Path, name: str) -> Path:
    """Where split `name` of output `out` goes: `claims.jsonl` -> `claims.train.jsonl`."""
    return out.with_name(f"{out.stem}.{name}{out.suffix}")


# -- atomic output --------------------------------------------------------------


def _partial_name(target: Path, pid: int) -> Path:
    return target.with_name(f".{target.name}.{pid}.partial")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(target: Path) -> None:
    """Remove temporary files an earlier, killed export left for `target`."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.partial")
    if not target.parent.is_dir():
        return
    for path in target.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and not _pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)


@contextmanager
def atomic_output(target: Path) -> Iterator[IO[bytes]]:
    """A binary handle whose content replaces `target` only once fully written and fsynced."""
    remove_stale_partials(target)
    partial = _partial_name(target, os.getpid())
    try:
        handle = partial.open("wb")
    except OSError as error:
        raise AnnotateError(f"{target}: cannot write ({error.strerror}); check the folder") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic garbage collector off for a block.

    Export makes hundreds of thousands of short-lived records while the units
    hold a million objects: each collection would rescan those for nothing
    (records have no reference cycles).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- records --------------------------------------------------------------------


@dataclass
class ExportOptions:
    """What `annotate export` was asked for."""

    corpus: Path
    annotations: Path
    fmt: str
    out: Path
    force: bool = False
    min_annotators: int = 1
    include_not_a_claim: bool = False
    include_ties: bool = False
    split: str | None = None
    seed: int | None = None
    schema: Path | None = None
    label_studio_offsets: str = "code-points"
    skip_bad: bool = False


@dataclass
class ExportSummary:
    """What an export wrote and left out, for the CLI and the card."""

    files: list[Path] = field(default_factory=list)
    records: int = 0
    per_split: dict[str, int] = field(default_factory=dict)
    labels: Counter[str] = field(default_factory=Counter)
    labels_per_split: dict[str, Counter[str]] = field(default_factory=dict)
    decisions: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    annotator_votes: Counter[str] = field(default_factory=Counter)
    article_records: Counter[str] = field(default_factory=Counter)
    missing_article_events: int = 0
    stale_events: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per phase (corpus, units, records, agreement), for the benchmark."""


def article_fields(article: Article) -> dict[str, Any]:
    """An article's metadata as record fields: always the same keys, text or null."""
    fields: dict[str, Any] = {"article_id": article.article_id, "article_sha256": article.sha256}
    for key in ARTICLE_FIELDS:
        value = article.meta.get(key)
        fields[key] = None if value is None or value == "" else str(value)
    return fields


def make_record(
    article: Article,
    article_meta: dict[str, Any],
    start: int,
    end: int,
    paragraph: int,
    label: str | None,
    source: str | None,
    decision: str,
    adjudicator: str | None,
    tied: Sequence[str],
    votes: Sequence[dict[str, Any]],
    schema_ref: str,
    split: str | None,
) -> dict[str, Any]:
    """One dataset record (DESIGN 4.6). Every record has the same keys and value types."""
    # Keys in sorted order (RECORD_KEYS): orjson keeps insertion order, so
    # the JSONL has sorted keys without sorting each record.
    return {
        "adjudicator": adjudicator,
        "annotators": len(votes),
        "article_id": article_meta["article_id"],
        "article_sha256": article_meta["article_sha256"],
        "author": article_meta["author"],
        "context": article.paragraphs[paragraph],
        "date": article_meta["date"],
        "decision": decision,
        "end": end,
        "id": f"{article.article_id}:{start}-{end}",
        "label": label,
        "license": article_meta["license"],
        "outlet": article_meta["outlet"],
        "paragraph": paragraph,
        "schema": schema_ref,
        "source": source,
        "split": split,
        "start": start,
        "text": article.body[start:end],
        "tied_labels": list(tied),
        "title": article_meta["title"],
        "url": article_meta["url"],
        "votes": list(votes),
    }


def encode_jsonl(record: dict[str, Any]) -> bytes:
    """A record as one JSONL line (records and votes are built with their keys sorted)."""
    return orjson.dumps(record) + b"\n"


class CsvWriter:
    """Flat CSV: one column per field; `votes` and `tied_labels` as JSON text."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.writer.writerow(CSV_COLUMNS)

    def write(self, record: dict[str, Any]) -> None:
        """Add one record."""
        row = []
        for column in CSV_COLUMNS:
            value = record[column]
            if column in ("votes", "tied_labels"):
                value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
            row.append("" if value is None else value)
        self.writer.writerow(row)
        if self.buffer.tell() > 1 << 20:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        self.handle.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()


# -- the export -----------------------------------------------------------------


def newest_event_time(files: Iterable[Path]) -> str | None:
    """The latest `ts` among the last lines of append-only event files (None if none)."""
    newest: str | None = None
    for path in files:
        try:
            with path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 65536))
                tail = handle.read().splitlines()
        except OSError:
            continue
        for line in reversed(tail):
            try:
                ts = orjson.loads(line).get("ts")
            except (orjson.JSONDecodeError, AttributeError):
                continue
            if isinstance(ts, str):
                newest = ts if newest is None or ts > newest else newest
                break
    return newest


def run_export(options: ExportOptions, report: Callable[[str], None] = lambda line: None) -> ExportSummary:
    """Export the dataset as asked; returns what was written and left out."""
    from annotate.corpus import discover
    from annotate.progress import progress
    from annotate.schema import DEFAULT_SCHEMA, load_schema
    from annotate.units import gold_files, load_units

    if options.fmt not in FORMATS:
        raise AnnotateError(f"unknown format {options.fmt!r}: use one of {', '.join(FORMATS)}")
    if options.min_annotators < 1:
        raise AnnotateError("--min-annotators must be 1 or more")
    if options.seed is not None and options.split is None:
        raise AnnotateError("--seed only applies with --split; add e.g. --split train=0.8,dev=0.1,test=0.1")
    splits = parse_split(options.split) if options.split else None
    out = options.out
    targets = [split_path(out, part.name) for part in splits] if splits else [out]
    card = out.parent / CARD_NAME
    if not out.parent.is_dir():
        raise AnnotateError(f"{out.parent}: no such folder for --out; create it first")
    existing = [path for path in [*targets, card] if path.exists()]
    if existing and not options.force:
        raise AnnotateError(
            f"{existing[0]} already exists; pass --force to replace it"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else "")
        )
    schema = load_schema(options.schema or DEFAULT_SCHEMA)
    clock = time.perf_counter()
    articles = {item.article_id: item.load() for item in discover([options.corpus])}
    timings = {"corpus": time.perf_counter() - clock}
    if not options.annotations.exists():
        raise AnnotateError(f"{options.annotations}: no such annotation folder or file; check --annotations")
    size = sum(path.stat().st_size for path in _event_files(options.annotations))
    with progress(size, "reading", threshold=8 << 20) as tick:
        units = load_units([options.annotations], articles, skip_bad=options.skip_bad, progress=tick)
    if units.schema_ref is not None and units.schema_ref != schema.ref:
        raise AnnotateError(
            f"{options.annotations}: events use schema {units.schema_ref!r} but the schema given is "
            f"{schema.ref!r}; pass the matching --schema"
        )
    timings["units"] = time.perf_counter() - clock - timings["corpus"]
    summary = ExportSummary(timings=timings)
    summary.missing_article_events = units.unknown_article_events
    summary.stale_events = units.stale_events
    summary.problems = [str(problem) for problem in units.problems]
    summary.notes = list(units.notes_for_report)
    if units.unknown_article_events:
        report(
            f"skipped {units.unknown_article_events} event(s) about articles missing from {options.corpus} "
            "(annotate validate names them)"
        )
    if units.stale_events:
        report(f"skipped {units.stale_events} stale event(s) made on an earlier version of an article body")
    for line in summary.problems:
        report(line)
    for line in summary.notes:
        report(line)

    metas = {article_id: article_fields(article) for article_id, article in articles.items()}
    # Whole articles are shared out among the splits: every article with a
    # labelled unit, so the assignment does not depend on the filters.
    assignment = assign_splits({key[0] for key in units.keys}, splits, options.seed or 0) if splits else {}
    with paused_gc(), ExitStack() as stack:
        sinks = {
            target: RecordSink(options, stack.enter_context(atomic_output(target)), articles)
            for target in targets
        }
        with progress(len(units.keys), "exporting") as tick:
            labels = summary.labels
            decisions = summary.decisions
            article_records = summary.article_records
            annotator_votes = summary.annotator_votes
            excluded = summary.excluded
            minimum = options.min_annotators
            ref = schema.ref
            for done, unit in enumerate(decided_units(units), 1):
                if not done % 4096:
                    tick(4096)
                method = unit.method
                if len(unit.votes) < minimum:
                    excluded["fewer annotators than --min-annotators"] += 1
                    continue
                if method == "tie" and not options.include_ties:
                    excluded["ties (pass --include-ties)"] += 1
                    continue
                if unit.label == NOT_A_CLAIM and not options.include_not_a_claim:
                    excluded["not_a_claim (pass --include-not-a-claim)"] += 1
                    continue
                article_id = unit.key[0]
                split = assignment[article_id] if splits else None
                votes = [
                    {"annotator": v[0], "end": v[5], "label": v[1], "source": v[2], "start": v[4]}
                    for v in unit.votes
                ]
                record = make_record(
                    articles[article_id],
                    metas[article_id],
                    unit.key[1],
                    unit.key[2],
                    unit.paragraph,
                    unit.label,
                    unit.source,
                    method,
                    unit.adjudicator,
                    unit.tied,
                    votes,
                    ref,
                    split,
                )
                sinks[split_path(out, split) if split else out].write(record, unit.note)
                label = unit.label or "tie"
                summary.records += 1
                labels[label] += 1
                decisions[method] += 1
                article_records[article_id] += 1
                for vote in unit.votes:
                    annotator_votes[vote[0]] += 1
                if split:
                    summary.per_split[split] = summary.per_split.get(split, 0) + 1
                    summary.labels_per_split.setdefault(split, Counter())[label] += 1
        for sink in sinks.values():
            sink.close()
    summary.files.extend(targets)
    timings["records"] = time.perf_counter() - clock - timings["corpus"] - timings["units"]
    if splits:
        for part in splits:
            if not summary.per_split.get(part.name):
                report(f"split {part.name!r} is empty ({len(assignment)} article(s) to share out)")
    with paused_gc():
        agreement = _agreement(units, schema)
    timings["agreement"] = time.perf_counter() - clock - sum(timings.values())
    newest = newest_event_time([*_event_files(options.annotations), *gold_files([options.annotations])])
    from annotate.card import render_card

    text = render_card(options, summary, schema, articles, agreement, newest, units.annotators)
    with atomic_output(card) as handle:
        handle.write(text.encode("utf-8"))
    summary.files.append(card)
    return summary


class DecidedUnit(NamedTuple):
    """A unit with its final decision, as export needs it."""

    key: tuple[str, int, int]
    paragraph: int
    votes: list[tuple[str, str, str | None, str | None, int, int]]
    """(annotator, label, source, note, start, end), sorted by annotator."""
    label: str | None
    source: str | None
    method: str
    tied: tuple[str, ...]
    adjudicator: str | None
    note: str | None
    """The note that goes with the decided label: the adjudicator's or the single annotator's."""


def decided_units(units: Any) -> Iterator[DecidedUnit]:
    """Every unit of a UnitSet with `units.final_decision`'s decision, in key order.

    `final_decision` decides from the multiset of labels (gold aside) and takes
    the source with `majority_source` among the winners. Building a `Unit` with
    `Vote` objects for each of 200,000 units costs more than the rest of the
    export, so the label decision is computed by `final_decision` once per
    distinct multiset of labels (there are few) and the source by
    `majority_source` only where a winner named one. Gold units go through
    `final_decision` whole. A test checks this equals `final_decision(unit)`.
    """
    from annotate.units import Unit, Vote, final_decision, majority_source

    # UnitSet columns are lists indexed by unit id (`order` lists the ids in
    # key order): per unit, list indexing rather than hashing span tuples.
    columns = sorted(
        zip(units.annotators, units.labels, units.sources, units.notes, units.spans, strict=True),
        key=lambda column: column[0],
    )
    names = units.label_names
    info = units.info
    unit_keys = units.unit_keys
    gold = units.gold
    cache: dict[tuple[str, ...], Any] = {}
    sources_cache: dict[tuple[str, tuple[str | None, ...]], str | None] = {}
    for uid in units.order:
        key = unit_keys[uid]
        start, end = key[1], key[2]
        votes = []
        for annotator, labels, sources, notes, spans in columns:
            code = labels[uid]
            if code is not None:
                own = spans.get(uid) if spans else None
                votes.append(
                    (
                        annotator,
                        names[code],
                        sources[uid],
                        notes.get(uid) if notes else None,
                        own[0] if own else start,
                        own[1] if own else end,
                    )
                )
        paragraph = info[uid][0]
        if key in gold:
            decision = final_decision(units.unit(key))
            adjudicator = gold[key].adjudicator if decision.method == "gold" else None
            note = gold[key].note if decision.method == "gold" else None
            yield DecidedUnit(
                key,
                paragraph,
                votes,
                decision.label,
                decision.source,
                decision.method,
                decision.tied,
                adjudicator,
                note,
            )
            continue
        profile = tuple(sorted(vote[1] for vote in votes))
        base = cache.get(profile)
        if base is None:
            unsourced = {f"v{i:06d}": Vote(label, None, None, start, end) for i, label in enumerate(profile)}
            base = cache[profile] = final_decision(Unit(key[0], start, end, paragraph, "", "", unsourced))
        label = base.label
        source = None
        if label is not None:
            named = tuple(vote[2] for vote in votes if vote[1] == label)
            if any(named):
                # majority_source depends only on the winners' sources in annotator order.
                source_key = (label, named)
                if source_key in sources_cache:
                    source = sources_cache[source_key]
                else:
                    if len(sources_cache) > 65536:
                        sources_cache.clear()
                    source = sources_cache[source_key] = majority_source(
                        {f"v{i:06d}": Vote(label, name, None, start, end) for i, name in enumerate(named)},
                        label,
                    )
        note = votes[0][3] if base.method == "single" else None
        yield DecidedUnit(key, paragraph, votes, label, source, base.method, base.tied, None, note)


class RecordSink:
    """Records to one output file, in the export's format."""

    def __init__(self, options: ExportOptions, handle: IO[bytes], articles: dict[str, Article]) -> None:
        from annotate.interchange import TaskWriter

        self.fmt = options.fmt
        self.handle = handle
        self.articles = articles
        self.buffer: list[bytes] = []
        self.csv = CsvWriter(handle) if self.fmt == "csv" else None
        self.tasks = (
            TaskWriter(self.fmt, handle, options.label_studio_offsets)
            if self.fmt not in DATA_FORMATS
            else None
        )
        self.article_id: str | None = None
        self.spans: list[Any] = []

    def write(self, record: dict[str, Any], note: str | None) -> None:
        """Add one record (records arrive sorted by article, then span)."""
        if self.fmt == "jsonl":
            self.buffer.append(encode_jsonl(record))
            if len(self.buffer) >= 4096:
                self.handle.write(b"".join(self.buffer))
                self.buffer.clear()
        elif self.csv is not None:
            self.csv.write(record)
        elif record["label"] is not None:  # a tie has no label to put on a span
            from annotate.interchange import TaskSpan

            if record["article_id"] != self.article_id:
                self._flush_task()
                self.article_id = record["article_id"]
            self.spans.append(
                TaskSpan(record["start"], record["end"], record["label"], record["source"], note)
            )

    def _flush_task(self) -> None:
        from annotate.interchange import Task

        if self.tasks is not None and self.article_id is not None and self.spans:
            self.tasks.write(Task(self.articles[self.article_id], tuple(self.spans)))
        self.spans = []

    def close(self) -> None:
        """Write what is pending and finish the file."""
        if self.buffer:
            self.handle.write(b"".join(self.buffer))
            self.buffer.clear()
        if self.csv is not None:
            self.csv.flush()
        if self.tasks is not None:
            self._flush_task()
            self.tasks.close()


def _event_files(annotations: Path) -> list[Path]:
    from annotate.store import event_files

    return event_files([annotations])


def _agreement(units: Any, schema: LabelSchema) -> dict[str, Any]:
    """The agreement report (DESIGN 4.5) over the same units, from issue 3's agreement module."""
    from annotate.agreement import agreement_report

    return agreement_report(units, schema.names)
