"""Articles: load, normalise and identify them (DESIGN sections 3 and 4.1)."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from annotate import safeyaml
from annotate.errors import AnnotateError

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")

# Whole paragraphs that scraped pages carry around the article but that are not
# part of it. Matched case-insensitively against a short paragraph.
BOILERPLATE = re.compile(
    r"^(post comments?|comments?( \(\d+\))?|leave a comment|share( this( article| story)?)?"
    r"|advertisement|advertising|sponsored|read more|related( articles| stories)?"
    r"|subscribe( now)?|sign up for our newsletter.*|click here to subscribe.*"
    r"|(this (site|website) uses|we use) cookies.*|accept( all)? cookies|cookie (settings|policy))"
    r"[.!:]?$",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^(?:by|written by|author)\s*[:\-]?\s+(?P<name>\S.{0,120})$", re.IGNORECASE)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    re.compile(
        _WEEKDAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[a-z]{3,9})\.?,?\s+(?P<y>\d{4})\b",
        re.I,
    ),
    re.compile(
        _WEEKDAY + r"(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})\b",
        re.I,
    ),
]
_TITLE_MAX = 200
# A paragraph this long is not a news paragraph but a file without blank lines
# (or a hostile one); segmenting it would take seconds, so it is refused.
MAX_PARAGRAPH = 100_000
_HEADER_LINES_MAX = 6


@dataclass(frozen=True)
class Article:
    """One article: its metadata and its normalised body.

    `body` is the paragraphs joined by exactly two newlines; every offset in the
    project indexes it (DESIGN section 3).
    """

    article_id: str
    path: Path
    paragraphs: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    body: str = field(init=False)
    sha256: str = field(init=False)
    paragraph_starts: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        body = "\n\n".join(self.paragraphs)
        starts: list[int] = []
        pos = 0
        for paragraph in self.paragraphs:
            starts.append(pos)
            pos += len(paragraph) + 2
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "sha256", hashlib.sha256(body.encode("utf-8")).hexdigest())
        object.__setattr__(self, "paragraph_starts", tuple(starts))

    @property
    def title(self) -> str:
        """The title, or the article id when the file has none."""
        return str(self.meta.get("title") or self.article_id)

    def meta_text(self, key: str) -> str:
        """A metadata value as text, empty when absent."""
        value = self.meta.get(key)
        return "" if value is None else str(value)

    def paragraph_of(self, offset: int) -> int:
        """The 0-based index of the paragraph holding body offset `offset`."""
        return max(0, bisect.bisect_right(self.paragraph_starts, offset) - 1)

    def paragraph_span(self, index: int) -> tuple[int, int]:
        """The body span of paragraph `index`."""
        start = self.paragraph_starts[index]
        return start, start + len(self.paragraphs[index])

    def holds(self, event: Mapping[str, Any]) -> bool:
        """Whether an annotation event was made on this body: its hash, and its text at its span."""
        text = self.body[event["start"] : event["end"]]
        return bool(self.sha256 == event["article_sha256"] and text == event["text"])


def _resolved(folder: Path) -> Path:
    # Cached by where the folder is, not by how it was named: a relative name
    # means another folder once the working directory changes.
    return _resolved_absolute(folder.absolute())


@lru_cache(maxsize=1024)
def _resolved_absolute(folder: Path) -> Path:
    # Folders are resolved once, not once per article (10,000 realpath walks).
    return folder.resolve()


def _resolved_path(path: Path) -> Path:
    # path.resolve() walks every component (a realpath per article). For a file
    # that is not itself a link, resolving its folder (once per folder) and
    # adding the name gives the same path.
    if path.name in ("", ".", "..") or path.is_symlink():
        return path.resolve()
    return _resolved(path.parent) / path.name


def article_id_for(path: Path, root: Path) -> str:
    """The article id: the path relative to the corpus root, without extension."""
    try:
        relative = _resolved_path(path).relative_to(_resolved(root))
    except ValueError:
        relative = Path(path.name)
    return relative.with_suffix("").as_posix()


def decode_article_bytes(data: bytes, where: str) -> str:
    """Decode article bytes as UTF-8, refusing binary and other encodings."""
    if b"\x00" in data[:65536]:
        raise AnnotateError(
            f"{where}: looks like a binary file, not an article; give a UTF-8 text or Markdown file"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AnnotateError(
            f"{where}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "convert the file to UTF-8"
        ) from None


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any] | None, str]:
    """YAML front matter (None when the text has none) and the text after it."""
    if not text.startswith("---\n"):
        return None, text
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        raise AnnotateError(
            f"{where}:1: front matter opened with '---' is never closed; add a closing '---' line"
        )
    raw = text[4 : 4 + end.start()]
    rest = text[4 + end.end() :]
    try:
        meta = safeyaml.load(raw) if raw.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 2}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise AnnotateError(
            f"{where}{line}: invalid YAML front matter ({problem}); fix the front matter"
        ) from None
    if not isinstance(meta, dict):
        raise AnnotateError(f"{where}:2: front matter must be a mapping of keys to values")
    clean: dict[str, Any] = {}
    for key, value in meta.items():
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        clean[str(key)] = value
    return clean, rest


def split_paragraphs(text: str) -> list[str]:
    """Split text on blank lines into NFC-normalised, stripped paragraphs."""
    text = unicodedata.normalize("NFC", text)
    blocks = re.split(r"\n[ \t\f\v\u00a0]*\n", text)
    paragraphs = []
    for block in blocks:
        lines = [line.rstrip() for line in block.split("\n")]
        paragraph = "\n".join(lines).strip()
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs


def parse_date(line: str) -> str | None:
    """An ISO 8601 date from the start of a date line, or None."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(line.strip())
        if not match:
            continue
        parts = match.groupdict()
        month = int(parts["m"]) if parts.get("m") else _MONTHS.get(parts["mon"].lower().rstrip("."))
        if month is None:
            continue
        try:
            return dt.date(int(parts["y"]), month, int(parts["d"])).isoformat()
        except ValueError:
            continue
    return None


def _looks_like_title(line: str) -> bool:
    return 0 < len(line) <= _TITLE_MAX and not line.endswith((".", ",", ";", ":")) and "\n" not in line


def extract_plain_metadata(paragraphs: list[str]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Find title, byline and date lines at the top of a scraped plain-text article.

    Returns the metadata, the remaining paragraphs and the dropped lines.
    """
    meta: dict[str, Any] = {}
    dropped: list[str] = []
    lines: list[str] = []
    consumed_blocks = 0
    # Header lines sit in the first few blocks; stop at the first line that is
    # none of title, byline or date, and keep everything from there on.
    for block in paragraphs[:3]:
        block_lines = block.split("\n")
        taken = 0
        for line in block_lines:
            stripped = line.strip()
            if "title" not in meta and not lines and not dropped and consumed_blocks == 0 and taken == 0:
                heading = stripped.lstrip("#").strip() if stripped.startswith("#") else stripped
                if _looks_like_title(heading) and (stripped.startswith("#") or len(paragraphs) > 1):
                    meta["title"] = heading
                    dropped.append(line)
                    taken += 1
                    continue
            byline = BYLINE.match(stripped)
            if byline and "author" not in meta and "title" in meta:
                meta["author"] = byline.group("name").strip()
                dropped.append(line)
                taken += 1
                continue
            date = parse_date(stripped) if "title" in meta and len(stripped) <= _TITLE_MAX else None
            if date and "date" not in meta:
                meta["date"] = date
                if stripped != date:
                    meta["dateline"] = stripped
                dropped.append(line)
                taken += 1
                continue
            break
        if taken == len(block_lines) and taken <= _HEADER_LINES_MAX:
            consumed_blocks += 1
            continue
        if taken:
            # Part of this block was header; the rest is body.
            rest = "\n".join(block_lines[taken:]).strip()
            return meta, [rest, *paragraphs[consumed_blocks + 1 :]], dropped
        break
    return meta, paragraphs[consumed_blocks:], dropped


def drop_boilerplate(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Remove whole paragraphs that are page furniture, such as "Post Comments"."""
    kept: list[str] = []
    dropped: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= 120 and "\n" not in paragraph and BOILERPLATE.match(paragraph.strip()):
            dropped.append(paragraph)
        else:
            kept.append(paragraph)
    return kept, dropped


def parse_article(text: str, article_id: str, path: Path) -> Article:
    """Build an Article from decoded file text (front matter or plain-text heuristics)."""
    where = str(path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, rest = split_front_matter(text, where)
    paragraphs = split_paragraphs(rest)
    dropped: list[str] = []
    if meta is None:
        meta, paragraphs, dropped = extract_plain_metadata(paragraphs)
        paragraphs, furniture = drop_boilerplate(paragraphs)
        dropped.extend(furniture)
    if not paragraphs:
        raise AnnotateError(
            f"{where}: the article has no text to annotate; add paragraphs or remove the file"
        )
    for number, paragraph in enumerate(paragraphs, 1):
        if len(paragraph) > MAX_PARAGRAPH:
            raise AnnotateError(
                f"{where}: paragraph {number} is {len(paragraph):,} characters long (the limit is "
                f"{MAX_PARAGRAPH:,}); separate its paragraphs with blank lines"
            )
    return Article(article_id, path, tuple(paragraphs), meta, tuple(dropped))


def load_article(path: Path, root: Path | None = None, article_id: str | None = None) -> Article:
    """Read and parse one article file; `root` is the corpus folder for its id (or give `article_id`)."""
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnnotateError(f"{where}: no such file; check the path") from None
    except IsADirectoryError:
        raise AnnotateError(f"{where}: is a folder, expected an article file") from None
    except OSError as error:
        raise AnnotateError(f"{where}: cannot read ({error.strerror}); check permissions") from None
    if not data.strip():
        raise AnnotateError(f"{where}: the article is empty; add text or remove the file")
    text = decode_article_bytes(data, where)
    return parse_article(text, article_id or article_id_for(path, root or path.parent), path)


@dataclass(frozen=True)
class ArticleFile:
    """An article file found in the corpus, not yet read."""

    path: Path
    root: Path
    known_id: str | None = field(default=None, compare=False, repr=False)
    """The article id, where finding the file already gave it (`article_files`)."""

    @cached_property
    def article_id(self) -> str:
        """The article id this file will have (computed once: it resolves the path)."""
        return self.known_id if self.known_id is not None else article_id_for(self.path, self.root)

    def load(self) -> Article:
        """Read and parse the article."""
        return load_article(self.path, self.root, self.article_id)


class Corpus:
    """The article files of a corpus, read when first asked for (`articles`).

    Found (and their ids checked) at once, read later: `load_units` forks the
    children that read annotation files before it reads the articles, so the
    second core is busy while this one parses them.
    """

    def __init__(self, files: list[ArticleFile]) -> None:
        self.files = files

    @cached_property
    def articles(self) -> dict[str, Article]:
        """Every article, by id (read and parsed on first use)."""
        return {item.article_id: item.load() for item in self.files}

    @cached_property
    def size(self) -> int:
        """The bytes of every article file (0 for one that cannot be read: reading it says why)."""
        total = 0
        for item in self.files:
            with suppress(OSError):
                total += item.path.stat().st_size
        return total


def article_files(folder: Path) -> list[ArticleFile]:
    """The article files below `folder`, sorted, skipping hidden and `_` folders and README.md.

    Like `os.walk`, it prunes hidden folders instead of listing them (a .git or
    a staging folder can hold thousands of files), does not follow links to
    folders, and passes over folders it cannot list. One `scandir` per folder
    tells files from folders without a `stat` per file, and the id of a file
    that is not a link is its path below `folder` (no folder below it is a
    link): `article_id_for` resolves only links. For the benchmark's 2,000
    articles: 0.01 s, where a walk with a `Path` and its resolving per file
    took 0.05-0.07 s, before the fold's children could be started.
    """
    found: list[tuple[tuple[str, ...], Path, bool]] = []
    pending: list[tuple[Path, tuple[str, ...]]] = [(folder, ())]
    while pending:
        directory, parts = pending.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith((".", "_")):
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append((directory / name, (*parts, name)))
                            continue
                        lower = name.lower()
                        if lower == "readme.md" or os.path.splitext(lower)[1] not in ARTICLE_SUFFIXES:
                            continue
                        if entry.is_file():  # a link to a file counts, as with Path.is_file
                            found.append(((*parts, name), directory, entry.is_symlink()))
                    except OSError:
                        continue  # gone since it was listed, or cannot be looked at: passed over
        except OSError:
            continue  # a folder that cannot be listed (or is gone) is passed over, as os.walk does
    # Sorted as the paths are (part by part).
    found.sort()
    return [
        ArticleFile(
            directory / parts[-1],
            folder,
            None if link else "/".join((*parts[:-1], parts[-1][: parts[-1].rfind(".")])),
        )
        for parts, directory, link in found
    ]


def discover(paths: Iterable[Path]) -> list[ArticleFile]:
    """The article files named by files and folders, in a stable order.

    A folder contributes every `.md`, `.markdown` and `.txt` file below it, with
    the folder as the corpus root. Two files with the same article id are refused.
    """
    found: list[ArticleFile] = []
    for path in paths:
        if path.is_dir():
            found.extend(article_files(path))
        elif path.is_file():
            found.append(ArticleFile(path, path.parent))
        else:
            raise AnnotateError(f"{path}: no such file or folder; check the path")
    seen: dict[str, Path] = {}
    for item in found:
        other = seen.setdefault(item.article_id, item.path)
        if other != item.path:
            raise AnnotateError(
                f"{item.path}: duplicate article id {item.article_id!r} (also {other}); rename one of them"
            )
    if not found:
        raise AnnotateError(f"{', '.join(map(str, paths))}: no articles (.md, .txt) found")
    return found
