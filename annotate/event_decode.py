"""Decoding event files fast: the DESIGN 4.3 contract as msgspec types, checked in C.

`store.check_event` stays the definition of a valid event and `store.line_problem`
the wording of every problem; this module only makes the common case (a chunk of
well-formed lines) a split and one msgspec call a line. A hypothesis test holds the two to
the same events and the same bad lines (tests/test_hostile.py), with one
known difference: msgspec skips the value of a field it does not know without
checking it, so a line whose only fault is there (invalid UTF-8, a number too
large for a float) is read, where orjson refuses the whole line. Fields the
type does not name are dropped from the dicts `read_events` returns (DESIGN:
"readers that do not know them can ignore them"), except on the rare lines the
slow path keeps whole.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Generic, Literal, NotRequired, TypedDict, TypeVar

import msgspec
import orjson

from annotate.store import Event, LineProblem, ReadResult, line_problem

T = TypeVar("T")

# Within orjson's integer range, so every writer (orjson) can write back what
# was read; orjson reads larger numbers as floats, which check_event refuses.
# (msgspec bounds stop at int64: a line with 2**63..2**64-1 takes the slow path.)
Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class _EventShape(TypedDict):
    """DESIGN 4.3 as a type, so msgspec checks whole files of events in C.

    Exactly as strict as `check_event`, which stays the reference and gives the
    messages; `start <= end` is checked after decoding. The optional fields this
    tool writes are listed so they are kept; msgspec drops fields a TypedDict does
    not name, which DESIGN allows ("readers that do not know them can ignore them").
    """

    v: Literal[1]
    id: str
    ts: str
    annotator: str
    article_id: str
    article_sha256: str
    paragraph: Int
    start: Offset
    end: Offset
    text: str
    op: Literal["label", "clear"]
    schema: str
    label: NotRequired[str | None]
    source: NotRequired[str | None]
    note: NotRequired[str | None]
    # The optional fields this tool writes, with the shapes it writes. A value of
    # another shape (or nested past msgspec's depth limit) sends its line to the
    # slow path, where check_event, which does not look at these, decides.
    segment: NotRequired[str]
    action: NotRequired[str]
    undoes: NotRequired[str]
    suggested: NotRequired[dict[str, str | bool | None]]
    adjudicated: NotRequired[bool]
    votes: NotRequired[dict[str, str | None]]
    imported: NotRequired[str]


_DECODER: msgspec.json.Decoder[Event] = msgspec.json.Decoder(_EventShape)


class EventRecord(msgspec.Struct, kw_only=True, gc=False):
    """The same contract as `_EventShape` (a test keeps the two equal), as attributes.

    For readers that fold a million events into their own structures and keep
    none of the events: a struct is cheaper to make than a dict. `gc=False`:
    decoded JSON holds no reference cycles. A missing label, source or note is
    None, as `event.get(...)` gives it; the other optional fields left out of a
    line are UNSET (falsy).
    """

    v: Literal[1]
    id: str
    ts: str
    annotator: str
    article_id: str
    article_sha256: str
    paragraph: Int
    start: Offset
    end: Offset
    text: str
    op: Literal["label", "clear"]
    schema: str
    label: str | None = None
    source: str | None = None
    note: str | None = None
    segment: str | msgspec.UnsetType = msgspec.UNSET
    action: str | msgspec.UnsetType = msgspec.UNSET
    undoes: str | msgspec.UnsetType = msgspec.UNSET
    suggested: dict[str, str | bool | None] | msgspec.UnsetType = msgspec.UNSET
    adjudicated: bool | msgspec.UnsetType = msgspec.UNSET
    votes: dict[str, str | None] | msgspec.UnsetType = msgspec.UNSET
    imported: str | msgspec.UnsetType = msgspec.UNSET

    def asdict(self) -> Event:
        """The event as a dict (without the UNSET fields), as event readers take it."""
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]


RECORD_DECODER: msgspec.json.Decoder[EventRecord] = msgspec.json.Decoder(EventRecord)


def record_from_line(line: bytes) -> EventRecord:
    """The EventRecord of a line `check_event` accepts but the decoder refused.

    The contract's fields as they are (no check: check_event has made them);
    of the optional fields, the ones the loaders act on, as they act on them:
    `segment` when it is text, `adjudicated` when it is true.
    """
    event = orjson.loads(line)
    segment = event.get("segment")
    return EventRecord(
        v=event["v"],
        id=event["id"],
        ts=event["ts"],
        annotator=event["annotator"],
        article_id=event["article_id"],
        article_sha256=event["article_sha256"],
        paragraph=event["paragraph"],
        start=event["start"],
        end=event["end"],
        text=event["text"],
        op=event["op"],
        schema=event["schema"],
        label=event.get("label"),
        source=event.get("source"),
        note=event.get("note"),
        segment=segment if isinstance(segment, str) else msgspec.UNSET,
        adjudicated=True if event.get("adjudicated") else msgspec.UNSET,
    )


def record_ordered(record: EventRecord) -> bool:
    """The check the type cannot make: the span's start is not after its end."""
    return record.start <= record.end


# Decoded in chunks of about this many bytes: small enough to stay in the CPU
# cache from the split into lines to the decode, and one bad line sends only
# its chunk down the slow path.
CHUNK_BYTES = 1 << 16
# What msgspec raises on a line it cannot decode as the type asked for:
# DecodeError and ValidationError are ValueErrors, and so is the
# UnicodeDecodeError of invalid UTF-8 in a string; RecursionError is nesting
# deeper than its limit (orjson's limit is another).
DECODE_ERRORS = (ValueError, RecursionError)


@dataclass
class Batch(Generic[T]):
    """Consecutive valid lines of an event file, decoded: `values[i]` is line `first + i`."""

    first: int
    values: list[T]


def decode_batches(
    handle: IO[bytes],
    decoder: msgspec.json.Decoder[T],
    ordered: Callable[[T], bool],
    path: Path,
    problems: list[LineProblem],
    accept: Callable[[bytes], T],
    first: int = 1,
    stop: int | None = None,
) -> Iterator[Batch[T]]:
    """Decode an event file with `decoder` (a DESIGN 4.3 type), in batches of valid lines.

    Bad lines go to `problems`, with the wording of `line_problem`, so every
    reader reports a file the same way. `ordered` checks what the type cannot
    (`start <= end`). The common case, a chunk of well-formed lines, is decoded
    in one pass; a chunk with any bad line is decoded again, line by line, to
    say which. A line `check_event` accepts but the decoder refuses (a repeated
    key, an optional field of another shape than this tool writes, nesting
    deeper than msgspec's limit, an integer past int64) is kept all the same,
    as `accept(line)` makes it: check_event decides. Bytes after the last
    newline are a torn line (a crash mid-write) or, rarely, a final event whose
    newline was never written. The file is read a chunk at a time (never whole).

    A part of a file: `handle` placed at a line start, `first` the number of
    that line, and `stop` (a line start, or None for the end of the file)
    where to stop reading.
    """
    pending = b""
    number = first

    def left() -> int:
        return -1 if stop is None else max(0, stop - handle.tell())

    while block := handle.read(CHUNK_BYTES if stop is None else min(CHUNK_BYTES, left())):
        data = pending + block if pending else block
        end = data.rfind(b"\n") + 1
        if not end:
            data += handle.readline(left())  # a line longer than a chunk: read to its end
            end = data.rfind(b"\n") + 1
            if not end:
                pending = data  # the end of the file, without a newline
                continue
        values = _decode_chunk(data, end, decoder, ordered)
        if values is None:
            yield from _decode_each(io.BytesIO(data[:end]), number, decoder, ordered, path, problems, accept)
            number += data.count(b"\n", 0, end)
        else:
            yield Batch(number, values)
            number += len(values)
        pending = data[end:]
    if pending.strip():
        yield from _decode_each([pending], number, decoder, ordered, path, problems, accept)


def _decode_chunk(
    data: bytes, end: int, decoder: msgspec.json.Decoder[T], ordered: Callable[[T], bool]
) -> list[T] | None:
    """Every value of the complete lines `data[:end]`, one per line, if all are valid, else None.

    Each line is decoded on its own: msgspec's `decode_lines` reads a stream of
    values, not lines (a value may span lines, or two share one), and checking
    the line shape around it took two scans of the bytes, 40% of the decode.
    `decode` refuses anything after the one value of a line.
    """
    try:
        values = list(map(decoder.decode, data[: end - 1].split(b"\n")))
    except DECODE_ERRORS:
        return None
    if not all(map(ordered, values)):
        return None
    return values


def _decode_each(
    lines: Iterable[bytes],
    first: int,
    decoder: msgspec.json.Decoder[T],
    ordered: Callable[[T], bool],
    path: Path,
    problems: list[LineProblem],
    accept: Callable[[bytes], T],
) -> Iterator[Batch[T]]:
    """The slow path: line by line, yielding each run of valid lines as a batch."""
    decode = decoder.decode
    run: list[T] = []
    run_first = first
    for number, line in enumerate(lines, first):
        try:
            value = decode(line)
        except DECODE_ERRORS:
            pass
        else:
            if ordered(value):
                if not run:
                    run_first = number
                run.append(value)
                continue
        if run:
            yield Batch(run_first, run)
            run = []
        problem = line_problem(line, path, number)
        if problem is not None:
            problems.append(problem)
        elif line.strip():
            yield Batch(number, [accept(line)])
    if run:
        yield Batch(run_first, run)


def _event_ordered(event: Event) -> bool:
    return event["start"] <= event["end"]  # type: ignore[no-any-return]


def parse_events(handle: IO[bytes], path: Path, result: ReadResult) -> None:
    """Parse an event file into `result`, recording bad lines instead of raising."""
    events = result.events
    for batch in decode_batches(handle, _DECODER, _event_ordered, path, result.problems, orjson.loads):
        events.extend(batch.values)
