"""The detector keeps its measured quality on the hand-labelled sets (floors a little below today's figures)."""

from __future__ import annotations

from bench.attribution_bench import run
from bench.make_attribution_dev import SETS, build, encode
from tests.conftest import ROOT

# Measured with `python bench/attribution_bench.py` (README, "Attribution
# assistance"); a change that breaks detection drops below these.
FLOORS = {
    "cue_precision_exact": 0.95,
    "cue_recall_exact": 0.95,
    "cue_precision_overlap": 0.95,
    "cue_recall_overlap": 0.95,
    "source_precision_exact": 0.93,
    "source_recall_exact": 0.93,
    "source_precision_overlap": 0.95,
    "source_recall_overlap": 0.95,
    "resolved_accuracy": 0.9,
    "stance_precision_exact": 0.9,
    "stance_recall_exact": 0.9,
    "heldout_cue_precision_exact": 0.9,
    "heldout_cue_recall_exact": 0.9,
    "heldout_source_precision_overlap": 0.85,
    "heldout_source_recall_overlap": 0.85,
    "heldout_source_precision_exact": 0.75,
    "heldout_source_recall_exact": 0.75,
}


def test_detection_stays_above_its_floors() -> None:
    figures = run(quick=True)
    assert figures["dev_claims"] >= 60
    below = {key: round(figures[key], 3) for key, floor in FLOORS.items() if figures[key] < floor}
    assert not below, f"below the floor: {below}"


def test_labelled_sets_match_their_yaml_and_the_corpus() -> None:
    # The JSONL is generated from the hand-written YAML; offsets must still
    # point at the same text if an article or the segmenter changes.
    for name in SETS:
        assert (ROOT / "tests" / "data" / f"{name}.jsonl").read_bytes() == encode(build(name))
