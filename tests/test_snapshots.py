"""SVG snapshots of the annotate screen on the seed article (update with --snapshot-update)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tui_helpers import build


def test_annotate_screen_seed_100x30(snap_compare: Any, seed: Path, annotations: Path) -> None:
    assert snap_compare(build([seed], annotations), terminal_size=(100, 30))


def test_annotate_screen_after_labels_80x24(snap_compare: Any, seed: Path, annotations: Path) -> None:
    assert snap_compare(build([seed], annotations), press=["1", "2", "x"], terminal_size=(80, 24))


def test_help_screen_100x40(snap_compare: Any, seed: Path, annotations: Path) -> None:
    assert snap_compare(build([seed], annotations), press=["question_mark"], terminal_size=(100, 40))


def test_annotate_screen_big_terminal_160x48(snap_compare: Any, seed: Path, annotations: Path) -> None:
    assert snap_compare(build([seed], annotations), press=["1", "j", "2"], terminal_size=(160, 48))
