"""The article text around the current claim, drawn with the line API.

Only the paragraphs that fit on screen are wrapped and styled, so a
5,000-paragraph article opens and moves as fast as a short one (STYLE.md
habit 5: no widget per paragraph).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from annotate.schema import NOT_A_CLAIM
from annotate.session import ArticleSession
from annotate.text import printable

GUTTER = 5
CURRENT = Style(bgcolor="#3a3f58", bold=True)
CURRENT_UNLABELLED = Style(bgcolor="#3a3f58", bold=True, underline=True)
# Attribution cues and source phrases: marked, not shouted (they are suggestions).
CUE_MARK = Style(italic=True)
SOURCE_MARK = Style(italic=True, underline=True)


@dataclass
class _Rendered:
    key: tuple[object, ...]
    strips: list[Strip]
    line_starts: list[int]  # paragraph offset where each wrapped line starts


class ArticleView(Widget, can_focus=True):
    """Shows the current paragraph with its claim highlighted, and the context around it."""

    DEFAULT_CSS = """
    ArticleView {
        width: 1fr;
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, session: ArticleSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.cursor = 0
        self._cache: dict[int, _Rendered] = {}
        self._window: list[Strip] = []
        self._window_key: tuple[object, ...] | None = None
        # Cue and source marks are switched on after the first frame: the
        # attribution module costs ~40 ms to import, which would otherwise
        # delay the moment the first claim can be labelled.
        self.show_marks = False

    def enable_marks(self) -> None:
        """Start marking attribution cues and sources."""
        self.show_marks = True
        self._cache.clear()
        self._window_key = None
        self.refresh()

    def show(self, session: ArticleSession, cursor: int) -> None:
        """Draw `session` with claim `cursor` current."""
        self.session = session
        self.cursor = cursor
        self._window_key = None
        self.refresh()

    def _paragraph(self, index: int, width: int, current: tuple[int, int] | None) -> _Rendered:
        session = self.session
        labels = session.labels_in_paragraph(index)
        key = (width, current, tuple((c.start, c.end, label) for c, label in labels))
        cached = self._cache.get(index)
        if cached is not None and cached.key == key:
            return cached
        article = session.article
        base = article.paragraph_starts[index]
        text = Text(printable(article.paragraphs[index]), no_wrap=False)
        schema = session.schema
        for claim, label in labels:
            if label is not None:
                color = "grey50" if label == NOT_A_CLAIM else schema.color_of(label)
                text.stylize(Style(color=color), claim.start - base, claim.end - base)
        if self.show_marks:
            from annotate.attribution import attribution_for

            # Marks come from a per-paragraph cache, so only drawn paragraphs are analysed.
            for start, end, kind in attribution_for(article).paragraph_marks(index):
                text.stylize(SOURCE_MARK if kind == "source" else CUE_MARK, start - base, end - base)
        if current is not None:
            start, end = current
            labelled = any((c.start, c.end) == current and label for c, label in labels)
            text.stylize(CURRENT if labelled else CURRENT_UNLABELLED, start - base, end - base)
        done, total = session.paragraph_progress(index)
        mark = "✓" if total and done == total else ("·" if done else " ")
        gutter_text = f"{index + 1:>3}{mark} "
        body_width = max(1, width - GUTTER)
        console = self.app.console
        strips: list[Strip] = []
        line_starts: list[int] = []
        gutter_style = Style(color="green" if mark == "✓" else "grey50")
        hard_start = 0
        for hard_line in text.split("\n", allow_blank=True):
            plain = hard_line.plain
            offset = 0
            for line in hard_line.wrap(console, body_width, overflow="fold"):
                # Wrapping drops the space a line breaks at when the line is full,
                # so a line starts where its text is found, not where the previous
                # one ended (adding lengths drifted a character per such line).
                found = plain.find(line.plain, offset) if line.plain else -1
                offset = found if found >= 0 else offset
                line_starts.append(hard_start + offset)
                offset += len(line.plain)
                gutter = gutter_text if not strips else " " * GUTTER
                strips.append(Strip([Segment(gutter, gutter_style), *line.render(console, end="")]))
            hard_start += len(hard_line.plain) + 1
        rendered = _Rendered(key, strips, line_starts)
        self._cache[index] = rendered
        return rendered

    def _layout(self) -> list[Strip]:
        width = self.scrollable_content_region.width
        height = self.scrollable_content_region.height
        session = self.session
        if not session.claims or width <= GUTTER or height <= 0:
            return []
        claim = session.claims[min(self.cursor, len(session.claims) - 1)]
        span = (claim.start, claim.end)
        key = (width, height, self.cursor, span, session.progress, len(session.history))
        if key == self._window_key:
            return self._window
        paragraph = claim.paragraph
        current = self._paragraph(paragraph, width, span)
        base = session.article.paragraph_starts[paragraph]
        first_line = max(
            (i for i, start in enumerate(current.line_starts) if start <= claim.start - base),
            default=0,
        )
        # Keep about a third of the screen above the claim for context: the
        # source of a claim is often named a sentence or a paragraph earlier.
        # The claim's first line is then at most a third of the way down, so
        # it is on screen however deep into a long paragraph it is.
        above_wanted = max(0, min(height // 3, height - (len(current.strips) - first_line)))
        above = current.strips[:first_line]
        index = paragraph - 1
        while len(above) < above_wanted and index >= 0:
            above = [*self._paragraph(index, width, None).strips, Strip.blank(width), *above]
            index -= 1
        lines = above[len(above) - min(len(above), above_wanted) :] + current.strips[first_line:]
        index = paragraph + 1
        while len(lines) < height and index < len(session.article.paragraphs):
            lines.append(Strip.blank(width))
            lines.extend(self._paragraph(index, width, None).strips)
            index += 1
        if len(self._cache) > 256:
            self._cache.clear()
        self._window = lines[:height]
        self._window_key = key
        return self._window

    def render_line(self, y: int) -> Strip:
        """One screen line of the article window."""
        lines = self._layout()
        if y < len(lines):
            return lines[y]
        return Strip.blank(self.scrollable_content_region.width)

    def on_resize(self) -> None:
        """Wrap again for the new width."""
        self._window_key = None
        self._cache.clear()
