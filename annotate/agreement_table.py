"""The agreement report as rich tables for a terminal, readable at 80 columns.

Untrusted names (annotators, article ids, labels) only ever go into `Text`
objects, never into markup strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from annotate.text import printable

GOOD, FAIR, POOR = "green", "yellow", "red"


def _shade(value: float | None) -> str:
    """Colour of a coefficient: green from 0.8, yellow from 0.667 (Krippendorff's thresholds), red below."""
    if value is None:
        return "grey50"
    return GOOD if value >= 0.8 else FAIR if value >= 0.667 else POOR


def number(value: float | None, percent: bool = False) -> Text:
    """A coefficient as coloured text; null shows as an em dash.

    Shown to the report's four decimals (two for a percentage): rounding the
    report's rounded figure again could round the other way than the true value
    (0.38348 is 0.3835 in the JSON; shown to three decimals, 0.384).
    """
    if value is None:
        return Text("—", style="grey50")
    shown = f"{value * 100:.2f}%" if percent else f"{value:.4f}"
    return Text(shown, style=_shade(value))


def _plain(value: object) -> Text:
    return Text(printable(str(value)))


def _short(label: str, width: int = 6) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def abbreviations(labels: list[str], width: int = 4) -> dict[str, str]:
    """Short, distinct column names for labels (the shortest unique prefix of at least `width`)."""
    short: dict[str, str] = {}
    for label in labels:
        size = min(width, len(label))
        while size < len(label) and any(other != label and other[:size] == label[:size] for other in labels):
            size += 1
        short[label] = label[:size]
    return short


def legend(labels: list[str]) -> Text:
    """`conf = confirmed, ...` for the abbreviated columns."""
    short = abbreviations(labels)
    return Text(
        printable(", ".join(f"{short[label]} = {label}" for label in labels if short[label] != label)),
        style="dim",
    )


def summary_table(report: dict[str, Any]) -> Table:
    """The headline figures."""
    table = Table(title="Agreement", title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("annotators", _plain(", ".join(report["annotators"])))
    table.add_row("units (2+ annotators)", Text(str(report["units"])))
    table.add_row("percent agreement", number(report["percent_agreement"], percent=True))
    table.add_row("Krippendorff's alpha", number(report["krippendorff_alpha"]))
    table.add_row(f"Fleiss' kappa ({report['fleiss_units']} units)", number(report["fleiss_kappa"]))
    source = report["source_agreement"]
    table.add_row(
        f"same source ({source['units']} units)",
        Text.assemble(
            "α ",
            number(source["krippendorff_alpha"]),
            " · ",
            number(source["percent_agreement"], True),
            " agree",
        ),
    )
    counts = []
    if report["overlap_matched_units"]:
        counts.append(f"{report['overlap_matched_units']} matched by overlap")
    if report["single_vote_units"]:
        counts.append(f"{report['single_vote_units']} with one vote")
    if report["stale_events"]:
        counts.append(f"{report['stale_events']} stale events left out")
    if counts:
        table.add_row("also", Text("; ".join(counts)))
    return table


def confusion_table(pair: str, entry: dict[str, Any], kappa: float | None) -> Table:
    """One annotator pair's confusion matrix, agreement on the diagonal in green."""
    first, second = pair.split("|")
    labels = entry["labels"]
    matrix = entry["matrix"]
    title = Text.assemble(Text(printable(first), "bold"), " × ", Text(printable(second), "bold"), "  κ ")
    title.append_text(number(kappa))
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1), show_edge=False)
    short = abbreviations(labels)
    table.add_column(Text(printable(_short(first, 8)), "dim"), no_wrap=True)
    for label in labels:
        table.add_column(_plain(short[label]), justify="right", no_wrap=True)
    largest = max((cell for row in matrix for cell in row), default=0) or 1
    for index, (label, row) in enumerate(zip(labels, matrix, strict=True)):
        cells: list[RenderableType] = []
        for column, cell in enumerate(row):
            if not cell:
                style = "grey35"
            elif index == column:
                style = "bold green"
            else:
                style = "bold red" if cell * 4 >= largest else "red"
            cells.append(Text(str(cell), style))
        table.add_row(_plain(short[label]), *cells)
    return table


def pairs_view(report: dict[str, Any]) -> RenderableType:
    """Every pair's confusion matrix, laid out side by side as the width allows."""
    tables = [
        confusion_table(pair, entry, report["cohen_kappa"][pair])
        for pair, entry in report["confusion"].items()
    ]
    return Columns(tables, padding=(1, 3))


def by_article(report: dict[str, Any]) -> Table:
    """Per article, the lowest alpha first."""
    table = Table(title="By article (lowest alpha first)", title_justify="left", box=None, padding=(0, 1))
    table.add_column("article", overflow="fold", ratio=1)
    table.add_column("units", justify="right")
    table.add_column("agree", justify="right")
    table.add_column("alpha", justify="right")
    rows = sorted(
        report["per_article"].items(),
        key=lambda item: (
            item[1]["krippendorff_alpha"] is None,
            item[1]["krippendorff_alpha"] or 0.0,
            item[0],
        ),
    )
    for article_id, entry in rows:
        table.add_row(
            _plain(article_id),
            Text(str(entry["units"])),
            number(entry["percent_agreement"], True),
            number(entry["krippendorff_alpha"]),
        )
    return table


def by_annotator(report: dict[str, Any]) -> Table:
    """Per annotator: units, agreement with the others' majority, mean Cohen's kappa."""
    table = Table(title="By annotator", title_justify="left", box=None, padding=(0, 1))
    table.add_column("annotator", overflow="fold", ratio=1)
    table.add_column("units", justify="right")
    table.add_column("with majority", justify="right")
    table.add_column("mean κ", justify="right")
    for name, entry in report["per_annotator"].items():
        table.add_row(
            _plain(name),
            Text(str(entry["units"])),
            number(entry["agreement_with_majority"], True),
            number(entry["mean_cohen_kappa"]),
        )
    return table


def by_label(report: dict[str, Any]) -> Table:
    """Per label: votes and specific agreement."""
    table = Table(title="By label", title_justify="left", box=None, padding=(0, 1))
    table.add_column("label", overflow="fold", ratio=1)
    table.add_column("votes", justify="right")
    table.add_column("specific agreement", justify="right")
    for label, value in report["per_label"].items():
        table.add_row(_plain(label), Text(str(report["label_counts"].get(label, 0))), number(value))
    return table


BREAKDOWNS = {"article": by_article, "annotator": by_annotator, "label": by_label}


def report_view(report: dict[str, Any], by: str | None = None) -> Group:
    """Everything the human output shows, in order."""
    return Group(*_parts(report, by))


def _parts(report: dict[str, Any], by: str | None) -> Iterator[RenderableType]:
    yield summary_table(report)
    yield Text("")
    if by:
        yield BREAKDOWNS[by](report)
        yield Text("")
    else:
        yield by_label(report)
        yield Text("")
        if report["confusion"]:
            yield Text("Confusion matrices (rows: the first annotator of the pair)", style="bold")
            yield pairs_view(report)
            yield legend(list(report["per_label"]))
            yield Text("")
    for note in report["notes"]:
        yield Text("note: " + printable(note), style="yellow")
