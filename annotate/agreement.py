"""The agreement report (DESIGN 4.5) over a UnitSet.

Keys required by DESIGN 4.5: `units` (units with two or more annotators),
`annotators`, `percent_agreement`, `krippendorff_alpha`, `fleiss_kappa`,
`cohen_kappa` (`"a|b"`, names sorted), `per_label` (label -> specific agreement),
`per_article` (article_id -> `units`, `krippendorff_alpha`, `percent_agreement`)
and `notes`. Also: `schema`, `labels`, `label_counts`, `fleiss_units`,
`single_vote_units`, `overlap_matched_units`, `stale_events`,
`unknown_article_events`, `unresolved_labels`, `skipped_lines`, `confusion`
(per pair: `labels` and `matrix`, rows the first annotator), `per_annotator`
(`units`, `agreement_with_majority`, `mean_cohen_kappa`) and `source_agreement`
(the same statistics over sources normalised for case, articles and whitespace,
over units where two or more annotators named a source).

Every coefficient is a number or null; a null always comes with a note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations, groupby
from operator import itemgetter
from typing import Any

from annotate.reliability import (
    Coefficient,
    NominalSummary,
    Profiles,
    cohen_kappa,
    confusion,
    fleiss_kappa,
    grouped_summaries,
    nominal_summary,
    specific_agreement,
)
from annotate.schema import NOT_A_CLAIM
from annotate.units import UnitSet, gc_paused, normalise_source

Report = dict[str, Any]
SOURCE_NORMALISATION = "case folded, articles (a/an/the) removed, whitespace collapsed"


def label_order(names: Sequence[str], schema_names: Sequence[str] = ()) -> list[str]:
    """Labels in schema order, then not_a_claim, then any others alphabetically."""
    known = [name for name in schema_names if name in names]
    tail = sorted(name for name in names if name not in schema_names and name != NOT_A_CLAIM)
    return known + ([NOT_A_CLAIM] if NOT_A_CLAIM in names else []) + tail


class _Notes:
    """Collects the reasons coefficients are null, once each."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def value(self, coefficient: Coefficient, what: str) -> float | None:
        if coefficient.value is None and coefficient.note:
            line = f"{what}: null ({coefficient.note})"
            if line not in self.lines:
                self.lines.append(line)
        return coefficient.rounded()


def _pair(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def _vote_units(profiles: Profiles) -> int:
    return sum(weight for profile, weight in profiles.items() if len(profile) - profile.count(None) >= 2)


def agreement_report(
    units: UnitSet,
    schema_names: Sequence[str] = (),
    *,
    per_article: bool = True,
) -> Report:
    """Compute the agreement report; never raises for degenerate data (nulls with notes instead).

    `per_article=False` leaves out `per_article` (and its note): the figures
    per article are the report's costliest part, and the dataset card shows none.
    """
    with gc_paused():
        return _agreement_report(units, schema_names, per_article)


def _agreement_report(
    units: UnitSet,
    schema_names: Sequence[str],
    per_article: bool,
) -> Report:
    notes = _Notes()
    annotators = units.annotators
    codes = label_order(units.label_names, schema_names)
    names = units.label_names
    columns = [units.label_column(index) for index in range(len(annotators))]
    profiles: Counter[tuple[int | None, ...]] = Counter(zip(*columns, strict=True))
    shared = _vote_units(profiles)
    single = sum(weight for profile, weight in profiles.items() if len(profile) - profile.count(None) == 1)

    report: Report = {
        "units": shared,
        "annotators": list(annotators),
        "schema": units.schema_ref,
    }
    if len(annotators) < 2:
        notes.lines.append(
            f"only {len(annotators)} annotator{'s' if len(annotators) != 1 else ''} "
            f"({', '.join(annotators) or 'none'}): agreement needs two or more"
        )
    elif not shared:
        notes.lines.append("no claim was labelled by two or more annotators")

    summary = nominal_summary(profiles)
    report["percent_agreement"] = notes.value(summary.percent_agreement(), "percent_agreement")
    report["krippendorff_alpha"] = notes.value(summary.alpha(), "krippendorff_alpha")
    complete = sum(weight for profile, weight in profiles.items() if None not in profile)
    report["fleiss_kappa"] = (
        notes.value(fleiss_kappa(profiles), "fleiss_kappa") if len(annotators) >= 2 else None
    )
    report["fleiss_units"] = complete

    cohen: dict[str, float | None] = {}
    matrices: dict[str, dict[str, Any]] = {}
    pair_units: dict[str, int] = {}
    order = sorted(range(len(annotators)), key=lambda index: annotators[index])
    for first, second in combinations(order, 2):
        key = _pair(annotators[first], annotators[second])
        cohen[key] = notes.value(cohen_kappa(profiles, first, second), f"cohen_kappa {key}")
        table = confusion(profiles, first, second)
        pair_units[key] = sum(table.values())
        index_of = {name: position for position, name in enumerate(codes)}
        matrix = [[0] * len(codes) for _ in codes]
        for (a, b), count in table.items():
            matrix[index_of[names[int(a)]]][index_of[names[int(b)]]] += count
        matrices[key] = {"labels": codes, "matrix": matrix, "units": pair_units[key]}
    report["cohen_kappa"] = cohen

    specific = specific_agreement(profiles)
    per_label: dict[str, float | None] = {}
    for name in codes:
        code = names.index(name)
        coefficient = specific.get(code, Coefficient(None, "no unit with two or more votes has this label"))
        per_label[name] = notes.value(coefficient, f"per_label {name}")
    report["per_label"] = per_label
    counts: Counter[str] = Counter()
    for profile, weight in profiles.items():
        for value in profile:
            if value is not None:
                counts[names[value]] += weight
    report["label_counts"] = {name: counts[name] for name in codes}

    if per_article:
        report["per_article"] = _per_article(columns, units.keys)
    if per_article and any(
        entry["krippendorff_alpha"] is None and entry["units"] for entry in report["per_article"].values()
    ):
        notes.lines.append(
            "per_article: an article's krippendorff_alpha is null when every vote in it is the same label"
        )

    report["per_annotator"] = _per_annotator(annotators, profiles, cohen)
    report["source_agreement"] = _source_agreement(units, notes)
    report["confusion"] = matrices
    report["overlap_matched_units"] = units.overlap_units
    report["single_vote_units"] = single
    report["stale_events"] = units.stale_events
    report["unknown_article_events"] = units.unknown_article_events
    report["unresolved_labels"] = units.unresolved_labels
    report["skipped_lines"] = sum(1 for problem in units.problems if not problem.torn)
    if units.overlap_units:
        notes.lines.append(
            f"{units.overlap_units} units were matched by overlap: annotators drew different claim boundaries there"
        )
    if units.stale_events:
        notes.lines.append(f"{units.stale_events} stale events (for an older article body) were left out")
    if units.unknown_article_events:
        notes.lines.append(
            f"{units.unknown_article_events} events about articles not in the corpus were left out"
        )
    report["notes"] = [*units.notes_for_report, *notes.lines]
    return report


def _per_article(columns: list[list[int | None]], keys: list[Any]) -> dict[str, dict[str, Any]]:
    # Units are in key order, so each article is one run of them.
    runs: list[tuple[int, int]] = []
    articles: list[str] = []
    start = 0
    for article_id, group in groupby(keys, key=itemgetter(0)):
        stop = start + sum(1 for _ in group)
        articles.append(article_id)
        runs.append((start, stop))
        start = stop
    per_article: dict[str, dict[str, Any]] = {}
    for article_id, summary in zip(articles, grouped_summaries(columns, runs), strict=True):
        if summary is None:
            per_article[article_id] = {"units": 0, "krippendorff_alpha": None, "percent_agreement": None}
            continue
        per_article[article_id] = {
            "units": summary.units,
            "krippendorff_alpha": summary.alpha().rounded(),
            "percent_agreement": summary.percent_agreement().rounded(),
        }
    return per_article


def _per_annotator(
    annotators: list[str], profiles: Profiles, cohen: dict[str, float | None]
) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(annotators):
        units = 0
        judged = 0
        agreed = 0
        for profile, weight in profiles.items():
            mine = profile[index]
            if mine is None:
                continue
            others = Counter(
                value for position, value in enumerate(profile) if position != index and value is not None
            )
            if not others:
                continue
            units += weight
            ranked = others.most_common(2)
            if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
                continue  # the others tie: no majority to agree with
            judged += weight
            agreed += weight * (ranked[0][0] == mine)
        kappas = [value for pair, value in cohen.items() if name in pair.split("|") and value is not None]
        result[name] = {
            "units": units,
            "agreement_with_majority": round(agreed / judged, 4) if judged else None,
            "mean_cohen_kappa": round(sum(kappas) / len(kappas), 4) if kappas else None,
        }
    return result


def _source_agreement(units: UnitSet, notes: _Notes) -> dict[str, Any]:
    normal_ids: dict[str | None, int | None] = {None: None}
    by_text: dict[str, int] = {}
    for column in units.sources:
        for raw in set(column):
            if raw not in normal_ids:
                normal_ids[raw] = by_text.setdefault(normalise_source(raw), len(by_text))  # type: ignore[arg-type]
    columns = [list(map(normal_ids.__getitem__, column)) for column in units.sources]
    summary = grouped_summaries(columns, [(0, len(units.unit_keys))])[0] or NominalSummary(marginals={})
    return {
        "units": summary.units,
        "distinct_sources": len(by_text),
        "percent_agreement": notes.value(summary.percent_agreement(), "source_agreement.percent_agreement"),
        "krippendorff_alpha": notes.value(summary.alpha(), "source_agreement.krippendorff_alpha"),
        "normalised": SOURCE_NORMALISATION,
    }
