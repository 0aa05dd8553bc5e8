"""`annotate export`: the labelled dataset (DESIGN 4.6), its card, and interchange files.

One record per claim unit. Units, votes and the final decision come from
`annotate.units` (gold beats majority beats a single vote; ties marked `tie`),
the card's agreement figures from `annotate.agreement`; this module filters
units, shapes records, splits by article and writes files.

Every file is written to a hidden temporary file in the target folder, fsynced
and renamed over the target (`os.replace`), so a reader sees the old file or
the new one, never a partial one. The same input gives byte-identical output:
units come in key order, record keys are sorted, and nothing depends on the clock.

The export is one streaming pass over the units: each record is built, encoded
and buffered, and no list of all the records is ever held (shared with
children, each process holds a few pieces at most, `MOST_HELD`).
"""

from __future__ import annotations

import bisect
import csv
import errno
import functools
import io
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import groupby, pairwise
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, TypeVar

import orjson

from annotate.corpus import Article
from annotate.errors import AnnotateError
from annotate.forked import Child, SharedSizes, Tickets, can_fork, start_children
from annotate.schema import NOT_A_CLAIM, LabelSchema
from annotate.store import SpanKey, fsync_folder
from annotate.units import (
    Decision,
    Unit,
    UnitSet,
    Vote,
    final_decision,
    gc_paused,
    majority,
    majority_source,
)

DATA_FORMATS = ("jsonl", "csv")
TASK_FORMATS = ("prodigy", "doccano", "label-studio")
FORMATS = (*DATA_FORMATS, *TASK_FORMATS)
SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "prodigy": ".jsonl", "doccano": ".jsonl", "label-studio": ".json"}
CARD_NAME = "DATASET.md"
ARTICLE_FIELDS = ("title", "outlet", "author", "date", "url", "license")
DECISIONS = ("gold", "majority", "single", "tie")
# Every record field, in the CSV's column order.
FIELDS = (
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
    "top_labels",
    "annotators",
    "votes",
    "split",
    "schema",
)
CSV_COLUMNS = FIELDS
# The order of keys in a JSONL record. Records are built in this order, so the
# JSONL has sorted keys without orjson sorting every record.
RECORD_KEYS = tuple(sorted(FIELDS))
_SPLIT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_BATCH = 4096
T = TypeVar("T")


# -- splits ---------------------------------------------------------------------


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
    """The hidden file export `pid` writes `target` into."""
    return target.with_name(f".{target.name}.{pid}.partial")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has ended but is not yet reaped (an export child killed with its
    # parent, in a container whose first process is slow to reap): it writes no more.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def remove_stale_partials(target: Path) -> None:
    """Remove temporary files an earlier, killed export left for `target`.

    A partial file is named after the export that writes it (its children
    write into it too): it is stale when that export has ended, whatever its
    children's state. Earlier versions wrote each child's share to a file of
    its own, `<export pid>-<child pid>`, stale on the same terms.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)(?:-\d+)?\.partial")
    if not target.parent.is_dir():
        return
    for path in target.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and not _pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)


class StagedFiles:
    """Outputs written beside their targets and renamed over them together, once all are written.

    Each target gets a hidden partial file; `commit` fsyncs them all, then
    renames each over its target and fsyncs the folders. Until then no target
    is touched: an export that fails (a full disk, say) part-way, even while
    writing the card after the data, replaces nothing, and its partial files
    are removed. Leaving the `with` block on an OSError says so in one line.
    """

    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path, IO[bytes]]] = []

    def open(self, target: Path) -> IO[bytes]:
        """A binary handle for `target`'s new content."""
        remove_stale_partials(target)
        partial = _partial_name(target, os.getpid())
        # A large buffer: records are written one by one, each a fraction of a page.
        handle = partial.open("wb", buffering=1 << 20)
        self.staged.append((target, partial, handle))
        return handle

    def commit(self) -> None:
        """Make every staged file durable, then put each in place."""
        for _, _, handle in self.staged:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        for target, partial, _ in self.staged:
            os.replace(partial, target)
        for folder in dict.fromkeys(target.parent for target, _, _ in self.staged):
            fsync_folder(folder)
        self.staged = []

    def discard(self) -> None:
        """Remove every partial file; no target was touched."""
        for _, partial, handle in self.staged:
            # Closing flushes what is buffered, which fails again on a full disk
            # (the file is closed all the same): the partial file goes regardless.
            with suppress(OSError):
                handle.close()
            partial.unlink(missing_ok=True)
        self.staged = []

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: object) -> None:
        if kind is None:
            return
        folders = ", ".join(dict.fromkeys(str(target.parent) for target, _, _ in self.staged))
        with suppress(OSError):
            self.discard()
        if isinstance(error, OSError):
            raise AnnotateError(
                f"{folders or 'the output folder'}: cannot write the export ({error.strerror or error}); "
                "nothing was replaced: free space or fix the folder, then export again"
            ) from None


# -- what was asked -------------------------------------------------------------


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
    doccano_offsets: str = "utf-16"
    skip_bad: bool = False
    jobs: int = 1
    """Processes to share the work among (`annotate.forked`); 1 keeps it in this one."""


@dataclass(frozen=True)
class ExportPlan:
    """Checked options: the schema, the splits and every file the export will write."""

    options: ExportOptions
    schema: LabelSchema
    splits: tuple[Split, ...]
    targets: tuple[Path, ...]
    card: Path


def plan_export(options: ExportOptions) -> ExportPlan:
    """Check the options before any heavy work: format, split, output files, --force, schema."""
    from annotate.schema import DEFAULT_SCHEMA, load_schema

    if options.fmt not in FORMATS:
        raise AnnotateError(f"unknown format {options.fmt!r}: use one of {', '.join(FORMATS)}")
    if options.min_annotators < 1:
        raise AnnotateError("--min-annotators must be 1 or more")
    if options.seed is not None and options.split is None:
        raise AnnotateError("--seed only applies with --split; add e.g. --split train=0.8,dev=0.1,test=0.1")
    for name, value in (
        ("--label-studio-offsets", options.label_studio_offsets),
        ("--doccano-offsets", options.doccano_offsets),
    ):
        if value not in ("code-points", "utf-16"):
            raise AnnotateError(f"{name} must be code-points or utf-16")
    splits = tuple(parse_split(options.split)) if options.split else ()
    out = options.out
    targets = tuple(split_path(out, part.name) for part in splits) if splits else (out,)
    card = out.parent / CARD_NAME
    if card in targets:
        raise AnnotateError(f"--out {out}: that name is the dataset card's; choose another file name")
    if not out.parent.is_dir():
        raise AnnotateError(f"{out.parent}: no such folder for --out; create it first")
    folders = [path for path in [*targets, card] if path.is_dir()]
    if folders:
        raise AnnotateError(
            f"--out {out}: {folders[0]} is a folder; give a file name, e.g. --out {out / ('claims' + SUFFIX[options.fmt])}"
            if folders[0] == out
            else f"--out {out}: {folders[0]} is a folder, where a file would be written; choose another name"
        )
    existing = [path for path in [*targets, card] if path.exists()]
    if existing and not options.force:
        raise AnnotateError(
            f"{existing[0]} already exists; pass --force to replace it"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else "")
        )
    if not options.annotations.exists():
        raise AnnotateError(f"{options.annotations}: no such annotation folder or file; check --annotations")
    schema = load_schema(options.schema or DEFAULT_SCHEMA)
    return ExportPlan(options, schema, splits, targets, card)


@dataclass
class ExportSummary:
    """What an export wrote and left out, for the CLI and the card."""

    files: list[Path] = field(default_factory=list)
    records: int = 0
    per_split: dict[str, int] = field(default_factory=dict)
    articles_per_split: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    labels_per_split: dict[str, Counter[str]] = field(default_factory=dict)
    decisions: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    annotator_votes: Counter[str] = field(default_factory=Counter)
    article_records: Counter[str] = field(default_factory=Counter)
    missing_article_events: int = 0
    stale_events: int = 0
    problems: int = 0
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per phase (records, agreement), for the benchmark."""


# -- decisions ------------------------------------------------------------------


class DecidedUnit(NamedTuple):
    """A unit with its final decision, as export needs it."""

    key: SpanKey
    votes: list[dict[str, Any]]
    """The record's `votes`: `annotator`, `end`, `label`, `source` ("" for none), `start`
    (the span the annotator drew), keys sorted, sorted by annotator."""
    voters: tuple[str, ...]
    """The annotators of `votes`, in the same order."""
    label: str | None
    source: str | None
    method: str
    tied: tuple[str, ...]
    top: tuple[str, ...]
    """The label most annotators gave, or the labels that tied for most (gold aside)."""
    adjudicator: str | None
    note: str | None
    """The note that goes with the decided label: the adjudicator's or the single annotator's."""


class _Profile(NamedTuple):
    """The decision for one combination of label codes across the annotator columns."""

    voters: tuple[tuple[int, str, str], ...]  # (column, annotator, label)
    names: tuple[str, ...]
    position: dict[int, int]  # column -> index in voters
    decision: Decision
    top: tuple[str, ...]  # the label(s) with the most votes
    winners: tuple[int, ...]  # columns that gave the decided label
    winners_sources: Callable[[Sequence[str | None]], tuple[str | None, ...]]


def _decide_profile(profile: tuple[int | None, ...], names: Sequence[str], labels: Sequence[str]) -> _Profile:
    voters = tuple((i, names[i], labels[code]) for i, code in enumerate(profile) if code is not None)
    votes = {name: Vote(label, None, None, 0, 0) for _, name, label in voters}
    decision = final_decision(Unit("", 0, 0, 0, "", "", votes))
    leader, tied = majority(votes)
    winners = tuple(i for i, _, label in voters if label == decision.label)
    position = {i: n for n, (i, _, _) in enumerate(voters)}
    return _Profile(
        voters,
        tuple(name for _, name, _ in voters),
        position,
        decision,
        (leader,) if leader is not None else tied,
        winners,
        _picker(winners),
    )


def _picker(columns: tuple[int, ...]) -> Callable[[Sequence[str | None]], tuple[str | None, ...]]:
    """A function taking those columns out of a row, always as a tuple (itemgetter of one index is not)."""
    if len(columns) == 1:
        (only,) = columns
        return lambda row: (row[only],)
    return itemgetter(*columns) if columns else lambda row: ()


def without_overlaps(
    units: Iterable[DecidedUnit], excluded: Counter[str], reason: str
) -> Iterator[DecidedUnit]:
    """`units` (in key order) less any that overlaps a unit kept in its article, counted under `reason`.

    Annotators who drew different boundaries (a merge, a split) leave units
    that overlap; the dataset keeps them all, but a Prodigy, doccano or Label
    Studio task holds one span per place, and such a file could not be read
    back. Kept first: gold, then the most votes, then the earliest and shortest.
    """
    for _, group in groupby(units, key=lambda unit: unit.key[0]):
        candidates = list(group)
        ranked = sorted(
            range(len(candidates)),
            key=lambda i: (
                candidates[i].method != "gold",
                -len(candidates[i].votes),
                candidates[i].key[1],
                candidates[i].key[2] - candidates[i].key[1],
            ),
        )
        # The kept spans never overlap, so sorted by start they are sorted by end too:
        # only the last one starting before `end` can overlap a new span.
        starts: list[int] = []
        ends: list[int] = []
        chosen: list[int] = []
        for i in ranked:
            _, start, end = candidates[i].key
            before = bisect.bisect_left(starts, end) - 1
            if before >= 0 and ends[before] > start:
                excluded[reason] += 1
                continue
            starts.insert(before + 1, start)
            ends.insert(before + 1, end)
            chosen.append(i)
        yield from (candidates[i] for i in sorted(chosen))


@dataclass
class Decided:
    """Decisions made per combination of labels and of sources, kept from one run of `decided_units` to the next."""

    profiles: dict[tuple[int | None, ...], _Profile] = field(default_factory=dict)
    sources: dict[tuple[str, tuple[str | None, ...]], str | None] = field(default_factory=dict)


def decided_units(
    units: UnitSet, order: Sequence[int] | None = None, decided: Decided | None = None
) -> Iterator[DecidedUnit]:
    """Every unit with votes (or those of `order`, a run of `units.order`), in key order, with its decision.

    The decision is `units.final_decision`'s.

    This is the one place export reads the UnitSet's bulk columns (the access
    units.py documents for agreement) instead of `UnitSet.units()`: building a
    `Unit` of `Vote` objects per claim costs about 6 s for 200,000 claims, more
    than the rest of the export. The rule is not copied: the label decision is
    `final_decision` run once per distinct combination of labels (there are few),
    the source `majority_source` once per distinct tuple of the winners' sources,
    and gold units go through `final_decision(units.unit(key))` whole.
    `test_fast_decisions_equal_final_decision` checks the result equals
    `final_decision(unit)` on every unit.
    """
    names = units.annotators
    label_names = units.label_names
    if order is None:
        order = units.order
    unit_keys = units.unit_keys
    gold = units.gold
    notes = units.notes
    label_columns = [list(map(column.__getitem__, order)) for column in units.labels]
    source_columns = [list(map(column.__getitem__, order)) for column in units.sources]
    # Votes moved to a unit by overlap matching keep the annotator's own span.
    moved = [(index, spans) for index, spans in enumerate(units.spans) if spans]
    # Kept across runs: a run of a few thousand units would otherwise decide most combinations again.
    decided = decided or Decided()
    profiles, sources_decided = decided.profiles, decided.sources
    # tuple.__new__ builds the NamedTuple without its Python-level __new__
    # (a tenth of the cost, for 200,000 units).
    make = tuple.__new__
    for uid, profile, sources in zip(
        order, zip(*label_columns, strict=True), zip(*source_columns, strict=True), strict=True
    ):
        key = unit_keys[uid]
        known = profiles.get(profile)
        if known is None:
            known = profiles[profile] = _decide_profile(profile, names, label_names)
        _, start, end = key
        votes = [
            {"annotator": name, "end": end, "label": label, "source": sources[i] or "", "start": start}
            for i, name, label in known.voters
        ]
        for index, spans in moved:
            own = spans.get(uid)
            at = known.position.get(index)
            if own is not None and at is not None:
                votes[at]["start"], votes[at]["end"] = own
        if gold and key in gold:
            decision = final_decision(units.unit(key))
            adjudicator = gold[key].adjudicator if decision.method == "gold" else None
            note = gold[key].note if decision.method == "gold" else None
            yield make(
                DecidedUnit,
                (
                    key,
                    votes,
                    known.names,
                    decision.label,
                    decision.source,
                    decision.method,
                    decision.tied,
                    known.top,
                    adjudicator,
                    note,
                ),
            )
            continue
        decision = known.decision
        label = decision.label
        source = None
        if label is not None:
            named = known.winners_sources(sources)
            if any(named):
                # majority_source depends only on the winners' sources, in annotator order.
                cache_key = (label, named)
                if cache_key in sources_decided:
                    source = sources_decided[cache_key]
                else:
                    if len(sources_decided) > 65536:
                        sources_decided.clear()
                    winners = {names[i]: Vote(label, sources[i], None, 0, 0) for i in known.winners}
                    source = sources_decided[cache_key] = majority_source(winners, label)
        note = notes[known.voters[0][0]].get(uid) if decision.method == "single" else None
        yield make(
            DecidedUnit,
            (key, votes, known.names, label, source, decision.method, decision.tied, known.top, None, note),
        )


# -- records --------------------------------------------------------------------


class ArticleFields(NamedTuple):
    """What every record of one article shares."""

    article: Article
    meta: tuple[str, ...]
    """The ARTICLE_FIELDS values, "" where the article has none."""
    split: str


def article_fields(article: Article, split: str | None = None) -> ArticleFields:
    """An article's shared record fields: always the same keys, text ("" where absent)."""
    meta = tuple(
        "" if value is None else str(value) for value in (article.meta.get(key) for key in ARTICLE_FIELDS)
    )
    return ArticleFields(article, meta, split or "")


def make_record(unit: DecidedUnit, shared: ArticleFields, schema_ref: str) -> dict[str, Any]:
    """One dataset record (DESIGN 4.6).

    Every record has the same keys, each always of one JSON type, never null or
    an empty list: absent text is "". Loaders that infer a column's type from the
    first part of a file (the Hugging Face JSON loader reads 10 MiB) could not
    take text into a column they saw only nulls in.
    """
    key, votes, _, label, source, method, _, top, adjudicator, _ = unit
    article, (title, outlet, author, date, url, license_), split = shared
    article_id, start, end = key
    paragraph = bisect.bisect_right(article.paragraph_starts, start) - 1
    # Keys in sorted order (RECORD_KEYS); orjson keeps insertion order.
    return {
        "adjudicator": adjudicator or "",
        "annotators": len(votes),
        "article_id": article_id,
        "article_sha256": article.sha256,
        "author": author,
        "context": article.paragraphs[paragraph],
        "date": date,
        "decision": method,
        "end": end,
        "id": f"{article_id}:{start}-{end}",
        "label": label or "",
        "license": license_,
        "outlet": outlet,
        "paragraph": paragraph,
        "schema": schema_ref,
        "source": source or "",
        "split": split,
        "start": start,
        "text": article.body[start:end],
        "title": title,
        "top_labels": top,
        "url": url,
        "votes": votes,
    }


class Writable(Protocol):
    """Where a sink writes: a binary file, or a piece of one (`_Chunks`)."""

    def write(self, data: bytes, /) -> object:
        """Add `data`."""


class RecordSink:
    """Decided units to one output file, in the export's format."""

    def __init__(self, handle: Writable, schema_ref: str) -> None:
        self.handle = handle
        self.schema_ref = schema_ref

    def write(self, unit: DecidedUnit, shared: ArticleFields) -> None:
        """Add one unit (units arrive in key order: by article, then span)."""
        raise NotImplementedError

    def close(self) -> None:
        """Write what is pending and finish the file."""


class JsonlSink(RecordSink):
    """One JSON object a line, keys sorted."""

    def write(self, unit: DecidedUnit, shared: ArticleFields) -> None:
        """Add one record."""
        self.handle.write(
            orjson.dumps(make_record(unit, shared, self.schema_ref), option=orjson.OPT_APPEND_NEWLINE)
        )


class CsvSink(RecordSink):
    """Flat CSV: one column per field; `votes` and `top_labels` as JSON text."""

    def __init__(self, handle: Writable, schema_ref: str, header: bool = True) -> None:
        super().__init__(handle, schema_ref)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        if header:
            self.writer.writerow(CSV_COLUMNS)

    def write(self, unit: DecidedUnit, shared: ArticleFields) -> None:
        """Add one row."""
        record = make_record(unit, shared, self.schema_ref)
        record["votes"] = orjson.dumps(record["votes"]).decode()
        record["top_labels"] = orjson.dumps(record["top_labels"]).decode()
        self.writer.writerow([record[column] for column in CSV_COLUMNS])
        if self.buffer.tell() > 1 << 20:
            self.close()

    def close(self) -> None:
        """Write what is buffered."""
        self.handle.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()


class TaskSink(RecordSink):
    """Prodigy, doccano or Label Studio tasks: one task per article with its decided spans."""

    def __init__(self, handle: IO[bytes], schema_ref: str, fmt: str, offsets: str) -> None:
        from annotate.interchange import TaskWriter

        super().__init__(handle, schema_ref)
        self.tasks = TaskWriter(fmt, handle, offsets)
        self.article: Article | None = None
        self.spans: list[Any] = []

    def write(self, unit: DecidedUnit, shared: ArticleFields) -> None:
        """Add the unit's span to its article's task."""
        from annotate.interchange import TaskSpan

        if unit.label is None:
            raise ValueError("a tie has no label to put on a span")  # run_export leaves ties out
        if shared.article is not self.article:
            self._flush()
            self.article = shared.article
        _, start, end = unit.key
        self.spans.append(TaskSpan(start, end, unit.label, unit.source, unit.note))

    def _flush(self) -> None:
        from annotate.interchange import Task

        if self.article is not None and self.spans:
            self.tasks.write(Task(self.article, tuple(self.spans)))
        self.spans = []

    def close(self) -> None:
        """Write the last task and finish the file."""
        self._flush()
        self.tasks.close()


def _sink(plan: ExportPlan, handle: IO[bytes]) -> RecordSink:
    """The format's sink for a whole file."""
    fmt, ref = plan.options.fmt, plan.schema.ref
    if fmt in DATA_FORMATS:
        return _data_sink(plan, handle)
    offsets = plan.options.doccano_offsets if fmt == "doccano" else plan.options.label_studio_offsets
    return TaskSink(handle, ref, fmt, offsets)


def _data_sink(plan: ExportPlan, handle: Writable, header: bool = True) -> RecordSink:
    """The jsonl or csv sink; `header=False` for a piece of a file after its start (`_take_pieces`)."""
    if plan.options.fmt == "csv":
        return CsvSink(handle, plan.schema.ref, header)
    return JsonlSink(handle, plan.schema.ref)


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


def export_dataset(
    plan: ExportPlan,
    articles: Mapping[str, Article],
    units: UnitSet,
    report: Callable[[str], None] = lambda line: None,
) -> ExportSummary:
    """Write the records of `units` (loaded with `articles`) and the card, as `plan` says."""
    from annotate.agreement import Report, agreement_report
    from annotate.card import render_card
    from annotate.units import gold_files

    options, schema = plan.options, plan.schema
    if not units.annotators:
        raise AnnotateError(
            f"{options.annotations}: no annotation events to export; check --annotations (nothing was written)"
        )
    if units.schema_ref is not None and units.schema_ref != schema.ref:
        raise AnnotateError(
            f"{options.annotations}: events use schema {units.schema_ref!r} but the schema given is "
            f"{schema.ref!r}; pass the matching --schema"
        )
    summary = ExportSummary(
        missing_article_events=units.unknown_article_events,
        stale_events=units.stale_events,
        problems=len(units.problems),
        notes=list(units.notes_for_report),
    )
    if units.unknown_article_events:
        report(
            f"skipped {units.unknown_article_events} event(s) about articles missing from {options.corpus} "
            "(annotate validate names them)"
        )
    if units.stale_events:
        report(f"skipped {units.stale_events} stale event(s) made on an earlier version of an article body")
    for line in summary.notes:
        report(line)

    out = options.out
    for leftover in sorted(out.parent.glob(f"{out.stem}.*{out.suffix}")):
        if leftover not in plan.targets and not leftover.name.startswith("."):
            # An earlier export's split, beside a card that will not mention it.
            report(
                f"{leftover} is not part of this export (an earlier --split?); remove it so it is not taken for it"
            )
    # Nothing is put in place until the data files and the card are all written.
    with StagedFiles() as staged:

        def agreement_meanwhile() -> Report:
            clock = time.perf_counter()
            found = agreement_report(units, schema.names, per_article=False)
            summary.timings["agreement"] = time.perf_counter() - clock
            return found

        agreement = _write_records(plan, articles, units, staged, summary, report, agreement_meanwhile)
        newest = newest_event_time([*units.files, *gold_files([options.annotations])])
        text = render_card(plan, summary, articles, agreement, newest, units.annotators)
        staged.open(plan.card).write(text.encode("utf-8"))
        staged.commit()
    summary.files.append(plan.card)
    return summary


Tally = Counter[tuple[str, str | None, str, tuple[str, ...]]]
"""Records per (article, label, decision, annotators): the summary's counters are derived from it."""

# Records are shared with forked children (jsonl and csv, whose files are plain
# runs of records that can be joined) from this many records up.
PARALLEL_RECORDS = 20000
# Pieces per process: each takes the next when it is free, so all finish within
# about one piece of each other however the machine shares its cores.
PIECES_PER_PROCESS = 24
# Pieces a process may hold made but not yet written (an earlier piece is still
# being made elsewhere) before it waits rather than take another: what bounds
# memory when a process is slowed (more processes than cores, a stopped child).
MOST_HELD = 8


def record_pieces(units: UnitSet, fmt: str, jobs: int) -> list[tuple[int, int]]:
    """`units.order` cut at article boundaries into pieces for `jobs` processes to take in turn (or one piece)."""
    order, keys = units.order, units.unit_keys
    if jobs < 2 or not can_fork() or fmt not in ("jsonl", "csv") or len(order) < max(PARALLEL_RECORDS, 1):
        return [(0, len(order))]
    count = min(Tickets.LIMIT, jobs * PIECES_PER_PROCESS)
    cuts = [0]
    for piece in range(1, count):
        at = max(cuts[-1], round(len(order) * piece / count))
        while 0 < at < len(order) and keys[order[at]][0] == keys[order[at - 1]][0]:
            at += 1  # an article's records stay in one piece
        cuts.append(at)
    cuts.append(len(order))
    return [(low, high) for low, high in pairwise(cuts) if high > low]


class _Piece(NamedTuple):
    """What one piece of a shared records pass counted, as the process that made it returns it (`_take_pieces`)."""

    number: int
    tally: Tally
    excluded: Counter[str]


class _PlacedPieces:
    """Pieces of the records written straight into the staged files, each at its place, by the process that made it.

    A piece's place in a file is where the piece before it ends: each process
    publishes the sizes of the pieces it makes (`SharedSizes`) and holds a
    piece until every earlier size is known (by then the earlier pieces are
    made, if not yet written), then writes it with `os.pwritev`. The processes
    write in parallel and nothing is copied or joined afterwards (joining
    part files took 0.25-0.4 s of the benchmark's export, in this process
    alone); the kernel starts writing each piece to disk once it is in place.
    """

    def __init__(self, handles: Sequence[IO[bytes]], pieces: int, sizes: SharedSizes) -> None:
        self.fds = [handle.fileno() for handle in handles]
        self.pieces = pieces
        self.sizes = sizes
        # starts[n][column]: where piece n goes in each file, known for the first len(starts) pieces.
        self.starts = [[handle.tell() for handle in handles]]
        self.held: dict[int, list[_Chunks]] = {}

    def add(self, number: int, contents: list[_Chunks]) -> None:
        """Publish piece `number`'s size in each file, then write what can be placed."""
        for column, chunks in enumerate(contents):
            self.sizes.set(number * len(self.fds) + column, chunks.size())
        self.held[number] = contents
        self.place()

    def place(self) -> bool:
        """Write every held piece whose place is known; whether every piece's place is known and none is held."""
        starts, width = self.starts, len(self.fds)
        while len(starts) <= self.pieces:
            sizes = self.sizes.run((len(starts) - 1) * width, width)
            if sizes is None:
                break
            starts.append([at + size for at, size in zip(starts[-1], sizes, strict=True)])
        for number in sorted(self.held):
            if number >= len(starts):
                break  # neither it nor a later piece has its place yet
            # Its own size is known (this process published it): so is where it ends.
            ends = starts[number + 1]
            for fd, at, end, chunks in zip(
                self.fds, starts[number], ends, self.held.pop(number), strict=True
            ):
                if end > at:
                    _write_at(fd, chunks, at)
                    start_writeback(fd, at, end - at)
        return len(starts) > self.pieces and not self.held

    def make_room(self, wait: Callable[[], bool]) -> None:
        """Before this process makes another piece: wait while it holds `MOST_HELD` that it cannot write yet.

        `wait()` pauses while other processes make pieces, and says whether any still can.
        """
        self.place()
        while len(self.held) >= MOST_HELD:
            if not wait():
                break  # nobody else is left to make the earlier pieces: the check at the end says so
            self.place()

    def end(self, column: int) -> int:
        """Where the last piece ends in file `column` (every place known)."""
        return self.starts[-1][column]


class _Chunks(list[bytes]):
    """A piece of a file as its sink wrote it, each record's bytes kept as they are.

    Not copied into one growing buffer: a fresh buffer of megabytes a piece
    is fresh memory, and the page faults of filling it cost more than the
    copy (measured: 34,000 faults and a third of a second of system time in
    each process of the benchmark's export). `os.pwritev` writes the chunks
    as they are.
    """

    def write(self, data: bytes, /) -> None:
        """Add `data`."""
        self.append(data)

    def size(self) -> int:
        """The bytes written."""
        return sum(map(len, self))


# The most buffers one `os.pwritev` takes (POSIX guarantees 16; Linux has 1024).
_IOV_MAX = max(16, os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in getattr(os, "sysconf_names", {}) else 16)


def _write_at(fd: int, chunks: list[bytes], at: int) -> None:
    """Write all of `chunks`, one after another, at offset `at` of file `fd`."""
    for first in range(0, len(chunks), _IOV_MAX):
        group = chunks[first : first + _IOV_MAX]
        size = sum(map(len, group))
        written = os.pwritev(fd, group, at)
        if written < size:  # cut short (a signal, a nearly full disk): the rest one write at a time
            rest = memoryview(b"".join(group))[written:]
            while rest:
                step = os.pwrite(fd, rest, at + written)
                rest, written = rest[step:], written + step
        at += size


class _SharedPass(NamedTuple):
    """What every process of a records pass shared with children works from."""

    plan: ExportPlan
    articles: Mapping[str, Article]
    units: UnitSet
    assignment: Mapping[str, str]
    pieces: Sequence[tuple[int, int]]
    tickets: Tickets
    placed: _PlacedPieces


def _take_pieces(work: _SharedPass, report: Callable[[int], None], wait: Callable[[], bool]) -> list[_Piece]:
    """Make each piece taken from the tickets in memory and write it at its place once that is known.

    `wait()` pauses while other processes make pieces (`_PlacedPieces.make_room`).
    """
    plan, articles, units, assignment, pieces, tickets, placed = work
    decided = Decided()
    taken = []
    while True:
        placed.make_room(wait)
        number = tickets.take()
        if number is None:
            break
        buffers = [_Chunks() for _ in plan.targets]
        sinks = {
            target: _data_sink(plan, buffer, header=False)
            for target, buffer in zip(plan.targets, buffers, strict=True)
        }
        excluded: Counter[str] = Counter()
        tally = _records(plan, articles, units, assignment, pieces[number], sinks, excluded, report, decided)
        for sink in sinks.values():
            sink.close()  # writes what the sink holds back
        placed.add(number, buffers)
        taken.append(_Piece(number, tally, excluded))
    return taken


def _records_apart(work: _SharedPass, report: Callable[[int], None]) -> list[_Piece]:
    """What a forked child of the export runs: its pieces, then the wait until each is in place.

    (Under its own name, so that the children's part can be told apart, and made to fail in tests.)
    A child waits only for pieces other processes are making; if one of them
    dies, the parent notices and stops every child.
    """
    taken = _take_pieces(work, report, _pause)
    while not work.placed.place():
        _pause()
    return taken


def _pause() -> bool:
    """A child's wait for pieces other processes are making (the parent watches over them all)."""
    time.sleep(0.001)
    return True


def start_writeback(fd: int, start: int = 0, length: int = 0) -> None:
    """Have the kernel start writing bytes `start:start + length` of file `fd` to disk (0: to its end), now.

    The fsync at commit then waits for less (285 MB of records take about
    0.18 s to sync here). On Linux, POSIX_FADV_DONTNEED starts writeback of
    dirty pages without waiting for it; elsewhere this does nothing.
    """
    with suppress(AttributeError, OSError):
        os.posix_fadvise(fd, start, length, os.POSIX_FADV_DONTNEED)


def _tie_reason(fmt: str) -> str:
    """Why tied claims were left out, as the card counts them."""
    return (
        f"ties (no label to put on a span in {fmt})" if fmt in TASK_FORMATS else "ties (pass --include-ties)"
    )


def _records(
    plan: ExportPlan,
    articles: Mapping[str, Article],
    units: UnitSet,
    assignment: Mapping[str, str],
    span: tuple[int, int],
    sinks: Mapping[Path, RecordSink],
    excluded: Counter[str],
    tick: Callable[[int], None],
    decided: Decided | None = None,
) -> Tally:
    """Write the decided units of `units.order[span]` that pass the filters; count the rest in `excluded`."""
    options = plan.options
    # One count per (article, label, decision, annotators), counted a batch at a
    # time in one C-level pass; the summary's counters are derived from it afterwards.
    tally: Tally = Counter()
    counted: list[tuple[str, str | None, str, tuple[str, ...]]] = []
    interchange = options.fmt in TASK_FORMATS
    tie_reason = _tie_reason(options.fmt)
    minimum = options.min_annotators
    keep_ties = options.include_ties and not interchange
    keep_not_a_claim = options.include_not_a_claim
    current: str | None = None
    shared = sink = None

    def passing() -> Iterator[DecidedUnit]:
        for done, unit in enumerate(decided_units(units, units.order[span[0] : span[1]], decided), 1):
            if not done % _BATCH:
                tick(_BATCH)
            if len(unit.votes) < minimum:
                excluded["fewer annotators than --min-annotators"] += 1
            elif unit.method == "tie" and not keep_ties:
                excluded[tie_reason] += 1
            elif unit.label == NOT_A_CLAIM and not keep_not_a_claim:
                excluded["not_a_claim (pass --include-not-a-claim)"] += 1
            else:
                yield unit
        tick((span[1] - span[0]) % _BATCH)

    chosen = passing()
    if interchange:
        reason = f"overlapping claims (a {options.fmt} task takes one span per place; adjudicate them)"
        chosen = without_overlaps(chosen, excluded, reason)
    for unit in chosen:
        method, label = unit.method, unit.label
        article_id = unit.key[0]
        if article_id != current:
            current = article_id
            split = assignment.get(article_id)
            shared = article_fields(articles[article_id], split)
            sink = sinks[split_path(options.out, split) if split else options.out]
        assert shared is not None and sink is not None
        sink.write(unit, shared)
        counted.append((article_id, label, method, unit.voters))
        if len(counted) == _BATCH:
            tally.update(counted)
            counted.clear()
    tally.update(counted)
    return tally


def _records_shared(
    plan: ExportPlan,
    articles: Mapping[str, Article],
    units: UnitSet,
    assignment: Mapping[str, str],
    staged: StagedFiles,
    pieces: Sequence[tuple[int, int]],
    summary: ExportSummary,
    meanwhile: Callable[[], T],
) -> tuple[T, Tally]:
    """The records pass shared with forked children: `meanwhile()` and the tally of every piece.

    Each process takes the next piece when it is free (this one after
    `meanwhile`, the card's agreement report) and writes it into the staged
    files at its place (`_PlacedPieces`).
    """
    from annotate.progress import progress

    # Staged before forking, as in one process: earlier exports' leftovers go, a
    # failure while writing names the folder, and the children write into these files.
    handles = [staged.open(target) for target in plan.targets]
    for handle in handles:
        _sink(plan, handle).close()  # the csv header, if any
        handle.flush()  # before forking: a child must not inherit it unwritten
    tickets = Tickets(len(pieces))
    sizes: SharedSizes | None = None
    children: list[Child[list[_Piece]]] = []
    try:
        sizes = SharedSizes(len(pieces) * len(handles))
        placed = _PlacedPieces(handles, len(pieces), sizes)
        work = _SharedPass(plan, articles, units, assignment, pieces, tickets, placed)
        # Forked before the progress bar starts its thread.
        children = start_children(
            [functools.partial(_records_apart, work) for _ in range(plan.options.jobs - 1)]
        )
        shares: dict[int, list[_Piece]] = {}
        with progress(len(units.order), "exporting") as tick:

            def shown(count: int) -> None:
                tick(count)
                for child in children:
                    child.show(tick)

            waiting = dict(enumerate(children, 1))

            def wait() -> bool:
                """A pause while the children make pieces; whether any is still at work.

                Each child's result is taken as it ends: one that died (holding a piece)
                raises here, rather than leaving the others waiting for that piece's size.
                """
                for number, child in list(waiting.items()):
                    if child.ended():
                        shares[number] = waiting.pop(number).result(tick)
                if waiting:
                    time.sleep(0.001)
                    for child in waiting.values():
                        child.show(tick)
                return bool(waiting)

            value = meanwhile()
            shares[0] = _take_pieces(work, shown, wait)
            while wait():
                placed.place()  # this process's pieces, as soon as their places are known
        taken = sorted(
            (piece for share in shares.values() for piece in share), key=lambda piece: piece.number
        )
        if [piece.number for piece in taken] != list(range(len(pieces))) or not placed.place():
            raise RuntimeError(
                f"the records pass made pieces {[piece.number for piece in taken]} of {len(pieces)}, "
                f"and wrote all but {sorted(placed.held)}"
            )
        for column, handle in enumerate(handles):
            if os.fstat(handle.fileno()).st_size != placed.end(column):
                raise OSError(errno.EIO, "the export is shorter than the records written into it")
            handle.seek(placed.end(column))
    finally:
        tickets.close()
        if sizes is not None:
            sizes.close()
        for child in children:
            child.stop()
    # Counted in piece order, as one process would: the summary's counters keep that order.
    tally: Tally = Counter()
    for piece in taken:
        tally.update(piece.tally)
        summary.excluded.update(piece.excluded)
    return value, tally


def _write_records(
    plan: ExportPlan,
    articles: Mapping[str, Article],
    units: UnitSet,
    staged: StagedFiles,
    summary: ExportSummary,
    report: Callable[[str], None],
    meanwhile: Callable[[], T],
) -> T:
    """The records pass: every decided unit through the filters into its file; the summary's counts.

    Returns `meanwhile()`, which runs after this process's records are
    written, or, shared with children (`record_pieces`), while they start.
    """
    from annotate.progress import progress

    options = plan.options
    clock = time.perf_counter()
    # Whole articles are shared out among the splits: every article with a
    # labelled unit, so the assignment does not depend on the filters.
    assignment = (
        assign_splits({units.unit_keys[uid][0] for uid in units.order}, plan.splits, options.seed or 0)
        if plan.splits
        else {}
    )
    interchange = options.fmt in TASK_FORMATS
    tie_reason = _tie_reason(options.fmt)
    pieces = record_pieces(units, options.fmt, options.jobs)
    with gc_paused():
        if len(pieces) > 1:
            value, tally = _records_shared(
                plan, articles, units, assignment, staged, pieces, summary, meanwhile
            )
        else:
            handles = {target: staged.open(target) for target in plan.targets}
            sinks = {target: _sink(plan, handle) for target, handle in handles.items()}
            with progress(len(units.order), "exporting") as tick:
                tally = _records(plan, articles, units, assignment, pieces[0], sinks, summary.excluded, tick)
                for target, sink in sinks.items():
                    sink.close()
                    handles[target].flush()
                    start_writeback(handles[target].fileno())
            value = meanwhile()
    for (article_id, label, method, voters), count in tally.items():
        name = label or "tie"
        summary.records += count
        summary.labels[name] += count
        summary.decisions[method] += count
        summary.article_records[article_id] += count
        for annotator in voters:
            summary.annotator_votes[annotator] += count
        split = assignment.get(article_id)
        if split:
            summary.per_split[split] = summary.per_split.get(split, 0) + count
            summary.labels_per_split.setdefault(split, Counter())[name] += count
    if assignment:
        summary.articles_per_split.update(assignment[article_id] for article_id in summary.article_records)
    summary.files.extend(plan.targets)
    summary.timings["records"] = time.perf_counter() - clock
    tied = summary.excluded.get(tie_reason, 0)
    if interchange and options.include_ties and tied:
        report(
            f"--include-ties: {tied} tied claim(s) left out all the same; a {options.fmt} span needs a label"
        )
    for part in plan.splits:
        if not summary.per_split.get(part.name):
            report(f"split {part.name!r} is empty ({len(assignment)} article(s) to share out)")
    return value
