"""`annotate status`: the lead's morning summary, built from sections.

The report is a list of `Section`s, each made by one builder in `SECTIONS`
(a function from `StatusData` to a `Section`, or None to leave it out). To add a
section (for example "assigned vs done" or "suggestion acceptance rate"), write
a builder and append it to `SECTIONS`; the human and JSON outputs pick it up.

Built in (`acceptance` only when some decision recorded a suggestion,
`assignments` only when the corpus folder has an assignments.yaml):
- `annotators`: per annotator, claims labelled out of claims (with the corpus),
  the label distribution, and agreement with the majority of the *other*
  annotators (units where those others tie are not judged).
- `articles`: per article, claims and each annotator's labelled count, units with
  two or more votes and Krippendorff's alpha.
- `assignments`: per annotator, assigned articles done, started and untouched
  (issue 5's `assignments.summarise_progress` over the same progress figures).
- `acceptance`: per annotator, how often decisions kept the suggested label and
  source (issue 6's `attribution.acceptance_rate`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from annotate.agreement import agreement_report, label_order
from annotate.assignments import Assignments, summarise_progress
from annotate.corpus import Article
from annotate.segment import Claim
from annotate.session import claim_layout
from annotate.store import ReadResult, read_events
from annotate.units import UnitSet

Cell = str | int | float | None


@dataclass
class Section:
    """One table of the status report."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The section as a JSON object: rows as objects keyed by column."""
        return {
            "title": self.title,
            "rows": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
            "notes": self.notes,
        }


@dataclass
class StatusData:
    """What section builders read: the units, the corpus (optional) and derived figures."""

    units: UnitSet
    articles: Mapping[str, Article] | None = None
    schema_names: tuple[str, ...] = ()
    assignments: Assignments | None = None

    @cached_property
    def report(self) -> dict[str, Any]:
        """The agreement report over the same units."""
        return agreement_report(self.units, self.schema_names)

    @cached_property
    def labels(self) -> list[str]:
        """Label names in display order."""
        return label_order(self.units.label_names, self.schema_names)

    @cached_property
    def progress(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(labelled, claims) per (annotator, article), for the corpus articles."""
        result: dict[tuple[str, str], tuple[int, int]] = {}
        if self.articles is None:
            return result
        units = self.units
        own: list[dict[str, set[tuple[int, int]]]] = []
        for index in range(len(units.annotators)):
            spans: dict[str, set[tuple[int, int]]] = {}
            moved = units.spans[index]
            for key in units.voted_keys(index):
                span = moved.get(units.uid_of[key], (key[1], key[2]))
                spans.setdefault(key[0], set()).add(span)
            own.append(spans)
        for article_id in sorted(self.articles):
            article = self.articles[article_id]
            for index, name in enumerate(units.annotators):
                claims: list[Claim] = claim_layout(article, units.segments.get((index, article_id), []))
                labelled = own[index].get(article_id, set())
                done = sum(1 for claim in claims if (claim.start, claim.end) in labelled)
                result[(name, article_id)] = (done, len(claims))
        return result


Builder = Callable[[StatusData], Section | None]


def annotator_section(data: StatusData) -> Section:
    """Per annotator: progress, label distribution, agreement with the majority."""
    labels = data.labels
    section = Section(
        "annotators",
        "Annotators",
        ["annotator", "labelled", "claims", *labels, "with_majority"],
    )
    units = data.units
    per_annotator = data.report["per_annotator"]
    for index, name in enumerate(units.annotators):
        counts = Counter(code for code in units.labels[index] if code is not None)
        distribution = [counts.get(units.label_names.index(label), 0) for label in labels]
        if data.articles is not None:
            done = sum(d for (who, _), (d, _) in data.progress.items() if who == name)
            total: int | None = sum(t for (who, _), (_, t) in data.progress.items() if who == name)
        else:
            done, total = sum(counts.values()), None
        section.rows.append(
            [name, done, total, *distribution, per_annotator[name]["agreement_with_majority"]]
        )
    if data.articles is None:
        section.notes.append("give --corpus DIR to see claims labelled out of claims")
    if len(units.annotators) < 2:
        section.notes.append("agreement with the majority needs two or more annotators")
    return section


def article_section(data: StatusData) -> Section | None:
    """Per article: each annotator's claims labelled (out of claims, with the corpus), shared units, alpha."""
    units = data.units
    section = Section("articles", "Articles", ["article", *units.annotators, "units", "alpha"])
    per_article = data.report["per_article"]
    article_ids = sorted(set(data.articles or ()) | set(per_article))
    voted = [Counter(key[0] for key in units.voted_keys(index)) for index in range(len(units.annotators))]
    for article_id in article_ids:
        entry = per_article.get(article_id, {"units": 0, "krippendorff_alpha": None})
        row: list[Cell] = [article_id]
        if data.articles is not None and article_id in data.articles:
            row.extend(
                f"{done}/{total}"
                for done, total in (data.progress[(name, article_id)] for name in units.annotators)
            )
        else:
            row.extend(counts[article_id] for counts in voted)
        row.extend([entry["units"], entry["krippendorff_alpha"]])
        section.rows.append(row)
    if data.articles is None:
        section.notes.append(
            "labelled claims per annotator; give --corpus DIR for claims labelled out of claims"
        )
    return section


def acceptance_section(data: StatusData) -> Section | None:
    """Per annotator: how often the final decision kept what the assistant suggested.

    A lead watches this for automation bias. The units do not keep the
    `suggested` field, so the annotators' files are read once more here.
    """
    from annotate.attribution import ACCEPTANCE_COLUMNS, acceptance_rate, acceptance_table

    events = ReadResult()
    for path in data.units.files:
        read_events(path, events)
    rates = acceptance_rate(events.events)
    if not any(rate.label_suggested or rate.source_suggested for rate in rates.values()):
        return None
    section = Section(
        "acceptance", "Suggestion acceptance", list(ACCEPTANCE_COLUMNS), acceptance_table(rates)
    )
    section.notes.append(
        "label_rate: decisions equal to the suggested label; accept_key: decisions made with the accept key"
    )
    return section


def assignment_section(data: StatusData) -> Section | None:
    """Per annotator: assigned articles versus done, started and untouched (from assignments.yaml)."""
    assignments = data.assignments
    if assignments is None:
        return None
    section = Section(
        "assignments",
        "Assigned versus done",
        ["annotator", "assigned", "done", "started", "untouched", "claims_labelled", "claims"],
    )
    progress = dict(data.progress)
    if data.articles is not None:
        # Someone with no events yet is not among the units: their articles are untouched.
        for article_id, names in assignments.articles.items():
            article = data.articles.get(article_id)
            for name in names:
                if article is not None and (name, article_id) not in progress:
                    progress[(name, article_id)] = (0, len(claim_layout(article, [])))
    for row in summarise_progress(assignments, progress):
        section.rows.append(
            [row.annotator, row.assigned, row.done, row.started, row.untouched, row.claims_done, row.claims]
        )
    missing = [
        article_id for article_id in assignments.articles if data.articles and article_id not in data.articles
    ]
    if missing:
        section.notes.append(f"{len(missing)} assigned articles are not in the corpus (first: {missing[0]})")
    return section


SECTIONS: list[Builder] = [annotator_section, assignment_section, article_section, acceptance_section]


def status_report(data: StatusData) -> list[Section]:
    """Every section that has something to say."""
    return [section for builder in SECTIONS if (section := builder(data)) is not None]
