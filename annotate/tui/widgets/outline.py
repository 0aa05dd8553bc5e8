"""A compact outline of the whole article: one cell per paragraph, or per group."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from annotate.session import ArticleSession

DONE = Style(color="#4caf50")
PARTIAL = Style(color="#ffb300")
TODO = Style(color="grey35")


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

    def show(self, session: ArticleSession, paragraph: int) -> None:
        """Mark `paragraph` as the current one."""
        self.session = session
        self.current = paragraph
        self.refresh()

    def render(self) -> Text:
        """Rows of cells, each standing for one or more paragraphs."""
        height = max(1, self.size.height)
        count = len(self.session.article.paragraphs)
        rows = min(height, count)
        text = Text(no_wrap=True)
        for row in range(rows):
            first = row * count // rows
            last = max(first + 1, (row + 1) * count // rows)
            done = total = 0
            for paragraph in range(first, last):
                d, t = self.session.paragraph_progress(paragraph)
                done += d
                total += t
            if total and done == total:
                cell, style = "█", DONE
            elif done:
                cell, style = "▓", PARTIAL
            else:
                cell, style = "░", TODO
            marker = "▶" if first <= self.current < last else " "
            text.append(marker, Style(color="white", bold=True))
            text.append(cell + cell, style)
            if row < rows - 1:
                text.append("\n")
        return text
