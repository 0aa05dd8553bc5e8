"""Adjudication: a lead's final decision on a unit, written as a gold event (DESIGN 4.4).

Gold events have the annotation event format plus `adjudicated: true` and
`votes` (annotator -> the label they gave), so every decision keeps its
evidence. They go to `gold/<adjudicator>.jsonl` beside the annotator files,
through `EventLog` (locked, fsynced before the screen shows them saved). The
latest gold event per span wins, so a decision can be changed by deciding
again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotate.errors import AnnotateError
from annotate.reliability import Coefficient, krippendorff_alpha, percent_agreement
from annotate.schema import NOT_A_CLAIM, LabelSchema
from annotate.store import FORMAT_VERSION, Event, SpanKey, log_path, new_event_id, utc_timestamp
from annotate.units import GOLD_FOLDER, GoldDecision, Unit, UnitSet

Append = Callable[[list[Event]], None]


def gold_folder(paths: Sequence[Path]) -> Path:
    """Where gold goes for PATH...: `gold/` in the first folder given, or beside the first file."""
    first = paths[0]
    return (first if first.is_dir() else first.parent) / GOLD_FOLDER


def gold_path(folder: Path, adjudicator: str) -> Path:
    """The adjudicator's gold file (the name is validated like an annotator's)."""
    return log_path(folder, adjudicator)


def gold_event(
    unit: Unit, label: str, source: str | None, note: str | None, adjudicator: str, schema_ref: str
) -> Event:
    """The gold event recording `label` (and source, note) as the decision on `unit`."""
    return {
        "v": FORMAT_VERSION,
        "id": new_event_id(),
        "ts": utc_timestamp(),
        "annotator": adjudicator,
        "article_id": unit.article_id,
        "article_sha256": unit.article_sha256,
        "paragraph": unit.paragraph,
        "start": unit.start,
        "end": unit.end,
        "text": unit.text,
        "op": "label",
        "label": label,
        "source": source,
        "note": note,
        "schema": schema_ref,
        "adjudicated": True,
        "votes": {name: vote.label for name, vote in sorted(unit.votes.items())},
    }


@dataclass(frozen=True)
class ReviewFilter:
    """Which units the review walks."""

    disagreements_only: bool = False
    label: str | None = None
    annotator: str | None = None
    article_id: str | None = None

    def describe(self) -> str:
        """A short description for the header."""
        parts = []
        if self.disagreements_only:
            parts.append("disagreements")
        if self.label:
            parts.append(f"label {self.label}")
        if self.annotator:
            parts.append(f"annotator {self.annotator}")
        if self.article_id:
            parts.append(f"article {self.article_id}")
        return ", ".join(parts) or "all units"


def is_disagreement(units: UnitSet, key: SpanKey) -> bool:
    """Two or more votes with more than one label between them."""
    uid = units.uid_of.get(key)
    if uid is None:
        return False
    return len({labels[uid] for labels in units.labels} - {None}) > 1


def select(units: UnitSet, wanted: ReviewFilter) -> list[SpanKey]:
    """The units matching the filter, in order."""
    code = units.label_names.index(wanted.label) if wanted.label in units.label_names else None
    if wanted.label is not None and code is None:
        return []
    column = units.annotators.index(wanted.annotator) if wanted.annotator in units.annotators else None
    if wanted.annotator is not None and column is None:
        return []
    chosen = []
    for uid in units.order:
        key = units.unit_keys[uid]
        if wanted.article_id is not None and key[0] != wanted.article_id:
            continue
        if column is not None and units.labels[column][uid] is None:
            continue
        if code is not None and not any(labels[uid] == code for labels in units.labels):
            continue
        if wanted.disagreements_only and not is_disagreement(units, key):
            continue
        chosen.append(key)
    return chosen


def running_agreement(units: UnitSet, keys: Sequence[SpanKey]) -> tuple[Coefficient, Coefficient, int]:
    """(percent agreement, Krippendorff's alpha, units with 2+ votes) over `keys`."""
    from collections import Counter

    columns = [units.label_column(index, keys) for index in range(len(units.annotators))]
    profiles = Counter(zip(*columns, strict=True))
    shared = sum(w for profile, w in profiles.items() if len(profile) - profile.count(None) >= 2)
    return percent_agreement(profiles), krippendorff_alpha(profiles), shared


class Adjudication:
    """The lead's decisions, backed by their gold log."""

    def __init__(self, units: UnitSet, schema: LabelSchema, adjudicator: str, append: Append) -> None:
        self.units = units
        self.schema = schema
        self.adjudicator = adjudicator
        self._append = append

    def decide(self, key: SpanKey, label: str, source: str | None, note: str | None = None) -> GoldDecision:
        """Record the final label (and source, note) of a unit; on disk before it returns."""
        if label != NOT_A_CLAIM and label not in self.schema.names:
            raise AnnotateError(f"label {label!r} is not in schema {self.schema.ref}")
        unit = self.units.unit(key)
        source = (source or "").strip() or None
        note = (note or "").strip() or None
        event = gold_event(unit, label, source, note, self.adjudicator, self.schema.ref)
        self._append([event])  # on disk first: if this raises, nothing changes
        decision = GoldDecision(label, source, note, self.adjudicator, event["ts"], dict(event["votes"]))
        self.units.gold[key] = decision
        return decision

    def is_decided(self, key: SpanKey) -> bool:
        """Whether the unit has a gold decision."""
        return key in self.units.gold
