"""A list of one-line rows drawn with the line API, for corpora of 10,000+ articles.

OptionList measures the height of every option (wrapping each one) when the
list changes, and clears that cache whenever one prompt is replaced; with
10,000 rows whose progress fills in while the annotator works, that is a full
re-measure per update. Here every row is one line, so the list knows its size
without measuring, draws only the visible rows, and an updated row repaints
only its own line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotate.tui.keyboard_app import hold_keys_for


class ArticleTable(ScrollView, can_focus=True):
    """One line per row, a cursor, enter to select.

    Rows are drawn on demand by `render_row(index)`, which returns rich `Text`
    (never markup): a list of 10,000 articles builds only the rows on screen.
    """

    DEFAULT_CSS = """
    ArticleTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    ArticleTable > .article-table--cursor {
        background: $block-cursor-blurred-background;
    }
    ArticleTable:focus > .article-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"article-table--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", id="corpus.open", tooltip="Open the highlighted article"),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to row `index`."""

        def __init__(self, table: ArticleTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

    class Selected(Message):
        """Enter (or a click on the current row) chose row `index`."""

        def __init__(self, table: ArticleTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

    def __init__(self, render_row: Callable[[int], Text], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.render_row = render_row
        self.row_count = 0
        self.cursor = 0
        # Whether the annotator has moved the cursor (the screen then stops
        # placing it for them).
        self.moved = False

    # -- content ----------------------------------------------------------------

    def set_rows(self, count: int, cursor: int = 0) -> None:
        """Show `count` rows (drawn by `render_row`) and put the cursor on `cursor`."""
        self.row_count = count
        self.virtual_size = Size(self.scrollable_content_region.width, count)
        self.move_to(cursor, scroll=True)
        self.refresh()

    def update_row(self, index: int) -> None:
        """Row `index` changed; repaints only that line, and only when it is visible."""
        if not 0 <= index < self.row_count:
            return
        y = index - self.scroll_offset.y
        if 0 <= y < self.scrollable_content_region.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def move_to(self, index: int, scroll: bool = True, by_user: bool = False) -> None:
        """Put the cursor on row `index` (clamped) and scroll it into view."""
        if by_user:
            self.moved = True
        index = max(0, min(index, self.row_count - 1)) if self.row_count else 0
        previous = self.cursor
        self.cursor = index
        if scroll and self.row_count:
            self.scroll_to_region(Region(0, index, 1, 1), animate=False, force=True, immediate=True)
        self.refresh()
        if self.row_count and (index != previous or not by_user):
            self.post_message(self.Highlighted(self, index))

    # -- drawing ----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One row, the cursor row highlighted."""
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not 0 <= index < self.row_count:
            return Strip.blank(width, base)
        text = self.render_row(index)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("article-table--cursor")
        segments = list(text.render(self.app.console))
        segments = [
            Segment(s.text, style + s.style if s.style else style) for s in segments if s.text != "\n"
        ]
        return Strip(segments).crop_extend(0, width, style)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the virtual size in step with the width."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count)

    # -- keys and mouse ----------------------------------------------------------

    def action_cursor_up(self) -> None:
        """Previous row."""
        self.move_to(self.cursor - 1, by_user=True)

    def action_cursor_down(self) -> None:
        """Next row."""
        self.move_to(self.cursor + 1, by_user=True)

    def action_page_up(self) -> None:
        """A screen up."""
        self.move_to(self.cursor - max(1, self.scrollable_content_region.height - 1), by_user=True)

    def action_page_down(self) -> None:
        """A screen down."""
        self.move_to(self.cursor + max(1, self.scrollable_content_region.height - 1), by_user=True)

    def action_first(self) -> None:
        """First row."""
        self.move_to(0, by_user=True)

    def action_last(self) -> None:
        """Last row."""
        self.move_to(self.row_count - 1, by_user=True)

    def action_select(self) -> None:
        """Choose the cursor row."""
        if self.row_count:
            # Keys typed behind `enter` are for the article it opens (if it opens).
            screen = self.screen
            hold_keys_for(self, lambda: self.app.screen is not screen, seconds=0.5)
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a click on the cursor row chooses it."""
        index = self.scroll_offset.y + event.y
        if not 0 <= index < self.row_count:
            return
        if index == self.cursor:
            self.action_select()
        else:
            self.move_to(index, scroll=False, by_user=True)
