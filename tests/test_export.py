"""annotate export: decisions, filters, determinism, splits, formats, bad input."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from annotate.corpus import Article, discover
from annotate.export import SUFFIX, Split, assign_splits, parse_split
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.segment import default_claims
from annotate.session import span_event
from annotate.store import Event, EventLog, read_events
from tests.conftest import CORPUS, ROOT
from tests.test_interchange import EMOJI_ARTICLE

SCHEMA = load_schema(DEFAULT_SCHEMA)


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A corpus (the samples plus an emoji article) and an empty annotation folder."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    (tmp_path / "corpus" / "emoji-test.md").write_text(EMOJI_ARTICLE, encoding="utf-8")
    (tmp_path / "annotations").mkdir()
    return tmp_path


def articles_of(project: Path) -> dict[str, Article]:
    return {item.article_id: item.load() for item in discover([project / "corpus"])}


def write(path: Path, events: list[Event]) -> None:
    with EventLog(path) as log:
        log.append(events)


def label(article: Article, annotator: str, index: int, name: str, source: str | None = None) -> Event:
    claim = default_claims(article)[index]
    return span_event(article, SCHEMA.ref, annotator, claim, "label", name, source)


def gold(article: Article, index: int, name: str, votes: dict[str, str]) -> Event:
    event = label(article, "lead", index, name, "the lead's source")
    event["adjudicated"] = True
    event["votes"] = votes
    return event


@pytest.fixture
def labelled(project: Path) -> Path:
    """Three annotators on the seed article with every kind of decision, one on the others."""
    articles = articles_of(project)
    seed = articles["panjshir-2021-09-06"]
    ann = project / "annotations"
    # claim 0: gold (confirmed) over a disputed majority; claim 1: majority disputed;
    # claim 2: tie (alice confirmed, bob disputed); claim 3: single (alice);
    # claim 4: majority not_a_claim.
    write(
        ann / "alice.jsonl",
        [
            label(seed, "alice", 0, "disputed"),
            label(seed, "alice", 1, "disputed", "Reuters"),
            label(seed, "alice", 2, "confirmed"),
            label(seed, "alice", 3, "unattributed"),
            label(seed, "alice", 4, "not_a_claim"),
        ]
        + [
            label(a, "alice", 0, "confirmed", "a source")
            for i, a in sorted(articles.items())
            if i != seed.article_id
        ],
    )
    write(
        ann / "bob.jsonl",
        [
            label(seed, "bob", 0, "disputed"),
            label(seed, "bob", 1, "disputed", "reuters"),
            label(seed, "bob", 2, "disputed"),
            label(seed, "bob", 4, "not_a_claim"),
        ],
    )
    write(ann / "carol.jsonl", [label(seed, "carol", 0, "confirmed"), label(seed, "carol", 1, "confirmed")])
    (ann / "gold").mkdir()
    write(
        ann / "gold" / "lead.jsonl",
        [gold(seed, 0, "confirmed", {"alice": "disputed", "bob": "disputed", "carol": "confirmed"})],
    )
    return project


def export(project: Path, out: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    return cli(
        "export",
        "--corpus",
        project / "corpus",
        "--annotations",
        project / "annotations",
        "--out",
        out,
        *extra,
    )


def records(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_gold_beats_majority_beats_single_and_ties(labelled: Path) -> None:
    out = labelled / "out" / "claims.jsonl"
    out.parent.mkdir()
    result = export(labelled, out, "--include-ties")
    assert result.returncode == 0, result.stderr
    seed = articles_of(labelled)["panjshir-2021-09-06"]
    claims = default_claims(seed)
    by_span = {(r["article_id"], r["start"], r["end"]): r for r in records(out)}
    first = by_span[(seed.article_id, claims[0].start, claims[0].end)]
    assert (first["label"], first["decision"], first["adjudicator"], first["source"]) == (
        "confirmed",
        "gold",
        "lead",
        "the lead's source",
    )
    assert (first["annotators"], first["top_labels"]) == (3, ["disputed"])  # gold overruled the majority
    assert [v["label"] for v in first["votes"]] == ["disputed", "disputed", "confirmed"]  # alice, bob, carol
    second = by_span[(seed.article_id, claims[1].start, claims[1].end)]
    assert (second["label"], second["decision"], second["adjudicator"]) == ("disputed", "majority", "")
    assert second["source"] == "Reuters"  # alice's spelling: first by name of those naming it
    third = by_span[(seed.article_id, claims[2].start, claims[2].end)]
    assert (third["label"], third["decision"], third["top_labels"], third["source"]) == (
        "",
        "tie",
        ["confirmed", "disputed"],
        "",
    )
    fourth = by_span[(seed.article_id, claims[3].start, claims[3].end)]
    assert (fourth["label"], fourth["decision"], fourth["annotators"]) == ("unattributed", "single", 1)
    assert fourth["top_labels"] == ["unattributed"] and fourth["votes"][0]["source"] == ""
    assert (seed.article_id, claims[4].start, claims[4].end) not in by_span  # not_a_claim left out by default
    articles = articles_of(labelled)
    for record in by_span.values():
        base = articles[record["article_id"]].paragraph_starts[record["paragraph"]]
        assert record["context"][record["start"] - base : record["end"] - base] == record["text"]

    # Ties are left out unless asked for; not_a_claim comes back with --include-not-a-claim.
    plain = labelled / "out" / "plain.jsonl"
    assert export(labelled, plain, "--force").returncode == 0
    assert all(r["decision"] != "tie" for r in records(plain))
    with_nac = labelled / "out" / "nac.jsonl"
    assert export(labelled, with_nac, "--force", "--include-not-a-claim").returncode == 0
    assert any(r["label"] == "not_a_claim" and r["decision"] == "majority" for r in records(with_nac))
    two = labelled / "out" / "two.jsonl"
    assert export(labelled, two, "--force", "--min-annotators", "2", "--include-ties").returncode == 0
    assert {r["annotators"] for r in records(two)} >= {2, 3} and all(
        r["annotators"] >= 2 for r in records(two)
    )


def test_export_is_byte_identical_and_has_a_card(labelled: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        folder = labelled / name
        folder.mkdir()
        assert (
            export(
                labelled, folder / "claims.jsonl", "--split", "train=0.5,test=0.5", "--seed", "3"
            ).returncode
            == 0
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(folder.iterdir())})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {"claims.train.jsonl", "claims.test.jsonl", "DATASET.md"}
    card = outputs[0]["DATASET.md"].decode()
    for needle in (
        "## Label distribution",
        "Krippendorff",
        "alice",
        "carol",
        "The article presents the claim",
        "Public domain",
        "wikinews-2004-11-19-beheaded-bodies-found-mosul",
        "## Agreement",
    ):
        assert needle in card, needle


def test_split_keeps_articles_whole(labelled: Path) -> None:
    out = labelled / "claims.jsonl"
    assert export(labelled, out, "--include-ties").returncode == 0
    whole = records(out)
    split_out = labelled / "s" / "claims.jsonl"
    split_out.parent.mkdir()
    result = export(
        labelled, split_out, "--include-ties", "--split", "train=0.6,dev=0.2,test=0.2", "--seed", "11"
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, str] = {}
    union = []
    for name in ("train", "dev", "test"):
        for record in records(labelled / "s" / f"claims.{name}.jsonl"):
            assert record["split"] == name
            assert seen.setdefault(str(record["article_id"]), name) == name, "an article leaked across splits"
            union.append({**record, "split": ""})
    assert sorted(union, key=lambda r: str(r["id"])) == sorted(whole, key=lambda r: str(r["id"]))


def test_assign_splits_shares_articles_by_fraction() -> None:
    ids = [f"a{i:03d}" for i in range(100)]
    parts = [Split("train", 0.8), Split("dev", 0.1), Split("test", 0.1)]
    first = assign_splits(ids, parts, 1)
    assert first == assign_splits(reversed(ids), parts, 1)
    assert sorted(first) == ids
    counts = {name: list(first.values()).count(name) for name in ("train", "dev", "test")}
    assert counts == {"train": 80, "dev": 10, "test": 10}
    assert first != assign_splits(ids, parts, 2)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("train=0.8,dev=0.1", "add up to 0.9"),
        ("train=0.8,dev=x,test=0.1", "not a number"),
        ("train:0.8", "not NAME=SHARE"),
        ("train=0.5,train=0.5", "given twice"),
        ("train=1.5,test=-0.5", "above 0"),
    ],
)
def test_bad_split_spec_is_a_clear_error(labelled: Path, spec: str, needle: str) -> None:
    with pytest.raises(Exception, match=needle):
        parse_split(spec)
    result = export(labelled, labelled / "x.jsonl", "--split", spec)
    assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr
    assert not (labelled / "x.jsonl").exists() and not (labelled / "DATASET.md").exists()


def test_an_empty_annotation_folder_is_refused(project: Path) -> None:
    result = export(project, project / "claims.jsonl")
    assert result.returncode == 2 and "no annotation events to export" in result.stderr
    assert not (project / "claims.jsonl").exists() and not (project / "DATASET.md").exists()


@pytest.mark.parametrize("args", [(), ("--force",), ("--force", "--format", "csv")])
def test_out_naming_a_folder_is_a_clear_error(labelled: Path, args: tuple[str, ...]) -> None:
    folder = labelled / "out"
    folder.mkdir()
    result = export(labelled, folder, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "is a folder; give a file name" in result.stderr
    assert folder.is_dir() and list(folder.iterdir()) == [] and list(labelled.glob(".*.partial")) == []


def test_refuses_to_overwrite_without_force(labelled: Path) -> None:
    out = labelled / "claims.csv"
    out.write_text("precious")
    result = export(labelled, out, "--format", "csv")
    assert result.returncode == 2 and "--force" in result.stderr
    assert out.read_text() == "precious"
    assert export(labelled, out, "--format", "csv", "--force").returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert rows and all(json.loads(row["votes"]) for row in rows)
    assert {row["decision"] for row in rows} <= {"gold", "majority", "single"}


def test_annotations_for_missing_articles_are_reported_and_skipped(labelled: Path) -> None:
    gone = "voa-2006-12-13-chad-army-rebels-claim-victory"
    (labelled / "corpus" / f"{gone}.md").unlink()
    out = labelled / "claims.jsonl"
    result = export(labelled, out)
    assert result.returncode == 0, result.stderr
    assert "skipped 1 event(s) about articles missing" in result.stderr
    exported = {r["article_id"] for r in records(out)}
    assert gone not in exported and "voa-2003-07-09-burundi-rebels-dispute-government-claims" in exported
    assert "| events about articles missing from the corpus | 1 |" in (labelled / "DATASET.md").read_text()


def test_jsonl_loads_in_pandas_and_datasets(labelled: Path) -> None:
    pd = pytest.importorskip("pandas")
    out = labelled / "claims.jsonl"
    assert export(labelled, out, "--include-ties", "--include-not-a-claim").returncode == 0
    frame = pd.read_json(out, lines=True)
    assert len(frame) == len(records(out))
    assert {"text", "label", "votes", "decision", "context"} <= set(frame.columns)
    # Loaders that infer a column's type from the first part of a file (the Hugging
    # Face JSON loader reads 10 MiB) need each field to have one JSON type
    # throughout: no nulls, no empty lists, in records and in votes.
    kinds: dict[str, set[str]] = {}
    for record in records(out):
        for key, value in record.items():
            kinds.setdefault(key, set()).add(type(value).__name__)
            assert value is not None and value != [], (key, record["id"])
        for vote in record["votes"]:  # type: ignore[union-attr]
            for key, value in vote.items():
                kinds.setdefault(f"votes.{key}", set()).add(type(value).__name__)
        assert all(isinstance(label, str) for label in record["top_labels"])  # type: ignore[union-attr]
    assert all(len(found) == 1 for found in kinds.values()), kinds
    assert {r["decision"] for r in records(out)} == {"gold", "majority", "single", "tie"}
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("json", data_files=str(out), split="train", cache_dir=str(labelled / "hf"))
    assert loaded.num_rows == len(frame)
    assert set(loaded[0]["votes"][0]) == {"annotator", "label", "source", "start", "end"}
    assert loaded.column_names == sorted(loaded.column_names) or set(loaded.column_names) == set(
        frame.columns
    )


@pytest.mark.parametrize("fmt", ["prodigy", "doccano", "label-studio"])
def test_interchange_round_trip_through_the_cli(project: Path, fmt: str) -> None:
    articles = articles_of(project)
    events = []
    for article in articles.values():
        for index, claim in enumerate(default_claims(article)):
            name = [*SCHEMA.names, "not_a_claim"][index % 4]
            events.append(
                span_event(
                    article,
                    SCHEMA.ref,
                    "alice",
                    claim,
                    "label",
                    name,
                    f"src {index} 🐱" if index % 2 else None,
                )
            )
    write(project / "annotations" / "alice.jsonl", events)
    out = project / f"tool.{fmt}"
    result = export(project, out, "--format", fmt, "--include-not-a-claim")
    assert result.returncode == 0, result.stderr
    back = project / "back"
    result = cli(
        "import-labels",
        out,
        "--format",
        fmt,
        "--annotator",
        "bob",
        "--corpus",
        project / "corpus",
        "--annotations",
        back,
    )
    assert result.returncode == 0, result.stderr
    mine = {(e["article_id"], e["start"], e["end"]): (e["label"], e["source"]) for e in events}
    theirs = {
        (e["article_id"], e["start"], e["end"]): (e["label"], e["source"])
        for e in read_events(back / "bob.jsonl").events
        if e["op"] == "label"
    }
    assert theirs == mine


def test_fast_decisions_equal_final_decision(tmp_path: Path) -> None:
    from annotate.export import decided_units
    from annotate.units import final_decision, load_units, majority
    from tests.export_corpus import generate, vary_annotations

    generate(tmp_path, articles=6, claims_per_article=40, annotators=4, seed=9)
    articles = {item.article_id: item.load() for item in discover([tmp_path / "corpus"])}
    vary_annotations(tmp_path, articles)
    units = load_units([tmp_path / "annotations"], articles)
    assert units.overlap_units and units.gold
    fast = list(decided_units(units))
    assert len(fast) == len(units.keys) > 200
    methods = set()
    for decided, unit in zip(fast, units.units(), strict=True):
        expected = final_decision(unit)
        assert (decided.key, decided.label, decided.source, decided.method, decided.tied) == (
            unit.key,
            expected.label,
            expected.source,
            expected.method,
            expected.tied,
        ), unit.key
        assert decided.votes == [
            {
                "annotator": name,
                "end": vote.end,
                "label": vote.label,
                "source": vote.source or "",
                "start": vote.start,
            }
            for name, vote in sorted(unit.votes.items())
        ]
        assert decided.voters == tuple(sorted(unit.votes))
        leader, tied = majority(unit.votes)
        assert decided.top == ((leader,) if leader else tied)
        if expected.method == "gold":
            assert unit.gold is not None and (decided.adjudicator, decided.note) == ("lead", unit.gold.note)
        elif expected.method == "single":
            assert decided.note == next(iter(unit.votes.values())).note
        methods.add(expected.method)
    assert methods == {"gold", "majority", "tie", "single"}


def test_record_keys_are_sorted_and_complete(labelled: Path) -> None:
    from annotate.export import RECORD_KEYS

    out = labelled / "claims.jsonl"
    assert export(labelled, out, "--include-ties").returncode == 0
    for line in out.read_bytes().splitlines():
        record = orjson.loads(line)
        assert tuple(record) == RECORD_KEYS
        assert list(record["votes"][0]) == sorted(record["votes"][0])


def run_on_terminal(*args: str | Path) -> tuple[int, bytes]:
    """Run the CLI with stderr on a pseudo-terminal; (exit status, what the terminal received)."""
    import os
    import pty

    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "annotate", *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=slave
    )
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    return child.wait(timeout=120), received


def test_progress_bars_on_a_terminal_and_quiet_when_piped(tmp_path: Path) -> None:
    from tests.export_corpus import generate

    generate(tmp_path, articles=30, claims_per_article=80, annotators=1)  # 2,400 claims
    where = [
        "--corpus",
        tmp_path / "corpus",
        "--annotations",
        tmp_path / "annotations",
        "--include-not-a-claim",
    ]
    status, shown = run_on_terminal("export", *where, "--out", tmp_path / "t.jsonl", "--include-ties")
    assert status == 0 and b"exporting" in shown and b"0/2400" in shown
    piped = cli("export", *where, "--out", tmp_path / "p.jsonl", "--include-ties", "--force")
    assert piped.returncode == 0 and "exporting" not in piped.stderr and "\x1b" not in piped.stderr
    assert (tmp_path / "t.jsonl").read_bytes() == (tmp_path / "p.jsonl").read_bytes()

    assert (
        cli("export", *where, "--out", tmp_path / "p.prodigy", "--format", "prodigy", "--force").returncode
        == 0
    )
    back = ["import-labels", tmp_path / "p.prodigy", "--format", "prodigy", "--corpus", tmp_path / "corpus"]
    status, shown = run_on_terminal(*back, "--annotator", "tty", "--annotations", tmp_path / "a")
    assert status == 0 and b"importing" in shown
    piped = cli(*back, "--annotator", "pipe", "--annotations", tmp_path / "b")
    assert piped.returncode == 0 and "importing" not in piped.stderr and "\x1b" not in piped.stderr


def test_malformed_event_lines_are_listed_and_block_the_export_unless_skipped(labelled: Path) -> None:
    alice = labelled / "annotations" / "alice.jsonl"
    lines = alice.read_bytes().splitlines()
    alice.write_bytes(b"\n".join([lines[0], b'{"v": 1, "op": [}', *lines[1:]]) + b"\n")
    out = labelled / "claims.jsonl"
    refused = export(labelled, out)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"{alice}:2" in refused.stderr and "--skip-bad" in refused.stderr
    assert not out.exists() and not (labelled / "DATASET.md").exists()
    skipped = export(labelled, out, "--skip-bad")
    assert skipped.returncode == 0, skipped.stderr
    assert f"{alice}:2" in skipped.stderr and records(out)
    assert "| unreadable event lines | 1 |" in (labelled / "DATASET.md").read_text()


def test_a_label_outside_the_schema_is_refused_unless_skip_bad(labelled: Path) -> None:
    alice = labelled / "annotations" / "alice.jsonl"
    lines = alice.read_bytes().splitlines()
    unknown = orjson.loads(lines[0])
    unknown.update(id="alice-unknown", label="maybe")
    alice.write_bytes(b"\n".join([*lines, orjson.dumps(unknown)]) + b"\n")
    out = labelled / "claims.jsonl"
    result = export(labelled, out)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{alice}:{len(lines) + 1}: unknown label 'maybe' for schema credibility/1" in result.stderr
    assert not out.exists() and not (labelled / "DATASET.md").exists()
    assert export(labelled, out, "--skip-bad").returncode == 0
    assert "maybe" not in out.read_text() and "maybe" not in (labelled / "DATASET.md").read_text()


def _gold_line(labelled: Path, **change: object) -> Path:
    """Append a changed copy of the gold decision on claim 1 (a majority) to the lead's file."""
    path = labelled / "annotations" / "gold" / "lead.jsonl"
    seed = articles_of(labelled)["panjshir-2021-09-06"]
    event = gold(seed, 1, "unattributed", {"alice": "disputed", "bob": "disputed", "carol": "confirmed"})
    event.update(id="lead-extra", **change)
    with path.open("ab") as handle:
        handle.write(orjson.dumps(event) + b"\n")
    return path


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"label": "maybe"}, "unknown label 'maybe' for schema credibility/1"),
        ({"schema": "fever/1", "label": "SUPPORTS"}, "schema 'fever/1', expected 'credibility/1'"),
        ({"adjudicated": False}, "not an adjudicated decision"),
    ],
)
def test_a_bad_gold_line_is_refused_like_an_annotators(
    labelled: Path, change: dict[str, object], needle: str
) -> None:
    # Gold goes straight into the published dataset: it is held to the annotators' rules.
    path = _gold_line(labelled, **change)
    out = labelled / "claims.jsonl"
    result = export(labelled, out)
    assert (
        result.returncode == 2 and f"{path}:2: {needle}" in result.stderr and "Traceback" not in result.stderr
    )
    assert not out.exists()
    assert export(labelled, out, "--skip-bad").returncode == 0
    claim = default_claims(articles_of(labelled)["panjshir-2021-09-06"])[1]
    [record] = [r for r in records(out) if (r["start"], r["end"]) == (claim.start, claim.end)]
    assert record["decision"] == "majority" and record["label"] == "disputed"  # the bad decision left out
    checked = cli("validate", labelled / "corpus", "--annotations", labelled / "annotations")
    assert checked.returncode == 1 and f"{path}:2: {needle}" in checked.stdout


@pytest.mark.parametrize("change", [{"article_sha256": "0" * 64}, {"text": "wrong text"}])
def test_a_stale_gold_decision_is_left_out_and_counted(labelled: Path, change: dict[str, object]) -> None:
    _gold_line(labelled, **change)
    out = labelled / "claims.jsonl"
    result = export(labelled, out)
    assert result.returncode == 0 and "skipped 1 stale event(s)" in result.stderr
    assert [r["decision"] for r in records(out)].count("gold") == 1  # only the fixture's own decision


def test_a_malformed_gold_line_is_refused_unless_skip_bad(labelled: Path) -> None:
    path = labelled / "annotations" / "gold" / "lead.jsonl"
    with path.open("ab") as handle:
        handle.write(b"garbage line\n")
    out = labelled / "claims.jsonl"
    result = export(labelled, out)
    assert result.returncode == 2 and f"{path}:2: malformed JSON" in result.stderr and not out.exists()
    assert export(labelled, out, "--skip-bad").returncode == 0


def test_validate_names_events_about_articles_missing_from_the_corpus(labelled: Path) -> None:
    # export says "(annotate validate names them)": it must.
    missing = next(path for path in (labelled / "corpus").glob("voa-*.md"))
    missing.unlink()
    checked = cli("validate", labelled / "corpus", "--annotations", labelled / "annotations")
    assert checked.returncode == 1
    assert f"article {missing.stem!r} is not in the corpus given" in checked.stdout
    exported = export(labelled, labelled / "claims.jsonl")
    assert exported.returncode == 0 and "skipped 1 event(s) about articles missing" in exported.stderr


def test_interchange_exports_hold_no_overlapping_spans_and_read_back(labelled: Path) -> None:
    # dave and erin merged two claims that alice labelled apart: the dataset keeps
    # every unit, but a task file takes one span per place, and must read back.
    from annotate.segment import Claim

    seed = articles_of(labelled)["panjshir-2021-09-06"]
    claims = default_claims(seed)
    i = next(i for i in range(len(claims) - 1) if claims[i].paragraph == claims[i + 1].paragraph)
    merged = Claim(claims[i].start, claims[i + 1].end, claims[i].paragraph)
    ann = labelled / "annotations"
    for name in ("dave", "erin"):
        write(ann / f"{name}.jsonl", [span_event(seed, SCHEMA.ref, name, merged, "label", "disputed", None)])
    write(
        ann / "frank.jsonl", [label(seed, "frank", i, "confirmed"), label(seed, "frank", i + 1, "confirmed")]
    )
    data = export(labelled, labelled / "claims.jsonl")
    assert data.returncode == 0
    spans = {(r["start"], r["end"]) for r in records(labelled / "claims.jsonl")}
    assert {(merged.start, merged.end), (claims[i].start, claims[i].end)} <= spans  # the dataset keeps both
    for fmt in ("prodigy", "doccano", "label-studio"):
        out = labelled / f"tasks-{fmt}{SUFFIX[fmt]}"
        result = export(labelled, out, "--format", fmt, "--force")
        assert result.returncode == 0 and "overlapping claims" in (labelled / "DATASET.md").read_text()
        back = cli(
            "import-labels", out, "--format", fmt, "--annotator", "roundtrip",
            "--corpus", labelled / "corpus", "--annotations", labelled / f"back-{fmt}",
        )  # fmt: skip
        assert back.returncode == 0, back.stderr


def test_an_earlier_splits_files_are_pointed_out(labelled: Path) -> None:
    out = labelled / "claims.jsonl"
    assert export(labelled, out, "--split", "train=0.5,test=0.5").returncode == 0
    again = export(labelled, out, "--force")
    assert again.returncode == 0
    for name in ("claims.train.jsonl", "claims.test.jsonl"):
        assert f"{labelled / name} is not part of this export" in again.stderr
