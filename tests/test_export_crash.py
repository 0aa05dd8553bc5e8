"""kill -9 an export mid-way: the previous output is intact and no partial file passes for output."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.export_corpus import generate

KILLS = int(os.environ.get("ANNOTATE_CRASH_KILLS", "6"))


def start_export(
    root: Path, out: Path, *more: str, program: tuple[str, ...] = ("-m", "annotate")
) -> subprocess.Popen[bytes]:
    arguments = [
        "--corpus",
        str(root / "corpus"),
        "--annotations",
        str(root / "annotations"),
        "--out",
        str(out),
    ]
    return subprocess.Popen(
        [sys.executable, *program, "export", *arguments, "--force", "--include-ties", *more],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_minus_9_mid_export_leaves_the_previous_output(tmp_path: Path) -> None:
    generate(tmp_path, articles=150, claims_per_article=80, annotators=3)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "claims.jsonl"
    first = start_export(tmp_path, out)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert set(before) == {"claims.jsonl", "DATASET.md"} and before["claims.jsonl"].count(b"\n") > 10000
    rng = random.Random(5)
    killed_while_writing = 0
    for _ in range(KILLS):
        child = start_export(tmp_path, out)
        # Wait until the new output is being written, then kill at a random moment.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            if any(path.name.endswith(".partial") for path in folder.iterdir()):
                killed_while_writing += 1
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait()
        now = {path.name: path for path in folder.iterdir()}
        # What a reader takes for output is untouched; leftovers are hidden partial files.
        visible = {name for name in now if not name.startswith(".")}
        assert visible == {"claims.jsonl", "DATASET.md"}
        assert now["claims.jsonl"].read_bytes() == before["claims.jsonl"]
        assert all(name.endswith(".partial") for name in set(now) - visible)
    assert killed_while_writing >= KILLS // 2
    # The next export cleans up what killed ones left and writes the same bytes.
    last = start_export(tmp_path, out)
    _, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


# `annotate export` with its size thresholds lowered, so that this small export forks children.
EXPORT_IN_CHILDREN = (
    "import sys, annotate.units, annotate.export; "
    "annotate.units.PARALLEL_BYTES = annotate.export.PARALLEL_RECORDS = 0; "
    "from annotate.cli import main; sys.exit(main(sys.argv[1:]))"
)


def start_export_in_children(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return start_export(root, out, "--jobs", "2", program=("-c", EXPORT_IN_CHILDREN))


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--jobs forks only on Linux")
def test_kill_minus_9_mid_export_with_jobs_ends_its_children_and_leaves_the_previous_output(
    tmp_path: Path,
) -> None:
    generate(tmp_path, articles=150, claims_per_article=80, annotators=3)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "claims.jsonl"
    first = start_export(tmp_path, out)
    assert first.wait(timeout=120) == 0
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    for _ in range(3):
        export = start_export_in_children(tmp_path, out)
        children: set[int] = set()
        deadline = time.monotonic() + 60
        staged = folder / f".claims.jsonl.{export.pid}.partial"
        while not children and time.monotonic() < deadline and export.poll() is None:
            # The records pass: the staged file has records, written by this export and its children.
            with contextlib.suppress(OSError):
                if staged.stat().st_size:
                    children = children_of(export.pid)
            time.sleep(0.001)
        assert children, "the export ended before its children wrote records"
        export.send_signal(signal.SIGKILL)
        export.wait()
        deadline = time.monotonic() + 10
        while any(map(running, children)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(map(running, children)), "a child ran on after its parent was killed"
        visible = {path.name for path in folder.iterdir() if not path.name.startswith(".")}
        assert visible == {"claims.jsonl", "DATASET.md"}
        assert out.read_bytes() == before["claims.jsonl"]
    # The next export cleans up what the killed ones left and writes the same bytes.
    last = start_export_in_children(tmp_path, out)
    _, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
