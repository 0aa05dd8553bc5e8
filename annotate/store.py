"""Annotation events (DESIGN 4.3): append-only JSONL per annotator, read and fold.

The store's interface is small on purpose (`EventLog.append`, `read_events`,
`EventLog.lock`) so that another backend can stand behind it later.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from annotate.errors import AnnotateError

try:  # POSIX only; elsewhere the lock is advisory by convention.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1
ANNOTATOR_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
REQUIRED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "v": int,
    "id": str,
    "ts": str,
    "annotator": str,
    "article_id": str,
    "article_sha256": str,
    "paragraph": int,
    "start": int,
    "end": int,
    "text": str,
    "op": str,
    "schema": str,
}
OPS = ("label", "clear")

Event = dict[str, Any]
SpanKey = tuple[str, int, int]


def validate_annotator(name: str) -> str:
    """Return `name` if it is a valid annotator name, else raise AnnotateError.

    Names become file names, so anything else is refused, never rewritten.
    """
    if not ANNOTATOR_NAME.fullmatch(name):
        raise AnnotateError(
            f"annotator name {name!r} is not allowed: use 1-64 of a-z, 0-9, '.', '_', '-', "
            "starting with a letter or digit (give --annotator or set ANNOTATE_ANNOTATOR)"
        )
    return name


def utc_timestamp() -> str:
    """The current UTC time as ISO 8601 with milliseconds and `Z`."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_event_id() -> str:
    """A unique event id."""
    return uuid.uuid4().hex


def span_key(event: Event) -> SpanKey:
    """The identity of the span an event is about."""
    return (event["article_id"], event["start"], event["end"])


@dataclass(frozen=True)
class LineProblem:
    """A line of an event file that could not be used."""

    path: Path
    line: int
    message: str
    torn: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ReadResult:
    """Events read from one or more files, and the lines that were skipped."""

    events: list[Event] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[LineProblem]:
        """Problems other than torn lines (which a crash explains)."""
        return [problem for problem in self.problems if not problem.torn]


def check_event(record: Any) -> str | None:
    """Why `record` is not a valid event, or None when it is."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for name, kind in REQUIRED_FIELDS.items():
        value = record.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"field {name!r} is missing or not a {getattr(kind, '__name__', kind)}"
    if record["op"] not in OPS:
        return f"op {record['op']!r} is not 'label' or 'clear'"
    if not 0 <= record["start"] <= record["end"]:
        return "start and end do not form a span"
    for name in ("label", "source", "note"):
        if record.get(name) is not None and not isinstance(record[name], str):
            return f"field {name!r} must be text or null"
    return None


def line_problem(line: bytes, path: Path, number: int) -> LineProblem | None:
    """What is wrong with one line of an event file: None for a valid event or a blank line.

    The slow path of every reader: torn lines (a crash mid-write), malformed JSON
    and invalid events get the same wording wherever they are found.
    """
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        if not line.strip():
            return None
        # A crash mid-write leaves a prefix of a valid line: without its
        # newline the parser runs out of data. Anything else is malformed.
        torn = not line.endswith(b"\n") or _truncated(line)
        # orjson says "str is not valid UTF-8: surrogates not allowed" of any bytes
        # that are not UTF-8, surrogates or not: say what a user can look for.
        what = "bytes that are not UTF-8 text" if "not valid UTF-8" in error.msg else error.msg
        message = "torn line (an interrupted write), skipped" if torn else f"malformed JSON ({what})"
        return LineProblem(path, number, message, torn)
    reason = check_event(record)
    if reason is None and record["v"] != FORMAT_VERSION:
        reason = f"record version {record['v']} is not supported (this tool reads {FORMAT_VERSION})"
    return LineProblem(path, number, f"invalid event: {reason}") if reason else None


def _truncated(line: bytes) -> bool:
    try:
        orjson.loads(line.rstrip(b"\r\n"))
    except orjson.JSONDecodeError as error:
        return "unexpected end of data" in error.msg
    return False


def read_events(path: Path, result: ReadResult | None = None) -> ReadResult:
    """Read one event file, skipping and reporting torn and malformed lines."""
    result = result if result is not None else ReadResult()
    try:
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size:
                # Imported here: msgspec and the event types cost ~5 ms, which
                # opening a new annotator's first article need not pay.
                from annotate.event_decode import parse_events

                parse_events(handle, path, result)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise AnnotateError(f"{path}: is a folder, expected an annotation file") from None
    except OSError as error:
        raise AnnotateError(f"{path}: cannot read ({error.strerror}); check permissions") from None
    return result


def event_files(paths: Iterable[Path]) -> list[Path]:
    """The `.jsonl` files named by files and folders (folders not recursed into `gold/`)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.jsonl") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise AnnotateError(f"{path}: no such annotation file or folder; check the path")
    return files


def fold_events(events: Iterable[Event]) -> dict[SpanKey, Event]:
    """The current state: the last event per (article_id, start, end); `clear` removes."""
    state: dict[SpanKey, Event] = {}
    for event in events:
        key = (event["article_id"], event["start"], event["end"])
        if event["op"] == "clear":
            state.pop(key, None)
        else:
            state[key] = event
    return state


def encode_event(event: Event) -> bytes:
    """One event as a JSONL line."""
    return orjson.dumps(event) + b"\n"


class LockHeld(AnnotateError):
    """Another session holds the annotator's file."""


def fsync_folder(folder: Path) -> None:
    """Make a new or renamed file's directory entry in `folder` durable, not just its bytes."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class EventLog:
    """One annotator's append-only event file, opened for writing under a lock.

    The lock (an exclusive `flock` on the file itself) is released by the
    kernel when the process dies, so a crash never leaves a stale lock behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None
        self._needs_newline = False

    def open(self) -> None:
        """Create the folder and file if needed and take the exclusive lock."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("ab", buffering=0)
        except OSError as error:
            raise AnnotateError(
                f"{self.path}: cannot open the annotation file for writing ({error.strerror}); "
                "check the folder given by --annotations"
            ) from None
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                handle.close()
                if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise LockHeld(
                        f"{self.path}: another annotate session is already writing this annotator's file; "
                        "close it first, or use a different --annotator"
                    ) from None
                raise
        self._handle = handle
        self._needs_newline = self._ends_torn()
        self._fsync_folder()

    def _ends_torn(self) -> bool:
        size = self.path.stat().st_size
        if not size:
            return False
        with self.path.open("rb") as reader:
            reader.seek(size - 1)
            return reader.read(1) != b"\n"

    def _fsync_folder(self) -> None:
        fsync_folder(self.path.parent)

    def close(self) -> None:
        """Release the lock and close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> EventLog:
        self.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def read(self) -> ReadResult:
        """All events in the file, with problems reported."""
        return read_events(self.path)

    def append(self, events: list[Event]) -> None:
        """Write events, flush and fsync; return only once they are on disk.

        All of them or none: raises OSError when the write fails (disk full,
        read-only folder), after cutting the file back to where it was, so
        that no part of the batch is left to be read as saved; the caller must
        then not show the events as saved.
        """
        if self._handle is None:
            raise RuntimeError("EventLog.append before open()")
        payload = b"".join(encode_event(event) for event in events)
        torn = self._needs_newline
        if torn:
            # After a torn last line, start on a fresh line so the new event
            # is never glued to the broken one.
            payload = b"\n" + payload
        fd = self._handle.fileno()
        start = self.end()
        # Unbuffered writes: a failed write must not linger in a buffer and
        # reach the disk later, glued to the next event.
        self._needs_newline = True
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError:
            if self.truncate(start):
                self._needs_newline = torn
            raise
        self._needs_newline = False

    def end(self) -> int:
        """The size of the file: where the next append starts."""
        if self._handle is None:
            raise RuntimeError("EventLog.end before open()")
        return os.fstat(self._handle.fileno()).st_size

    def truncate(self, size: int) -> bool:
        """Cut the file back to `size` bytes (undoing appends since then), durably; False if it could not be.

        If it cannot (the disk is failing), what was written stays: at worst a
        torn last line, which every reader skips, and the next append starts on
        a fresh line.
        """
        if self._handle is None:
            raise RuntimeError("EventLog.truncate before open()")
        fd = self._handle.fileno()
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError:
            return False
        return True


def log_path(folder: Path, annotator: str) -> Path:
    """Where an annotator's events live."""
    return folder / f"{validate_annotator(annotator)}.jsonl"


def iter_article_events(events: Iterable[Event], article_id: str) -> Iterator[Event]:
    """The events about one article, in log order."""
    return (event for event in events if event["article_id"] == article_id)


def numbered_events(path: Path, result: ReadResult) -> Iterator[tuple[int, Event]]:
    """Each event `read_events(path)` kept, with its line number (for reports).

    Events do not carry their line, so it is recovered from the lines that were
    skipped (problems) and the blank ones.
    """
    skipped = {problem.line for problem in result.problems}
    number = 0
    with path.open("rb") as handle:
        blank = {i for i, line in enumerate(handle, 1) if not line.strip()}
    for event in result.events:
        number += 1
        while number in skipped or number in blank:
            number += 1
        yield number, event
