"""SVG snapshots of the review screen (update with --snapshot-update)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotate.cli import make_review_app
from tests.votes import label_claims, seed_article


def test_review_screen_disagreement_80x24(
    snap_compare: Any, seed: Path, annotations: Path, corpus: Path
) -> None:
    article = seed_article(seed)
    label_claims(annotations, "alice", article, ["confirmed", "disputed"], [None, "Reuters"])
    label_claims(annotations, "bob", article, ["confirmed", "unattributed"], [None, "[bold]an aide[/"])
    label_claims(annotations, "carol", article, ["confirmed", "disputed"], [None, "reuters"])
    app = make_review_app([annotations], "lead", [corpus], only_disagreements=True)
    assert snap_compare(app, terminal_size=(80, 24))
