"""`annotate import`: turn article sources into corpus files with front matter (DESIGN 4.1).

Sources are raw scraped plain text (like the seed), Markdown, saved HTML pages
(through trafilatura, an optional extra) and JSONL with one article per line.
Everything is read and checked first; only then are files written, into a
staging folder inside the corpus that is moved into place at the end, so a
failed import leaves the corpus exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from annotate.corpus import (
    BYLINE,
    article_files,
    decode_article_bytes,
    drop_boilerplate,
    extract_plain_metadata,
    parse_article,
    parse_date,
    split_front_matter,
    split_paragraphs,
)
from annotate.errors import AnnotateError
from annotate.store import fsync_folder
from annotate.text import printable

try:  # POSIX only; elsewhere two imports at once are not guarded against.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

FORMATS = ("auto", "text", "markdown", "html", "jsonl")
SUFFIX_FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
HTML_INSTALL_HINT = "pip install 'annotate[html]'"
META_ORDER = ("title", "author", "outlet", "date", "dateline", "url", "license")
IMPORT_KEYS = ("imported_from", "imported_sha256")
ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}(?:/[a-z0-9][a-z0-9._-]{0,99})*")
SLUG_WORDS_MAX = 60
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Page furniture seen in scraped pages beyond corpus.BOILERPLATE. Applied only at
# import: the corpus loader's list must not grow, or the bodies of raw files
# already being annotated would change and their labels go stale.
EXTRA_BOILERPLATE = re.compile(
    r"^(skip to (main )?content|(back to )?top|menu|search|home|log ?in|sign ?in|register|print"
    r"|e-?mail( this( article| story)?)?|tweet|share on (facebook|twitter|x|linkedin|whatsapp|email)"
    r"|(click|tap) to share.*|follow us( on .{1,40})?|most (read|popular)|you may also like"
    r"|recommended( for you)?|trending( now)?|loading\.*|image: .{0,80}|(photo|picture|image) credit:? .{0,80}"
    r"|all rights reserved\.?|(copyright|©|\(c\)) ?(©\s*)?\d{4}.{0,80}|terms of (use|service)|privacy policy"
    r"|related: .{0,100}|(read|see) also:? .{0,100}|(continue reading|read the full story).{0,40})"
    r"[.!:]?$",
    re.IGNORECASE,
)
# Cookie and consent banners run long; a paragraph that opens like one is
# furniture even past the length limit for other boilerplate.
CONSENT_BANNER = re.compile(
    r"^(this (site|website) uses cookies|we (and our partners )?use cookies|we value your privacy"
    r"|by (continuing to (use|browse)|using) (this|our) (site|website))",
    re.IGNORECASE,
)
_BINARY_MAGIC = {
    b"%PDF-": "a PDF file",
    b"PK\x03\x04": "a ZIP archive (or a Word/OpenDocument file)",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}
_UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_JSONL_TEXT = ("text", "body", "content", "article", "maintext")
_JSONL_FIELDS = {
    "title": ("title", "headline"),
    "author": ("author", "authors", "byline"),
    "outlet": ("outlet", "site", "sitename", "site_name", "publisher", "source"),
    "date": ("date", "published", "date_publish", "published_at", "pubdate", "date_published"),
    "url": ("url", "link"),
    "license": ("license", "licence"),
}


class ExtractorMissing(AnnotateError):
    """Saved HTML was given but the optional extractor (trafilatura) is not installed."""


@dataclass(frozen=True)
class ImportedArticle:
    """One article read from a source, cleaned, not yet given its id."""

    where: str
    origin: str
    meta: dict[str, Any]
    paragraphs: tuple[str, ...]
    header: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    source_sha256: str = ""
    explicit_id: str | None = None
    encoding: str | None = None
    body_sha256: str = field(init=False)

    def __post_init__(self) -> None:
        body = "\n\n".join(self.paragraphs)
        object.__setattr__(self, "body_sha256", hashlib.sha256(body.encode("utf-8")).hexdigest())

    @property
    def title(self) -> str:
        """The title, or the source when the article has none."""
        return str(self.meta.get("title") or self.origin)


@dataclass(frozen=True)
class PlannedArticle:
    """What the import does with one article: `new` (written), `present` (already there)."""

    article: ImportedArticle
    article_id: str
    status: str
    note: str | None = None


@dataclass
class ImportPlan:
    """Every article read, its id and fate, and the problems found."""

    corpus: Path
    entries: list[PlannedArticle] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def new(self) -> list[PlannedArticle]:
        """The articles this import writes."""
        return [entry for entry in self.entries if entry.status == "new"]


# -- reading sources ------------------------------------------------------------


def source_files(paths: Sequence[Path], fmt: str = "auto") -> list[tuple[Path, str]]:
    """Each source file with its format; folders give every file of a known type below them."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts) or not child.is_file():
                    continue
                kind = SUFFIX_FORMATS.get(child.suffix.lower())
                if kind is not None and (fmt == "auto" or fmt == kind):
                    found.append((child, kind))
        elif path.is_file():
            kind = SUFFIX_FORMATS.get(path.suffix.lower()) if fmt == "auto" else fmt
            if kind is None:
                raise AnnotateError(
                    f"{path}: unknown source type {path.suffix or '(no extension)'!r}; "
                    "give --format text, markdown, html or jsonl"
                )
            found.append((path, kind))
        else:
            raise AnnotateError(f"{path}: no such file or folder; check the path")
    if not found:
        raise AnnotateError(
            f"{', '.join(map(str, paths))}: no sources found (.txt, .md, .html, .jsonl); check the path"
        )
    return found


def decode_source(data: bytes, where: str, encoding: str | None = None) -> tuple[str, str | None]:
    """Source bytes as text, and the encoding when it was not UTF-8.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are read directly. Other
    encodings are detected with charset-normalizer when it is confident, and
    refused otherwise; `encoding` forces one.
    """
    if not data.strip():
        raise AnnotateError(f"{where}: the file is empty; nothing to import")
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise AnnotateError(f"{where}: is {what}, not text; convert the article to text or HTML first")
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise AnnotateError(
                f"unknown encoding {encoding!r}; give a name such as cp1252 or latin-1"
            ) from None
        except UnicodeDecodeError as error:
            raise AnnotateError(
                f"{where}: not {encoding} text (byte 0x{data[error.start]:02x} at offset {error.start}); "
                "check --encoding"
            ) from None
    for bom, name in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    try:
        return decode_article_bytes(data, where), None
    except AnnotateError:
        if b"\x00" in data[:65536]:
            raise  # binary: the corpus loader's message says so
    return _detect_encoding(data, where)


def _detect_encoding(data: bytes, where: str) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is not None and best.chaos <= 0.1:
        # Confident when the guess reads as a language, or when every plausible
        # encoding gives the same text (short texts with one accented letter
        # are ambiguous: the same byte is ï in cp1252 and something else elsewhere).
        texts = {str(match) for match in results if match.chaos <= best.chaos + 0.05}
        if best.coherence >= 0.3 or len(texts) == 1:
            return str(best), best.encoding
    reason = "not UTF-8 and the encoding cannot be detected with confidence"
    if best is None:
        reason = "not text in any encoding (a binary file?)"
    raise AnnotateError(f"{where}: {reason}; convert it to UTF-8 or give --encoding NAME")


def read_sources(
    sources: Sequence[tuple[Path, str]],
    encoding: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ImportedArticle], list[str]]:
    """Every article in the sources, and a problem line for each one that cannot be imported."""
    articles: list[ImportedArticle] = []
    problems: list[str] = []
    for path, kind in sources:
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(f"{path}: cannot read ({error.strerror}); check permissions")
            continue
        try:
            if kind == "jsonl":
                found, bad = _read_jsonl(data, path)
                articles.extend(found)
                problems.extend(bad)
            else:
                text, used = decode_source(data, str(path), encoding)
                source_sha = hashlib.sha256(data).hexdigest()
                articles.append(_read_document(text, kind, path, source_sha, used))
        except ExtractorMissing:
            raise
        except AnnotateError as error:
            problems.append(str(error))
        if progress is not None:
            progress(1)
    return articles, problems


def _read_document(
    text: str, kind: str, path: Path, source_sha: str, encoding: str | None
) -> ImportedArticle:
    where = str(path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "html":
        meta, paragraphs, header, dropped = _extract_html(text, where)
    elif kind == "markdown":
        meta, paragraphs, header, dropped = _parse_markdown(text, where)
    else:
        meta, paragraphs, header, dropped = _parse_plain(text, where)
    return _finish(where, path.name, meta, paragraphs, header, dropped, source_sha, None, encoding)


def _finish(
    where: str,
    origin: str,
    meta: dict[str, Any],
    paragraphs: list[str],
    header: list[str],
    dropped: list[str],
    source_sha: str,
    explicit_id: str | None,
    encoding: str | None,
) -> ImportedArticle:
    if not paragraphs:
        removed = [*header, *dropped]
        shown = "; ".join(printable(line)[:40] for line in removed[:3])
        raise AnnotateError(
            f"{where}: no paragraphs left after removing title, byline and boilerplate"
            + (f" (removed: {shown})" if shown else "")
            + "; check the file"
        )
    ordered = {key: meta[key] for key in META_ORDER if meta.get(key) not in (None, "")}
    ordered.update(
        (key, value)
        for key, value in meta.items()
        if key not in ordered and key not in IMPORT_KEYS and value not in (None, "")
    )
    ordered["imported_from"] = origin
    ordered["imported_sha256"] = source_sha
    return ImportedArticle(
        where,
        origin,
        ordered,
        tuple(paragraphs),
        tuple(header),
        tuple(dropped),
        source_sha,
        explicit_id,
        encoding,
    )


def drop_furniture(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Remove page furniture: corpus.BOILERPLATE, then the wider import-time list."""
    kept, dropped = drop_boilerplate(paragraphs)
    result: list[str] = []
    for paragraph in kept:
        line = paragraph.strip()
        short = len(line) <= 120 and "\n" not in line
        if (short and EXTRA_BOILERPLATE.match(line)) or (len(line) <= 1000 and CONSENT_BANNER.match(line)):
            dropped.append(paragraph)
        else:
            result.append(paragraph)
    return result, dropped


def _parse_plain(text: str, where: str) -> tuple[dict[str, Any], list[str], list[str], list[str]]:
    meta, rest = split_front_matter(text, where)
    paragraphs = split_paragraphs(rest)
    if meta is not None:
        # Front matter means the body was already prepared: keep it as it is.
        return meta, paragraphs, [], []
    meta, paragraphs, header = extract_plain_metadata(paragraphs)
    paragraphs, dropped = drop_furniture(paragraphs)
    return meta, paragraphs, header, dropped


def _parse_markdown(text: str, where: str) -> tuple[dict[str, Any], list[str], list[str], list[str]]:
    from markdown_it import MarkdownIt

    meta, rest = split_front_matter(text, where)
    tokens = MarkdownIt("commonmark").parse(rest)
    paragraphs: list[str] = []
    dropped: list[str] = []
    first_heading = True
    inline_parent: str | None = None
    for token in tokens:
        if token.type in ("paragraph_open", "heading_open"):
            inline_parent = token.tag
        elif token.type == "inline":
            text_of, images = _markdown_inline(token.children or [])
            dropped.extend(f"image: {alt}" if alt else "image" for alt in images)
            text_of = unicodedata.normalize("NFC", text_of).strip()
            if not text_of:
                continue
            if inline_parent == "h1" and first_heading and meta is None:
                # The first top-level heading is the title; the plain-text
                # heuristics below recognise it by its '#'.
                text_of = f"# {text_of}"
            if inline_parent and inline_parent.startswith("h"):
                first_heading = False
            paragraphs.append(text_of)
        elif token.type in ("fence", "code_block"):
            dropped.append(f"code block: {token.content.strip()[:60]}")
        elif token.type == "html_block":
            dropped.append(f"HTML: {token.content.strip()[:60]}")
    if meta is not None:
        return meta, paragraphs, [], dropped
    meta, paragraphs, header = extract_plain_metadata(paragraphs)
    paragraphs, furniture = drop_furniture(paragraphs)
    return meta, paragraphs, header, [*dropped, *furniture]


def _markdown_inline(children: Iterable[Any]) -> tuple[str, list[str]]:
    parts: list[str] = []
    images: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")  # Markdown joins a wrapped line with a space
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            images.append(child.content)
    return "".join(parts), images


def _extract_html(text: str, where: str) -> tuple[dict[str, Any], list[str], list[str], list[str]]:
    try:
        # Imported lazily: an optional extra, and 0.25 s to import.
        import trafilatura
    except ImportError:
        raise ExtractorMissing(
            f"importing saved HTML needs the optional extractor; install it with {HTML_INSTALL_HINT} "
            f"(needed for {where})"
        ) from None
    quiet = [logging.getLogger(name) for name in ("trafilatura", "htmldate", "courlan")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        document = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
        )
    except Exception as error:  # a third-party parser: any failure is this page's problem
        raise AnnotateError(f"{where}: cannot parse the HTML ({error}); check the file") from None
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    body = getattr(document, "text", None) if document is not None else None
    if not body or not body.strip():
        raise AnnotateError(
            f"{where}: no article text could be extracted from this HTML; "
            "save the article's own page (not an index, search or login page)"
        )
    meta: dict[str, Any] = {}
    for key, attribute in (
        ("title", "title"),
        ("author", "author"),
        ("outlet", "sitename"),
        ("date", "date"),
        ("url", "url"),
        ("license", "license"),
    ):
        value = getattr(document, attribute, None)
        if isinstance(value, str) and value.strip():
            meta[key] = value.strip()
    # trafilatura gives one paragraph per line.
    paragraphs = [line.strip() for line in unicodedata.normalize("NFC", body).split("\n") if line.strip()]
    paragraphs, header = _drop_repeated_header(paragraphs, meta)
    paragraphs, dropped = drop_furniture(paragraphs)
    if not paragraphs:
        raise AnnotateError(
            f"{where}: no article text could be extracted from this HTML (only page furniture such as "
            f"{_quote(dropped[0] if dropped else header[0], 30)!r}); save the article's own page"
        )
    return meta, paragraphs, header, dropped


def _drop_repeated_header(paragraphs: list[str], meta: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Remove a leading copy of the title and byline/date lines from a body whose metadata is known."""
    header: list[str] = []
    title = str(meta.get("title") or "").casefold().strip()
    index = 0
    while index < len(paragraphs) and index < 4:
        line = paragraphs[index].strip()
        folded = line.lstrip("#").strip().casefold()
        if title and folded == title:
            header.append(paragraphs[index])
        elif (byline := BYLINE.match(line)) and len(line) <= 120:
            meta.setdefault("author", byline.group("name").strip())
            header.append(paragraphs[index])
        elif len(line) <= 80 and (date := parse_date(line)) and len(line.split()) <= 8:
            meta.setdefault("date", date)
            header.append(paragraphs[index])
        else:
            break
        index += 1
    return paragraphs[index:], header


def _read_jsonl(data: bytes, path: Path) -> tuple[list[ImportedArticle], list[str]]:
    where = str(path)
    text, _ = decode_source(data, where)
    articles: list[ImportedArticle] = []
    problems: list[str] = []
    lines = text.split("\n")
    records = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        records += 1
        at = f"{where}:{number}"
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            problems.append(f"{at}: not valid JSON ({error.msg}); one JSON object per line is expected")
            continue
        try:
            articles.append(_jsonl_article(record, at, f"{path.name}:{number}", line))
        except AnnotateError as error:
            problems.append(str(error))
    if not records:
        problems.append(f"{where}: has no records; one JSON object per line is expected")
    return articles, problems


def _jsonl_article(record: Any, at: str, origin: str, line: str) -> ImportedArticle:
    if not isinstance(record, dict):
        raise AnnotateError(f"{at}: a record must be a JSON object with at least 'text'")
    consumed: set[str] = set()

    def first(names: Iterable[str]) -> Any:
        for name in names:
            if name in record and record[name] not in (None, "", []):
                consumed.add(name)
                return record[name]
        return None

    meta: dict[str, Any] = {}
    for key, names in _JSONL_FIELDS.items():
        value = first(names)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = ", ".join(item.strip() for item in value if item.strip())
        if isinstance(value, str) and value.strip():
            meta[key] = " ".join(value.split()) if key != "url" else value.strip()
        elif value is not None and key != "outlet":
            raise AnnotateError(f"{at}: field {key!r} must be text")
    if "date" in meta:
        raw = meta.pop("date")
        iso = _normalise_date(raw)
        if iso:
            meta["date"] = iso
        else:
            meta["dateline"] = raw
    explicit_id = record.get("id")
    consumed.add("id")
    if explicit_id is not None and (
        not isinstance(explicit_id, str) or not ARTICLE_ID.fullmatch(explicit_id)
    ):
        raise AnnotateError(
            f"{at}: id {explicit_id!r} is not a usable article id: use a-z, 0-9, '.', '_', '-' "
            "(and '/' between folders), starting with a letter or digit"
        )
    paragraphs_field = record.get("paragraphs")
    html = record.get("html")
    text = first(_JSONL_TEXT)
    header: list[str] = []
    dropped: list[str] = []
    if isinstance(paragraphs_field, list) and paragraphs_field:
        consumed.add("paragraphs")
        if not all(isinstance(item, str) for item in paragraphs_field):
            raise AnnotateError(f"{at}: 'paragraphs' must be a list of text")
        paragraphs = [p for item in paragraphs_field for p in split_paragraphs(item)]
    elif isinstance(text, str):
        paragraphs = _text_paragraphs(text)
    elif isinstance(html, str) and html.strip():
        consumed.add("html")
        html_meta, paragraphs, header, dropped = _extract_html(html, at)
        for key, value in html_meta.items():
            meta.setdefault(key, value)
    elif text is not None:
        raise AnnotateError(f"{at}: field 'text' must be text")
    else:
        raise AnnotateError(
            f"{at}: the record has no article text; give it in 'text' (or 'body', 'content', 'paragraphs', 'html')"
        )
    if not paragraphs:
        raise AnnotateError(f"{at}: the article is empty; nothing to import")
    more_header: list[str]
    paragraphs, more_header = _drop_repeated_header(paragraphs, meta)
    paragraphs, furniture = drop_furniture(paragraphs)
    for key, value in record.items():
        if (
            key in consumed
            or key in meta
            or key in ("text", "body", "content", "article", "maintext", "html")
        ):
            continue
        if isinstance(value, str | int | float | bool):
            meta[str(key)] = value
    source_sha = hashlib.sha256(line.encode("utf-8")).hexdigest()
    return _finish(
        at,
        origin,
        meta,
        paragraphs,
        [*header, *more_header],
        [*dropped, *furniture],
        source_sha,
        explicit_id,
        None,
    )


def _text_paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n[ \t]*\n", text):
        return split_paragraphs(text)
    # Scraped datasets often put one paragraph per line with no blank lines.
    return split_paragraphs(text.replace("\n", "\n\n"))


def _normalise_date(value: str) -> str | None:
    value = value.strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        except ValueError:
            return None
    return parse_date(value)


# -- ids ----------------------------------------------------------------------


def slugify(text: str, max_length: int = SLUG_WORDS_MAX) -> str:
    """A readable ASCII slug: lowercase words joined by '-', cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    return slug


def base_id(article: ImportedArticle) -> str:
    """The id an article gets when nothing else has it: date and title (or source name)."""
    if article.explicit_id:
        return article.explicit_id
    title = str(article.meta.get("title") or "")
    stem = Path(article.origin.split(":")[0]).stem
    words = slugify(title) or slugify(stem) or "article"
    date = article.meta.get("date")
    if isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and date not in words:
        return f"{date}-{words}"
    return words


@dataclass(frozen=True)
class ExistingArticle:
    """An article already in the corpus: what re-import detection needs."""

    article_id: str
    path: Path
    body_sha256: str | None
    source_sha256: str | None


def existing_articles(corpus: Path) -> list[ExistingArticle]:
    """The corpus's articles, with body and source hashes (None for a file that does not load)."""
    found: list[ExistingArticle] = []
    if not corpus.is_dir():
        return found
    for item in article_files(corpus):
        path, article_id = item.path, item.article_id
        try:
            text = (
                decode_article_bytes(path.read_bytes(), str(path)).replace("\r\n", "\n").replace("\r", "\n")
            )
            meta, rest = split_front_matter(text, str(path))
            if meta is None:
                article = parse_article(text, article_id, path)  # raw text: the loader's heuristics
                meta, body_sha = article.meta, article.sha256
            else:
                body = "\n\n".join(split_paragraphs(rest))
                body_sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
        except (AnnotateError, OSError):
            found.append(ExistingArticle(article_id, path, None, None))
            continue
        source = meta.get("imported_sha256")
        found.append(ExistingArticle(article_id, path, body_sha, source if isinstance(source, str) else None))
    return found


def plan_import(
    articles: Sequence[ImportedArticle], corpus: Path, problems: Iterable[str] = ()
) -> ImportPlan:
    """Give each article its id, and find re-imports, duplicates and collisions."""
    plan = ImportPlan(corpus, problems=list(problems))
    existing = existing_articles(corpus)
    taken: dict[str, str] = {item.article_id.casefold(): str(item.path) for item in existing}
    by_body = {item.body_sha256: item.article_id for item in existing if item.body_sha256}
    by_source = {item.source_sha256: item.article_id for item in existing if item.source_sha256}
    existing_bodies = {item.article_id.casefold(): item.body_sha256 for item in existing}
    batch_body: dict[str, tuple[str, str]] = {}
    batch_source: dict[str, tuple[str, str]] = {}
    for article in articles:
        if article.source_sha256 in by_source:
            plan.entries.append(
                PlannedArticle(article, by_source[article.source_sha256], "present", "already imported")
            )
            continue
        if article.body_sha256 in by_body:
            plan.entries.append(
                PlannedArticle(
                    article, by_body[article.body_sha256], "present", "same text is already in the corpus"
                )
            )
            continue
        earlier = batch_source.get(article.source_sha256) or batch_body.get(article.body_sha256)
        if earlier is not None:
            plan.entries.append(PlannedArticle(article, earlier[0], "present", f"repeats {earlier[1]}"))
            continue
        wanted = base_id(article)
        article_id = wanted
        note = None
        if article.explicit_id is not None:
            if wanted.casefold() in taken:
                holder = taken[wanted.casefold()]
                same = existing_bodies.get(wanted.casefold()) == article.body_sha256
                if not same:
                    plan.problems.append(
                        f"{article.where}: duplicate id {wanted!r}: already used by {holder} with different text; "
                        "give the record another id"
                    )
                    continue
        else:
            number = 2
            while article_id.casefold() in taken:
                article_id = f"{wanted}-{number}"
                number += 1
            if article_id != wanted:
                note = f"id {wanted!r} is taken by {taken[wanted.casefold()]}; imported as {article_id!r}"
        taken[article_id.casefold()] = article.where
        batch_body[article.body_sha256] = (article_id, article.where)
        batch_source[article.source_sha256] = (article_id, article.where)
        plan.entries.append(PlannedArticle(article, article_id, "new", note))
    return plan


# -- writing ------------------------------------------------------------------


def render_article(article: ImportedArticle) -> str:
    """The corpus file text: YAML front matter, a blank line, the body."""
    front = yaml.dump(
        article.meta,
        Dumper=_DUMPER,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return f"---\n{front}---\n\n" + "\n\n".join(article.paragraphs) + "\n"


def check_round_trip(entry: PlannedArticle, text: str, path: Path) -> None:
    """Refuse to write a file that would not load back to exactly this metadata and body."""
    meta, rest = split_front_matter(text, str(path))
    body = "\n\n".join(split_paragraphs(rest))
    if (
        meta != entry.article.meta
        or hashlib.sha256(body.encode("utf-8")).hexdigest() != entry.article.body_sha256
    ):
        raise AnnotateError(
            f"{entry.article.where}: the article would not read back unchanged from {path.name}; "
            "please report this with the source file"
        )


def write_import(
    plan: ImportPlan, progress: Callable[[int], None] | None = None, fsync: bool = True
) -> list[Path]:
    """Write the plan's new articles into the corpus, all or nothing; returns the files written.

    Each file goes to a staging folder inside the corpus (hidden, so the corpus
    never lists it); when every file is staged they are flushed to disk and only
    then renamed into place. A failure removes what was staged or moved, leaving the
    corpus as it was.
    """
    entries = plan.new
    if not entries:
        return []
    corpus = plan.corpus
    try:
        corpus.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AnnotateError(f"{corpus}: cannot create the corpus folder ({error.strerror})") from None
    with _import_lock(corpus):
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=corpus))
        moved: list[Path] = []
        try:
            staged: list[tuple[Path, Path]] = []
            for entry in entries:
                relative = Path(f"{entry.article_id}.md")
                target = corpus / relative
                text = render_article(entry.article)
                check_round_trip(entry, text, target)
                staged_path = staging / relative
                staged_path.parent.mkdir(parents=True, exist_ok=True)
                with staged_path.open("w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
                    if fsync and not hasattr(os, "sync"):
                        handle.flush()
                        os.fsync(handle.fileno())
                staged.append((staged_path, target))
                if progress is not None:
                    progress(1)
            if fsync and hasattr(os, "sync"):
                # One flush of everything staged instead of one fsync per file
                # (10,000 fsyncs cost more than the rest of the import): every
                # file is on disk before any is renamed into the corpus.
                os.sync()
            for staged_path, target in staged:
                if target.exists():
                    raise AnnotateError(
                        f"{target}: appeared while importing (another import running?); nothing was imported"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_path, target)
                moved.append(target)
            for folder in {target.parent for _, target in staged}:
                fsync_folder(folder)
        except BaseException as error:
            for target in moved:
                target.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(error, OSError):
                raise AnnotateError(
                    f"{corpus}: cannot write the imported articles ({error.strerror or error}); "
                    "nothing was imported. Free space or fix the folder, then retry"
                ) from None
            raise
        shutil.rmtree(staging, ignore_errors=True)
    return [target for _, target in staged]


class _import_lock:
    """An exclusive lock on the corpus for the length of one import."""

    def __init__(self, corpus: Path) -> None:
        self.path = corpus / ".import.lock"
        self.handle: Any = None

    def __enter__(self) -> None:
        self.handle = self.path.open("a")
        if fcntl is not None:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self.handle.close()
                raise AnnotateError(
                    f"{self.path.parent}: another import into this corpus is running; wait for it to finish"
                ) from None

    def __exit__(self, *_: object) -> None:
        self.handle.close()


# -- reporting ----------------------------------------------------------------


def _quote(text: str, limit: int = 100) -> str:
    line = printable(" ".join(text.split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe_entry(entry: PlannedArticle) -> Iterator[str]:
    """What `--dry-run` prints for one article: title, paragraphs, what was removed."""
    article = entry.article
    fate = "new" if entry.status == "new" else f"no change: {entry.note}"
    target = f"{entry.article_id}.md" if entry.status == "new" else entry.article_id
    yield f"{printable(article.where)} -> {printable(target)} ({fate})"
    yield f"  title: {_quote(article.title)}"
    facts = [f"{len(article.paragraphs)} paragraphs"]
    for key in ("author", "outlet", "date"):
        if article.meta.get(key):
            facts.append(f"{key}: {_quote(str(article.meta[key]), 60)}")
    if article.encoding:
        facts.append(f"decoded as {article.encoding}")
    yield "  " + " · ".join(facts)
    if entry.note and entry.status == "new":
        yield f"  note: {printable(entry.note)}"
    for line in article.header:
        yield f"  metadata line: {_quote(line)}"
    for line in article.dropped:
        yield f"  dropped: {_quote(line)}"


def describe_notes(plan: ImportPlan, listed: int = 10) -> Iterator[str]:
    """The lines a real import prints: renames, detected encodings, articles already present.

    Articles already present are listed one by one up to `listed`; past that a
    re-import would bury the renames, so they are counted instead.
    """
    present = sum(1 for entry in plan.entries if entry.status == "present")
    if present > listed:
        yield f"{present} articles are already in the corpus and were skipped (--dry-run lists them)"
    for entry in plan.entries:
        if entry.status == "present" and present <= listed:
            yield f"{printable(entry.article.where)}: skipped, {entry.note} (as {entry.article_id!r})"
        elif entry.status == "new" and entry.note:
            yield f"{printable(entry.article.where)}: {printable(entry.note)}"
        if entry.status == "new" and entry.article.encoding:
            yield f"{printable(entry.article.where)}: decoded as {entry.article.encoding} (detected)"
