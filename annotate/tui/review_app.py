"""The Textual App for `annotate review`: owns the adjudicator's gold log."""

from __future__ import annotations

from annotate.adjudication import Adjudication, ReviewFilter
from annotate.corpus import Article
from annotate.store import EventLog
from annotate.tui.keyboard_app import KeyboardApp
from annotate.tui.screens.review import ReviewScreen


class ReviewApp(KeyboardApp):
    """Review units across annotators and adjudicate them into gold."""

    TITLE = "annotate review"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        adjudication: Adjudication,
        articles: dict[str, Article],
        log: EventLog,
        wanted: ReviewFilter | None = None,
    ) -> None:
        super().__init__()
        self.adjudication = adjudication
        self.articles = articles
        self.event_log = log
        self.wanted = wanted or ReviewFilter()

    def on_mount(self) -> None:
        """Open the review screen."""
        self.push_screen(ReviewScreen(self.adjudication, self.articles, self.wanted))
        self.guard_size()

    def on_unmount(self) -> None:
        """Release the adjudicator's lock."""
        self.event_log.close()
