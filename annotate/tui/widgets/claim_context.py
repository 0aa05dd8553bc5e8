"""A unit's claim highlighted in its paragraph, with the spans other annotators drew."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from annotate.corpus import Article
from annotate.text import printable
from annotate.units import Unit

CLAIM = Style(bgcolor="#3a3f58", bold=True)
OTHER_SPAN = Style(underline=True, color="#ffb300")


def claim_in_context(unit: Unit, article: Article | None) -> Text:
    """The paragraph before (dimmed) and the unit's paragraph with the claim highlighted.

    Where a vote was matched by overlap, that annotator's own span is underlined.
    Without the article only the claim text is shown.
    """
    if article is None or article.sha256 != unit.article_sha256 or unit.paragraph >= len(article.paragraphs):
        text = Text(printable(unit.text), style=CLAIM)
        text.append(
            "\n\n(the article is not in the corpus given: showing the claim only; give --corpus DIR)",
            style="dim italic",
        )
        return text
    text = Text()
    if unit.paragraph > 0:
        text.append(printable(article.paragraphs[unit.paragraph - 1]), style="dim")
        text.append("\n\n")
    base = article.paragraph_starts[unit.paragraph]
    offset = len(text)
    text.append(printable(article.paragraphs[unit.paragraph]))
    end_of_paragraph = base + len(article.paragraphs[unit.paragraph])
    for vote in unit.votes.values():
        if (vote.start, vote.end) != (unit.start, unit.end):
            start, end = max(vote.start, base), min(vote.end, end_of_paragraph)
            if start < end:
                text.stylize(OTHER_SPAN, offset + start - base, offset + end - base)
    text.stylize(CLAIM, offset + unit.start - base, offset + min(unit.end, end_of_paragraph) - base)
    return text


class ClaimContext(Static):
    """Shows one unit in its paragraph (a short text: one widget is enough)."""

    DEFAULT_CSS = """
    ClaimContext {
        height: auto;
        padding: 0 1;
    }
    """

    def show(self, unit: Unit, article: Article | None) -> None:
        """Draw `unit`."""
        self.update(claim_in_context(unit, article))
