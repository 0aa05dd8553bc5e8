"""The Textual App: owns the annotator's event log and opens articles."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from annotate.corpus import Article, ArticleFile
from annotate.errors import AnnotateError
from annotate.schema import LabelSchema
from annotate.session import ArticleSession, article_progress, known_sources
from annotate.store import Event, EventLog
from annotate.tui.keyboard_app import KeyboardApp
from annotate.tui.screens.annotate import AnnotateScreen

if TYPE_CHECKING:
    # Imported where used: the attribution module alone costs ~40 ms at start-up,
    # and opening a single file needs neither assignments nor the catalog.
    from annotate.assignments import Assignments
    from annotate.attribution import Suggestion
    from annotate.catalog import CatalogEntry


class AnnotateApp(KeyboardApp):
    """Annotate the articles of a corpus as one annotator.

    With one article file it opens that article; with a folder it starts on the
    corpus screen, which lists every article (`catalog`).
    """

    TITLE = "annotate"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        files: list[ArticleFile],
        first: Article | None,
        schema: LabelSchema,
        annotator: str,
        log: EventLog,
        events: list[Event],
        keymap: dict[str, str] | None = None,
        warnings: list[str] | None = None,
        catalog: list[CatalogEntry] | None = None,
        assignments: Assignments | None = None,
        lead: bool = False,
        annotations: Path = Path("annotations"),
        corpus_name: str = "",
    ) -> None:
        super().__init__()
        self.files = files
        self.first = first
        self.schema = schema
        self.annotator = annotator
        self.event_log = log
        self.events = events
        self.warnings = warnings or []
        self.catalog = catalog
        self.assignments = assignments
        self.lead = lead
        self.annotations = annotations
        self.corpus_name = corpus_name
        self.file_by_id = {item.article_id: item for item in files}
        # This annotator's (claims labelled, claims) per article, as far as known.
        self.progress: dict[str, tuple[int, int]] = {}
        # Articles with events written in this session (their progress changed).
        self.touched: set[str] = set()
        self.articles_with_events = {event["article_id"] for event in events}
        self.last_opened: str | None = None
        self.articles_opened = 0  # how many times an article was opened, so lists know if one was
        self.unreadable: set[str] = set()
        self.catalog_by_id = {entry.article_id: entry for entry in catalog or []}
        if keymap:
            self.set_keymap(keymap)

    @property
    def has_corpus_screen(self) -> bool:
        """Whether the app started on the corpus list (so an article can go back to it)."""
        return self.catalog is not None

    @property
    def queue(self) -> list[str]:
        """Article ids in working order: this annotator's assigned ones when there are any, else all."""
        if self.assignments is not None:
            mine = set(self.assignments.queue(self.annotator))
            if mine:
                return [item.article_id for item in self.files if item.article_id in mine]
        return [item.article_id for item in self.files]

    def on_mount(self) -> None:
        """Open the corpus list or the first article, and report what reading the log found."""
        if self.catalog is not None:
            from annotate.tui.screens.corpus import CorpusScreen

            self.push_screen(CorpusScreen())
        else:
            assert self.first is not None
            self.open_article(self.first)
        self.guard_size()
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
        for event in events:
            self.touched.add(event["article_id"])
            self.articles_with_events.add(event["article_id"])

    def new_session(self, article: Article) -> ArticleSession:
        """A session for `article` over the events read so far."""
        return ArticleSession.open(article, self.schema, self.annotator, self.events, self.append)

    def suggestion(self, session: ArticleSession, index: int) -> Suggestion:
        """What the attribution assistant proposes for claim `index` (cached per paragraph)."""
        from annotate.attribution import attribution_for

        return attribution_for(session.article).suggest(session.claims[index], session.schema.names)

    def open_article(self, article: Article, replace: bool = False) -> None:
        """Show `article` on the annotate screen (replacing the current article when `replace`)."""
        self.last_opened = article.article_id
        self.articles_opened += 1
        screen = AnnotateScreen(self.new_session(article))
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        self.call_after_refresh(self.settle_memory)

    def source_suggestions(self, session: ArticleSession, index: int) -> list[str]:
        """The suggested source first, then source phrases near the claim, then names used before."""
        from annotate.attribution import source_candidates

        suggestions = source_candidates(session.article, session.claims[index])
        for name in known_sources(self.events):
            if name not in suggestions:
                suggestions.append(name)
        return suggestions

    def article_events(self, article_id: str) -> list[Event]:
        """This annotator's events about one article."""
        return [event for event in self.events if event["article_id"] == article_id]

    def _following(self, article_id: str) -> ArticleFile | None:
        """The next unfinished article in queue order after `article_id`, wrapping round."""
        ids = self.queue
        start = ids.index(article_id) + 1 if article_id in ids else 0
        for candidate in [*ids[start:], *ids[:start]]:
            if candidate == article_id or candidate in self.unreadable:
                continue
            item = self.file_by_id[candidate]
            if candidate not in self.articles_with_events:
                return item  # nothing labelled yet: unfinished without segmenting it
            known = self.progress.get(candidate)
            if known is not None and candidate not in self.touched:
                if known[0] < known[1]:
                    return item
                continue
            try:
                article = item.load()
            except AnnotateError:
                self.unreadable.add(candidate)
                continue
            done, total = article_progress(article, self.article_events(candidate))
            self.progress[candidate] = (done, total)
            if done < total:
                return item
        return None

    def next_article_title(self, article_id: str) -> str | None:
        """The title of the next unfinished article, if there is one."""
        item = self._following(article_id)
        if item is None:
            return None
        entry = self.catalog_by_id.get(item.article_id)
        if entry is not None:
            return entry.title
        try:
            return item.load().title
        except AnnotateError:
            return item.article_id

    def open_next_article(self, article_id: str) -> bool:
        """Switch to the next unfinished article; False when there is none."""
        while (item := self._following(article_id)) is not None:
            try:
                article = item.load()
            except AnnotateError as error:
                self.notify(str(error), severity="error", markup=False)
                self.unreadable.add(item.article_id)
                continue
            self.open_article(article, replace=True)
            return True
        return False
