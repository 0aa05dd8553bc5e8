"""What reaches the disk, in what order: fsyncs before renames and before "saved".

A crash between a rename and the fsync of the bytes renamed can leave an empty
or partial file under the final name on some file systems; a new file whose
folder was not fsynced can vanish whole. A kill -9 test cannot show either (the
page cache survives a killed process), so these tests record the system calls.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotate.atomic import replace_file
from annotate.store import EventLog, log_path
from tests.test_export import labelled, project  # noqa: F401  (fixtures)
from tests.test_units import raw_event


class Calls:
    """os.fsync and os.replace as they happen: ("fsync", inode) and ("replace", source, target)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, ...]] = []
        fsync, replace = os.fsync, os.replace

        def spy_fsync(fd: int) -> None:
            self.seen.append(("fsync", str(os.fstat(fd).st_ino)))
            fsync(fd)

        def spy_replace(source: str | Path, target: str | Path) -> None:
            self.seen.append(("replace", str(os.stat(source).st_ino), str(target)))
            replace(source, target)

        monkeypatch.setattr(os, "fsync", spy_fsync)
        monkeypatch.setattr(os, "replace", spy_replace)

    def index(self, *call: str) -> int:
        return self.seen.index(call)


def inode(path: Path) -> str:
    return str(path.stat().st_ino)


def test_a_replaced_file_is_fsynced_before_the_rename_and_its_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "assignments.yaml"
    target.write_bytes(b"old")
    calls = Calls(monkeypatch)
    replace_file(target, b"new")
    [(_, renamed, to)] = [call for call in calls.seen if call[0] == "replace"]
    assert to == str(target) and target.read_bytes() == b"new"
    assert calls.index("fsync", renamed) < calls.index("replace", renamed, to)
    assert calls.index("replace", renamed, to) < calls.index("fsync", inode(tmp_path))


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "assignments.yaml"
    target.write_bytes(b"old")

    def full(source: str | Path, target_: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError):
        replace_file(target, b"new")
    assert target.read_bytes() == b"old" and [path.name for path in tmp_path.iterdir()] == [target.name]


def test_the_first_label_of_a_new_annotator_fsyncs_the_folder_before_returning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "annotations"
    calls = Calls(monkeypatch)
    with EventLog(log_path(folder, "alice")) as log:
        log.append([raw_event("alice", 0, 10)])
        # Both fsyncs happened before append returned, that is before the screen says "saved".
        assert ("fsync", inode(folder)) in calls.seen
        assert ("fsync", inode(log_path(folder, "alice"))) in calls.seen


def test_every_export_file_is_fsynced_before_it_is_renamed(
    labelled: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotate.cli import main

    out = labelled / "claims.jsonl"
    calls = Calls(monkeypatch)
    arguments = [
        "export",
        "--corpus",
        str(labelled / "corpus"),
        "--annotations",
        str(labelled / "annotations"),
    ]
    assert main([*arguments, "--out", str(out), "--split", "train=0.5,test=0.5"]) == 0
    renames = [call for call in calls.seen if call[0] == "replace"]
    assert {Path(call[2]).name for call in renames} == {
        "claims.train.jsonl",
        "claims.test.jsonl",
        "DATASET.md",
    }
    for _, renamed, to in renames:
        assert calls.index("fsync", renamed) < calls.index("replace", renamed, to), to
    assert calls.seen[-1] == ("fsync", inode(labelled))  # the folder, after the last rename


def test_an_export_that_fails_at_the_card_replaces_nothing(
    labelled: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The disk fills after the data is written, while the card is: the previous
    # export must stay whole (its data beside its own card), with no traceback.
    import errno

    from annotate.cli import main

    out = labelled / "claims.jsonl"
    arguments = [
        "export",
        "--corpus",
        str(labelled / "corpus"),
        "--annotations",
        str(labelled / "annotations"),
    ]
    assert main([*arguments, "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in labelled.iterdir() if path.is_file()}
    real = os.fsync

    def full_at_the_card(fd: int) -> None:
        if "DATASET.md" in os.readlink(f"/proc/self/fd/{fd}"):  # the card's partial file
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", full_at_the_card)
    capsys.readouterr()
    assert main([*arguments, "--out", str(out), "--force", "--include-ties"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "nothing was replaced" in err and "Traceback" not in err
    after = {path.name: path.read_bytes() for path in labelled.iterdir() if path.is_file()}
    assert after == before  # the old data and card, and no partial file left
