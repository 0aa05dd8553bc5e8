"""Assignments: balanced load, even pairs, stable when articles or annotators are added."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.assignments import (
    Assignments,
    assign,
    assignment_progress,
    load_assignments,
    render_assignments,
    write_assignments,
)
from annotate.cli import main
from annotate.corpus import discover
from annotate.errors import AnnotateError
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.session import ArticleSession
from annotate.store import Event
from tests.conftest import CORPUS, FOUR_ARTICLES


@pytest.fixture
def corpus(four_articles: Path) -> Path:
    """These tests' figures were worked out on the four original sample articles."""
    return four_articles


NAMES = [f"ann{i}" for i in range(10)]


def ids(count: int, prefix: str = "art") -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(count)]


def spread(values: list[int]) -> int:
    return max(values) - min(values)


teams = st.integers(min_value=2, max_value=8).flatmap(
    lambda n: st.tuples(st.just(sorted(NAMES[:n])), st.integers(min_value=1, max_value=min(n, 4)))
)


@settings(max_examples=60, deadline=None)
@given(team=teams, count=st.integers(min_value=1, max_value=120), seed=st.integers(0, 1000))
def test_fresh_assignment_is_balanced(team: tuple[list[str], int], count: int, seed: int) -> None:
    annotators, per_article = team
    result, report = assign(ids(count), annotators, per_article, seed)
    assert report.new_articles == count
    for names in result.articles.values():
        assert len(names) == per_article == len(set(names)) and set(names) <= set(annotators)
    load = result.load()
    assert spread([load[name] for name in annotators]) <= 1
    if per_article >= 2:
        shared = [result.pairs()[pair] for pair in itertools.combinations(annotators, 2)]
        assert spread(shared) <= 3
        pairs_total = len(shared)
        if count >= pairs_total:
            # Enough articles for every pair to share one: agreement is computable for every pair.
            assert min(shared) >= 1


@settings(max_examples=40, deadline=None)
@given(
    team=teams,
    first=st.integers(min_value=1, max_value=60),
    more=st.integers(min_value=0, max_value=60),
    seed=st.integers(0, 1000),
)
def test_adding_articles_keeps_existing_entries_and_balance(
    team: tuple[list[str], int], first: int, more: int, seed: int
) -> None:
    annotators, per_article = team
    before, _ = assign(ids(first), annotators, per_article, seed)
    after, report = assign(ids(first + more), annotators, per_article, seed, existing=before)
    for article_id, names in before.articles.items():
        assert after.articles[article_id] == names
    assert report.new_articles == more and report.kept == first
    load = after.load()
    assert spread([load[name] for name in annotators]) <= 1
    # Same inputs, same result.
    again, _ = assign(ids(first + more), annotators, per_article, seed, existing=before)
    assert again == after


@settings(max_examples=40, deadline=None)
@given(
    team=teams,
    first=st.integers(min_value=1, max_value=40),
    more=st.integers(min_value=1, max_value=80),
    newcomers=st.integers(min_value=1, max_value=2),
)
def test_adding_annotators_keeps_entries_and_gives_newcomers_the_new_work(
    team: tuple[list[str], int], first: int, more: int, newcomers: int
) -> None:
    annotators, per_article = team
    before, _ = assign(ids(first), annotators, per_article)
    joined = [*annotators, *[f"new{i}" for i in range(newcomers)]]
    after, _ = assign(ids(first + more), joined, per_article, existing=before)
    for article_id, names in before.articles.items():
        assert after.articles[article_id] == names
    new_load = {name: 0 for name in joined}
    for article_id in ids(first + more)[first:]:
        for name in after.articles[article_id]:
            new_load[name] += 1
    # Whoever joins late catches up: no old hand gets more of the new articles.
    assert (
        min(new_load[f"new{i}"] for i in range(newcomers)) >= max(new_load[name] for name in annotators) - 1
    )
    load = after.load()
    assert max(load.values()) <= max(before.load().values()) + -(-more * per_article // len(joined)) + 1


def test_raising_per_article_tops_up_without_moving_anyone() -> None:
    before, _ = assign(ids(12), ["a", "b", "c", "d"], 2)
    after, report = assign(ids(12), ["a", "b", "c", "d"], 3, existing=before)
    assert report.topped_up == 12
    for article_id, names in before.articles.items():
        assert set(names) < set(after.articles[article_id]) and len(after.articles[article_id]) == 3


def test_file_round_trip_and_atomic_write(tmp_path: Path) -> None:
    result, _ = assign(ids(7), ["alice", "bob", "carol"], 2, seed=5, leads=["carol"])
    path = tmp_path / "assignments.yaml"
    write_assignments(path, result)
    assert load_assignments(path) == result
    assert [p.name for p in tmp_path.iterdir()] == ["assignments.yaml"]
    text = path.read_text(encoding="utf-8")
    assert "per_article: 2" in text and "seed: 5" in text and "  art-0000: [" in text
    assert load_assignments(tmp_path / "missing.yaml") is None


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "articles:\n  art-1: [alice, Bob Smith]\n",
            ":2: article 'art-1': 'Bob Smith' is not a valid annotator",
        ),
        ("annotators: [alice, ../x]\narticles: {}\n", ":1: annotators: '../x' is not a valid annotator"),
        ("articles:\n  art-1: [alice, alice]\n", "lists an annotator twice"),
        ("articles: [1, 2]\n", "'articles' must map article ids"),
        ("articles: {a: [x]\n", "invalid YAML"),
        ("version: 7\narticles: {}\n", "version 7 is not supported"),
    ],
)
def test_bad_assignments_file_is_refused(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "assignments.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(AnnotateError) as caught:
        load_assignments(path)
    assert str(path) in str(caught.value) and needle in str(caught.value)


def test_assign_command(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["assign", "--corpus", str(corpus), "--annotators", "alice,bob,carol", "--per-article", "2"])
        == 0
    )
    out = capsys.readouterr().out
    assert "4 articles, 2 annotators each: 4 newly assigned" in out
    first = load_assignments(corpus / "assignments.yaml")
    assert first is not None and set(first.articles) == {item.article_id for item in discover([corpus])}
    (corpus / "extra.md").write_text("---\ntitle: Extra\n---\nOne more.\n", encoding="utf-8")
    assert main(["assign", "--corpus", str(corpus), "--annotators", "alice,bob,carol,dave"]) == 0
    second = load_assignments(corpus / "assignments.yaml")
    assert second is not None
    assert {k: v for k, v in second.articles.items() if k != "extra"} == first.articles
    assert "dave" in second.articles["extra"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--annotators", "alice,Bad Name"], "'Bad Name' is not allowed"),
        (["--annotators", "alice,alice"], "alice more than once"),
        (["--annotators", "alice", "--per-article", "2"], "needs at least 2 annotators"),
    ],
)
def test_assign_bad_arguments_exit_2(
    corpus: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    assert main(["assign", "--corpus", str(corpus), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
    assert not (corpus / "assignments.yaml").exists()


def test_invalid_annotator_in_existing_file_exits_2_naming_it(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus / "assignments.yaml"
    path.write_text("annotators: [alice]\narticles:\n  x: [alice, 'EVE!']\n", encoding="utf-8")
    before = path.read_bytes()
    assert main(["assign", "--corpus", str(corpus), "--annotators", "alice,bob"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3" in err and "'EVE!' is not a valid annotator" in err
    assert path.read_bytes() == before


def test_assignment_progress_counts_assigned_versus_done() -> None:
    articles = [item.load() for item in discover([CORPUS / name for name in FOUR_ARTICLES])]
    by_id = {article.article_id: article for article in articles}
    first, second = sorted(by_id)[:2]
    assignments = Assignments(2, 0, ("alice", "bob"), {first: ("alice", "bob"), second: ("alice",)})
    schema = load_schema(DEFAULT_SCHEMA)
    events: list[Event] = []
    done = ArticleSession(by_id[first], schema, "alice", [], events.extend)
    for index in range(len(done.claims)):
        done.set_label(index, "confirmed")
    started = ArticleSession(by_id[second], schema, "alice", [], events.extend)
    started.set_label(0, "disputed")
    bob = ArticleSession(by_id[first], schema, "bob", [], events.extend)
    bob.set_label(1, "confirmed")
    rows = {row.annotator: row for row in assignment_progress(assignments, articles, events)}
    assert (rows["alice"].assigned, rows["alice"].done, rows["alice"].started, rows["alice"].untouched) == (
        2,
        1,
        1,
        0,
    )
    assert rows["alice"].claims_done == len(done.claims) + 1
    assert rows["alice"].claims == len(done.claims) + len(started.claims)
    assert (rows["bob"].assigned, rows["bob"].done, rows["bob"].started, rows["bob"].claims_done) == (
        1,
        0,
        1,
        1,
    )


def test_render_lists_every_article_in_order() -> None:
    result, _ = assign(ids(3), ["a", "b"], 1)
    text = render_assignments(result)
    assert text.index("art-0000") < text.index("art-0001") < text.index("art-0002")


def test_status_reports_assigned_versus_done(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import orjson

    from annotate.store import EventLog, log_path

    articles = {item.article_id: item.load() for item in discover([corpus])}
    voa = "voa-2006-12-13-chad-army-rebels-claim-victory"
    mosul = "wikinews-2004-11-19-beheaded-bodies-found-mosul"
    write_assignments(
        corpus / "assignments.yaml",
        Assignments(2, 0, ("alice", "bob", "carol"), {voa: ("alice", "bob"), mosul: ("alice", "carol")}),
    )
    annotations = tmp_path / "annotations"
    schema = load_schema(DEFAULT_SCHEMA)
    for name, article_id, count in (("alice", voa, None), ("alice", mosul, 2), ("bob", voa, 3)):
        with EventLog(log_path(annotations, name)) as log:
            session = ArticleSession(articles[article_id], schema, name, log.read().events, log.append)
            for index in range(len(session.claims) if count is None else count):
                session.set_label(index, "confirmed")
    assert main(["status", str(annotations), "--corpus", str(corpus), "--json"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    rows = {row["annotator"]: row for row in report["assignments"]["rows"]}
    assert rows["alice"] == {
        "annotator": "alice",
        "assigned": 2,
        "done": 1,
        "started": 1,
        "untouched": 0,
        "claims_labelled": 14 + 2,
        "claims": 14 + 6,
    }
    assert (rows["bob"]["done"], rows["bob"]["started"], rows["bob"]["claims_labelled"]) == (0, 1, 3)
    # carol has no events at all: her article is untouched, with its claims counted.
    assert (rows["carol"]["assigned"], rows["carol"]["untouched"], rows["carol"]["claims"]) == (1, 1, 6)
    assert main(["status", str(annotations), "--corpus", str(corpus)]) == 0
    assert "Assigned versus done" in capsys.readouterr().out
