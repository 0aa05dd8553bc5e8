"""Claim candidates: sentence spans of each paragraph, with exact body offsets."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from annotate.corpus import Article


@dataclass(frozen=True, order=True)
class Claim:
    """A span of the body that can carry a label: `body[start:end]`."""

    start: int
    end: int
    paragraph: int


_local = threading.local()


def _segmenter() -> Any:
    # pysbd is the rule-based segmenter (Golden Rules tested); imported lazily
    # because the CLI's non-annotating commands do not need it. One per thread:
    # Segmenter.segment keeps the text it is working on in an attribute, so a
    # shared instance gives wrong sentences when the corpus screen's worker
    # thread and the UI thread segment at the same time.
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        import pysbd

        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
    return segmenter


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph, trimmed of surrounding whitespace.

    pysbd finds the sentences; their offsets are then located in `text` in
    order, so `text[start:end]` is always exactly the sentence. Where pysbd
    returned something that is not in the text, the rest of the paragraph
    becomes one span rather than a guessed one.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in _segmenter().segment(text):
        piece = sentence.strip()
        if not piece:
            continue
        found = text.find(piece, cursor)
        if found < 0:
            break
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    tail = text[cursor:]
    if tail.strip():
        lead = len(tail) - len(tail.lstrip())
        spans.append((cursor + lead, cursor + len(tail.rstrip())))
    return spans


def default_claims(article: Article) -> list[Claim]:
    """The claim candidates of an article before any merge or split."""
    return list(_segment_paragraphs(article.paragraphs))


@lru_cache(maxsize=64)
def _segment_paragraphs(paragraphs: tuple[str, ...]) -> tuple[Claim, ...]:
    # Cached: segmenting a long article takes seconds, and merges, splits,
    # undo and progress all need the default layout again.
    claims: list[Claim] = []
    base = 0
    for index, paragraph in enumerate(paragraphs):
        claims.extend(Claim(base + start, base + end, index) for start, end in sentence_spans(paragraph))
        base += len(paragraph) + 2
    return tuple(claims)


_WORD_BOUNDARY = re.compile(r"\s+")


def split_points(article: Article, claim: Claim) -> list[int]:
    """Body offsets where `claim` can be split: the starts of its words but the first."""
    text = article.body[claim.start : claim.end]
    return [claim.start + match.end() for match in _WORD_BOUNDARY.finditer(text) if match.end() < len(text)]


def split_claim(article: Article, claim: Claim, at: int) -> tuple[Claim, Claim]:
    """The two claims that splitting `claim` at body offset `at` gives, trimmed."""
    left_text = article.body[claim.start : at]
    right_text = article.body[at : claim.end]
    left_end = claim.start + len(left_text.rstrip())
    right_start = at + (len(right_text) - len(right_text.lstrip()))
    if left_end <= claim.start or right_start >= claim.end:
        raise ValueError("split point must leave text on both sides")
    return Claim(claim.start, left_end, claim.paragraph), Claim(right_start, claim.end, claim.paragraph)
