"""Units across annotators: exact and overlap matching, stale events, gold, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotate.cli import main
from annotate.corpus import load_article
from annotate.errors import AnnotateError
from annotate.store import read_events
from annotate.units import (
    BadLines,
    GoldDecision,
    Unit,
    Vote,
    final_decision,
    load_units,
    normalise_source,
    verdict,
)
from tests.votes import annotator_session, label_claims, seed_article

SHA = "0" * 64


def raw_event(
    annotator: str, start: int, end: int, label: str | None = "confirmed", **extra: Any
) -> dict[str, Any]:
    """A hand-made event (no corpus needed)."""
    event: dict[str, Any] = {
        "v": 1,
        "id": f"{annotator}-{start}-{end}-{label}",
        "ts": "2024-01-01T00:00:00.000Z",
        "annotator": annotator,
        "article_id": "art",
        "article_sha256": SHA,
        "paragraph": 0,
        "start": start,
        "end": end,
        "text": "x" * (end - start),
        "op": "label" if label is not None else "clear",
        "label": label,
        "source": None,
        "note": None,
        "schema": "credibility/1",
    }
    event.update(extra)
    return event


def write(folder: Path, name: str, events: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    return path


def test_exact_matching_on_real_annotation_files(seed: Path, annotations: Path) -> None:
    article = seed_article(seed)
    label_claims(annotations, "alice", article, ["confirmed", "disputed", "unattributed"])
    label_claims(annotations, "bob", article, ["confirmed", "confirmed", None, "not_a_claim"])
    units = load_units([annotations], {article.article_id: article})
    assert units.annotators == ["alice", "bob"]
    assert len(units.keys) == 4
    shared = units.shared_keys()
    assert len(shared) == 2
    first = units.unit(shared[0])
    assert article.body[first.start : first.end] == first.text
    assert {name: vote.label for name, vote in first.votes.items()} == {
        "alice": "confirmed",
        "bob": "confirmed",
    }
    assert units.overlap_units == 0 and units.stale_events == 0


def test_a_merge_is_matched_by_overlap_and_counted(seed: Path, annotations: Path) -> None:
    article = seed_article(seed)
    alice = label_claims(annotations, "alice", article, ["confirmed"] * 15)
    pair = next(i for i in range(14) if alice.claims[i].paragraph == alice.claims[i + 1].paragraph)
    with annotator_session(annotations, "carol", article) as carol:
        carol.set_label(carol.merge_with_next(pair), "disputed")
    units = load_units([annotations], {article.article_id: article})
    assert units.overlap_units == 1
    [key] = units.overlap_keys
    unit = units.unit(key)
    assert unit.overlap
    left, right = alice.claims[pair], alice.claims[pair + 1]
    longer = left if left.end - left.start >= right.end - right.start else right
    assert (unit.start, unit.end) == (longer.start, longer.end)
    assert unit.votes["carol"].label == "disputed"
    assert (unit.votes["carol"].start, unit.votes["carol"].end) == (left.start, right.end)
    assert len(units.shared_keys()) == 1  # the other half has alice's vote only


def test_overlap_needs_half_the_shorter_span_and_one_vote_per_annotator(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30), raw_event("a", 40, 60)])
    write(
        folder,
        "b",
        [
            raw_event("b", 0, 10, "disputed"),
            raw_event("b", 5, 25, "disputed"),  # overlaps (0,10) where b already voted, so joins (20,30)
            raw_event("b", 55, 80, "disputed"),  # 5 of 20 characters: too little overlap
        ],
    )
    units = load_units([folder])
    assert units.overlap_keys == {("art", 20, 30)}
    assert units.unit(("art", 20, 30)).votes["b"].start == 5
    assert units.unit(("art", 55, 80)).votes.keys() == {"b"}
    assert units.unit(("art", 40, 60)).votes.keys() == {"a"}


def test_clear_and_label_free_events_are_not_votes(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    write(
        folder,
        "a",
        [
            raw_event("a", 0, 10),
            raw_event("a", 0, 10, None),  # undone
            {**raw_event("a", 20, 30), "label": None, "source": "Reuters"},  # a source before any label
            raw_event("a", 40, 50, "disputed", source="Reuters", note="check"),
        ],
    )
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 20, 30), raw_event("b", 40, 50, "not_a_claim")])
    units = load_units([folder])
    assert units.unit(("art", 0, 10)).votes.keys() == {"b"}
    assert units.unit(("art", 20, 30)).votes.keys() == {"b"}
    vote = units.unit(("art", 40, 50)).votes["a"]
    assert vote == Vote("disputed", "Reuters", "check", 40, 50)
    assert units.unit(("art", 40, 50)).votes["b"].label == "not_a_claim"


def test_stale_events_are_excluded_and_counted(seed: Path, annotations: Path) -> None:
    old = seed_article(seed)
    label_claims(annotations, "alice", old, ["confirmed"] * 3)
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("Ahmed Masood", "Ahmad Massoud"), encoding="utf-8"
    )
    new = load_article(seed, seed.parent)
    assert new.sha256 != old.sha256
    label_claims(annotations, "bob", new, ["confirmed"] * 3)
    units = load_units([annotations], {new.article_id: new})
    assert units.stale_events == 3
    assert units.unit(units.keys[0]).votes.keys() == {"bob"}
    units = load_units([annotations], {})
    assert units.unknown_article_events == 6 and not units.keys


def test_without_a_corpus_conflicting_bodies_are_left_out_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30, article_id="other")])
    write(
        folder,
        "b",
        [raw_event("b", 0, 10, article_sha256="1" * 64), raw_event("b", 20, 30, article_id="other")],
    )
    units = load_units([folder])
    assert units.keys == [("other", 20, 30)]
    assert units.unresolved_labels == 2
    assert "--corpus" in units.notes_for_report[0] and "art" in units.notes_for_report[0]


def test_gold_is_read_from_the_gold_folder_and_never_counted_as_an_annotator(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30)])
    write(folder, "b", [raw_event("b", 0, 10, "disputed"), raw_event("b", 20, 30)])
    gold = raw_event("lead", 0, 10, "disputed", adjudicated=True, votes={"a": "confirmed", "b": "disputed"})
    write(folder / "gold", "lead", [gold])
    units = load_units([folder])
    assert units.annotators == ["a", "b"]
    decision = units.gold[("art", 0, 10)]
    assert decision.label == "disputed" and decision.adjudicator == "lead"
    assert decision.votes == {"a": "confirmed", "b": "disputed"}
    assert final_decision(units.unit(("art", 0, 10))).method == "gold"
    assert final_decision(units.unit(("art", 20, 30))).method == "majority"
    with pytest.raises(AnnotateError, match="adjudicated"):
        load_units([folder / "a.jsonl", folder / "gold" / "lead.jsonl"])


def _unit(*labels: str, gold: str | None = None) -> Unit:
    votes = {f"n{i}": Vote(label, f"The Source {i % 2}", None, 0, 5) for i, label in enumerate(labels)}
    decision = GoldDecision(gold, None, None, "lead", "t", {}) if gold else None
    return Unit("art", 0, 5, 0, "xxxxx", SHA, votes, decision)


def test_final_decision_gold_beats_majority_beats_single_and_ties_are_marked() -> None:
    assert (
        final_decision(_unit("confirmed", "disputed", "disputed", gold="unattributed")).label
        == "unattributed"
    )
    majority = final_decision(_unit("confirmed", "disputed", "disputed"))
    assert (majority.label, majority.method) == ("disputed", "majority")
    assert majority.source == "The Source 1"  # n1 and n2 gave disputed; n1 names "The Source 1" first
    single = final_decision(_unit("confirmed"))
    assert (single.label, single.method) == ("confirmed", "single")
    tie = final_decision(_unit("confirmed", "disputed"))
    assert (tie.label, tie.method, tie.tied) == (None, "tie", ("confirmed", "disputed"))
    assert [verdict(_unit(*labels)) for labels in (("a",), ("a", "a"), ("a", "a", "b"), ("a", "b"))] == [
        "single",
        "unanimous",
        "majority",
        "tie",
    ]


def test_mixed_schemas_are_refused_naming_the_files(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    write(folder, "a", [raw_event("a", 0, 10)])
    write(folder, "b", [raw_event("b", 0, 10, schema="fever/1")])
    with pytest.raises(AnnotateError) as error:
        load_units([folder])
    assert "a.jsonl" in str(error.value) and "b.jsonl" in str(error.value) and "fever/1" in str(error.value)


def test_malformed_lines_are_each_reported_and_skipped_only_when_asked(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    path = write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30)])
    with path.open("ab") as handle:
        handle.write(b"{not json}\n")
        handle.write(orjson.dumps({**raw_event("a", 40, 50), "start": "40"}) + b"\n")
        handle.write(orjson.dumps({**raw_event("a", 40, 50), "source": 7}) + b"\n")
        handle.write(orjson.dumps({**raw_event("a", 40, 50), "article_id": ["x"]}) + b"\n")
        handle.write(b"\n")
        handle.write(orjson.dumps(raw_event("a", 60, 70)) + b"\n")
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 60, 70)])
    with pytest.raises(BadLines) as error:
        load_units([folder])
    assert [problem.line for problem in error.value.problems] == [3, 4, 5, 6]
    assert "malformed JSON" in str(error.value.problems[0]) and "'start'" in str(error.value.problems[1])
    units = load_units([folder], skip_bad=True)
    assert units.shared_keys() == [("art", 0, 10), ("art", 60, 70)]


def test_a_torn_last_line_is_reported_but_not_refused(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    path = write(folder, "a", [raw_event("a", 0, 10)])
    with path.open("ab") as handle:
        handle.write(orjson.dumps(raw_event("a", 20, 30))[:40])
    units = load_units([folder])
    assert [problem.torn for problem in units.problems] == [True]
    assert units.keys == [("art", 0, 10)]


def test_source_normalisation_ignores_case_articles_and_spaces() -> None:
    assert normalise_source("The  Taliban ") == normalise_source("taliban") == "taliban"
    assert normalise_source("an Aide of Masood") == "aide of masood"
    assert normalise_source("Theodore") == "theodore"


def test_annotators_are_in_name_order_whatever_the_file_order(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    zed = write(folder, "zed", [raw_event("zed", 0, 10, "disputed")])
    amy = write(folder, "amy", [raw_event("amy", 0, 10)])
    units = load_units([zed, amy])
    assert units.annotators == ["amy", "zed"]
    assert {name: vote.label for name, vote in units.unit(("art", 0, 10)).votes.items()} == {
        "amy": "confirmed",
        "zed": "disputed",
    }


@pytest.mark.parametrize("labelled_in_order", [True, False])
def test_units_come_in_key_order_whatever_order_they_were_labelled_in(
    tmp_path: Path, labelled_in_order: bool
) -> None:
    # Read in order (the fast path) or not (sorted), the units are in key order,
    # and a unit whose only vote moved to an overlapping one is left out.
    spans = [("b", 0, 10), ("b", 20, 30), ("a", 40, 50), ("a", 0, 10), ("a", 5, 9), ("b", 40, 50)]
    if labelled_in_order:
        spans.sort()
    amy = [
        raw_event("amy", start, end, article_id=article)
        for article, start, end in spans
        if (start, end) != (5, 9)
    ]
    bob = [
        raw_event("bob", start, end, article_id=article)
        for article, start, end in spans
        if (start, end) != (0, 10)
    ]
    folder = tmp_path / "annotations"
    units = load_units([write(folder, "amy", amy), write(folder, "bob", bob)])
    keys = [units.unit_keys[uid] for uid in units.order]
    # amy's a:0-10 and bob's a:5-9 overlap: the longer one's vote joins the shorter, and a:0-10 is no unit.
    assert keys == [("a", 5, 9), ("a", 40, 50), ("b", 0, 10), ("b", 20, 30), ("b", 40, 50)]
    assert sorted(units.unit(("a", 5, 9)).votes) == ["amy", "bob"]


def test_progress_reports_every_byte_read(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    paths = [
        write(folder, name, [raw_event(name, i * 10, i * 10 + 5) for i in range(300)]) for name in ("a", "b")
    ]
    seen: list[int] = []
    load_units([folder], progress=seen.append)
    assert sum(seen) == sum(path.stat().st_size for path in paths)


def test_a_bad_line_deep_in_a_big_file_is_found_and_the_rest_is_folded(tmp_path: Path) -> None:
    # Files are decoded in chunks; a bad line sends only its chunk down the line-by-line
    # path. Line numbers and the votes around it must come out as if read line by line.
    folder = tmp_path / "annotations"
    events = [raw_event("a", 100 * i, 100 * i + 10, text=f"claim {i} " + "x" * 200) for i in range(2000)]
    path = write(folder, "a", events)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1500] = lines[1500].replace(b'"start":', b'"start":"', 1)  # now malformed JSON
    lines[1700] = orjson.dumps({**orjson.loads(lines[1700]), "end": 5}) + b"\n"  # start after end
    path.write_bytes(b"".join(lines))
    write(folder, "b", [{**event, "annotator": "b"} for event in events])
    units = load_units([folder], skip_bad=True)
    assert [problem.line for problem in units.problems] == [1501, 1701]
    assert "malformed JSON" in str(units.problems[0]) and "start and end" in str(units.problems[1])
    assert len(units.shared_keys()) == 1998 and len(units.keys) == 2000
    assert read_events(path).problems == units.problems


def test_events_other_tools_shape_differently_are_votes_not_problems(tmp_path: Path) -> None:
    # check_event (and so `annotate validate`) accepts optional fields of any shape and
    # paragraphs up to 2**64-1; the agreement loader must count those votes too.
    folder = tmp_path / "annotations"
    write(
        folder,
        "a",
        [
            raw_event("a", 0, 10, suggested=None, segment=None),
            raw_event("a", 20, 30, suggested={"label": "disputed", "score": 0.9}),
            raw_event("a", 40, 50, paragraph=2**63),
        ],
    )
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 20, 30), raw_event("b", 40, 50)])
    units = load_units([folder])
    assert units.problems == []
    assert units.shared_keys() == [("art", 0, 10), ("art", 20, 30), ("art", 40, 50)]


def test_invalid_utf8_in_an_event_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    path = write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30, note="café")])
    path.write_bytes(path.read_bytes().replace("café".encode(), b"caf\xe9"))
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 20, 30)])
    with pytest.raises(BadLines) as error:
        load_units([folder])
    assert [(problem.line, problem.message) for problem in error.value.problems] == [
        (2, "malformed JSON (bytes that are not UTF-8 text)")  # not orjson's "surrogates not allowed"
    ]
    assert [problem.line for problem in read_events(path).problems] == [2]


def test_a_gold_file_given_as_annotations_is_refused_naming_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "annotations"
    gold = raw_event("lead", 20, 30, adjudicated=True, votes={"a": "confirmed"})
    write(folder, "lead", [gold, gold])
    with pytest.raises(AnnotateError) as error:
        load_units([folder])
    assert "lead.jsonl:1:" in str(error.value) and "adjudicated" in str(error.value)


def test_events_of_another_annotator_in_a_file_are_refused_naming_the_line(tmp_path: Path) -> None:
    # carol.jsonl holding alice's events would replace alice's own votes without a word.
    folder = tmp_path / "annotations"
    write(folder, "alice", [raw_event("alice", 0, 10, "confirmed")])
    write(folder, "carol", [raw_event("carol", 0, 10), raw_event("alice", 20, 30, "disputed")])
    with pytest.raises(AnnotateError) as error:
        load_units([folder])
    assert "carol.jsonl:2:" in str(error.value) and "annotator 'alice' in carol.jsonl" in str(error.value)
    assert main(["agreement", str(folder)]) == 2
    assert main(["validate", "--annotations", str(folder)]) == 1


def test_bulk_work_freezes_what_it_made_but_not_after_an_error() -> None:
    import gc
    import weakref

    from annotate.units import gc_paused

    class Node:
        other: Any = None

    def cycle() -> Node:
        first, second = Node(), Node()
        first.other, second.other = second, first
        return first

    frozen = gc.get_freeze_count()
    with gc_paused():
        kept = [object() for _ in range(1000)]  # noqa: F841 - alive at the end of the block: frozen
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() >= frozen + 1
    with pytest.raises(ValueError), gc_paused():
        alive = cycle()
        raise ValueError("a failure part-way")
    assert gc.isenabled()
    watched = weakref.ref(alive)
    del alive
    gc.collect()
    assert watched() is None  # not frozen: the collector still frees the cycle
