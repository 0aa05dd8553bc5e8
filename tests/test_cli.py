"""The command line: bad input gets one line on stderr and exit 2; validate; help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.store import EventLog
from tests.conftest import ROOT


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"\x00\x00PK\x03\x04", "binary"),
        (b"\xff\xfe n\x00o", "binary"),
        (b"na\xefve text", "not UTF-8"),
    ],
)
def test_bad_article_exits_2(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = run("open", str(path), "--annotator", "alice", "--annotations", str(tmp_path / "ann"))
    assert_one_line_error(result, str(path), needle)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("open", str(tmp_path / "missing.md"), "--annotator", "alice", "--annotations", str(tmp_path))
    assert_one_line_error(result, "missing.md", "no such file")


def test_bad_annotator_name_exits_2(seed: Path, tmp_path: Path) -> None:
    result = run("open", str(seed), "--annotator", "Bad Name", "--annotations", str(tmp_path))
    assert_one_line_error(result, "'Bad Name'", "not allowed")
    assert not list(tmp_path.glob("*.jsonl"))


def test_invalid_schema_exits_2(seed: Path, tmp_path: Path) -> None:
    schema = tmp_path / "s.yaml"
    schema.write_text("name: s\nversion: 1\nlabels:\n  - {name: a, key: q}\n", encoding="utf-8")
    result = run(
        "open",
        str(seed),
        "--annotator",
        "alice",
        "--annotations",
        str(tmp_path),
        "--schema",
        str(schema),
    )
    assert_one_line_error(result, f"{schema}:4:", "navigation")


def test_malformed_event_line_exits_2(seed: Path, tmp_path: Path) -> None:
    (tmp_path / "alice.jsonl").write_text('{"v": 1, oops}\n', encoding="utf-8")
    result = run("open", str(seed), "--annotator", "alice", "--annotations", str(tmp_path))
    assert_one_line_error(result, "alice.jsonl:1:", "malformed JSON")


def test_unknown_label_in_events_exits_2(seed: Path, tmp_path: Path) -> None:
    line = (
        '{"v":1,"id":"x","ts":"2026-01-01T00:00:00.000Z","annotator":"alice","article_id":"a",'
        '"article_sha256":"0","paragraph":0,"start":0,"end":1,"text":"x","op":"label","label":"maybe",'
        '"source":null,"note":null,"schema":"credibility/1"}\n'
    )
    (tmp_path / "alice.jsonl").write_text(line, encoding="utf-8")
    result = run("open", str(seed), "--annotator", "alice", "--annotations", str(tmp_path))
    assert_one_line_error(result, "'maybe'", "--schema")


def test_second_session_is_refused(seed: Path, tmp_path: Path) -> None:
    with EventLog(tmp_path / "alice.jsonl"):
        result = run("open", str(seed), "--annotator", "alice", "--annotations", str(tmp_path))
    assert_one_line_error(result, "another annotate session")


def test_validate_reports_every_problem_with_line(corpus: Path, tmp_path: Path) -> None:
    annotations = tmp_path / "ann"
    # A corpus alone (no ./annotations yet) is fine; an --annotations that is not there is not.
    assert run("validate", str(corpus), cwd=tmp_path).returncode == 0
    assert_one_line_error(run("validate", str(corpus), "--annotations", str(annotations)), str(annotations))
    annotations.mkdir()
    (annotations / "bob.jsonl").write_text('{"v":1}\nnot json\n{"v":1,"id":"torn', encoding="utf-8")
    result = run("validate", str(corpus), "--annotations", str(annotations))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{annotations / 'bob.jsonl'}:{n}" for n in (1, 2, 3)]
    assert "torn line" in lines[2]


@pytest.mark.parametrize("command", [[], ["open"], ["validate"]])
def test_help_everywhere(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0 and "usage: annotate" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("annotate ")


def test_annotator_from_environment_is_validated(seed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "annotate", "open", str(seed), "--annotations", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "ANNOTATE_ANNOTATOR": "Not Valid"},
        timeout=60,
    )
    assert_one_line_error(result, "'Not Valid'", "ANNOTATE_ANNOTATOR")


def test_a_keymap_with_plus_and_minus_keys_is_taken(seed: Path, tmp_path: Path) -> None:
    from annotate.keymap import load_keymap
    from annotate.tui.keyboard_app import key_name

    path = tmp_path / "keymap.yaml"
    path.write_text("claim.next: '+'\nclaim.previous: minus\n", encoding="utf-8")
    screen = {"claim.next": "j", "claim.previous": "k"}
    assert load_keymap(path, [screen], key_name) == {"claim.next": "+", "claim.previous": "minus"}


@pytest.mark.parametrize(
    ("keymap", "needles"),
    [
        # The QA cases: each silently took an action away.
        ("claim.next: '2'\n", ["'2'", "'claim.next'", "'label.disputed'"]),
        ("label.confirmed: s\n", ["'s'", "'claim.source'", "'label.confirmed'"]),
        ("claim.next: j\nclaim.previous: j\n", ["'j'", "'claim.next'", "'claim.previous'"]),
        ("claim.next: '?'\n", ["'?'", "'claim.next'", "'help'"]),  # '?' is the key 'question_mark'
        ("claim.next: ctrl+bogus\n", ["'ctrl+bogus'", "not a key a terminal can send"]),
        ("claim.next: lft\n", ["'lft'", "not a key a terminal can send"]),
        ("claim.next: shift+j\n", ["'shift+j'", "'J' (not shift+j)"]),  # J would be paragraph.next
        ("claim.next: ctrl+i\n", ["'ctrl+i'", "ctrl+i is tab"]),
    ],
)
def test_a_keymap_that_would_lose_an_action_exits_2(
    seed: Path, tmp_path: Path, keymap: str, needles: list[str]
) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text(keymap, encoding="utf-8")
    result = run(
        "open", str(seed), "--annotator", "alice", "--annotations", str(tmp_path), "--keymap", str(path)
    )
    assert_one_line_error(result, str(path), *needles)


def test_output_piped_into_head_stops_quietly(corpus: Path, tmp_path: Path) -> None:
    annotations = tmp_path / "ann"
    annotations.mkdir()
    (annotations / "bob.jsonl").write_text("not json\n" * 5000, encoding="utf-8")
    command = f"{sys.executable} -m annotate validate {corpus} --annotations {annotations} | head -1"
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.count("\n") == 1 and "bob.jsonl:1:" in result.stdout
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_open_without_annotations_reads_the_annotations_folder_here(seed: Path, tmp_path: Path) -> None:
    # The set-up command gives no --annotations: the log is ./annotations/<annotator>.jsonl.
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "alice.jsonl").write_text("not an event\n", encoding="utf-8")
    result = run("open", str(seed), "--annotator", "alice", cwd=tmp_path)
    assert_one_line_error(result, str(Path("annotations") / "alice.jsonl"), "fix or remove the line")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["open", "corpus/"], Path("annotations")),
        (
            ["import-labels", "tasks.jsonl", "--format", "prodigy", "--annotator", "alice"],
            Path("annotations"),
        ),
        (["validate"], None),  # not given: a corpus can be checked without annotations
    ],
)
def test_each_command_has_its_own_annotations_default(command: list[str], expected: Path | None) -> None:
    from annotate.cli import build_parser

    assert build_parser().parse_args(command).annotations == expected
