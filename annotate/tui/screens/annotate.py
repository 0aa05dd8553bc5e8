"""The annotate screen: read an article claim by claim and label it from the keyboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from annotate.errors import AnnotateError
from annotate.schema import NOT_A_CLAIM, LabelSchema
from annotate.segment import Claim
from annotate.session import ArticleSession
from annotate.text import printable
from annotate.tui.label_keys import label_bindings
from annotate.tui.widgets.article_view import ArticleView
from annotate.tui.widgets.key_bar import KeyBar
from annotate.tui.widgets.outline import Outline

if TYPE_CHECKING:
    from annotate.attribution import Suggestion
    from annotate.tui.app import AnnotateApp

ASSISTANT_DELAY = 0.05

NAVIGATION_BINDINGS: list[BindingType] = [
    Binding("j,down", "next_claim", "Next", id="claim.next", tooltip="Next claim"),
    Binding("k,up", "previous_claim", "Prev", id="claim.previous", tooltip="Previous claim"),
    Binding("J", "next_paragraph", "Next ¶", id="paragraph.next"),
    Binding("K", "previous_paragraph", "Prev ¶", id="paragraph.previous"),
    Binding("x", "label_not_a_claim", "Not a claim", id="label.not_a_claim"),
    Binding(
        "a",
        "accept_suggestion",
        "Accept",
        id="suggestion.accept",
        tooltip="Accept the suggested label (and the suggested source if the claim has none)",
    ),
    Binding("s", "source", "Source", id="claim.source", tooltip="Who the claim is attributed to"),
    Binding("n", "note", "Note", id="claim.note"),
    Binding("m", "merge", "Merge", id="claim.merge", tooltip="Merge with the next claim"),
    Binding("M", "split", "Split", id="claim.split", tooltip="Split at a word boundary"),
    Binding("u,ctrl+z", "undo", "Undo", id="undo", tooltip="Undo the last change"),
    Binding("tab", "next_unlabelled", "Unlabelled", id="claim.next_unlabelled"),
    Binding("o", "next_article", "Next article", id="article.next"),
    Binding("escape", "back", "Back", id="article.back", tooltip="Back to the article list"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
]


def binding_keys(schema: LabelSchema) -> dict[str, str]:
    """Every binding id the annotate screen has, with its default keys, for checking keymaps."""
    return {
        b.id: b.key
        for b in [*NAVIGATION_BINDINGS, *label_bindings(schema)]
        if isinstance(b, Binding) and b.id
    }


class AnnotateScreen(Screen[None]):
    """One article, its claims and the annotator's labels."""

    CSS_PATH = "annotate.tcss"
    BINDINGS = NAVIGATION_BINDINGS

    class ClaimsSegmented(Message):
        """The background segmentation delivered the claims of more paragraphs."""

        def __init__(self, claims: list[Claim], complete: bool) -> None:
            super().__init__()
            self.claims = claims
            self.complete = complete

    def __init__(self, session: ArticleSession, cursor: int | None = None) -> None:
        super().__init__()
        self.session = session
        self.cursor = cursor if cursor is not None else session.resume_index()
        self.status = Content("")
        self._header_article: str | None = None
        self._progress_shown: tuple[object, ...] | None = None
        self._progress_width = -1
        self._panel_lines = -1
        self._hints: dict[tuple[int, int, str], Content] = {}
        self.assistant_ready = False
        self._accept_key_display: str | None = None
        # Label keys come from the schema, so they are bound per instance, and
        # first, so the footer shows them first (Textual is pinned, so this
        # private hook is stable for us).
        self.label_bindings = label_bindings(session.schema)
        bindings = BindingsMap(self.label_bindings)
        for _, binding in self._bindings:
            bindings._add_binding(binding)
        self._bindings = bindings

    @property
    def annotate_app(self) -> AnnotateApp:
        """The app, typed."""
        from annotate.tui.app import AnnotateApp

        assert isinstance(self.app, AnnotateApp)
        return self.app

    def compose(self) -> ComposeResult:
        """Header, article and outline, claim panel, footer."""
        with Horizontal(id="header"):
            # The title gives way to the outlet and date, not the other way round.
            yield Static(id="title")
            yield Static(id="meta")
            yield Static(id="progress")
        with Horizontal(id="main"):
            yield ArticleView(self.session, id="article")
            yield Outline(self.session, id="outline")
        yield Static(id="claim-panel")
        yield KeyBar([*self.label_bindings, *NAVIGATION_BINDINGS])

    def on_mount(self) -> None:
        """Show the first claim, segment the rest of a long article, warn about stale events."""
        self.query_one(ArticleView).focus()
        self._update()
        # The attribution assistant (~50 ms to import and run) starts just after
        # the first frame, so the first claim is ready to label without
        # waiting for it. A key pressed before then starts it at once.
        self.set_timer(ASSISTANT_DELAY, self._start_assistant)
        if self.session.background is not None:
            self._segment_rest()
        if self.session.stale:
            self.notify(
                f"{len(self.session.stale)} earlier events are for a different version of this article "
                "and were not applied (annotate validate lists them)",
                title="Stale events",
                severity="warning",
                markup=False,
            )

    def _start_assistant(self) -> None:
        if self.assistant_ready:
            return
        self.assistant_ready = True
        self.query_one(ArticleView).enable_marks()
        self._update()

    def on_unmount(self) -> None:
        """Stop a background segmentation that is still running."""
        if self.session.background is not None:
            self.session.background.cancel()

    @work(thread=True, exclusive=True, exit_on_error=False, group="segmentation")
    def _segment_rest(self) -> None:
        # The thread only waits on the child process that runs pysbd, so it
        # takes nothing from the screen; each chunk is handed over as a message.
        background = self.session.background
        if background is None:
            return
        for claims in background.chunks():
            self.post_message(self.ClaimsSegmented(claims, complete=False))
        self.post_message(self.ClaimsSegmented([], complete=not background.cancelled))

    def on_annotate_screen_claims_segmented(self, message: ClaimsSegmented) -> None:
        """Take in newly segmented claims; the ones already on screen keep their indexes."""
        if self.session.segmenting:
            self.session.add_segmented(message.claims, message.complete)
            self._update()
            # Each chunk's claims live as long as the screen: out of the
            # collector's sight at once, or every full collection while the
            # rest is segmented walks them all (5-18 ms in the middle of a step).
            self.annotate_app.settle_memory()

    # -- drawing ----------------------------------------------------------------

    def _update(self) -> None:
        session = self.session
        article = session.article
        done, total = session.progress
        segmenting = ""
        if session.segmenting:
            share = session.segmented_paragraphs * 100 // max(1, len(article.paragraphs))
            # Two digits always, so that the header's width stays put as it counts.
            segmenting = f"  (segmenting {share:>2}%)"
        # Moving claim by claim changes neither the header nor the panel's
        # height: skipping those updates keeps a step to one frame of work.
        if article.article_id != self._header_article:
            self._header_article = article.article_id
            self.query_one("#title", Static).update(
                Content.styled(printable(article.title), "bold"), layout=False
            )
            outlet = article.meta_text("outlet") or article.meta_text("author")
            self.query_one("#meta", Static).update(
                # Date first: when the outlet is long, it is the outlet that gets cut.
                Content(printable(" ".join(part for part in (article.meta_text("date"), outlet) if part)))
            )
        progress = (done, total, segmenting)
        if progress != self._progress_shown:
            self._progress_shown = progress
            text = Content.from_markup(
                "[b]$done[/b]/$total labelled$segmenting",
                done=str(done),
                total=str(total),
                segmenting=segmenting,
            )
            # A label or a segmented chunk changes the counts, rarely their
            # width; laying out the whole screen for it cost a step 4-6 ms.
            self.query_one("#progress", Static).update(text, layout=text.cell_length != self._progress_width)
            self._progress_width = text.cell_length
        if session.claims:
            self.cursor = max(0, min(self.cursor, len(session.claims) - 1))
            claim = session.claims[self.cursor]
            self.query_one(ArticleView).show(session, self.cursor)
            self.query_one(Outline).show(session, claim.paragraph)
        panel = self._panel()
        lines = panel.plain.count("\n")
        self.query_one("#claim-panel", Static).update(panel, layout=lines != self._panel_lines)
        self._panel_lines = lines

    def _panel(self) -> Content:
        session = self.session
        if not session.claims:
            return Content("This article has no claims.")
        current = session.claim_label(self.cursor)
        claim = session.claims[self.cursor]
        label = current.label or "unlabelled"
        color = (
            session.schema.color_of(current.label)
            if current.label and current.label != NOT_A_CLAIM
            # A hex colour: Textual's own parser does not know "grey50", and a
            # failed parse (with its did-you-mean search) costs ~1.5 ms a frame.
            else "#808080"
        )
        line = Content.from_markup(
            f"Claim $n/$total  ¶$paragraph  [b {color}]$label[/]  source: [b]$source[/b]  note: $note",
            n=str(self.cursor + 1),
            total=str(len(session.claims)),
            paragraph=str(claim.paragraph + 1),
            label=label,
            source=current.source or "—",
            note=current.note or "—",
        )
        lines = [line, self._hint(self.cursor) if self.assistant_ready else Content("")]
        if self.status:
            lines.append(self.status)
        if session.done:
            following = self.annotate_app.next_article_title(session.article.article_id)
            if following:
                lines.append(
                    Content.from_markup(
                        "[b green]Article done.[/] Press [b]o[/b] for the next article: $title",
                        title=following,
                    )
                )
            else:
                lines.append(Content.from_markup("[b green]Article done.[/] Every article here is labelled."))
        return Content("\n").join(lines)

    def _suggestion(self, index: int) -> Suggestion:
        suggestion = self.annotate_app.suggestion(self.session, index)
        if not self.assistant_ready:
            self._start_assistant()
        return suggestion

    def _accept_key(self) -> str:
        # The keymap is fixed for the session, so look the key up once.
        if self._accept_key_display is None:
            self._accept_key_display = next(
                (
                    self.app.get_key_display(active.binding)
                    for active in self.active_bindings.values()
                    if active.binding.action == "accept_suggestion"
                ),
                "a",
            )
        return self._accept_key_display

    def _hint(self, index: int) -> Content:
        """The suggestion for claim `index`, as a hint the annotator must confirm."""
        claim = self.session.claims[index]
        key = self._accept_key()
        cached = self._hints.get((claim.start, claim.end, key))
        if cached is not None:
            return cached
        suggestion = self._suggestion(index)
        source = printable(suggestion.source_text) if suggestion.source_text else None
        reason = printable(suggestion.reason)
        # Assembled from (text, style) pieces: article text is never parsed as markup,
        # and no markup parsing on the per-keystroke path.
        if suggestion.label is None and source is None:
            hint = Content.assemble((f"No suggestion ({reason})", "dim"))
        else:
            color = self.session.schema.color_of(suggestion.label) if suggestion.label else "dim"
            parts: list[tuple[str, str]] = [
                ("Suggests ", "dim"),
                (suggestion.label or "no label", color),
                (f" ({reason})", "dim"),
            ]
            if source:
                parts += [(" · source: ", "dim"), (source, "italic")]
            if suggestion.label:
                parts.append((f"  {key} accepts", "dim"))
            hint = Content.assemble(*parts)
        self._hints[(claim.start, claim.end, key)] = hint
        return hint

    def _saved(self, what: str) -> None:
        self.status = Content.from_markup("[green]✓ saved[/] $what", what=what)

    def _run(self, change: str, action: object) -> bool:
        """Run a change through the domain; show it saved only if it reached the disk."""
        try:
            assert callable(action)
            action()
        except AnnotateError as error:
            self.status = Content.from_markup("[b red]$message[/]", message=str(error))
            self._update()
            return False
        except OSError as error:
            self.status = Content.from_markup(
                "[b red]NOT SAVED:[/] $change ($reason). Free space or fix the folder, then retry.",
                change=change,
                reason=error.strerror or str(error),
            )
            self.notify(f"Not saved: {change} ({error.strerror or error})", severity="error", markup=False)
            self._update()
            return False
        self._saved(change)
        return True

    # -- actions ------------------------------------------------------------------

    def _move(self, index: int | None) -> None:
        if index is not None and self.session.claims:
            self.cursor = max(0, min(index, len(self.session.claims) - 1))
            self.status = Content("")
            self._update()

    def action_next_claim(self) -> None:
        """Move to the next claim."""
        if self.session.segmenting and self.cursor + 1 >= len(self.session.claims):
            self.status = Content("The rest of the article is still being segmented; a moment.")
            self._update()
            return
        self._move(self.cursor + 1)

    def action_previous_claim(self) -> None:
        """Move to the previous claim."""
        self._move(self.cursor - 1)

    def action_next_paragraph(self) -> None:
        """Move to the first claim of the next paragraph."""
        paragraph = self.session.claims[self.cursor].paragraph
        self._move(self.session.first_claim_of_paragraph(paragraph + 1))

    def action_previous_paragraph(self) -> None:
        """Move to the first claim of the previous paragraph (or of this one)."""
        paragraph = self.session.claims[self.cursor].paragraph
        first = self.session.first_claim_of_paragraph(paragraph)
        if first is not None and first < self.cursor:
            self._move(first)
        else:
            self._move(self.session.last_claim_before_paragraph(paragraph))

    def action_next_unlabelled(self) -> None:
        """Jump to the next claim without a label."""
        target = self.session.next_unlabelled(self.cursor)
        if target is None:
            self.status = Content("Every claim in this article is labelled.")
            self._update()
        else:
            self._move(target)

    def _label(self, name: str) -> None:
        if not self.session.claims:
            return
        index = self.cursor
        suggested = self._suggestion(index).recorded()
        if self._run(f"{name}", lambda: self.session.set_label(index, name, suggested)):
            target = self.session.next_unlabelled(self.cursor)
            if target is not None:
                self.cursor = target
            self._update()

    def action_accept_suggestion(self) -> None:
        """Accept the suggested label, and the suggested source if the claim has none yet.

        Never automatic: only this key (or typing the same label) saves a
        suggestion, and the event records that it was accepted with the key.
        """
        if not self.session.claims:
            return
        index = self.cursor
        suggestion = self._suggestion(index)
        if suggestion.label is None:
            self.status = Content("No suggested label for this claim: choose one with the label keys.")
            self._update()
            return
        current = self.session.claim_label(index)
        source = suggestion.source_text if not current.source else None
        recorded = {**suggestion.recorded(), "accepted": True}
        label = suggestion.label
        if self._run(
            f"{label} (suggested)", lambda: self.session.set_label(index, label, recorded, source=source)
        ):
            target = self.session.next_unlabelled(self.cursor)
            if target is not None:
                self.cursor = target
            self._update()

    def action_label(self, index: int) -> None:
        """Give the current claim the schema's label number `index`."""
        self._label(self.session.schema.labels[index].name)

    def action_label_not_a_claim(self) -> None:
        """Mark the current segment as not a claim."""
        self._label(NOT_A_CLAIM)

    def action_source(self) -> None:
        """Ask for the claim's source in a modal, with suggestions."""
        # Modals are imported when first opened: not needed for the first frame.
        from annotate.tui.screens.source import SourceModal

        if not self.session.claims:
            return
        index = self.cursor
        current = self.session.claim_label(index).source
        suggestion = self._suggestion(index)
        suggestions = self.annotate_app.source_suggestions(self.session, index)

        def chosen(source: str | None) -> None:
            if source is not None and self._run(
                f"source {source!r}" if source else "source removed",
                lambda: self.session.set_source(index, source, suggestion.recorded()),
            ):
                self._update()

        self.app.push_screen(
            SourceModal(self.session.claim_text(index), current, suggestions, suggestion.source_text), chosen
        )

    def action_note(self) -> None:
        """Edit the claim's note in a modal."""
        from annotate.tui.screens.note import NoteModal

        if not self.session.claims:
            return
        index = self.cursor

        def chosen(note: str | None) -> None:
            if note is not None and self._run(
                "note", lambda: self.session.set_note(index, note, self._suggestion(index).recorded())
            ):
                self._update()

        self.app.push_screen(
            NoteModal(self.session.claim_label(index).note, self.session.claim_text(index)), chosen
        )

    def action_merge(self) -> None:
        """Merge the current claim with the next one in its paragraph."""
        if not self.session.claims:
            return
        self._resegment("merge", self.cursor, 2, lambda: self.session.merge_with_next(self.cursor))

    def _resegment(self, change: str, index: int, count: int, action: Callable[[], int]) -> None:
        """Merge or split: the new claims start unlabelled, so say what the old ones lose."""
        session = self.session
        lost = [
            what
            for position in range(index, min(index + count, len(session.claims)))
            for what in self._lost(position)
        ]
        result: list[int] = []
        if self._run(change, lambda: result.append(action())):
            self.cursor = result[0]
            if lost:
                self.status += Content(f" · cleared {', '.join(lost)} (u undoes)")
            self._update()

    def _lost(self, index: int) -> list[str]:
        """What claim `index` holds, as the status line names it: the label and source by value."""
        current = self.session.claim_label(index)
        number = f"claim {index + 1}"
        lost = []
        if current.label:
            lost.append(f"label {current.label} of {number}")
        if current.source:
            lost.append(f"source {printable(current.source)!r} of {number}")
        if current.note:
            lost.append(f"note of {number}")
        return lost

    def action_split(self) -> None:
        """Pick a word boundary in a modal and split the claim there."""
        from annotate.tui.screens.split import SplitModal

        if not self.session.claims:
            return
        index = self.cursor
        claim = self.session.claims[index]

        def chosen(at: int | None) -> None:
            if at is not None:
                self._resegment("split", index, 1, lambda: self.session.split_at(index, at))

        self.app.push_screen(SplitModal(self.session.article, claim), chosen)

    def action_undo(self) -> None:
        """Undo the latest change, even one made before a restart."""
        spans: list[tuple[int, int] | None] = []
        if not self._run("undo", lambda: spans.append(self.session.undo())):
            return
        if spans[0] is None:
            self.status = Content("Nothing to undo in this article.")
        else:
            found = self.session.index_of_span(spans[0])
            if found is not None:
                self.cursor = found
        self._update()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Back to the list exists only when the app started on the corpus screen."""
        if action == "back":
            return self.annotate_app.has_corpus_screen
        return True

    def action_quit(self) -> None:
        """Quit (everything is already saved).

        A screen's binding runs the action on the screen, and Screen has no
        quit action: without this method `q` did nothing.
        """
        self.app.exit()

    def action_back(self) -> None:
        """Return to the corpus list, where this article's progress is updated."""
        if self.annotate_app.has_corpus_screen:
            self.app.pop_screen()

    def action_next_article(self) -> None:
        """Open the next unfinished article of the folder."""
        if not self.annotate_app.open_next_article(self.session.article.article_id):
            self.notify("No other unfinished article in this folder.", markup=False)

    def action_help(self) -> None:
        """Show the keys and the label guidelines."""
        from annotate.tui.screens.help import HelpScreen, screen_keys

        self.app.push_screen(HelpScreen(self.session.schema, screen_keys(self)))
