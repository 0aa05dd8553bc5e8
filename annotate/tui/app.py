"""The Textual App: owns the annotator's event log and opens articles."""

from __future__ import annotations

import gc

from textual.app import App

from annotate.attribution import Suggestion, attribution_for, source_candidates
from annotate.corpus import Article, ArticleFile
from annotate.errors import AnnotateError
from annotate.schema import LabelSchema
from annotate.session import ArticleSession, article_finished, known_sources
from annotate.store import Event, EventLog
from annotate.tui.screens.annotate import AnnotateScreen


class AnnotateApp(App[None]):
    """Annotate the articles of a corpus as one annotator."""

    TITLE = "annotate"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        files: list[ArticleFile],
        first: Article,
        schema: LabelSchema,
        annotator: str,
        log: EventLog,
        events: list[Event],
        keymap: dict[str, str] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.files = files
        self.first = first
        self.schema = schema
        self.annotator = annotator
        self.event_log = log
        self.events = events
        self.warnings = warnings or []
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        """Open the first article and report what reading the log found."""
        self.push_screen(AnnotateScreen(self.new_session(self.first)))
        for warning in self.warnings:
            self.notify(warning, severity="warning", markup=False, timeout=10)
        self.call_after_refresh(self.settle_memory)

    def settle_memory(self) -> None:
        """Move everything allocated so far out of the garbage collector's sight.

        The article, its claims and the event log are long-lived; without this
        every full collection walks them all, a 25-50 ms pause in the middle of
        a key press on a 5,000-paragraph article. Called once the screen is up
        and again whenever a new batch of long-lived objects arrives.
        """
        gc.freeze()

    def on_unmount(self) -> None:
        """Release the annotator's lock."""
        self.event_log.close()

    def append(self, events: list[Event]) -> None:
        """Write events to the log (fsynced) and remember them."""
        self.event_log.append(events)
        self.events.extend(events)

    def new_session(self, article: Article) -> ArticleSession:
        """A session for `article` over the events read so far."""
        return ArticleSession.open(article, self.schema, self.annotator, self.events, self.append)

    def suggestion(self, session: ArticleSession, index: int) -> Suggestion:
        """What the attribution assistant proposes for claim `index` (cached per paragraph)."""
        return attribution_for(session.article).suggest(session.claims[index], session.schema.names)

    def source_suggestions(self, session: ArticleSession, index: int) -> list[str]:
        """The suggested source first, then source phrases near the claim, then names used before."""
        suggestions = source_candidates(session.article, session.claims[index])
        for name in known_sources(self.events):
            if name not in suggestions:
                suggestions.append(name)
        return suggestions

    def _following(self, article_id: str) -> Article | None:
        ids = [item.article_id for item in self.files]
        start = ids.index(article_id) + 1 if article_id in ids else 0
        for item in [*self.files[start:], *self.files[:start]]:
            if item.article_id == article_id:
                continue
            try:
                article = item.load()
            except AnnotateError:
                continue
            if not article_finished(article, self.events):
                return article
        return None

    def next_article_title(self, article_id: str) -> str | None:
        """The title of the next unfinished article, if there is one."""
        article = self._following(article_id)
        return article.title if article else None

    def open_next_article(self, article_id: str) -> bool:
        """Switch to the next unfinished article; False when there is none."""
        article = self._following(article_id)
        if article is None:
            return False
        self.switch_screen(AnnotateScreen(self.new_session(article)))
        self.call_after_refresh(self.settle_memory)
        return True
