"""Claim candidates: sentence spans of each paragraph, with exact body offsets.

Sentence segmentation (pysbd) costs about a millisecond or two per paragraph,
which is seconds for a very long article. Three things keep opening an article
fast without ever changing which spans pysbd gives:

- a persistent cache of each body's claims, keyed by the segmenter version and
  the body's SHA-256, written atomically under `$XDG_CACHE_HOME/annotate/`;
- `BackgroundSegmentation`, which segments the rest of a long article in a
  child process (another core, no contention with the screen) while the
  annotator already labels the first paragraphs;
- an in-memory cache, so merges, splits, undo and progress never segment twice.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from annotate.atomic import replace_file
from annotate.corpus import Article

# Bump when `sentence_spans` changes how it turns pysbd's sentences into spans:
# every cached layout then becomes stale and is computed again.
SPANS_VERSION = 2
# The pysbd release pinned in pyproject.toml. Written out rather than read from
# pysbd so that opening a cached article never imports pysbd (7 ms of startup);
# a test checks it against the installed pysbd.
PYSBD_VERSION = "0.3.4"
_MEMORY_ENTRIES = 64
# How often the segmenting child hands over what it has (see `_serve`).
FLUSH_EVERY_S = 0.1


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


def segmenter_version() -> str:
    """What produced the spans: the pysbd version and this module's span rules."""
    return f"pysbd {PYSBD_VERSION}; spans {SPANS_VERSION}"


# pysbd's time grows with the square of a paragraph's sentence count (5,000
# sentences: 4 s; a hostile 200,000: hours). Paragraphs longer than this are
# segmented in overlapping windows, which keeps time linear; every real news
# paragraph is far shorter and gets exactly pysbd's answer.
LONG_PARAGRAPH = 20_000
_WINDOW = 2_000
_WINDOW_MAX = 32_000


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph, trimmed of surrounding whitespace.

    pysbd finds the sentences; their offsets are then located in `text` in
    order, so `text[start:end]` is always exactly the sentence. Where pysbd
    returned something that is not in the text, the rest of the paragraph
    becomes one span rather than a guessed one.

    A paragraph over LONG_PARAGRAPH characters is read through a window: the
    window's sentences but its last are kept, and the next window starts where
    that last sentence starts, so pysbd always sees a sentence whole. A window
    with no boundary grows up to _WINDOW_MAX characters, then is cut at its
    last space (a run-on "sentence" that long is not a claim anyone can read).
    """
    if len(text) <= LONG_PARAGRAPH:
        return _pysbd_spans(text)
    spans: list[tuple[int, int]] = []
    offset = 0
    size = _WINDOW
    while offset < len(text):
        window = text[offset : offset + size]
        pieces = _pysbd_spans(window)
        if offset + size >= len(text):
            spans.extend((offset + start, offset + end) for start, end in pieces)
            break
        if len(pieces) > 1:
            spans.extend((offset + start, offset + end) for start, end in pieces[:-1])
            offset += pieces[-1][0]
            size = _WINDOW
        elif size < _WINDOW_MAX:
            size *= 2
        else:
            cut = window.rstrip().rfind(" ") + 1 or len(window)
            head = window[:cut]
            lead = len(head) - len(head.lstrip())
            if head.strip():
                spans.append((offset + lead, offset + len(head.rstrip())))
            offset += cut
            size = _WINDOW
    return spans


def _pysbd_spans(text: str) -> list[tuple[int, int]]:
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


def paragraph_claims(article: Article, first: int, last: int) -> list[Claim]:
    """The claim candidates of paragraphs `first` to `last` (exclusive), segmented now."""
    claims: list[Claim] = []
    for index in range(first, last):
        base = article.paragraph_starts[index]
        claims.extend(
            Claim(base + start, base + end, index) for start, end in sentence_spans(article.paragraphs[index])
        )
    return claims


# -- caches -----------------------------------------------------------------------

_memory: OrderedDict[str, tuple[Claim, ...]] = OrderedDict()


def cache_dir() -> Path:
    """Where segmentations are kept between runs: `$XDG_CACHE_HOME/annotate/segments`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "annotate" / "segments"


def _cache_file(article: Article) -> Path:
    return cache_dir() / f"{article.sha256}.json"


def _decode(article: Article, data: bytes) -> tuple[Claim, ...] | None:
    # A cache file is trusted only when it says what made it and every span
    # lies inside its paragraph; anything else is ignored and recomputed.
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if (
        not isinstance(record, dict)
        or record.get("segmenter") != segmenter_version()
        or record.get("sha256") != article.sha256
        or not isinstance(record.get("claims"), list)
    ):
        return None
    flat = record["claims"]
    if len(flat) % 3 or not all(type(value) is int for value in flat):
        return None
    claims: list[Claim] = []
    starts = article.paragraph_starts
    paragraphs = article.paragraphs
    previous_end = -1
    for position in range(0, len(flat), 3):
        start, end, paragraph = flat[position : position + 3]
        if not 0 <= paragraph < len(paragraphs):
            return None
        base = starts[paragraph]
        if not (base <= start < end <= base + len(paragraphs[paragraph]) and start >= previous_end):
            return None
        previous_end = end
        claims.append(Claim(start, end, paragraph))
    return tuple(claims)


def cached_claims(article: Article) -> list[Claim] | None:
    """The article's claim candidates if a cache has them, without segmenting anything."""
    found = _memory.get(article.sha256)
    if found is None:
        try:
            data = _cache_file(article).read_bytes()
        except OSError:
            return None
        found = _decode(article, data)
        if found is None:
            return None
        _remember_in_memory(article, found)
    else:
        _memory.move_to_end(article.sha256)
    return list(found)


def _remember_in_memory(article: Article, claims: tuple[Claim, ...]) -> None:
    _memory[article.sha256] = claims
    _memory.move_to_end(article.sha256)
    while len(_memory) > _MEMORY_ENTRIES:
        _memory.popitem(last=False)


def remember_claims(article: Article, claims: Sequence[Claim]) -> None:
    """Keep a complete segmentation in memory and in the persistent cache.

    The file is written to a temporary name in the cache folder and renamed
    over the target, so a reader never sees a partial file. A cache that
    cannot be written (read-only home, full disk) is silently skipped: it only
    saves time.
    """
    frozen = tuple(claims)
    _remember_in_memory(article, frozen)
    flat: list[int] = []
    for claim in frozen:
        flat.extend((claim.start, claim.end, claim.paragraph))
    payload = orjson.dumps({"segmenter": segmenter_version(), "sha256": article.sha256, "claims": flat})
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        replace_file(_cache_file(article), payload, durable=False)


def forget_cached_claims() -> None:
    """Drop the in-memory cache (the persistent one stays); for measurements and tests."""
    _memory.clear()


def default_claims(article: Article) -> list[Claim]:
    """The claim candidates of an article before any merge or split.

    From a cache when one has this body; otherwise segmented now and cached.
    """
    found = cached_claims(article)
    if found is not None:
        return found
    claims = paragraph_claims(article, 0, len(article.paragraphs))
    remember_claims(article, claims)
    return claims


# -- background segmentation ---------------------------------------------------------


class BackgroundSegmentation:
    """Segment paragraphs `first` onwards of an article in a child process.

    The child (`python -m annotate.segment`) runs pysbd on the other core and
    streams one line of spans per paragraph back, so the annotator's process
    stays free to answer keys. `chunks()` yields the claims in paragraph order;
    when the child cannot be started or fails, the rest is segmented in this
    process instead, with exactly the same result. The complete layout is
    cached when the last chunk is yielded.
    """

    def __init__(self, article: Article, first: int, known: Sequence[Claim] = ()) -> None:
        self.article = article
        self.first = first
        self._known = list(known)
        self._child: subprocess.Popen[bytes] | None = None
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        """Whether `cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop the child; `chunks()` then ends early without caching anything."""
        self._cancelled = True
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()

    def _start_child(self) -> subprocess.Popen[bytes] | None:
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "annotate.segment"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={
                    **os.environ,
                    "PYTHONPATH": _package_root() + os.pathsep + os.environ.get("PYTHONPATH", ""),
                },
            )
        except OSError:
            return None
        assert child.stdin is not None
        try:
            child.stdin.write(orjson.dumps(list(self.article.paragraphs[self.first :])))
            child.stdin.close()
        except OSError:
            child.kill()
            child.wait()
            return None
        return child

    def chunks(self, size: int = 100) -> Iterator[list[Claim]]:
        """Claims of the remaining paragraphs, `size` paragraphs at a time, in order."""
        article = self.article
        total = len(article.paragraphs)
        index = self.first
        everything = self._known
        pending: list[Claim] = []
        child = self._child = self._start_child()
        if child is not None:
            assert child.stdout is not None
            for spans in _child_spans(child.stdout, article, index):
                if self._cancelled:
                    break
                base = article.paragraph_starts[index]
                pending.extend(Claim(base + start, base + end, index) for start, end in spans)
                index += 1
                if index == total or (index - self.first) % size == 0:
                    everything.extend(pending)
                    yield pending
                    pending = []
            child.kill()
            child.wait()
        if pending:
            everything.extend(pending)
            yield pending
        # Whatever the child did not deliver (it failed, or could not start) is segmented here.
        while index < total and not self._cancelled:
            last = min(total, index + size)
            claims = paragraph_claims(article, index, last)
            everything.extend(claims)
            index = last
            yield claims
        if not self._cancelled:
            remember_claims(article, everything)


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def _child_spans(stream: IO[bytes], article: Article, first: int) -> Iterator[list[tuple[int, int]]]:
    # Every line is checked against its paragraph: the first line that is not
    # a valid set of spans ends the stream and the caller segments the rest.
    index = first
    for line in stream:
        if index >= len(article.paragraphs):
            return
        try:
            spans = _checked_spans(orjson.loads(line), len(article.paragraphs[index]))
        except orjson.JSONDecodeError:
            return
        if spans is None:
            return
        yield spans
        index += 1


def _checked_spans(spans: Any, length: int) -> list[tuple[int, int]] | None:
    if not isinstance(spans, list):
        return None
    checked: list[tuple[int, int]] = []
    previous = 0
    for span in spans:
        if not (isinstance(span, list) and len(span) == 2 and all(type(value) is int for value in span)):
            return None
        start, end = span
        if not previous <= start < end <= length:
            return None
        checked.append((start, end))
        previous = end
    return checked


def _serve() -> None:
    """The child side of BackgroundSegmentation: paragraphs in, one line of spans per paragraph out."""
    paragraphs = orjson.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    flushed = time.monotonic()
    for paragraph in paragraphs:
        out.write(orjson.dumps(sentence_spans(paragraph)) + b"\n")
        # Written in batches: each write wakes the annotator's reading thread,
        # which then takes the interpreter lock from the screen mid-key.
        if time.monotonic() - flushed >= FLUSH_EVERY_S:
            out.flush()
            flushed = time.monotonic()
    out.flush()


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


if __name__ == "__main__":
    _serve()
