"""`annotate suggest`: the JSONL contract, the readable output, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from annotate.cli import main
from annotate.corpus import discover
from tests.conftest import ROOT, SEED_ID
from tests.test_cli import assert_one_line_error, run

CONTRACT = {
    "article_id",
    "paragraph",
    "start",
    "end",
    "text",
    "cues",
    "source",
    "source_resolved",
    "suggested_label",
}


def test_json_lines_follow_the_contract(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suggest", str(corpus), "--json"]) == 0
    records = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    articles = {item.article_id: item.load() for item in discover([corpus])}
    assert {r["article_id"] for r in records} == set(articles)
    for record in records:
        assert set(record) == CONTRACT
        body = articles[record["article_id"]].body
        assert body[record["start"] : record["end"]] == record["text"]
        assert articles[record["article_id"]].paragraph_of(record["start"]) == record["paragraph"]
        for cue in record["cues"]:
            assert {"start", "end", "text"} <= set(cue)
            assert body[cue["start"] : cue["end"]] == cue["text"]
        if record["source"] is not None:
            assert set(record["source"]) == {"start", "end", "text"}
            assert body[record["source"]["start"] : record["source"]["end"]] == record["source"]["text"]
        assert record["source_resolved"] is None or isinstance(record["source_resolved"], str)
        assert record["suggested_label"] in {None, "confirmed", "disputed", "unattributed"}
    seed = [r for r in records if r["article_id"] == SEED_ID]
    assert seed[1]["source"]["text"] == "he" and seed[1]["source_resolved"] == "Ahmed Masood"
    assert [c["text"] for c in seed[1]["cues"]] == ["“", "”", "told"]


def test_readable_output_names_sources_and_cues(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suggest", str(seed)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"== {SEED_ID} (15 claims)")
    assert 'source: "he" [373:375] → Ahmed Masood (resolved)' in out
    assert "no indication dispute" in out and "unattributed  (no attribution cue or source)" in out


def test_labels_come_from_the_schema(seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "fever.yaml"
    schema.write_text(
        "name: fever\nversion: 1\nlabels:\n  - {name: SUPPORTS, key: '1'}\n  - {name: REFUTES, key: '2'}\n",
        encoding="utf-8",
    )
    assert main(["suggest", str(seed), "--json", "--schema", str(schema)]) == 0
    records = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["suggested_label"] for r in records} == {None}


def test_missing_article_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert_one_line_error(run("suggest", str(tmp_path / "nope.md")), "nope.md")


def test_closed_pipe_is_not_an_error() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "annotate", "suggest", *["corpus"] * 8],  # more than a pipe buffer
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in stderr
