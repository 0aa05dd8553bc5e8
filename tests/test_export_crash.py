"""kill -9 an export mid-way: the previous output is intact and no partial file passes for output."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.export_corpus import generate

KILLS = int(os.environ.get("ANNOTATE_CRASH_KILLS", "6"))


def start_export(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "annotate",
            "export",
            "--corpus",
            str(root / "corpus"),
            "--annotations",
            str(root / "annotations"),
            "--out",
            str(out),
            "--force",
            "--include-ties",
        ],
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
