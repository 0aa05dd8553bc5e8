"""Several annotators at once in one folder, and a reader running while they write."""

from __future__ import annotations

import time
from pathlib import Path

from annotate.store import read_events
from tests.test_crash import start_child

ANNOTATORS = ["ann1", "ann2", "ann3"]


def test_annotators_labelling_at_once_leave_every_file_intact_and_readers_see_a_prefix(
    seed: Path, annotations: Path
) -> None:
    children = {name: start_child(seed, annotations, name, stop_after=25) for name in ANNOTATORS}
    snapshots: dict[str, list[list[str]]] = {name: [] for name in ANNOTATORS}
    # A reader (as `annotate agreement` or `validate` would) reads every file
    # over and over while the three sessions append to them.
    while any(child.poll() is None for child in children.values()):
        for name in ANNOTATORS:
            result = read_events(annotations / f"{name}.jsonl")
            assert not result.errors, result.errors
            snapshots[name].append([event["id"] for event in result.events])
        time.sleep(0.02)
    for name, child in children.items():
        output, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        result = read_events(annotations / f"{name}.jsonl")
        assert not result.problems
        final = [event["id"] for event in result.events]
        # Every event the session reported saved is in its own file, in order.
        assert final == output.decode().split()
        assert {event["annotator"] for event in result.events} == {name}
        # Every read taken during the writes was a prefix of the final file.
        assert len(snapshots[name]) > 3
        for seen in snapshots[name]:
            assert final[: len(seen)] == seen
    assert any(0 < len(seen) < 10 for seen in snapshots["ann1"] + snapshots["ann2"] + snapshots["ann3"])
