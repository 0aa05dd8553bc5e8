"""Units across annotators: every claim span, each annotator's vote on it, and the final decision.

A *unit* is a claim span `(article_id, start, end)` of an article. Each annotator's
current state is the fold of their events (DESIGN 4.3: the last event per span
wins, `clear` removes); their *vote* on a unit is the label, source and note of
that state. `not_a_claim` is a label like any other.

Matching rules
--------------
1. Exact: annotators agree on a unit when they labelled the same
   `(article_id, start, end)`.
2. Overlap: a span that no other annotator labelled exactly (one annotator merged
   or split differently) joins the unit of another annotator's span in the same
   article that overlaps it the most, provided the overlap covers at least half of
   the shorter span and that annotator has no vote on that unit yet. Ties go to
   the unit with more votes, then the earlier one; the longest unmatched spans are
   placed first, so a merged span joins the best of its pieces. Such units are counted
   (`UnitSet.overlap_units`) so a lead sees when boundaries, not labels, are the
   disagreement; the vote keeps the annotator's own span (`Vote.start`, `Vote.end`).
3. Stale events are excluded and counted. With the articles given, an event is
   stale when its `article_sha256` differs from the article's or its `text` is not
   the body at its span (the same rule as the annotate screen); events about
   articles missing from the articles given are excluded and counted apart.
   Without articles, an article whose events carry more than one body hash cannot
   be resolved: its labels are left out, counted, and a note says to pass the corpus.
4. Gold (adjudicated) events live in `gold/` beside the annotator files and are
   never counted as an annotator; `load_gold` reads them and `UnitSet.gold` holds
   the latest decision per span.

API (for agreement, review, status and export)
----------------------------------------------
- `load_units(paths, articles=None, gold=None, skip_bad=False, progress=None) -> UnitSet`:
  PATH... as given on the command line (annotator files or folders; `gold/`
  subfolders are not annotators). `articles` maps article_id to `Article`, or is
  a `Corpus` to read while forked children fold (see `load_units`).
- `UnitSet.annotators`: sorted annotator names. `UnitSet.keys`: every unit with one
  or more votes, sorted by article, start, end. `UnitSet.shared_keys()`: those with
  two or more votes.
- `UnitSet.unit(key) -> Unit` and `UnitSet.units(keys=None) -> Iterator[Unit]`:
  `Unit` has `article_id`, `start`, `end`, `paragraph`, `text`, `article_sha256`,
  `votes` (annotator -> `Vote(label, source, note, start, end)`), `gold`
  (`GoldDecision` or None) and `overlap` (matched by overlap).
- `final_decision(unit) -> Decision(label, source, method, tied)`: gold beats the
  majority, which beats a single vote; `method` is `gold`, `majority`, `single` or
  `tie` (then `label` is None and `tied` lists the tied labels).
- `majority(votes)`, `vote_counts(votes)`, `verdict(unit)` (`unanimous`, `majority`,
  `tie`, `single`) and `normalise_source(text)` for the rules above.

- `GoldDecision(label, source, note, adjudicator, ts, votes)`; `gold_files(paths)` and
  `load_gold(files)` if gold is needed apart from a UnitSet.
- Bulk access without building `Unit`s (what agreement uses): spans get integer
  ids in `UnitSet.uid_of` / `UnitSet.unit_keys`; `UnitSet.labels[a][uid]` is
  annotator a's label code (an index into `UnitSet.label_names`) or None,
  `UnitSet.sources[a][uid]` their source or None, `UnitSet.notes[a]` and
  `UnitSet.spans[a]` sparse dicts by id; `UnitSet.order` lists the ids with
  votes in key order, and `UnitSet.info[uid]` is (paragraph, text, article_sha256).

For speed over a million events, the set is held column-wise like this and
filled in one pass as the files are read; `Unit` objects are built only when
asked for.
"""

from __future__ import annotations

import bisect
import gc
import operator
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate, islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from annotate.corpus import Article, Corpus
from annotate.errors import AnnotateError
from annotate.event_decode import (
    RECORD_DECODER,
    Batch,
    EventRecord,
    decode_batches,
    record_from_line,
    record_ordered,
)
from annotate.forked import can_fork, keep_to_exit, start_children
from annotate.store import Event, LineProblem, SpanKey, event_files

if TYPE_CHECKING:
    from annotate.schema import LabelSchema

GOLD_FOLDER = "gold"


class BadLines(AnnotateError):
    """Malformed lines were found and --skip-bad was not given; `problems` lists every one."""

    def __init__(self, message: str, problems: list[LineProblem]) -> None:
        super().__init__(message)
        self.problems = problems


Progress = Callable[[int], None]
"""Called with the number of bytes read since the last call."""

SchemaLookup = Callable[[str], "LabelSchema | None"]
"""The label schema of a schema reference, or None when it is not known."""

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalise_source(source: str) -> str:
    """A source as compared across annotators: case folded, articles (a/an/the) dropped, spaces collapsed."""
    return " ".join(_ARTICLES.sub(" ", source.casefold()).split())


@dataclass(frozen=True)
class Vote:
    """One annotator's current decision on a unit, and the span they labelled."""

    label: str
    source: str | None
    note: str | None
    start: int
    end: int


@dataclass(frozen=True)
class GoldDecision:
    """An adjudicated decision (DESIGN 4.4) with its evidence."""

    label: str
    source: str | None
    note: str | None
    adjudicator: str
    ts: str
    votes: dict[str, str]


@dataclass(frozen=True)
class Unit:
    """A claim span with every annotator's vote on it."""

    article_id: str
    start: int
    end: int
    paragraph: int
    text: str
    article_sha256: str
    votes: dict[str, Vote]
    gold: GoldDecision | None = None
    overlap: bool = False

    @property
    def key(self) -> SpanKey:
        """The unit's identity."""
        return (self.article_id, self.start, self.end)


@dataclass(frozen=True)
class Decision:
    """The final label of a unit and how it was reached."""

    label: str | None
    source: str | None
    method: str
    tied: tuple[str, ...] = ()


def vote_counts(votes: Mapping[str, Vote]) -> Counter[str]:
    """How many annotators gave each label."""
    return Counter(vote.label for vote in votes.values())


def majority(votes: Mapping[str, Vote]) -> tuple[str | None, tuple[str, ...]]:
    """(the label with the most votes, ()) or (None, the tied labels sorted)."""
    counts = vote_counts(votes).most_common()
    if not counts:
        return None, ()
    top = counts[0][1]
    leaders = tuple(sorted(label for label, count in counts if count == top))
    return (leaders[0], ()) if len(leaders) == 1 else (None, leaders)


def verdict(unit: Unit) -> str:
    """`single`, `unanimous`, `majority` or `tie` for the unit's votes."""
    if len(unit.votes) < 2:
        return "single"
    label, _ = majority(unit.votes)
    if label is None:
        return "tie"
    return "unanimous" if len(vote_counts(unit.votes)) == 1 else "majority"


def majority_source(votes: Mapping[str, Vote], label: str) -> str | None:
    """The source most of the annotators who gave `label` named (their first spelling), if any."""
    spelled: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for name in sorted(votes):
        vote = votes[name]
        if vote.label == label and vote.source:
            normal = normalise_source(vote.source)
            spelled.setdefault(normal, vote.source)
            counts[normal] += 1
    if not counts:
        return None
    return spelled[counts.most_common(1)[0][0]]


def final_decision(unit: Unit) -> Decision:
    """Gold beats the majority beats a single vote; a tie is marked `tie` with no label."""
    if unit.gold is not None:
        return Decision(unit.gold.label, unit.gold.source, "gold")
    if not unit.votes:
        return Decision(None, None, "tie")
    label, tied = majority(unit.votes)
    if label is None:
        return Decision(None, None, "tie", tied)
    method = "single" if len(unit.votes) == 1 else "majority"
    return Decision(label, majority_source(unit.votes, label), method)


@dataclass
class UnitSet:
    """Every annotator's current votes, column-wise; see the module docstring.

    Spans get integer ids (`uid_of`, `unit_keys`) as they are first seen; each
    annotator's labels and sources are lists indexed by id (None where they have
    no vote), so profiles and unions are list operations rather than millions of
    dict lookups on tuples.
    """

    annotators: list[str] = field(default_factory=list)
    label_names: list[str] = field(default_factory=list)
    unit_keys: list[SpanKey] = field(default_factory=list)
    uid_of: dict[SpanKey, int] = field(default_factory=dict)
    info: list[tuple[int, str | None, str]] = field(default_factory=list)
    """Per id: (paragraph, text, article_sha256); text is None where it was checked
    against the article's body (`bodies`), so that it is not kept twice."""
    bodies: dict[str, str] = field(default_factory=dict)
    """The body of each article whose span texts `info` does not keep."""
    labels: list[list[int | None]] = field(default_factory=list)
    sources: list[list[str | None]] = field(default_factory=list)
    notes: list[dict[int, str]] = field(default_factory=list)
    spans: list[dict[int, tuple[int, int]]] = field(default_factory=list)
    """Per annotator, the own span of each vote moved by overlap matching."""
    order: list[int] = field(default_factory=list)
    """Ids with one or more votes, sorted by (article_id, start, end)."""
    overlap_uids: set[int] = field(default_factory=set)
    gold: dict[SpanKey, GoldDecision] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    schema_ref: str | None = None
    problems: list[LineProblem] = field(default_factory=list)
    stale_events: int = 0
    unknown_article_events: int = 0
    unresolved_labels: int = 0
    notes_for_report: list[str] = field(default_factory=list)
    segments: dict[tuple[int, str], list[Event]] = field(default_factory=dict)
    """Merge/split events (`segment` field) per (annotator index, article), for claim layouts."""

    @property
    def keys(self) -> list[SpanKey]:
        """Every unit with one or more votes, sorted by article, start, end."""
        return list(map(self.unit_keys.__getitem__, self.order))

    @property
    def overlap_units(self) -> int:
        """How many units gained a vote by overlap matching."""
        return len(self.overlap_uids)

    @property
    def overlap_keys(self) -> set[SpanKey]:
        """The units that gained a vote by overlap matching."""
        return {self.unit_keys[uid] for uid in self.overlap_uids}

    def label_column(self, index: int, keys: Sequence[SpanKey] | None = None) -> list[int | None]:
        """Annotator `index`'s label codes for `keys` (all units in order by default), None where absent."""
        column = self.labels[index]
        if keys is None:
            return list(map(column.__getitem__, self.order))
        return [column[self.uid_of[key]] for key in keys]

    def code(self, index: int, key: SpanKey) -> int | None:
        """Annotator `index`'s label code on a unit, or None."""
        uid = self.uid_of.get(key)
        return None if uid is None else self.labels[index][uid]

    def vote_count(self, key: SpanKey) -> int:
        """How many annotators voted on a unit."""
        return sum(1 for index in range(len(self.annotators)) if self.code(index, key) is not None)

    def shared_keys(self) -> list[SpanKey]:
        """Units with two or more votes, in order."""
        return [key for key in self.keys if self.vote_count(key) >= 2]

    def voted_keys(self, index: int) -> list[SpanKey]:
        """The units annotator `index` voted on, in order."""
        column = self.labels[index]
        return [self.unit_keys[uid] for uid in self.order if column[uid] is not None]

    def vote(self, index: int, key: SpanKey) -> Vote | None:
        """Annotator `index`'s vote on a unit."""
        uid = self.uid_of.get(key)
        if uid is None:
            return None
        code = self.labels[index][uid]
        if code is None:
            return None
        start, end = self.spans[index].get(uid, (key[1], key[2]))
        return Vote(self.label_names[code], self.sources[index][uid], self.notes[index].get(uid), start, end)

    def unit(self, key: SpanKey) -> Unit:
        """The unit at `key`, with its votes and gold decision."""
        votes: dict[str, Vote] = {}
        for index, name in enumerate(self.annotators):
            vote = self.vote(index, key)
            if vote is not None:
                votes[name] = vote
        uid = self.uid_of[key]
        paragraph, text, sha = self.info[uid]
        if text is None:
            text = self.bodies[key[0]][key[1] : key[2]]
        return Unit(
            key[0], key[1], key[2], paragraph, text, sha, votes, self.gold.get(key), uid in self.overlap_uids
        )

    def units(self, keys: Iterable[SpanKey] | None = None) -> Iterator[Unit]:
        """Units in order (all of them by default)."""
        for key in self.keys if keys is None else keys:
            yield self.unit(key)


def gold_files(paths: Iterable[Path]) -> list[Path]:
    """The gold files that belong with PATH...: `gold/*.jsonl` in each folder, or beside each file."""
    found: list[Path] = []
    for path in paths:
        folder = (path if path.is_dir() else path.parent) / GOLD_FOLDER
        if folder.is_dir():
            for file in sorted(folder.glob("*.jsonl")):
                if file.is_file() and file not in found:
                    found.append(file)
    return found


def gold_event_problem(event: Event, schema_ref: str | None, schema: LabelSchema | None) -> str | None:
    """Why a gold line cannot be a decision, or None: gold is held to the annotators' rules.

    It must be an adjudicated decision (what `annotate review` writes: an
    annotator's file or an import copied into `gold/` is not), of the
    annotators' schema (`schema_ref`), with a label that schema has.
    """
    if event.get("adjudicated") is not True:
        return "not an adjudicated decision (gold/ holds only what annotate review writes); move this file out of gold/"
    if schema_ref is not None and event["schema"] != schema_ref:
        return f"schema {event['schema']!r}, expected {schema_ref!r} (the annotators' schema)"
    if schema is not None and event["schema"] == schema.ref and not schema.allows(event.get("label")):
        return f"unknown label {event.get('label')!r} for schema {schema.ref}"
    return None


def stale_reason(event: Event, articles: Mapping[str, Article] | None) -> str | None:
    """`unknown` (article not in `articles`), `stale` (another body, or text not at its span), or None."""
    if articles is None:
        return None
    article = articles.get(event["article_id"])
    if article is None:
        return "unknown"
    return None if article.holds(event) else "stale"


def load_gold(
    files: Iterable[Path],
    problems: list[LineProblem] | None = None,
    articles: Mapping[str, Article] | None = None,
    schema_ref: str | None = None,
    schemas: SchemaLookup | None = None,
    skipped: Counter[str] | None = None,
) -> dict[SpanKey, GoldDecision]:
    """The latest adjudicated decision per span across gold files (by time, then file order).

    Lines `gold_event_problem` refuses go to `problems`; with `articles`,
    decisions about an unknown article or an earlier body are left out and
    counted in `skipped` (`unknown`, `stale`), as annotators' events are.
    """
    from annotate.store import ReadResult, numbered_events, read_events

    events: list[Event] = []
    for path in files:
        result = ReadResult()
        read_events(path, result)
        if problems is not None:
            problems.extend(result.problems)
        for number, event in numbered_events(path, result):
            problem = gold_event_problem(event, schema_ref, schemas(event["schema"]) if schemas else None)
            if problem is not None:
                if problems is not None:
                    problems.append(LineProblem(path, number, problem))
                continue
            reason = stale_reason(event, articles)
            if reason is not None:
                if skipped is not None:
                    skipped[reason] += 1
                continue
            events.append(event)
    events.sort(key=lambda event: event["ts"])
    decisions: dict[SpanKey, GoldDecision] = {}
    for event in events:
        key = (event["article_id"], event["start"], event["end"])
        label = event.get("label")
        if event["op"] == "clear" or label is None:
            decisions.pop(key, None)
            continue
        votes = event.get("votes")
        decisions[key] = GoldDecision(
            label,
            event.get("source"),
            event.get("note"),
            event["annotator"],
            event["ts"],
            dict(votes) if isinstance(votes, dict) else {},
        )
    return decisions


_GROWTH = 4096
# Below this many bytes of events, reading them in one process is quicker than forking.
PARALLEL_BYTES = 32 << 20
# Reading a byte of an article file costs about as much as folding three bytes of
# events (the benchmark export: 26 MB of articles in 0.45 s, 466 MB of events in 2.5 s).
ARTICLE_BYTE_COST = 3
# What a child's part costs on top of its folding: pickling it there, merging it
# here (about 0.25 s for 3 of the benchmark's 5 files, folded in 1.5 s).
MERGE_COST = 0.15


# Why a run of events is skipped: its article is not in the corpus, or its body changed.
_UNKNOWN = object()
_STALE = object()
# In a loader folding a later part of the events (`_Loader(apart=True)`): the
# annotator cleared this unit, as against never touching it (None). Merged after
# an earlier part of the same annotator's events, a clear must undo its label.
_CLEARED = -1


class FileRange(NamedTuple):
    """Bytes `start:stop` of an event file (`stop` None: to its end), each at a line start."""

    path: Path
    start: int = 0
    stop: int | None = None


@dataclass
class _FileState:
    """What the fold of one file carries from batch to batch: the current runs."""

    name: str | None = None
    column: int = -1
    schema: str | None = None
    # The current schema's labels, when known: a label outside them is a bad line.
    labels: LabelSchema | None = None
    # The article run: (article id as read, body hash, interned id, body to check texts against,
    # skip reason, the ids of the article's spans by (start, end)).
    run: tuple[str | None, str | None, str, str | None, object | None, dict[tuple[int, int], int]] = field(
        default_factory=lambda: (None, None, "", None, None, {})
    )


@dataclass
class _Folded:
    """A loader's result as sent between processes (`_Loader.portable`, `_Loader.absorb`)."""

    units: UnitSet
    schema_files: dict[str, list[Path]]
    body_hashes: dict[str, str]
    conflicted: set[str]
    paragraphs: Sequence[int] | None = None
    """With the articles known, or `unchecked`, each span's paragraph (`units.info` is then left empty)."""
    text_hashes: Sequence[int] | None = None
    """`unchecked`: the hash of each span's text, for `_Loader.holds` to check against the articles."""
    texts_differ: bool = False
    """`unchecked`: some span had events with different texts."""


class _Loader:
    """One pass over the annotator files, folding each annotator's events into columns."""

    def __init__(
        self,
        articles: Mapping[str, Article] | None,
        schemas: SchemaLookup | None = None,
        unchecked: bool = False,
        apart: bool = False,
    ) -> None:
        self.articles = articles
        self.schemas = schemas
        # Folding a part to be merged after earlier parts (`absorb`): a clear is kept as such.
        self.cleared = _CLEARED if apart else None
        # Folding before the articles are read, for a process that checks the result
        # against them (`holds`): each span's later events must carry its first text.
        self.unchecked = unchecked
        self.texts_differ = False
        self.units = UnitSet()
        self.index: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.interned: dict[str, str] = {}
        self.article_ids: dict[str, str] = {}
        self.body_hashes: dict[str, str] = {}
        self.conflicted: set[str] = set()
        self.schema_files: dict[str, list[Path]] = {}
        self.capacity = 0
        self.unsent: list[object] = []
        # Per article, the id of each of its spans by (start, end): what the fold looks a span
        # up in. Events come in runs of one article, whose few spans stay in the CPU cache,
        # where a lookup in `uid_of` (every span) misses it: 0.12 against 0.3 us a lookup.
        self.span_ids: dict[str, dict[tuple[int, int], int]] = {}

    def annotator(self, name: str) -> int:
        """The column of annotator `name`, created on first sight."""
        found = self.index.get(name)
        if found is None:
            units = self.units
            found = self.index[name] = len(units.annotators)
            units.annotators.append(name)
            units.labels.append([None] * self.capacity)
            units.sources.append([None] * self.capacity)
            units.notes.append({})
            units.spans.append({})
        return found

    def grow(self) -> None:
        """Room for more unit ids in every column (in steps, not per unit)."""
        self.capacity += _GROWTH
        for labels in self.units.labels:
            labels.extend([None] * _GROWTH)
        for sources in self.units.sources:
            sources.extend([None] * _GROWTH)

    def body_changed(self, article_id: str, sha: str) -> None:
        """Without articles: remember each article's body hash, and articles that have two."""
        known = self.body_hashes.setdefault(article_id, sha)
        if known != sha:
            self.conflicted.add(article_id)

    def read(self, path: Path, progress: Progress | None, start: int = 0, stop: int | None = None) -> None:
        """Fold one file (or its bytes `start:stop`, at line starts) into the columns, batch by batch of valid lines."""
        try:
            handle = path.open("rb")
        except OSError as error:
            raise AnnotateError(
                f"{path}: cannot read ({error.strerror}); check the path and permissions"
            ) from None
        state = _FileState()
        read = start
        with handle:
            # Lines are numbered from the file's start, whichever process reads them.
            first = 1 + _lines_before(handle, start) if start else 1
            for batch in decode_batches(
                handle,
                RECORD_DECODER,
                record_ordered,
                path,
                self.units.problems,
                record_from_line,
                first,
                stop,
            ):
                self.fold(path, batch, state)
                if progress is not None:
                    progress(handle.tell() - read)
                    read = handle.tell()
            if progress is not None:
                progress(handle.tell() - read)

    def fold(self, path: Path, batch: Batch[EventRecord], state: _FileState) -> None:
        """Fold a batch of one file's events into the columns (the hot loop: keep it lean).

        The events are valid (the decoder checked every type). Events come in
        runs (one annotator, one schema, one article), so what depends only on
        those is looked up when a run changes, not per event.
        """
        units = self.units
        codes = self.codes
        interned = self.interned
        uid_of = units.uid_of
        unit_keys = units.unit_keys
        info = units.info
        column, name, schema = state.column, state.name, state.schema
        labels, sources, notes = self.columns(column)
        raw_article, sha_run, article_id, body, skip, spans = state.run
        span_ids = self.span_ids
        unchecked = self.unchecked
        cleared = self.cleared
        for event in batch.values:
            # `adjudicated` is checked on every event, not only where the annotator
            # changes: a part of a file read in another process (`reading_parts`)
            # starts where one process reading the whole file would not check.
            if event.annotator != name or event.adjudicated:
                name = state.name = event.annotator
                if event.adjudicated or name != path.stem:
                    # By identity: an equal event may come earlier in the batch.
                    number = batch.first + next(i for i, e in enumerate(batch.values) if e is event)
                    if event.adjudicated:
                        raise AnnotateError(
                            f"{path}:{number}: this file holds adjudicated (gold) events, not an annotator's; "
                            f"give the annotation folder or annotator files (gold is read from {GOLD_FOLDER}/)"
                        )
                    # Read on, these would replace that annotator's own votes without a word.
                    raise AnnotateError(
                        f"{path}:{number}: an event of annotator {name!r} in {path.name}; each annotator's "
                        "events belong in <annotator>.jsonl: rename the file or move the lines"
                    )
                column = state.column = self.annotator(name)
                labels, sources, notes = self.columns(column)
            if event.schema != schema:
                schema = event.schema
                files = self.schema_files.setdefault(schema, [])
                if path not in files:
                    files.append(path)
                state.labels = self.schemas(schema) if self.schemas is not None else None
            sha = event.article_sha256
            if event.article_id != raw_article or sha != sha_run:
                raw_article, sha_run = event.article_id, sha
                article_id, body, skip = self.run(raw_article, sha)
                spans = span_ids.setdefault(article_id, {})
            if skip is not None:
                if skip is _UNKNOWN:
                    units.unknown_article_events += 1
                else:
                    units.stale_events += 1
                continue
            start = event.start
            end = event.end
            if body is not None and body[start:end] != event.text:
                units.stale_events += 1
                continue
            if event.segment:
                units.segments.setdefault((column, article_id), []).append(event.asdict())
            span = (start, end)
            uid = spans.get(span)
            if uid is None:
                key = (article_id, start, end)
                uid = spans[span] = uid_of[key] = len(unit_keys)
                unit_keys.append(key)
                # Checked against the body (the article's text at the span): not kept twice.
                info.append((event.paragraph, event.text if body is None else None, sha))
                if uid == self.capacity:
                    self.grow()  # extends the column lists in place: the locals still point at them
            elif unchecked and info[uid][1] != event.text:
                self.texts_differ = True
            label = event.label
            if event.op == "label" and label is not None:
                code = codes.get(label)
                if code is None:
                    if state.labels is not None and not state.labels.allows(label):
                        number = batch.first + next(i for i, e in enumerate(batch.values) if e is event)
                        units.problems.append(
                            LineProblem(path, number, f"unknown label {label!r} for schema {schema}")
                        )
                        continue
                    code = codes[label] = len(units.label_names)
                    units.label_names.append(label)
                labels[uid] = code
                source = event.source
                # One copy of each distinct source, however many votes name it.
                sources[uid] = None if source is None else interned.setdefault(source, source)
                note = event.note
                if note is not None:
                    notes[uid] = note
                elif notes:
                    notes.pop(uid, None)
            else:
                labels[uid] = cleared
                sources[uid] = None
                if notes:
                    notes.pop(uid, None)
        state.schema = schema
        state.run = (raw_article, sha_run, article_id, body, skip, spans)

    def trim(self) -> None:
        """Cut the columns back to the ids in use (they grow in steps of `_GROWTH`)."""
        units = self.units
        size = len(units.unit_keys)
        for labels in units.labels:
            del labels[size:]
        for sources in units.sources:
            del sources[size:]

    def portable(self) -> _Folded:
        """What this loader folded, to send to the process that merges it (`absorb`).

        What is not sent stays referenced from `self.unsent`: a child leaves by
        `os._exit`, and freeing 200,000 spans first only delays its result.
        """
        self.trim()
        units = self.units
        self.unsent = [units.uid_of]
        units.uid_of = {}  # not sent: the merging process looks their spans up in its own tables
        paragraphs = text_hashes = None
        if self.unchecked:
            # A forked child has this process's hash secret: the parent hashes the articles'
            # text at each span alike (`holds`), and no copy of every claim's text is sent.
            text_hashes = array("q", map(hash, map(operator.itemgetter(1), units.info)))
        if self.articles is not None or self.unchecked:
            # With the articles, a span's text and body hash are the article's (the fold
            # checked them, or `holds` will): only the paragraph is sent.
            paragraphs = list(map(operator.itemgetter(0), units.info))
            self.unsent += [units.info, units.bodies]
            units.info = []
            units.bodies = {}  # the merging process has the articles
        return _Folded(
            units,
            self.schema_files,
            self.body_hashes,
            self.conflicted,
            paragraphs,
            text_hashes,
            self.texts_differ,
        )

    def holds(self, folded: _Folded) -> bool:
        """Whether every event an `unchecked` loader folded was made on this loader's articles.

        Then its result is what folding with the articles would have made, since
        only events about an unknown article or another body (skipped there) can
        make a difference. Each article of theirs must have the one body hash its
        article here has, and each span the text of the article at that span.
        """
        articles = self.articles
        if articles is None or folded.text_hashes is None or folded.texts_differ or folded.conflicted:
            return False
        for article_id, sha in folded.body_hashes.items():
            article = articles.get(article_id)
            if article is None or article.sha256 != sha:
                return False
        for (article_id, start, end), text_hash in zip(
            folded.units.unit_keys, folded.text_hashes, strict=True
        ):
            if hash(articles[article_id].body[start:end]) != text_hash:
                return False
        return True

    def absorb(self, folded: _Folded) -> None:
        """Merge what another loader folded from the events after this one's.

        The result is what folding those events here, after this loader's own,
        would have made: spans first seen there are added in their order, each
        new annotator gets a column, and an annotator read here too (the rest
        of a file cut in two) takes their state of every unit they touched:
        the last event of an annotator wins. That loader was made `apart`, so
        a clear there is told from a unit it never touched.
        """
        theirs = folded.units
        units = self.units
        uid_of, unit_keys, info, article_ids = units.uid_of, units.unit_keys, units.info, self.article_ids
        uids: list[int] = []
        current: str | None = None
        spans: dict[tuple[int, int], int] = {}
        for local, (their_article, start, end) in enumerate(theirs.unit_keys):
            if their_article != current:  # their spans too come in runs of one article
                current = their_article
                article_id = article_ids.setdefault(their_article, their_article)
                spans = self.span_ids.setdefault(article_id, {})
            span = (start, end)
            uid = spans.get(span)
            if uid is None:
                key = (article_id, start, end)
                uid = spans[span] = uid_of[key] = len(unit_keys)
                unit_keys.append(key)
                if folded.paragraphs is None:
                    info.append(theirs.info[local])
                else:
                    article = self.articles[key[0]]  # type: ignore[index]
                    info.append((folded.paragraphs[local], None, article.sha256))
                    units.bodies[key[0]] = article.body
                if uid == self.capacity:
                    self.grow()
            uids.append(uid)
        codes = []
        for name in theirs.label_names:
            code = self.codes.get(name)
            if code is None:
                code = self.codes[name] = len(units.label_names)
                units.label_names.append(name)
            codes.append(code)
        interned = self.interned
        columns: list[int] = []
        for index, name in enumerate(theirs.annotators):
            earlier = name in self.index
            column = self.annotator(name)
            labels, sources, notes = self.columns(column)
            for uid, code, source in zip(uids, theirs.labels[index], theirs.sources[index], strict=True):
                if code is None:
                    continue
                if earlier:
                    # Later events of an annotator read here too (a file cut in two, or
                    # files in two folders): each unit they touched is as they left it.
                    notes.pop(uid, None)
                    if code == _CLEARED:
                        labels[uid] = sources[uid] = None
                        continue
                elif code == _CLEARED:
                    continue
                labels[uid] = codes[code]
                sources[uid] = None if source is None else interned.setdefault(source, source)
            for local, note in theirs.notes[index].items():
                notes[uids[local]] = note
            columns.append(column)
        # In their order, not annotator by annotator: the order folding them here would give.
        for (owner, article_id), events in theirs.segments.items():
            units.segments.setdefault(
                (columns[owner], article_ids.setdefault(article_id, article_id)), []
            ).extend(events)
        units.problems.extend(theirs.problems)
        units.stale_events += theirs.stale_events
        units.unknown_article_events += theirs.unknown_article_events
        for ref, paths in folded.schema_files.items():
            known = self.schema_files.setdefault(ref, [])
            known.extend(path for path in paths if path not in known)
        for article_id, sha in folded.body_hashes.items():
            self.body_changed(article_id, sha)
        self.conflicted |= folded.conflicted

    def columns(self, column: int) -> tuple[list[int | None], list[str | None], dict[int, str]]:
        """Annotator `column`'s labels, sources and notes (empty before the first annotator)."""
        if column < 0:
            return [], [], {}
        units = self.units
        return units.labels[column], units.sources[column], units.notes[column]

    def run(self, raw_article: str, sha: str) -> tuple[str, str | None, object | None]:
        """A new run of events about one article body: (interned id, body to check texts against, skip reason).

        One copy of each article id: the span keys of later annotators then
        compare by identity in uid_of (in a micro-benchmark: ~15% of the fold's
        own time). With the articles, events about an unknown article or another
        body are skipped (and counted); without them, an article seen with two
        bodies is remembered (`finish` leaves its labels out).
        """
        article_id = self.article_ids.setdefault(raw_article, raw_article)
        if self.articles is None:
            self.body_changed(article_id, sha)
            return article_id, None, None
        article = self.articles.get(article_id)
        if article is None:
            return article_id, None, _UNKNOWN
        if sha != article.sha256:
            return article_id, None, _STALE
        self.units.bodies[article_id] = article.body
        return article_id, article.body, None

    def sort_annotators(self) -> None:
        """Put the annotator columns in name order, whatever order the files came in."""
        units = self.units
        order = sorted(range(len(units.annotators)), key=units.annotators.__getitem__)
        if order == list(range(len(order))):
            return
        units.annotators = [units.annotators[i] for i in order]
        units.labels = [units.labels[i] for i in order]
        units.sources = [units.sources[i] for i in order]
        units.notes = [units.notes[i] for i in order]
        units.spans = [units.spans[i] for i in order]
        position = {old: new for new, old in enumerate(order)}
        units.segments = {
            (position[column], article): events for (column, article), events in units.segments.items()
        }

    def finish(self) -> UnitSet:
        """Trim the columns, resolve body-hash conflicts, match overlaps, order the units."""
        self.trim()
        units = self.units
        size = len(units.unit_keys)
        if self.conflicted:
            dropped = 0
            for uid, key in enumerate(units.unit_keys):
                if key[0] in self.conflicted:
                    for index in range(len(units.annotators)):
                        dropped += units.labels[index][uid] is not None
                        units.labels[index][uid] = None
                        units.sources[index][uid] = None
                        units.notes[index].pop(uid, None)
            units.unresolved_labels = dropped
            names = ", ".join(sorted(self.conflicted)[:5]) + (" ..." if len(self.conflicted) > 5 else "")
            units.notes_for_report.append(
                f"{len(self.conflicted)} articles ({names}) have events for more than one version of their "
                f"body; their {dropped} labels were left out (pass --corpus DIR to keep those for the current body)"
            )
        self.sort_annotators()
        keys = units.unit_keys
        # Ids are in first-seen order: sorted already when annotators went through the
        # articles in corpus order (checked in one C-level pass), else nearly sorted
        # (each article from top to bottom), which this sort takes in close to linear time.
        if all(map(operator.lt, keys, islice(keys, 1, None))):
            ordered = list(range(size))
        else:
            ordered = sorted(range(size), key=keys.__getitem__)
        # The annotators who left each unit alone: one pass, for the overlap matching and for `order`.
        missing = [profile.count(None) for profile in zip(*units.labels, strict=True)]
        moved = _match_overlaps(units, ordered, missing)
        annotators = len(units.annotators)
        units.order = (
            [uid for uid in ordered if missing[uid] < annotators and uid not in moved] if units.labels else []
        )
        if len(self.schema_files) == 1:
            units.schema_ref = next(iter(self.schema_files))
        return units


def _match_overlaps(units: UnitSet, ordered: list[int], missing: list[int]) -> set[int]:
    """Move each vote no other annotator shares exactly to the best-overlapping unit (module rule 2).

    `ordered` is every id sorted by key, so each article's spans are one run
    of it; `missing[uid]` is how many annotators left unit `uid` alone. Returns
    the units whose only vote moved: they have none now.
    """
    moved: set[int] = set()
    annotators = len(units.annotators)
    if annotators < 2:
        return moved
    keys = units.unit_keys
    orphans: dict[str, list[int]] = defaultdict(list)
    for uid in [uid for uid, count in enumerate(missing) if count == annotators - 1]:
        orphans[keys[uid][0]].append(uid)
    if not orphans:
        return moved
    holders: dict[int, set[int]] = {}

    def holders_of(uid: int) -> set[int]:
        found = holders.get(uid)
        if found is None:
            found = holders[uid] = {i for i in range(annotators) if units.labels[i][uid] is not None}
        return found

    first_keys = [keys[uid] for uid in ordered]
    for article_id in sorted(orphans):
        # The article's run in `ordered`: from its first possible key to the next article's.
        low = bisect.bisect_left(first_keys, (article_id,))
        high = bisect.bisect_left(first_keys, (article_id + "\0",), low)
        candidates = ordered[low:high]
        starts = [keys[uid][1] for uid in candidates]
        longest = max(keys[uid][2] - keys[uid][1] for uid in candidates)
        # Longest first: a merged span joins the best of its pieces, not the other way round.
        for orphan in sorted(orphans[article_id], key=lambda uid: (keys[uid][1] - keys[uid][2], keys[uid])):
            owners = holders_of(orphan)
            if len(owners) != 1:
                continue  # another orphan has joined it: it is a unit now
            (owner,) = owners
            _, start, end = keys[orphan]
            best: tuple[int, int, int] | None = None
            target: int | None = None
            for candidate in candidates[
                bisect.bisect_left(starts, start - longest) : bisect.bisect_left(starts, end)
            ]:
                if candidate == orphan:
                    continue
                others = holders_of(candidate)
                if not others or owner in others:
                    continue
                _, other_start, other_end = keys[candidate]
                overlap = min(end, other_end) - max(start, other_start)
                shorter = min(end - start, other_end - other_start)
                if overlap <= 0 or overlap * 2 < shorter:
                    continue
                score = (overlap, len(others), -other_start)
                if best is None or score > best:
                    best, target = score, candidate
            if target is None:
                continue
            labels, sources, notes = units.labels[owner], units.sources[owner], units.notes[owner]
            labels[target], labels[orphan] = labels[orphan], None
            sources[target], sources[orphan] = sources[orphan], None
            if orphan in notes:
                notes[target] = notes.pop(orphan)
            units.spans[owner][target] = (start, end)
            owners.discard(owner)
            holders_of(target).add(owner)
            units.overlap_uids.add(target)
            moved.add(orphan)
    return moved


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for bulk work over many small objects.

    Folding and counting keep a million small objects alive and make millions
    more: the collector would rescan them over and over for nothing (they hold
    no reference cycles). Reference counting still frees everything as usual.
    On leaving normally, what is still alive is frozen out of the collector's
    sight (`gc.freeze`), as the annotate screen does with its long-lived
    objects: otherwise the first collection afterwards walks every object made
    meanwhile (0.15 s after reading a million events, measured). The price: a
    reference cycle alive at that moment is never collected; the columns hold
    none. Leaving on an error freezes nothing (its traceback holds cycles).
    """
    enabled = gc.isenabled()
    gc.disable()
    finished = False
    try:
        yield
        finished = True
    finally:
        if enabled:
            if finished:
                gc.freeze()
            gc.enable()


def reading_parts(files: Sequence[Path], jobs: int, lead: int = 0) -> list[list[FileRange]]:
    """`files` cut into up to `jobs` runs of about equal work, each cut at a line start.

    The first run is this process's, which has `lead` bytes' worth of other
    work first (the articles): its run is that much shorter; a child's run
    costs a little more than its bytes (`MERGE_COST`). A cut falls inside a
    file, at the line start after its place, so that every process finishes
    at about the same time (cut only between files, 5 files over 2 processes
    left one idle for a third of a second). Runs are merged in order (`absorb`),
    so an annotator whose events are cut apart ends as if read in one piece.
    A file is cut at most once.
    """
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # reading it says what is wrong
    total = sum(sizes)
    whole = [[FileRange(path) for path in files]]
    if jobs < 2 or not can_fork() or total < PARALLEL_BYTES:
        return whole
    # Every process should finish at once: this one reads `lead` and its part;
    # a child folds its part and pickles the result, which this one then merges.
    share = (total + lead) / (jobs + MERGE_COST)
    first = share * (1 + MERGE_COST) - lead
    # Each cut as (file index, offset in it); (i, 0) is the boundary before file i.
    cuts: list[tuple[int, int]] = []
    starts = [0, *accumulate(sizes)][:-1]
    for number in range(jobs - 1):
        target = first + number * share
        index = max(0, bisect.bisect_right(starts, target) - 1)
        offset = _line_start(files[index], int(target - starts[index]), sizes[index]) if target > 0 else 0
        cut = (index + 1, 0)  # at the file's end: no line start after the place, or cut once already
        if offset is not None and not (cuts and cuts[-1][0] == index and cuts[-1][1]):
            cut = (index, offset)
        if cut[0] < len(files) and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    parts: list[list[FileRange]] = [[]]
    for index, path in enumerate(files):
        start = 0
        for cut_index, offset in cuts:
            if cut_index == index:
                if offset:
                    parts[-1].append(FileRange(path, start, offset))
                    start = offset
                parts.append([])
        parts[-1].append(FileRange(path, start))
    return [part for number, part in enumerate(parts) if part or number == 0]


def _line_start(path: Path, offset: int, size: int) -> int | None:
    """The first line start of `path` at or after `offset` (past 0), or None if there is none before `size`."""
    try:
        with path.open("rb") as handle:
            at = handle.seek(max(0, offset - 1))
            while block := handle.read(1 << 16):
                found = block.find(b"\n")
                if found >= 0:
                    at += found + 1
                    return at if at < size else None
                at += len(block)
    except OSError:
        pass  # reading it says what is wrong
    return None


def _lines_before(handle: IO[bytes], offset: int) -> int:
    """The number of lines in the first `offset` bytes of `handle`, which is left at `offset`."""
    handle.seek(0)
    count = 0
    while offset > 0 and (block := handle.read(min(offset, 1 << 20))):
        count += block.count(b"\n")
        offset -= len(block)
    return count


def _fold_apart(
    articles: Mapping[str, Article] | None,
    schemas: SchemaLookup | None,
    ranges: list[FileRange],
    unchecked: bool,
    report: Progress,
) -> _Folded:
    """Fold `ranges` in a child process, for `_Loader.absorb` in the parent (`unchecked`: see `_Loader`)."""
    loader = _Loader(articles, schemas, unchecked, apart=True)
    for path, start, stop in ranges:
        loader.read(path, report, start, stop)
    folded = loader.portable()
    keep_to_exit(loader)
    return folded


def load_units(
    paths: Sequence[Path],
    articles: Mapping[str, Article] | Corpus | None = None,
    gold: Sequence[Path] | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
    schemas: SchemaLookup | None = None,
    jobs: int = 1,
) -> UnitSet:
    """Read every annotator's events from PATH... into a UnitSet (one pass, folded as read).

    `schemas(ref)` gives the label schema of events that name schema `ref`, or
    None when it is not known (then any label is taken): a label it does not
    allow is a bad line (`unknown label ...`, as `annotate validate` says it).

    Refuses (AnnotateError) files that mix schemas, naming them, and files with
    malformed lines unless `skip_bad` (every bad line is in `UnitSet.problems`;
    torn last lines are always only reported). `gold` defaults to the `gold/`
    folders beside PATH...

    With `jobs` above 1, forked children each fold a run of the later events
    (`reading_parts`: cut at line starts, inside a file where that evens the
    runs out) while this process folds the first run, and their results are
    merged in file order, as if read here one after another (`absorb`,
    `annotate.forked`).

    `articles` may be a `Corpus` not read yet: the children are then forked
    first and fold without the articles while this process reads them (it has
    the shorter run). Each child's result is checked against the
    articles (`_Loader.holds`); if any of its events was about an article not
    in the corpus or another version of a body, its run is folded again
    here, checking every event, so the result is always as with `jobs` 1. In
    the benchmark export this takes the articles' 0.45 s off the reading.
    """
    files = event_files(paths)
    corpus, loaded = (articles, None) if isinstance(articles, Corpus) else (None, articles)
    parts = reading_parts(files, jobs, ARTICLE_BYTE_COST * corpus.size if corpus is not None else 0)
    # Children forked before the articles are read fold without them, unchecked.
    unchecked = corpus is not None
    with gc_paused():
        children = start_children(
            [partial(_fold_apart, loaded, schemas, part, unchecked) for part in parts[1:]]
        )
        try:
            loader = _Loader(corpus.articles if corpus is not None else loaded, schemas)
            loader.units.files = files
            for path, start, stop in parts[0]:
                loader.read(path, progress, start, stop)
            for child, part in zip(children, parts[1:], strict=True):
                folded = child.result(progress)
                if not unchecked or loader.holds(folded):
                    loader.absorb(folded)
                    continue
                for path, start, stop in part:  # rare: events about a missing article or an earlier body
                    loader.read(path, None, start, stop)
        finally:
            for child in children:
                child.stop()
    units = loader.units
    if len(loader.schema_files) > 1:
        described = "; ".join(
            f"{ref} in {', '.join(str(p) for p in files_)}"
            for ref, files_ in sorted(loader.schema_files.items())
        )
        raise AnnotateError(
            f"these files use different label schemas ({described}); compare files of one schema at a time"
        )
    # Gold is read before bad lines are refused: a bad gold line is refused like any other.
    skipped: Counter[str] = Counter()
    schema_ref = next(iter(loader.schema_files)) if len(loader.schema_files) == 1 else None
    units.gold = load_gold(
        gold_files(paths) if gold is None else gold,
        units.problems,
        loader.articles,
        schema_ref,
        schemas,
        skipped,
    )
    units.stale_events += skipped["stale"]
    units.unknown_article_events += skipped["unknown"]
    errors = [problem for problem in units.problems if not problem.torn]
    if errors and not skip_bad:
        first = errors[0]
        raise BadLines(
            f"{len(errors)} malformed lines (first {first}); fix them, or pass --skip-bad to compute over the rest",
            errors,
        )
    return loader.finish()
