"""Status sections as rich tables for a terminal (untrusted names only inside `Text`)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from annotate.agreement_table import number
from annotate.status import Cell, Section
from annotate.text import printable


def _cell(column: str, value: Cell) -> Text:
    if value is None:
        return Text("—", style="grey50")
    if isinstance(value, float):
        return number(value, percent=column == "with_majority")
    return Text(printable(str(value)))


def section_tables(section: Section, width: int) -> list[Table]:
    """One section as tables that fit `width` columns, headers in full.

    A section with more columns than fit is cut into several tables, each
    repeating the first column (the annotator, the label): squeezed into one,
    the first column was folded to nothing and the headers cut to 8 letters.
    """
    cells = [
        [_cell(column, value) for column, value in zip(section.columns, row, strict=True)]
        for row in section.rows
    ]
    widths = [
        max([len(column), *(row[index].cell_len for row in cells)])
        for index, column in enumerate(section.columns)
    ]
    groups: list[list[int]] = []
    used = width
    for index in range(1, len(section.columns)):
        if used + 1 + widths[index] > width:
            groups.append([])
            used = widths[0]
        groups[-1].append(index)
        used += 1 + widths[index]
    tables: list[Table] = []
    for group in groups or [[]]:
        title = Text(section.title) if not tables else None
        table = Table(title=title, title_justify="left", box=None, padding=(0, 1, 0, 0))
        for index in [0, *group]:
            table.add_column(
                Text(printable(section.columns[index])),
                justify="left" if index == 0 else "right",
                no_wrap=True,
                min_width=widths[index],
            )
        for row in cells:
            table.add_row(*(row[index] for index in [0, *group]))
        tables.append(table)
    return tables


def status_view(sections: list[Section], width: int = 80) -> Group:
    """Every section, with its notes under it, in tables that fit `width` columns."""
    parts: list[RenderableType] = []
    for section in sections:
        parts.extend(section_tables(section, width))
        parts.extend(Text("note: " + printable(note), style="yellow") for note in section.notes)
        parts.append(Text(""))
    return Group(*parts)
