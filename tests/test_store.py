"""The event log: fsynced appends, the lock, torn lines, names, the fold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from annotate.errors import AnnotateError
from annotate.store import Event, EventLog, fold_events, log_path, read_events, validate_annotator
from tests.conftest import read_jsonl


def event(start: int, end: int, op: str = "label", label: str | None = "confirmed", **extra: object) -> Event:
    record: Event = {
        "v": 1,
        "id": f"e{start}-{end}-{label}",
        "ts": "2026-01-01T00:00:00.000Z",
        "annotator": "alice",
        "article_id": "a",
        "article_sha256": "0" * 64,
        "paragraph": 0,
        "start": start,
        "end": end,
        "text": "x" * (end - start),
        "op": op,
        "label": label if op == "label" else None,
        "source": None,
        "note": None,
        "schema": "credibility/1",
    }
    record.update(extra)
    return record


def test_fold_last_event_wins_and_clear_removes() -> None:
    state = fold_events(
        [
            event(0, 5),
            event(0, 5, label="disputed"),
            event(6, 9),
            event(6, 9, op="clear"),
            event(10, 12),
        ]
    )
    assert {key: value["label"] for key, value in state.items()} == {
        ("a", 0, 5): "disputed",
        ("a", 10, 12): "confirmed",
    }


def test_append_writes_one_line_per_event_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "alice.jsonl"
    with EventLog(path) as log:
        log.append([event(0, 5)])
        log.append([event(6, 9), event(10, 12)])
    assert [e["start"] for e in read_jsonl(path)] == [0, 6, 10]
    assert path.read_bytes().endswith(b"\n")


def test_torn_last_line_is_reported_skipped_and_next_append_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "alice.jsonl"
    with EventLog(path) as log:
        log.append([event(0, 5)])
    with path.open("ab") as handle:
        handle.write(b'{"v":1,"id":"torn","ts":"2026')
    result = read_events(path)
    assert [e["start"] for e in result.events] == [0]
    assert len(result.problems) == 1 and result.problems[0].torn and result.problems[0].line == 2
    with EventLog(path) as log:
        log.append([event(6, 9)])
    result = read_events(path)
    assert [e["start"] for e in result.events] == [0, 6]
    assert [p.line for p in result.problems] == [2]
    assert not result.errors


def test_malformed_and_invalid_lines_are_errors_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "alice.jsonl"
    path.write_bytes(b'{"v":1,}\n[1,2]\n' + b"\n")
    result = read_events(path)
    assert [(p.line, p.torn) for p in result.problems] == [(1, False), (2, False)]
    assert "malformed JSON" in result.problems[0].message
    assert "not a JSON object" in result.problems[1].message


def test_second_session_on_the_same_annotator_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alice.jsonl"
    with EventLog(path):
        with pytest.raises(AnnotateError, match="another annotate session"):
            EventLog(path).open()
        # Also from another process, as a second terminal would.
        code = (
            "import sys; from pathlib import Path; from annotate.store import EventLog\n"
            "from annotate.errors import AnnotateError\n"
            f"try:\n    EventLog(Path({str(path)!r})).open()\nexcept AnnotateError:\n    sys.exit(3)\n"
        )
        assert subprocess.run([sys.executable, "-c", code]).returncode == 3
    with EventLog(path):  # released on close
        pass


@pytest.mark.parametrize("name", ["Alice", "", "a b", "../x", "-x", "a" * 65, "ali/ce", "é"])
def test_bad_annotator_names_are_refused_not_rewritten(name: str, tmp_path: Path) -> None:
    with pytest.raises(AnnotateError, match="not allowed"):
        validate_annotator(name)
    with pytest.raises(AnnotateError):
        log_path(tmp_path, name)


@pytest.mark.parametrize("name", ["alice", "a", "bob.smith", "x_1-2", "0day"])
def test_good_annotator_names(name: str) -> None:
    assert validate_annotator(name) == name


def test_failed_write_raises_and_leaves_a_readable_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    path = tmp_path / "alice.jsonl"
    with EventLog(path) as log:
        log.append([event(0, 5)])
        real_write = os.write

        def full_disk(fd: int, data: bytes) -> int:
            real_write(fd, bytes(data[:7]))  # a partial write, then the disk is full
            raise OSError(28, "No space left on device")

        before = path.read_bytes()
        monkeypatch.setattr(os, "write", full_disk)
        with pytest.raises(OSError):
            log.append([event(6, 9), event(10, 11)])
        # All or nothing: the part written is cut off again.
        assert path.read_bytes() == before
        monkeypatch.setattr(os, "write", real_write)
        log.append([event(10, 12)])
    result = read_events(path)
    assert [e["start"] for e in result.events] == [0, 10] and not result.problems


def test_a_failed_fsync_leaves_the_events_off_the_disk_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The screen says "not saved": the bytes that did reach the file must not be read as saved later.
    import os

    path = tmp_path / "alice.jsonl"
    with EventLog(path) as log:
        log.append([event(0, 5)])
        before = path.read_bytes()
        real_fsync = os.fsync

        def failing(fd: int) -> None:
            monkeypatch.setattr(os, "fsync", real_fsync)  # only this once: the cut-back can be made durable
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fsync", failing)
        with pytest.raises(OSError):
            log.append([event(6, 9)])
        assert path.read_bytes() == before
        log.append([event(10, 12)])
    assert [e["start"] for e in read_events(path).events] == [0, 10]


def test_the_dict_and_struct_forms_of_the_event_contract_agree() -> None:
    # read_events decodes into dicts, load_units into structs: one contract, two
    # declarations, which must name the same fields with the same types and the
    # same required ones (a missing label, source or note reads as None in both).
    import msgspec.inspect

    from annotate.event_decode import EventRecord, _EventShape

    def fields(kind: object) -> dict[str, tuple[object, bool]]:
        info = msgspec.inspect.type_info(kind)
        return {field.name: (field.type, field.required) for field in info.fields}  # type: ignore[attr-defined]

    assert fields(_EventShape) == fields(EventRecord)
