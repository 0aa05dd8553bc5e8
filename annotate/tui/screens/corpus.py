"""The corpus screen: every article with its claims and progress; filter, sort, open.

The list is ready as soon as the metadata is read. Claim counts and progress
need each article segmented, so a thread worker computes them (this
annotator's queue first) and posts them in batches.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, get_current_worker

from annotate.assignments import summarise_progress
from annotate.catalog import (
    PROCESS_THRESHOLD,
    ArticleCount,
    CatalogEntry,
    CountJob,
    catalog_entry,
    count_articles,
)
from annotate.errors import AnnotateError
from annotate.segment import default_claims
from annotate.session import article_progress
from annotate.store import Event, event_files, read_events
from annotate.text import printable
from annotate.tui.screens.text_box_modal import TextBox
from annotate.tui.widgets.article_table import ArticleTable

if TYPE_CHECKING:
    from annotate.tui.app import AnnotateApp

CORPUS_BINDINGS: list[BindingType] = [
    Binding("slash", "filter", "Filter", id="corpus.filter", tooltip="Type to filter the list"),
    Binding("s", "sort", "Sort", id="corpus.sort", tooltip="Cycle the sort column"),
    Binding("S", "reverse", "Reverse", id="corpus.reverse", tooltip="Reverse the sort order"),
    Binding("escape", "clear_filter", "Clear filter", id="corpus.clear_filter", show=False),
    Binding("r", "refresh", "Refresh", id="corpus.refresh", tooltip="Re-read everyone's progress"),
    Binding("question_mark", "help", "Help", id="corpus.help"),
    Binding("q", "quit", "Quit", id="corpus.quit"),
]
SORTS = ("queue", "title", "outlet", "date", "claims", "progress")
BATCH_SECONDS = 0.15
CHUNK = 25
WIDTHS = {"mark": 1, "you": 7, "claims": 6, "date": 10, "outlet": 14}
DONE, STARTED, TODO, DIM = "#4caf50", "#ffb300", "grey50", "grey50"


def corpus_binding_keys() -> dict[str, str]:
    """Every binding id of the corpus screen, with its default keys, for checking keymaps."""
    return {
        b.id: b.key for b in [*CORPUS_BINDINGS, *ArticleTable.BINDINGS] if isinstance(b, Binding) and b.id
    }


@dataclass
class ArticleRow:
    """One line of the list: metadata now, counts when the worker has them."""

    entry: CatalogEntry
    index: int
    assigned: tuple[str, ...]
    mine: bool
    claims: int | None = None
    done: int | None = None
    total: int | None = None
    team: dict[str, tuple[int, int]] = field(default_factory=dict)
    problem: str | None = None
    stale: int = 0
    """This annotator's events for an earlier version of the body (not counted in `done`)."""
    haystack: str = ""

    def index_text(self) -> None:
        """What the `/` filter searches: title, outlet, date, id, author, assignees."""
        entry = self.entry
        self.haystack = " ".join(
            [entry.title, entry.outlet, entry.date, entry.article_id, entry.author, *self.assigned]
        ).casefold()


def _cell(text: str, width: int, style: str = "", right: bool = False) -> Text:
    cell = Text(printable(text), style=style, no_wrap=True, end="")
    cell.truncate(width, overflow="ellipsis")
    cell.align("right" if right else "left", width)
    return cell


def _join(parts: list[Text]) -> Text:
    return Text(" ", end="").join(parts)


class CorpusScreen(Screen[None]):
    """Every article of the corpus, this annotator's queue first."""

    CSS_PATH = "corpus.tcss"
    BINDINGS = CORPUS_BINDINGS

    class ProgressCounted(Message):
        """The worker counted claims and progress for some articles."""

        def __init__(self, counts: list[ArticleCount], finished: bool) -> None:
            super().__init__()
            self.counts = counts
            self.finished = finished

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ArticleRow] = {}
        self._opened_seen = 0  # the app's articles_opened when this list last came back into view
        self.shown: list[str] = []
        self.position: dict[str, int] = {}
        self.sort = "queue"
        self.reverse = False
        self.filter_text = ""
        self.counting = True  # until the worker, started after the first paint, reports
        self._settle_cursor = True
        self._assigned_width = 8
        self._prompts: dict[str, Text] = {}

    @property
    def annotate_app(self) -> AnnotateApp:
        """The app, typed."""
        from annotate.tui.app import AnnotateApp

        assert isinstance(self.app, AnnotateApp)
        return self.app

    def compose(self) -> ComposeResult:
        """Header, filter, column titles, the list, details, footer."""
        yield Static(id="corpus-header")
        yield TextBox(placeholder="filter: words in title, outlet, date, id or annotator", id="filter")
        yield Static(id="columns")
        yield ArticleTable(self._render_row, id="articles")
        yield Static(id="details")
        yield Static(id="team")
        yield Footer()

    def on_mount(self) -> None:
        """Build the rows from the catalog and start counting."""
        app = self.annotate_app
        assert app.catalog is not None
        assignments = app.assignments
        queue = set(assignments.queue(app.annotator)) if assignments else set()
        for index, entry in enumerate(app.catalog):
            assigned = assignments.assigned_to(entry.article_id) if assignments else ()
            row = ArticleRow(entry, index, assigned, entry.article_id in queue, problem=entry.problem)
            row.index_text()
            self.rows[entry.article_id] = row
        if assignments:
            # Lead view adds "✓" or " 12/30" after each name.
            extra = 7 if app.lead else 2
            widest = max(
                (sum(len(name) + extra for name in row.assigned) for row in self.rows.values()), default=8
            )
            self._assigned_width = max(8, min(40 if app.lead else 28, widest))
        self.query_one("#columns", Static).update(self._column_titles())
        self._rebuild()
        self._place_cursor_on_first_unfinished()
        self.query_one(ArticleTable).focus()
        self._update_header()
        # Counting starts once the list is drawn: the worker is CPU-bound
        # Python and would otherwise compete with the first paint for the GIL.
        self.call_after_refresh(self.start_counting)

    # -- rows --------------------------------------------------------------------

    def _order_key(self, row: ArticleRow) -> tuple[object, ...]:
        sort = self.sort
        if sort == "title":
            return (row.entry.title.casefold(), row.index)
        if sort == "outlet":
            return (row.entry.outlet.casefold(), row.index)
        if sort == "date":
            return (row.entry.date, row.index)
        if sort == "claims":
            return (row.claims if row.claims is not None else -1, row.index)
        if sort == "progress":
            fraction = row.done / row.total if row.done is not None and row.total else -1.0
            return (fraction, row.index)
        return (not row.mine, row.index)

    def _rebuild(self) -> None:
        """Apply filter and sort, and refill the list keeping the highlighted article."""
        table = self.query_one(ArticleTable)
        current = self.highlighted_id
        terms = self.filter_text.casefold().split()
        rows = [row for row in self.rows.values() if all(term in row.haystack for term in terms)]
        rows.sort(key=self._order_key, reverse=self.reverse)
        self.shown = [row.entry.article_id for row in rows]
        self.position = {article_id: index for index, article_id in enumerate(self.shown)}
        table.set_rows(len(rows), self.position.get(current, 0) if current else 0)
        self._update_details()

    @property
    def highlighted_id(self) -> str | None:
        """The id of the highlighted article."""
        index = self.query_one(ArticleTable).cursor
        return self.shown[index] if 0 <= index < len(self.shown) else None

    def _progress_cell(self, row: ArticleRow) -> Text:
        width = WIDTHS["you"]
        if row.problem:
            return _cell("⚠", width, "bold red", right=True)
        if row.done is None or row.total is None:
            return _cell("…", width, DIM, right=True)
        if row.total and row.done >= row.total:
            return _cell(f"✓ {row.total}", width, f"bold {DONE}", right=True)
        style = "yellow" if row.stale else STARTED if row.done else TODO
        return _cell(f"{row.done}/{row.total}", width, style, right=True)

    def _assigned_cell(self, row: ArticleRow) -> Text:
        width = self._assigned_width
        if not self.annotate_app.lead:
            return _cell(", ".join(row.assigned), width)
        cell = Text(no_wrap=True, end="")
        for number, name in enumerate(row.assigned):
            if number:
                cell.append(" ")
            done, total = row.team.get(name, (0, row.claims or 0))
            if total and done >= total:
                cell.append(f"{printable(name)}✓", DONE)
            elif done:
                cell.append(f"{printable(name)} {done}/{total}", STARTED)
            else:
                cell.append(printable(name), DIM)
        cell.truncate(width, overflow="ellipsis")
        cell.align("left", width)
        return cell

    def _prompt(self, row: ArticleRow) -> Text:
        entry = row.entry
        parts = [
            _cell("●" if row.mine else "", WIDTHS["mark"], "bold #4fc3f7"),
            self._progress_cell(row),
            _cell("" if row.claims is None else str(row.claims), WIDTHS["claims"], right=True),
            _cell(entry.date, WIDTHS["date"]),
            _cell(entry.outlet, WIDTHS["outlet"]),
        ]
        if self.annotate_app.assignments is not None:
            parts.append(self._assigned_cell(row))
        parts.append(
            Text(printable(entry.title), style="bold red" if row.problem else "", no_wrap=True, end="")
        )
        return _join(parts)

    def _column_titles(self) -> Text:
        parts = [
            _cell("", WIDTHS["mark"]),
            _cell("you", WIDTHS["you"], right=True),
            _cell("claims", WIDTHS["claims"], right=True),
            _cell("date", WIDTHS["date"]),
            _cell("outlet", WIDTHS["outlet"]),
        ]
        if self.annotate_app.assignments is not None:
            parts.append(_cell("team" if self.annotate_app.lead else "assigned", self._assigned_width))
        parts.append(Text("title", end=""))
        return _join(parts)

    def _render_row(self, index: int) -> Text:
        """The line for the `index`-th shown article, built when first drawn."""
        article_id = self.shown[index]
        prompt = self._prompts.get(article_id)
        if prompt is None:
            prompt = self._prompts[article_id] = self._prompt(self.rows[article_id])
        return prompt

    def _refresh_row(self, article_id: str) -> None:
        self._prompts.pop(article_id, None)
        index = self.position.get(article_id)
        if index is not None:
            self.query_one(ArticleTable).update_row(index)

    # -- header and details ----------------------------------------------------------

    def _update_header(self) -> None:
        app = self.annotate_app
        rows = self.rows.values()
        queue = [row for row in rows if row.mine]
        done = sum(1 for row in queue if row.total and row.done is not None and row.done >= row.total)
        if app.assignments is None:
            work = "no assignments.yaml: every article is open to you"
        elif queue:
            work = f"your queue: {len(queue)} articles, {done} done"
        else:
            work = f"no articles are assigned to {app.annotator}"
        order = f"{self.sort}{' ↑' if self.reverse else ''}"
        shown = (
            f"{len(self.shown)} of {len(self.rows)} shown"
            if self.filter_text
            else f"{len(self.rows)} articles"
        )
        counting = " · counting claims…" if self.counting else ""
        self.query_one("#corpus-header", Static).update(
            Content.from_markup(
                "[b]$corpus[/b]  $shown · $work · sort: [b]$order[/b]$counting",
                corpus=printable(app.corpus_name or "corpus"),
                shown=shown,
                work=work,
                order=order,
                counting=counting,
            )
        )
        team = self.query_one("#team", Static)
        if app.lead and app.assignments is not None:
            progress = {
                (name, row.entry.article_id): counts for row in rows for name, counts in row.team.items()
            }
            pieces = [
                Content.from_markup(
                    "[b]$name[/b] $done/$assigned done, $started started",
                    name=printable(item.annotator),
                    done=str(item.done),
                    assigned=str(item.assigned),
                    started=str(item.started),
                )
                for item in summarise_progress(app.assignments, progress)
            ]
            team.update(Content("team: ") + Content(" · ").join(pieces))
            team.display = True
        else:
            team.display = False

    def _update_details(self) -> None:
        details = self.query_one("#details", Static)
        article_id = self.highlighted_id
        if article_id is None:
            details.update(Content("No article matches the filter." if self.filter_text else ""))
            return
        row = self.rows[article_id]
        if row.problem:
            details.update(Content.styled(printable(row.problem), "red"))
            return
        facts = [article_id]
        if row.entry.author:
            facts.append(f"by {row.entry.author}")
        if row.entry.url:
            facts.append(row.entry.url)
        if row.assigned:
            facts.append("assigned: " + ", ".join(row.assigned))
        line = Content(printable(" · ".join(facts)))
        if row.stale:
            # Otherwise the article just looks unstarted until it is opened.
            line = line + Content.styled(
                f"  {row.stale} of your events are for an earlier version of this article's text "
                "and are not counted (annotate validate lists them)",
                "yellow",
            )
        if row.team:
            team = " · ".join(f"{name} {done}/{total}" for name, (done, total) in sorted(row.team.items()))
            line = line + Content.styled(f"  [{printable(team)}]", DIM)
        details.update(line)

    def on_article_table_highlighted(self, event: ArticleTable.Highlighted) -> None:
        """Show the highlighted article's details."""
        self._update_details()

    # -- counting ----------------------------------------------------------------------

    def start_counting(self) -> None:
        """(Re)start the worker that counts claims and progress, queue first."""
        app = self.annotate_app
        order = sorted(self.rows.values(), key=lambda row: (not row.mine, row.index))
        ids = [row.entry.article_id for row in order]
        mine: dict[str, list[Event]] = {}
        for event in list(app.events):
            mine.setdefault(event["article_id"], []).append(event)
        self.counting = True
        self._update_header()
        self.count_progress(ids, mine)

    @work(thread=True, exclusive=True, exit_on_error=False, group="count")
    def count_progress(self, ids: list[str], mine: dict[str, list[Event]]) -> None:
        """Count claims, this annotator's progress and (for a lead) everyone's, posting batches.

        Segmentation is CPU-bound pure Python. In this thread it would hold
        the GIL against the UI (keys then take seconds), so a large corpus is
        counted in worker processes; this thread only waits and posts.
        """
        worker = get_current_worker()
        app = self.annotate_app
        team: dict[str, dict[str, list[Event]]] = {}
        assignments = app.assignments
        if app.lead and assignments is not None and app.annotations.is_dir():
            # Others' files are read without their lock: appends are whole
            # lines, and a torn last line is skipped by read_events.
            for path in event_files([app.annotations]):
                if path.stem == app.annotator:
                    continue
                for event in read_events(path).events:
                    team.setdefault(event["article_id"], {}).setdefault(event["annotator"], []).append(event)
        jobs: list[CountJob] = []
        for article_id in ids:
            events = dict(team.get(article_id, {}))
            events[app.annotator] = mine.get(article_id, [])
            names = {app.annotator}
            if app.lead and assignments is not None:
                names.update(assignments.assigned_to(article_id), events)
            jobs.append((app.file_by_id[article_id], events, tuple(sorted(names))))
        if len(jobs) >= PROCESS_THRESHOLD:
            self._count_in_processes(jobs, worker)
        else:
            self._count_here(jobs, worker)

    def _count_here(self, jobs: list[CountJob], worker: Worker[None]) -> None:
        batch: list[ArticleCount] = []
        last = time.monotonic()
        for job in jobs:
            if worker.is_cancelled:
                return
            time.sleep(0)  # let the UI thread take the GIL between articles
            batch.extend(count_articles([job]))
            if len(batch) >= 30 or time.monotonic() - last >= BATCH_SECONDS:
                self.post_message(self.ProgressCounted(batch, False))
                batch, last = [], time.monotonic()
        self.post_message(self.ProgressCounted(batch, True))

    def _count_in_processes(self, jobs: list[CountJob], worker: Worker[None]) -> None:
        processes = max(1, min(4, (os.cpu_count() or 2) - 1))
        chunks = [jobs[start : start + CHUNK] for start in range(0, len(jobs), CHUNK)]
        # spawn, not fork: forking a process that runs Textual's threads is unsafe.
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            pending = [pool.submit(count_articles, chunk) for chunk in chunks]
            try:
                for future in pending:
                    while True:
                        if worker.is_cancelled:
                            raise CancelledError
                        try:
                            counts = future.result(timeout=0.2)
                            break
                        except FutureTimeout:
                            continue
                    self.post_message(self.ProgressCounted(counts, False))
            except CancelledError:
                pool.shutdown(wait=True, cancel_futures=True)
                return
        self.post_message(self.ProgressCounted([], True))

    def on_corpus_screen_progress_counted(self, message: ProgressCounted) -> None:
        """Fill in the counted rows; settle the cursor on the first unfinished queue article."""
        app = self.annotate_app
        for count in message.counts:
            row = self.rows.get(count.article_id)
            if row is None or count.article_id in app.touched:
                continue  # labelled since the worker's snapshot: refreshed on resume instead
            row.claims = count.claims
            if count.problem:
                row.problem = count.problem
            elif row.problem and count.claims is not None:
                # The file reads now (fixed since the list was made, then `r`): so may its metadata.
                row.entry = catalog_entry(app.file_by_id[count.article_id])
                row.problem = row.entry.problem
                row.index_text()
            mine = count.progress.get(app.annotator)
            row.stale = count.stale.get(app.annotator, 0)
            if mine is not None:
                row.done, row.total = mine
                app.progress[count.article_id] = mine
            if app.lead:
                row.team = dict(count.progress)
            self._refresh_row(count.article_id)
        if message.finished:
            self.counting = False
        if self._settle_cursor:
            self._place_cursor_on_first_unfinished()
        self._update_header()
        self._update_details()

    def _place_cursor_on_first_unfinished(self) -> None:
        """Put the cursor on this annotator's first unfinished article once that is known."""
        app = self.annotate_app
        if self.query_one(ArticleTable).moved:
            self._settle_cursor = False
            return
        rows = [self.rows[article_id] for article_id in self.shown]
        candidates = [row for row in rows if row.mine] or rows
        for row in candidates:
            article_id = row.entry.article_id
            if row.problem:
                continue
            counted = row.done is not None and row.total is not None
            if article_id not in app.articles_with_events:
                break  # nothing labelled: unfinished, if counting finds it can be opened
            if not counted:
                # Not counted yet, but started: most likely where work stopped.
                self._highlight(article_id)
                return
            if row.done is not None and row.total is not None and row.done < row.total:
                break
        else:
            self._settle_cursor = False
            return
        # Until its count is in, the article may yet turn out unopenable (an empty
        # body, say): keep settling, so the cursor moves on past it then.
        self._settle_cursor = not counted
        self._highlight(article_id)

    def _highlight(self, article_id: str) -> None:
        index = self.position.get(article_id)
        if index is not None:
            self.query_one(ArticleTable).move_to(index)

    # -- coming back from an article ------------------------------------------------------

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Recount the articles labelled meanwhile and show where the annotator was."""
        app = self.annotate_app
        if not self.rows or app.last_opened is None or app.articles_opened == self._opened_seen:
            # The first show, or back from help or an 'enlarge the window' state:
            # not from an article, so the cursor stays where the annotator left it.
            return
        self._opened_seen = app.articles_opened
        for article_id in sorted(app.touched):
            row = self.rows.get(article_id)
            if row is None:
                continue
            try:
                article = app.file_by_id[article_id].load()
            except AnnotateError as error:
                row.problem = str(error)
                self._refresh_row(article_id)
                continue
            counts = article_progress(article, app.article_events(article_id))
            row.done, row.total = counts
            row.claims = len(default_claims(article))
            app.progress[article_id] = counts
            if app.lead:
                row.team[app.annotator] = counts
            self._refresh_row(article_id)
        app.touched.clear()
        self._settle_cursor = False
        self._highlight(app.last_opened)
        self._update_header()
        self._update_details()
        self.query_one(ArticleTable).focus()

    # -- actions ------------------------------------------------------------------------

    def on_article_table_selected(self, event: ArticleTable.Selected) -> None:
        """Enter on a row opens the article."""
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted article in the annotate screen."""
        article_id = self.highlighted_id
        if article_id is None:
            return
        app = self.annotate_app
        try:
            article = app.file_by_id[article_id].load()
        except AnnotateError as error:
            self.rows[article_id].problem = str(error)
            self._refresh_row(article_id)
            self._update_details()
            self.notify(str(error), title="Cannot open", severity="error", markup=False)
            app.release_held()  # nothing opened: the keys typed behind enter are for the list
            return
        self._settle_cursor = False
        app.open_article(article)

    def action_filter(self) -> None:
        """Show the filter box and type into it."""
        box = self.query_one("#filter", Input)
        self.set_class(True, "-filtering")
        self.annotate_app.hold_keys(lambda: self.app.focused is box)  # `/sudan` in one go goes into the box
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the annotator types."""
        if event.value == self.filter_text:
            return  # the box posts Changed when it mounts, too
        self.filter_text = event.value
        self._settle_cursor = False
        self._rebuild()
        self._update_header()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter box goes back to the list, keeping the filter."""
        self.query_one(ArticleTable).focus()
        if not event.value:
            self.set_class(False, "-filtering")

    def action_clear_filter(self) -> None:
        """Clear and hide the filter."""
        box = self.query_one("#filter", Input)
        self.set_class(False, "-filtering")
        if box.value:
            box.value = ""  # posts Changed, which rebuilds the list
        self.query_one(ArticleTable).focus()

    def action_sort(self) -> None:
        """Sort by the next column."""
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.reverse = False
        self._settle_cursor = False
        self._rebuild()
        self._update_header()

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self.reverse = not self.reverse
        self._rebuild()
        self._update_header()

    def action_quit(self) -> None:
        """Quit (everything is already saved).

        A screen's binding runs the action on the screen, and Screen has no
        quit action: without this method `q` did nothing.
        """
        self.app.exit()

    def action_refresh(self) -> None:
        """Re-read everyone's annotation files and recount."""
        self.start_counting()

    def action_help(self) -> None:
        """Keys and label guidelines."""
        from annotate.tui.screens.help import HelpScreen, screen_keys

        self.app.push_screen(HelpScreen(self.annotate_app.schema, screen_keys(self)))
