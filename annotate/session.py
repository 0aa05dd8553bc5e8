"""One annotator working through one article: claims, labels, merges, undo.

This is the domain behind the annotate screen. It decides what is saved; the
screen only shows it. Every change goes to the event log first, and the
in-memory state changes only after the log has it on disk.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotate.corpus import Article
from annotate.errors import AnnotateError
from annotate.schema import NOT_A_CLAIM, LabelSchema
from annotate.segment import (
    BackgroundSegmentation,
    Claim,
    cached_claims,
    default_claims,
    paragraph_claims,
    split_claim,
)
from annotate.store import FORMAT_VERSION, Event, new_event_id, utc_timestamp

Span = tuple[int, int]
Append = Callable[[list[Event]], None]
Suggested = dict[str, Any]
"""What an assistant proposed for a claim, recorded on decisions as the optional `suggested` field."""

# A long article seen for the first time opens with this many paragraphs
# segmented (tens of milliseconds); the rest is segmented in the background.
EAGER_PARAGRAPHS = 24


@dataclass(frozen=True)
class ClaimLabel:
    """What the annotator has recorded for a claim."""

    label: str | None
    source: str | None
    note: str | None


def span_event(
    article: Article,
    schema_ref: str,
    annotator: str,
    claim: Claim,
    op: str,
    label: str | None = None,
    source: str | None = None,
    note: str | None = None,
    segment: str | None = None,
    suggested: Suggested | None = None,
) -> Event:
    """A new event about `claim` of `article` (DESIGN 4.3); label, source and note only for `label`."""
    event: Event = {
        "v": FORMAT_VERSION,
        "id": new_event_id(),
        "ts": utc_timestamp(),
        "annotator": annotator,
        "article_id": article.article_id,
        "article_sha256": article.sha256,
        "paragraph": claim.paragraph,
        "start": claim.start,
        "end": claim.end,
        "text": article.body[claim.start : claim.end],
        "op": op,
        "label": label if op == "label" else None,
        "source": source if op == "label" else None,
        "note": note if op == "label" else None,
        "schema": schema_ref,
    }
    if segment:
        event["segment"] = segment
    if suggested is not None:
        event["suggested"] = dict(suggested)
    return event


def claim_layout(
    article: Article, events: Iterable[Event], *, base: Sequence[Claim] | None = None
) -> list[Claim]:
    """The article's claims after the merges and splits recorded in `events`.

    `base` is the segmentation to start from (default: `default_claims`); a
    session still segmenting a long article passes the part it has.
    """
    changes = [event for event in events if event.get("segment")]
    if base is None:
        base = default_claims(article)
    if not changes:
        return list(base)
    spans = {(claim.start, claim.end) for claim in base}
    for event in changes:
        change = event.get("segment")
        if change == "added":
            spans.add((event["start"], event["end"]))
        elif change == "removed":
            spans.discard((event["start"], event["end"]))
    return [Claim(start, end, article.paragraph_of(start)) for start, end in sorted(spans)]


def fold_article(events: Iterable[Event]) -> dict[Span, Event]:
    """One article's events folded by span: the last event per (start, end) wins, `clear` removes."""
    state: dict[Span, Event] = {}
    for event in events:
        span = (event["start"], event["end"])
        if event["op"] == "clear":
            state.pop(span, None)
        else:
            state[span] = event
    return state


def split_stale(article: Article, events: Iterable[Event]) -> tuple[list[Event], list[Event]]:
    """This article's events for its current body, and those for an older body."""
    current: list[Event] = []
    stale: list[Event] = []
    for event in events:
        if event["article_id"] != article.article_id:
            continue
        if article.holds(event):
            current.append(event)
        else:
            stale.append(event)
    return current, stale


def article_progress(article: Article, events: Iterable[Event]) -> tuple[int, int]:
    """(claims labelled, claims) for an article, from one annotator's events."""
    current, _ = split_stale(article, events)
    return current_progress(article, current)


def current_progress(article: Article, current: list[Event]) -> tuple[int, int]:
    """`article_progress` from events already known to be for the current body (`split_stale`)."""
    claims = claim_layout(article, current)
    state = fold_article(current)
    done = sum(1 for claim in claims if _is_done(state.get((claim.start, claim.end))))
    return done, len(claims)


def article_finished(article: Article, events: Iterable[Event]) -> bool:
    """Whether every claim of the article is labelled, segmenting only when it must.

    An article nobody has labelled yet is unfinished (every paragraph holds at
    least one claim), so finding the first unfinished article of a folder never
    segments a long article just to count its claims.
    """
    current, _ = split_stale(article, events)
    if not any(event.get("label") is not None for event in current):
        return False
    done, total = current_progress(article, current)
    return done == total


def _is_done(event: Event | None) -> bool:
    return event is not None and event.get("label") is not None


class ArticleSession:
    """The annotator's working state for one article, backed by the event log."""

    def __init__(
        self,
        article: Article,
        schema: LabelSchema,
        annotator: str,
        events: Iterable[Event],
        append: Append,
        *,
        partial: Sequence[Claim] | None = None,
    ) -> None:
        """`partial`: the claim candidates of the first paragraphs only, while the
        rest is still being segmented; `add_segmented` brings in the others."""
        self.article = article
        self.schema = schema
        self.annotator = annotator
        # A new event about a claim of this article, by this annotator (span_event).
        self._event = functools.partial(span_event, article, schema.ref, annotator)
        self._append = append
        self.history, self.stale = split_stale(article, events)
        self.segmenting = partial is not None
        self._base: list[Claim] = list(partial) if partial is not None else default_claims(article)
        self.claims: list[Claim] = claim_layout(article, self.history, base=self._base)
        self._state = fold_article(self.history)
        self._done = 0
        self._paragraph_done = [0] * len(article.paragraphs)
        self._paragraph_total = [0] * len(article.paragraphs)
        self._paragraph_first = [0] * len(article.paragraphs)
        self.background: BackgroundSegmentation | None = None
        self._recount()

    @classmethod
    def open(
        cls,
        article: Article,
        schema: LabelSchema,
        annotator: str,
        events: Iterable[Event],
        append: Append,
    ) -> ArticleSession:
        """A session that is ready at once, even on a long article never segmented before.

        When no cache has the article's segmentation and the annotator has no
        events for it (so work starts at the top), only the first paragraphs are
        segmented now; `background` then holds the segmentation of the rest,
        which the caller runs and feeds to `add_segmented`. Otherwise the whole
        layout is there from the start.
        """
        events = list(events)
        if (
            len(article.paragraphs) > EAGER_PARAGRAPHS
            and cached_claims(article) is None
            and not split_stale(article, events)[0]
        ):
            first = paragraph_claims(article, 0, EAGER_PARAGRAPHS)
            session = cls(article, schema, annotator, events, append, partial=first)
            session.background = BackgroundSegmentation(article, EAGER_PARAGRAPHS, first)
            return session
        return cls(article, schema, annotator, events, append)

    @property
    def segmented_paragraphs(self) -> int:
        """How many paragraphs, from the top, have their claims (all but while segmenting)."""
        if not self.segmenting:
            return len(self.article.paragraphs)
        return self._base[-1].paragraph + 1 if self._base else 0

    def add_segmented(self, claims: Sequence[Claim], complete: bool) -> None:
        """Append the claim candidates of the next paragraphs, in order, as segmentation delivers them."""
        self._base.extend(claims)
        if any(event.get("segment") for event in self.history):
            self.claims = claim_layout(self.article, self.history, base=self._base)
            self._recount()
        else:
            state = self._state
            for claim in claims:
                index = len(self.claims)
                self.claims.append(claim)
                paragraph = claim.paragraph
                if not self._paragraph_total[paragraph]:
                    self._paragraph_first[paragraph] = index
                self._paragraph_total[paragraph] += 1
                if _is_done(state.get((claim.start, claim.end))):
                    self._paragraph_done[paragraph] += 1
                    self._done += 1
        if complete:
            self.segmenting = False
            self.background = None

    # -- reading --------------------------------------------------------------

    def claim_label(self, index: int) -> ClaimLabel:
        """The label, source and note of claim `index`."""
        claim = self.claims[index]
        event = self._state.get((claim.start, claim.end))
        if event is None:
            return ClaimLabel(None, None, None)
        return ClaimLabel(event.get("label"), event.get("source"), event.get("note"))

    def is_labelled(self, index: int) -> bool:
        """Whether claim `index` has a label (not_a_claim counts)."""
        claim = self.claims[index]
        return _is_done(self._state.get((claim.start, claim.end)))

    def claim_text(self, index: int) -> str:
        """The exact body text of claim `index`."""
        claim = self.claims[index]
        return self.article.body[claim.start : claim.end]

    @property
    def progress(self) -> tuple[int, int]:
        """(claims labelled, claims)."""
        return self._done, len(self.claims)

    @property
    def done(self) -> bool:
        """Whether every claim has a label (never while the article is still being segmented)."""
        labelled, total = self.progress
        return labelled == total and not self.segmenting

    def paragraph_range_progress(self, first: int, last: int) -> tuple[int, int]:
        """(claims labelled, claims) over paragraphs `first` to `last` (exclusive)."""
        return sum(self._paragraph_done[first:last]), sum(self._paragraph_total[first:last])

    def paragraph_progress(self, paragraph: int) -> tuple[int, int]:
        """(claims labelled, claims) in one paragraph."""
        return self._paragraph_done[paragraph], self._paragraph_total[paragraph]

    def claims_in_paragraph(self, paragraph: int) -> range:
        """Indexes of the claims that start in `paragraph`."""
        first = self._paragraph_first[paragraph]
        return range(first, first + self._paragraph_total[paragraph])

    def first_claim_of_paragraph(self, paragraph: int) -> int | None:
        """The index of the first claim at or after `paragraph`."""
        for index in range(paragraph, len(self._paragraph_total)):
            if self._paragraph_total[index]:
                return self._paragraph_first[index]
        return None

    def last_claim_before_paragraph(self, paragraph: int) -> int | None:
        """The index of the first claim of the nearest earlier paragraph that has claims."""
        for index in range(paragraph - 1, -1, -1):
            if self._paragraph_total[index]:
                return self._paragraph_first[index]
        return None

    def next_unlabelled(self, after: int = -1) -> int | None:
        """The first unlabelled claim after `after`, wrapping round; None when done."""
        count = len(self.claims)
        for step in range(1, count + 1):
            index = (after + step) % count
            if not self.is_labelled(index):
                return index
        return None

    def labels_in_paragraph(self, paragraph: int) -> list[tuple[Claim, str | None]]:
        """Each claim of a paragraph with its label name (None when unlabelled)."""
        result = []
        for index in self.claims_in_paragraph(paragraph):
            claim = self.claims[index]
            event = self._state.get((claim.start, claim.end))
            result.append((claim, event.get("label") if event else None))
        return result

    # -- changing -------------------------------------------------------------

    def set_label(
        self, index: int, label: str, suggested: Suggested | None = None, source: str | None = None
    ) -> None:
        """Give claim `index` a label from the schema, or not_a_claim.

        `suggested` (what the assistant proposed) is recorded with the decision;
        `source`, when given, is set in the same event (accepting a suggestion).
        """
        if label != NOT_A_CLAIM and label not in self.schema.names:
            raise AnnotateError(f"label {label!r} is not in schema {self.schema.ref}")
        current = self.claim_label(index)
        source = (source or "").strip() or current.source
        self._commit(
            [self._event(self.claims[index], "label", label, source, current.note, suggested=suggested)]
        )

    def set_source(self, index: int, source: str | None, suggested: Suggested | None = None) -> None:
        """Record who claim `index` is attributed to (None or blank removes it)."""
        current = self.claim_label(index)
        source = (source or "").strip() or None
        self._commit(
            [
                self._event(
                    self.claims[index], "label", current.label, source, current.note, suggested=suggested
                )
            ]
        )

    def set_note(self, index: int, note: str | None, suggested: Suggested | None = None) -> None:
        """Record a free-text note on claim `index` (None or blank removes it)."""
        current = self.claim_label(index)
        note = (note or "").strip() or None
        self._commit(
            [
                self._event(
                    self.claims[index], "label", current.label, current.source, note, suggested=suggested
                )
            ]
        )

    def merge_with_next(self, index: int) -> int:
        """Merge claim `index` with the next claim of the same paragraph.

        The two old spans are cleared and the merged span is added, all as one
        undoable action. Returns the index of the merged claim.
        """
        if index + 1 >= len(self.claims) or self.claims[index + 1].paragraph != self.claims[index].paragraph:
            raise AnnotateError("nothing to merge with: this is the last claim of its paragraph")
        first, second = self.claims[index], self.claims[index + 1]
        merged = Claim(first.start, second.end, first.paragraph)
        self._commit(
            [
                self._event(first, "clear", segment="removed"),
                self._event(second, "clear", segment="removed"),
                self._event(merged, "clear", segment="added"),
            ]
        )
        return self.claims.index(merged)

    def split_at(self, index: int, at: int) -> int:
        """Split claim `index` at body offset `at` (a word boundary); returns the left part."""
        claim = self.claims[index]
        try:
            left, right = split_claim(self.article, claim, at)
        except ValueError:
            raise AnnotateError("cannot split there: both parts need text") from None
        self._commit(
            [
                self._event(claim, "clear", segment="removed"),
                self._event(left, "clear", segment="added"),
                self._event(right, "clear", segment="added"),
            ]
        )
        return self.claims.index(left)

    def undo(self) -> Span | None:
        """Undo the latest change not yet undone, across restarts.

        Writes the events that restore each touched span's earlier state (a
        `clear` where there was none). Returns the span to move to, or None when
        there is nothing to undo.
        """
        actions: dict[str, list[int]] = {}
        undone: set[str] = set()
        for position, event in enumerate(self.history):
            if event.get("undoes"):
                undone.add(event["undoes"])
                continue
            actions.setdefault(event.get("action") or event["id"], []).append(position)
        target = next((action for action in reversed(actions) if action not in undone), None)
        if target is None:
            return None
        positions = actions[target]
        before = self.history[: positions[0]]
        layout_before = {
            (claim.start, claim.end) for claim in claim_layout(self.article, before, base=self._base)
        }
        state_before = fold_article(before)
        layout_now = {(claim.start, claim.end) for claim in self.claims}
        restore: list[Event] = []
        touched: list[Span] = []
        for position in positions:
            event = self.history[position]
            span = (event["start"], event["end"])
            if span in touched:
                continue
            touched.append(span)
            claim = Claim(span[0], span[1], self.article.paragraph_of(span[0]))
            segment = None
            if span in layout_before and span not in layout_now:
                segment = "added"
            elif span not in layout_before and span in layout_now:
                segment = "removed"
            previous = state_before.get(span)
            if previous is None:
                restore.append(self._event(claim, "clear", segment=segment))
            else:
                restore.append(
                    self._event(
                        claim,
                        "label",
                        previous.get("label"),
                        previous.get("source"),
                        previous.get("note"),
                        segment=segment,
                    )
                )
        for event in restore:
            event["undoes"] = target
        self._commit(restore)
        # Land on the first restored span that is a claim again.
        for span in touched:
            if span in {(c.start, c.end) for c in self.claims}:
                return span
        return touched[0]

    def resume_index(self) -> int:
        """Where work on this article picks up: the next unlabelled claim after the last one changed.

        The last change is the annotator's latest event on the article, so a
        claim skipped earlier is not where they stopped (`tab` comes back round
        to it). A last change that left its claim unlabelled (an undo, a
        clear) resumes on that claim. Without events, the first unlabelled
        claim; with every claim labelled, the last one changed.
        """
        last = None
        if self.history:
            last = self.index_of_span((self.history[-1]["start"], self.history[-1]["end"]))
        if last is not None and not self.is_labelled(last):
            return last
        following = self.next_unlabelled(-1 if last is None else last)
        if following is not None:
            return following
        return last if last is not None else 0

    def index_of_span(self, span: Span) -> int | None:
        """The index of the claim with this exact span, or of the claim holding its start."""
        for index, claim in enumerate(self.claims):
            if (claim.start, claim.end) == span:
                return index
        for index, claim in enumerate(self.claims):
            if claim.start <= span[0] < claim.end:
                return index
        return None

    # -- internals ------------------------------------------------------------

    def _commit(self, events: list[Event]) -> None:
        action = events[0]["id"]
        if len(events) > 1:
            for event in events:
                event["action"] = action
        # On disk first: if this raises, nothing below runs and nothing shows as saved.
        self._append(events)
        layout_changed = any(event.get("segment") for event in events)
        for event in events:
            self.history.append(event)
            span = (event["start"], event["end"])
            was_done = _is_done(self._state.get(span))
            if event["op"] == "clear":
                self._state.pop(span, None)
            else:
                self._state[span] = event
            if not layout_changed:
                # A label change moves one paragraph's count; no full recount
                # on the per-keystroke path.
                delta = _is_done(self._state.get(span)) - was_done
                self._paragraph_done[event["paragraph"]] += delta
                self._done += delta
        if layout_changed:
            self.claims = claim_layout(self.article, self.history, base=self._base)
            self._recount()

    def _recount(self) -> None:
        done = [0] * len(self.article.paragraphs)
        total = [0] * len(self.article.paragraphs)
        first = [0] * len(self.article.paragraphs)
        state = self._state
        for index, claim in enumerate(self.claims):
            if not total[claim.paragraph]:
                first[claim.paragraph] = index
            total[claim.paragraph] += 1
            if _is_done(state.get((claim.start, claim.end))):
                done[claim.paragraph] += 1
        self._paragraph_done = done
        self._paragraph_total = total
        self._paragraph_first = first
        self._done = sum(done)


def known_sources(events: Iterable[Event]) -> list[str]:
    """Sources this annotator has used, most used first."""
    counts = Counter(event["source"] for event in events if event.get("source"))
    return [source for source, _ in counts.most_common()]
