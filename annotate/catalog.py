"""What a corpus holds: article metadata read fast, and corpus statistics.

The corpus screen lists 10,000 articles before anything is segmented, so
listing reads only what it needs (front matter, or the header lines of a raw
file); claim counts come later, from a worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotate.atomic import replace_file
from annotate.corpus import (
    ArticleFile,
    decode_article_bytes,
    extract_plain_metadata,
    split_front_matter,
    split_paragraphs,
)
from annotate.errors import AnnotateError
from annotate.segment import cache_dir, default_claims
from annotate.session import current_progress, split_stale
from annotate.store import Event
from annotate.text import printable

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class CatalogEntry:
    """One article as the corpus list shows it, read without its body."""

    article_id: str
    path: Path
    title: str
    outlet: str = ""
    author: str = ""
    date: str = ""
    url: str = ""
    problem: str | None = None


def _text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    return "" if value is None else " ".join(str(value).split())


def catalog_entry(item: ArticleFile) -> CatalogEntry:
    """The metadata of one article file; a file that cannot be read gets `problem` set."""
    article_id = item.article_id
    where = str(item.path)
    try:
        data = item.path.read_bytes()
        if not data.strip():
            raise AnnotateError(f"{where}: the article is empty; add text or remove the file")
        text = decode_article_bytes(data, where).replace("\r\n", "\n").replace("\r", "\n")
        meta, _ = split_front_matter(text, where)
        if meta is None:
            meta, _, _ = extract_plain_metadata(split_paragraphs(text))
    except AnnotateError as error:
        return CatalogEntry(article_id, item.path, article_id, problem=str(error))
    except OSError as error:
        return CatalogEntry(
            article_id, item.path, article_id, problem=f"{where}: cannot read ({error.strerror})"
        )
    return CatalogEntry(
        article_id,
        item.path,
        _text(meta, "title") or article_id,
        _text(meta, "outlet"),
        _text(meta, "author"),
        _text(meta, "date")[:10],
        _text(meta, "url"),
    )


CATALOG_VERSION = 1
_FIELDS = ("title", "outlet", "author", "date", "url")


def catalog_cache_file(root: Path) -> Path:
    """Where a corpus folder's metadata is kept between runs (beside the segmentation cache)."""
    key = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:32]
    return cache_dir().parent / "catalog" / f"{key}.json"


def read_catalog(files: Sequence[ArticleFile]) -> list[CatalogEntry]:
    """Metadata of every article file, in the given order.

    Parsing 10,000 front matters takes about a second, so what was read is kept
    in a cache per corpus folder, keyed by each file's size and modification
    time; an unchanged file is not opened again. Unreadable files are never
    cached (their problem is found afresh each time).
    """
    by_root: dict[Path, dict[str, list[Any]]] = {}
    changed: set[Path] = set()
    entries: list[CatalogEntry] = []
    for item in files:
        cached = by_root.get(item.root)
        if cached is None:
            cached = by_root[item.root] = _load_catalog_cache(item.root)
        key = item.path.relative_to(item.root).as_posix() if item.path.is_relative_to(item.root) else None
        try:
            stat = item.path.stat()
            stamp = [stat.st_mtime_ns, stat.st_size]
        except OSError:
            stamp = None
        hit = cached.get(key) if key is not None and stamp is not None else None
        if hit is not None and hit[:2] == stamp:
            entries.append(CatalogEntry(item.article_id, item.path, *hit[2:]))
            continue
        entry = catalog_entry(item)
        entries.append(entry)
        if key is not None and stamp is not None and entry.problem is None:
            cached[key] = [*stamp, *(getattr(entry, name) for name in _FIELDS)]
            changed.add(item.root)
    for root in changed:
        _write_catalog_cache(root, by_root[root])
    return entries


def _load_catalog_cache(root: Path) -> dict[str, list[Any]]:
    try:
        data = orjson.loads(catalog_cache_file(root).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CATALOG_VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    # Keep only well-formed entries: a damaged cache must cost a re-read, never a crash.
    return {
        str(key): value
        for key, value in files.items()
        if isinstance(value, list)
        and len(value) == 2 + len(_FIELDS)
        and all(isinstance(number, int) for number in value[:2])
        and all(isinstance(text, str) for text in value[2:])
    }


def _write_catalog_cache(root: Path, files: dict[str, list[Any]]) -> None:
    target = catalog_cache_file(root)
    payload = orjson.dumps({"version": CATALOG_VERSION, "root": str(root), "files": files})
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        replace_file(target, payload, durable=False)


# -- statistics ---------------------------------------------------------------


@dataclass(frozen=True)
class CorpusStats:
    """Counts over a corpus, as `annotate corpus stats` reports them."""

    articles: int
    paragraphs: int
    claim_candidates: int
    words: int
    paragraphs_per_article: dict[str, float]
    words_per_article: dict[str, float]
    outlets: dict[str, int]
    dates: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The machine-readable report (`--json`)."""
        return {
            "articles": self.articles,
            "paragraphs": self.paragraphs,
            "claim_candidates": self.claim_candidates,
            "words": self.words,
            "paragraphs_per_article": self.paragraphs_per_article,
            "words_per_article": self.words_per_article,
            "outlets": self.outlets,
            "dates": self.dates,
        }


def _spread(values: list[int]) -> dict[str, float]:
    if not values:
        return {"min": 0, "median": 0, "max": 0}
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def corpus_stats(files: Sequence[ArticleFile], advance: Callable[[int], None] | None = None) -> CorpusStats:
    """Articles, paragraphs, claim candidates, words, outlets and dates of a corpus.

    Claim candidates are the sentence segments before any annotator's merge or
    split. A file that does not load stops the count with its error.
    """
    paragraphs: list[int] = []
    words: list[int] = []
    claims = 0
    outlets: Counter[str] = Counter()
    dates: list[str] = []
    undated = 0
    for item in files:
        article = item.load()
        paragraphs.append(len(article.paragraphs))
        words.append(len(_WORD.findall(article.body)))
        claims += len(default_claims(article))
        outlets[article.meta_text("outlet").strip() or "(none)"] += 1
        date = article.meta_text("date")[:10]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            dates.append(date)
        else:
            undated += 1
        if advance is not None:
            advance(1)
    by_year = Counter(date[:4] for date in dates)
    return CorpusStats(
        articles=len(paragraphs),
        paragraphs=sum(paragraphs),
        claim_candidates=claims,
        words=sum(words),
        paragraphs_per_article=_spread(paragraphs),
        words_per_article=_spread(words),
        outlets=dict(sorted(outlets.items(), key=lambda item: (-item[1], item[0]))),
        dates={
            "earliest": min(dates) if dates else None,
            "latest": max(dates) if dates else None,
            "undated": undated,
            "by_year": dict(sorted(by_year.items())),
        },
    )


def describe_stats(stats: CorpusStats, top: int = 10) -> list[str]:
    """The human report: totals, per-article spread, outlets and dates."""
    per_paragraphs = stats.paragraphs_per_article
    per_words = stats.words_per_article
    lines = [
        f"articles          {stats.articles:>10,}",
        f"paragraphs        {stats.paragraphs:>10,}   per article {per_paragraphs['min']:g}-"
        f"{per_paragraphs['max']:g}, median {per_paragraphs['median']:g}",
        f"claim candidates  {stats.claim_candidates:>10,}",
        f"words             {stats.words:>10,}   per article {per_words['min']:g}-"
        f"{per_words['max']:g}, median {per_words['median']:g}",
        f"outlets           {len(stats.outlets):>10,}",
    ]
    for outlet, count in list(stats.outlets.items())[:top]:
        lines.append(f"  {count:>8,}  {printable(outlet)}")
    if len(stats.outlets) > top:
        lines.append(f"  {'':>8}  … and {len(stats.outlets) - top} more (--json lists all)")
    dates = stats.dates
    span = f"{dates['earliest']} to {dates['latest']}" if dates["earliest"] else "none"
    lines.append(f"dates             {span}, {dates['undated']} undated")
    for year, count in dates["by_year"].items():
        lines.append(f"  {count:>8,}  {year}")
    return lines


# -- claim counts and progress, for the corpus screen ---------------------------------


@dataclass(frozen=True)
class ArticleCount:
    """An article's claim candidates and each given annotator's (claims labelled, claims)."""

    article_id: str
    claims: int | None
    progress: dict[str, tuple[int, int]]
    problem: str | None = None
    stale: dict[str, int] = field(default_factory=dict)
    """Per annotator with any: events made on an earlier version of the article's body."""


CountJob = tuple[ArticleFile, dict[str, list[Event]], tuple[str, ...]]


def count_article(
    item: ArticleFile, events: Mapping[str, list[Event]], annotators: Iterable[str]
) -> ArticleCount:
    """Segment one article and measure each annotator's progress on it from their events."""
    try:
        article = item.load()
    except AnnotateError as error:
        return ArticleCount(item.article_id, None, {}, str(error))
    claims = len(default_claims(article))
    progress: dict[str, tuple[int, int]] = {}
    stale: dict[str, int] = {}
    for name in annotators:
        current, old = split_stale(article, events.get(name, []))
        progress[name] = current_progress(article, current)
        if old:
            stale[name] = len(old)
    return ArticleCount(item.article_id, claims, progress, stale=stale)


def count_articles(jobs: Sequence[CountJob]) -> list[ArticleCount]:
    """`count_article` over a batch; a module-level function so a process pool can run it."""
    return [count_article(item, events, annotators) for item, events, annotators in jobs]


# Below this many articles the corpus screen counts in its worker thread; at or
# above it, in worker processes (a second core, and no contention for the GIL).
PROCESS_THRESHOLD = 200


def prepare_process_counting() -> None:
    """Start multiprocessing's resource tracker while stderr is still the real one.

    Worker processes need the tracker; it passes stderr's file descriptor to
    its own process, and once Textual runs, sys.stderr is a capture object
    whose fileno() is -1, which makes the first pool fail ("bad value(s) in
    fds_to_keep"). Call before the App starts.
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
