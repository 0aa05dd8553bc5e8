"""Status sections as rich tables for a terminal (untrusted names only inside `Text`)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from annotate.agreement_table import abbreviations, number
from annotate.status import Cell, Section
from annotate.text import printable


def _cell(column: str, value: Cell) -> Text:
    if value is None:
        return Text("—", style="grey50")
    if isinstance(value, float):
        return number(value, percent=column == "with_majority")
    return Text(printable(str(value)))


def section_table(section: Section) -> Table:
    """One section as a compact table (long column names shortened to fit 80 columns)."""
    table = Table(title=Text(section.title), title_justify="left", box=None, padding=(0, 1))
    short = abbreviations(section.columns[1:], width=8)
    for index, column in enumerate(section.columns):
        table.add_column(
            Text(printable(column if index == 0 else short[column])),
            justify="left" if index == 0 else "right",
            overflow="fold",
            no_wrap=index > 0,
        )
    for row in section.rows:
        table.add_row(*(_cell(column, value) for column, value in zip(section.columns, row, strict=True)))
    return table


def status_view(sections: list[Section]) -> Group:
    """Every section, with its notes under it."""
    parts: list[RenderableType] = []
    for section in sections:
        parts.append(section_table(section))
        parts.extend(Text("note: " + printable(note), style="yellow") for note in section.notes)
        parts.append(Text(""))
    return Group(*parts)
