"""A compact outline of the whole article: one cell per paragraph, or per group."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from annotate.session import ArticleSession

DONE = Style(color="#4caf50")
PARTIAL = Style(color="#ffb300")
TODO = Style(color="grey35")
MARKER = Style(color="white", bold=True)


class Outline(Widget):
    """Shows which paragraphs are done (█), started (▓) or untouched (░)."""

    DEFAULT_CSS = """
    Outline {
        width: 4;
        height: 1fr;
        padding: 0 1 0 0;
    }
    """

    def __init__(self, session: ArticleSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.current = 0
        self._cells: list[tuple[int, int, str, Style]] = []
        self._cells_key: tuple[object, ...] | None = None

    def show(self, session: ArticleSession, paragraph: int) -> None:
        """Mark `paragraph` as the current one."""
        previous = self.current
        same = session is self.session and self._cells_key is not None
        self.session = session
        self.current = paragraph
        height = max(1, self.size.height)
        if same and self._cells_key == self._key(height):
            # Only the marker moved: redraw its old and new rows, not the column.
            width = self.size.width
            rows = {self._row_of(previous), self._row_of(paragraph)}
            self.refresh(*(Region(0, row, width, 1) for row in rows if row is not None))
        else:
            self.refresh()

    def _key(self, height: int) -> tuple[object, ...]:
        session = self.session
        return (id(session), height, session.progress, len(session.history), len(session.claims))

    def _row_of(self, paragraph: int) -> int | None:
        for row, (first, last, _, _) in enumerate(self._cells):
            if first <= paragraph < last:
                return row
        return None

    def _rows(self, height: int) -> list[tuple[int, int, str, Style]]:
        # Each row sums a slice of paragraphs; recomputed only when labels or
        # the layout change, so moving claim by claim only moves the marker.
        session = self.session
        key = self._key(height)
        if key == self._cells_key:
            return self._cells
        count = len(session.article.paragraphs)
        rows = min(height, count)
        cells = []
        for row in range(rows):
            first = row * count // rows
            last = max(first + 1, (row + 1) * count // rows)
            done, total = session.paragraph_range_progress(first, last)
            if total and done == total:
                cells.append((first, last, "██", DONE))
            elif done:
                cells.append((first, last, "▓▓", PARTIAL))
            else:
                cells.append((first, last, "░░", TODO))
        self._cells, self._cells_key = cells, key
        return cells

    def render_line(self, y: int) -> Strip:
        """One row: the marker if the current paragraph is in it, and the row's cell.

        Drawn with the line API: a rich `Text` of all rows costs milliseconds a
        frame to convert, two segments per row cost microseconds.
        """
        cells = self._rows(max(1, self.size.height))
        if y >= len(cells):
            return Strip.blank(self.size.width)
        first, last, cell, style = cells[y]
        marker = "▶" if first <= self.current < last else " "
        return Strip([Segment(marker, MARKER), Segment(cell, style)], 3)
