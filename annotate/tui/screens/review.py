"""The review screen: one unit at a time, every annotator's vote side by side, and the lead's decision."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from annotate.adjudication import Adjudication, ReviewFilter, running_agreement, select
from annotate.corpus import Article
from annotate.errors import AnnotateError
from annotate.schema import NOT_A_CLAIM, LabelSchema
from annotate.store import SpanKey
from annotate.text import printable
from annotate.tui.label_keys import label_bindings
from annotate.tui.screens.help import HelpScreen, screen_keys
from annotate.tui.screens.note import NoteModal
from annotate.tui.screens.review_filter import FilterModal
from annotate.tui.screens.source import SourceModal
from annotate.tui.widgets.claim_context import ClaimContext
from annotate.tui.widgets.key_bar import KeyBar
from annotate.units import Unit, final_decision, majority, majority_source, verdict, vote_counts

# Only keys the schema can never take (schema.RESERVED_KEYS), so label keys never collide.
REVIEW_BINDINGS: list[BindingType] = [
    Binding("x", "label_not_a_claim", "Not a claim", id="review.not_a_claim"),
    Binding("enter", "accept_majority", "Accept", id="review.accept", tooltip="Accept the majority"),
    Binding("s", "source", "Source", id="review.source", tooltip="Edit the final source"),
    Binding("n", "note", "Note", id="review.note", tooltip="A note on the decision"),
    Binding("j,down", "next_unit", "Next", id="review.next", tooltip="Next unit"),
    Binding("k,up", "previous_unit", "Prev", id="review.previous", tooltip="Previous unit"),
    Binding("tab", "next_undecided", "Undecided", id="review.next_undecided"),
    Binding("m", "toggle_disagreements", "Disagreements", id="review.disagreements"),
    Binding("o", "filter", "Filter", id="review.filter", tooltip="Filter by label, annotator, article"),
    Binding("question_mark", "help", "Help", id="review.help"),
    Binding("q", "app.quit", "Quit", id="review.quit"),
]


class ReviewScreen(Screen[None]):
    """Walk the selected units; label keys decide, `enter` accepts the majority."""

    CSS_PATH = "review.tcss"
    BINDINGS = REVIEW_BINDINGS

    def __init__(
        self, adjudication: Adjudication, articles: dict[str, Article], wanted: ReviewFilter
    ) -> None:
        super().__init__()
        self.adjudication = adjudication
        self.articles = articles
        self.wanted = wanted
        self.keys: list[SpanKey] = []
        self.cursor = 0
        self.pending_source: dict[SpanKey, str | None] = {}
        self.pending_note: dict[SpanKey, str | None] = {}
        self.status = Content("")
        self._figures = Content("")
        # Label keys come from the schema, so they are bound per instance, and
        # first, so the footer shows them first at 80 columns (Textual is pinned,
        # so replacing the screen's private BindingsMap is stable for us).
        self.declared_bindings = [
            *label_bindings(adjudication.schema, prefix="review.label"),
            *REVIEW_BINDINGS,
        ]
        self._bindings = BindingsMap(self.declared_bindings)

    def compose(self) -> ComposeResult:
        """Header, claim in context, votes, verdict, footer."""
        yield Static(id="review-header")
        with VerticalScroll(id="review-context"):
            yield ClaimContext(id="review-claim")
        table: DataTable[Text] = DataTable(id="review-votes", cursor_type="none", zebra_stripes=True)
        yield table
        yield Static(id="review-verdict")
        # Wraps rather than hiding keys: Textual's one-line Footer cut off tab, m, o, ? and q at 100 columns.
        yield KeyBar(self.declared_bindings)

    def on_mount(self) -> None:
        """Select the units and resume at the first undecided one."""
        table = self.query_one("#review-votes", DataTable)
        table.add_columns(Text("annotator"), Text("label"), Text("source"), Text("note"))
        self._select(resume=True)

    # -- state ------------------------------------------------------------------

    @property
    def unit(self) -> Unit | None:
        """The unit under the cursor."""
        if not self.keys:
            return None
        return self.adjudication.units.unit(self.keys[self.cursor])

    def _select(self, resume: bool = False) -> None:
        current = self.keys[self.cursor] if self.keys else None
        self.keys = select(self.adjudication.units, self.wanted)
        agree, alpha, shared = running_agreement(self.adjudication.units, self.keys)
        self._figures = Content.from_markup(
            "on screen: [b]$units[/b] units with 2+ votes · agreement [b]$agree[/b] · α [b]$alpha[/b]",
            units=str(shared),
            agree="—" if agree.value is None else f"{agree.value * 100:.1f}%",
            alpha="—" if alpha.value is None else f"{alpha.value:.4f}",  # as the agreement report
        )
        if current is not None and current in self.keys:
            self.cursor = self.keys.index(current)
        else:
            self.cursor = 0
        if resume or current not in self.keys:
            first = self._next_undecided(-1)
            self.cursor = first if first is not None else 0
        self._update()

    def _next_undecided(self, after: int) -> int | None:
        count = len(self.keys)
        for step in range(1, count + 1):
            index = (after + step) % count
            if not self.adjudication.is_decided(self.keys[index]):
                return index
        return None

    # -- drawing ------------------------------------------------------------------

    def _update(self) -> None:
        decided = sum(1 for key in self.keys if self.adjudication.is_decided(key))
        position = f"{self.cursor + 1}/{len(self.keys)}" if self.keys else "0/0"
        header = Content.from_markup(
            "[b]Review[/b]  unit $position  [b]$decided[/b]/$total adjudicated  filter: $filter\n",
            position=position,
            decided=str(decided),
            total=str(len(self.keys)),
            filter=self.wanted.describe(),
        )
        self.query_one("#review-header", Static).update(header + self._figures)
        table = self.query_one("#review-votes", DataTable)
        table.clear()
        unit = self.unit
        verdict_widget = self.query_one("#review-verdict", Static)
        if unit is None:
            self.query_one(ClaimContext).update(
                Text("No unit matches this filter. Press o to change it, m for all.")
            )
            verdict_widget.update(self.status)
            return
        self.query_one(ClaimContext).show(unit, self.articles.get(unit.article_id))
        schema = self.adjudication.schema
        for name, vote in sorted(unit.votes.items()):
            label = Text(vote.label, style=self._color(schema, vote.label))
            if (vote.start, vote.end) != (unit.start, unit.end):
                label.append(" (own span)", style="dim")
            table.add_row(
                Text(printable(name)),
                label,
                Text(printable(vote.source or "—")),
                Text(printable(vote.note or "")),
            )
        verdict_widget.update(self._verdict(unit))

    @staticmethod
    def _color(schema: LabelSchema, label: str) -> str:
        return "grey50" if label == NOT_A_CLAIM else schema.color_of(label)

    def _verdict(self, unit: Unit) -> Content:
        kind = verdict(unit)
        counts = " · ".join(f"{label} {count}" for label, count in vote_counts(unit.votes).most_common())
        line = Content.from_markup(
            "[b]$kind[/b]  $counts  [dim]$article ¶$paragraph[/dim]",
            kind=kind,
            counts=counts,
            article=unit.article_id,
            paragraph=str(unit.paragraph + 1),
        )
        if unit.overlap:
            line += Content.from_markup("  [b yellow]boundaries differ[/]")
        lines = [line]
        decision = final_decision(unit)
        if unit.gold is not None:
            lines.append(
                Content.from_markup(
                    "[b green]gold:[/] [b]$label[/b]  source: $source  (by $who)",
                    label=unit.gold.label,
                    source=unit.gold.source or "—",
                    who=unit.gold.adjudicator,
                )
            )
        elif decision.method == "tie":
            lines.append(Content.from_markup("[b red]tie:[/] pick a label with its key"))
        else:
            source = self.pending_source.get(unit.key, majority_source(unit.votes, decision.label or ""))
            lines.append(
                Content.from_markup(
                    "enter accepts [b]$label[/b]  source: $source",
                    label=decision.label or "",
                    source=source or "—",
                )
            )
        if self.status:
            lines.append(self.status)
        return Content("\n").join(lines)

    # -- deciding -------------------------------------------------------------------

    def _decide(self, label: str) -> None:
        unit = self.unit
        if unit is None:
            return
        key = unit.key
        if key in self.pending_source:
            source = self.pending_source[key]
        elif unit.gold is not None:
            source = unit.gold.source
        else:
            source = majority_source(unit.votes, label)
        note = self.pending_note.get(key, unit.gold.note if unit.gold else None)
        try:
            self.adjudication.decide(key, label, source, note)
        except AnnotateError as error:
            self.status = Content.from_markup("[b red]$message[/]", message=str(error))
            self._update()
            return
        except OSError as error:
            self.status = Content.from_markup(
                "[b red]NOT SAVED:[/] $reason. Free space or fix the folder, then retry.",
                reason=error.strerror or str(error),
            )
            self.notify(f"Not saved: {error.strerror or error}", severity="error", markup=False)
            self._update()
            return
        self.pending_source.pop(key, None)
        self.pending_note.pop(key, None)
        self.status = Content.from_markup("[green]✓ saved[/] gold $label", label=label)
        following = self._next_undecided(self.cursor)
        if following is None:
            self.status += Content.from_markup("  [b green]Every unit here is adjudicated.[/]")
        else:
            self.cursor = following
        self._update()

    def action_label(self, index: int) -> None:
        """Decide the schema's label number `index`."""
        self._decide(self.adjudication.schema.labels[index].name)

    def action_label_not_a_claim(self) -> None:
        """Decide that the unit is not a claim."""
        self._decide(NOT_A_CLAIM)

    def action_accept_majority(self) -> None:
        """Accept the majority label (not on a tie)."""
        unit = self.unit
        if unit is None:
            return
        label, tied = majority(unit.votes)
        if label is None:
            self.status = Content.from_markup(
                "[b red]tie ($labels):[/] pick a label with its key", labels=", ".join(tied)
            )
            self._update()
            return
        self._decide(label)

    def action_source(self) -> None:
        """Edit the final source in a modal; suggestions are the annotators' sources."""
        unit = self.unit
        if unit is None:
            return
        key = unit.key
        decision = final_decision(unit)
        current = self.pending_source.get(key, decision.source)
        suggestions = sorted({vote.source for vote in unit.votes.values() if vote.source})

        def chosen(source: str | None) -> None:
            if source is None:
                return
            refreshed = self.adjudication.units.unit(key)
            if refreshed.gold is not None:
                # Already decided: the new source is a new decision with the same label.
                self.pending_source[key] = source or None
                index = self.keys.index(key)
                self.cursor = index
                self._decide(refreshed.gold.label)
                self.cursor = index
                self._update()
            else:
                self.pending_source[key] = source or None
                self.status = Content("Source set; it is saved with the label you pick.")
                self._update()

        self.app.push_screen(SourceModal(unit.text, current, suggestions), chosen)

    def action_note(self) -> None:
        """A note on the decision, saved with the label."""
        unit = self.unit
        if unit is None:
            return
        key = unit.key

        def chosen(note: str | None) -> None:
            if note is None:
                return
            self.pending_note[key] = note or None
            refreshed = self.adjudication.units.unit(key)
            if refreshed.gold is not None:
                index = self.keys.index(key)
                self.cursor = index
                self._decide(refreshed.gold.label)
                self.cursor = index
            else:
                self.status = Content("Note set; it is saved with the label you pick.")
            self._update()

        self.app.push_screen(
            NoteModal(self.pending_note.get(key, unit.gold.note if unit.gold else None), unit.text), chosen
        )

    # -- moving and filtering -------------------------------------------------------

    def _move(self, index: int) -> None:
        if self.keys:
            self.cursor = max(0, min(index, len(self.keys) - 1))
            self.status = Content("")
            self._update()

    def action_next_unit(self) -> None:
        """The next unit."""
        self._move(self.cursor + 1)

    def action_previous_unit(self) -> None:
        """The previous unit."""
        self._move(self.cursor - 1)

    def action_next_undecided(self) -> None:
        """Jump to the next unit without a gold decision."""
        if not self.keys:
            return
        following = self._next_undecided(self.cursor)
        if following is None:
            self.status = Content("Every unit here is adjudicated.")
            self._update()
        else:
            self._move(following)

    def action_toggle_disagreements(self) -> None:
        """Show disagreements only, or every unit."""
        wanted = self.wanted
        self.wanted = ReviewFilter(
            not wanted.disagreements_only, wanted.label, wanted.annotator, wanted.article_id
        )
        self.status = Content("")
        self._select()

    def action_filter(self) -> None:
        """Pick the filter in a modal."""
        units = self.adjudication.units
        labels = [
            name for name in (*self.adjudication.schema.names, NOT_A_CLAIM) if name in units.label_names
        ]
        labels += sorted(set(units.label_names) - set(labels))
        articles = sorted({key[0] for key in units.keys})

        def chosen(wanted: ReviewFilter | None) -> None:
            if wanted is not None:
                self.wanted = wanted
                self.status = Content("")
                self._select()

        self.app.push_screen(FilterModal(self.wanted, labels, list(units.annotators), articles), chosen)

    def action_help(self) -> None:
        """Keys and the label guidelines."""
        self.app.push_screen(HelpScreen(self.adjudication.schema, screen_keys(self)))
