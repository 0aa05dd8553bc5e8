"""--jobs: work shared with forked children gives the same result as one process, and fails as cleanly.

The size thresholds are lowered so that the small test data goes through the
children; a spy on `Child` checks that it did, so these tests cannot pass on
the one-process path alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

import annotate.export
import annotate.forked
import annotate.units
from annotate.cli import find_corpus, load_corpus, main, schema_lookup
from annotate.errors import AnnotateError
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.units import UnitSet, load_units
from tests.conftest import ROOT
from tests.export_corpus import generate, vary_annotations

pytestmark = pytest.mark.skipif(not annotate.forked.can_fork(), reason="--jobs forks only on Linux")


Forks = list["annotate.forked.Child[object]"]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Forks:
    """Children are forked for any size of work; the list holds each one started."""
    monkeypatch.setattr(annotate.units, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(annotate.export, "PARALLEL_RECORDS", 0)
    started: Forks = []
    real = annotate.forked.Child.__init__

    def counted(self: annotate.forked.Child[object], work: object) -> None:
        real(self, work)  # type: ignore[arg-type]
        started.append(self)

    monkeypatch.setattr(annotate.forked.Child, "__init__", counted)
    return started


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Six annotators over eight articles with every kind of decision, stale and unknown events, a bad line."""
    generate(tmp_path, articles=8, claims_per_article=24, annotators=6, seed=5)
    articles = load_corpus([tmp_path / "corpus"]) or {}
    vary_annotations(tmp_path, articles)
    last = tmp_path / "annotations" / "annotator5.jsonl"
    events = [orjson.loads(line) for line in last.read_bytes().splitlines()]
    stale = {**events[0], "text": "not what the article says"}
    unknown = {**events[1], "article_id": "gone/article"}
    cleared = {**events[2], "op": "clear", "label": None, "source": None}
    merged = {**events[3], "segment": "merge", "action": "merge"}
    lines = [orjson.dumps(event) for event in [*events, stale, unknown, cleared, merged]]
    last.write_bytes(b"\n".join([*lines[:5], b"{not json", *lines[5:]]) + b"\n")
    return tmp_path


def state(units: UnitSet) -> dict[str, object]:
    """Everything a reader of a UnitSet can see."""
    return {
        "annotators": units.annotators,
        "labels": units.label_names,
        "keys": units.keys,
        "units": list(units.units()),
        "problems": [str(problem) for problem in units.problems],
        "stale": units.stale_events,
        "unknown": units.unknown_article_events,
        "unresolved": units.unresolved_labels,
        "notes": units.notes_for_report,
        "segments": units.segments,
        "schema": units.schema_ref,
        "overlap": sorted(units.overlap_keys),
        "gold": units.gold,
    }


@pytest.mark.parametrize("with_articles", [True, False])
def test_annotations_read_in_children_equal_one_process(
    project: Path, forks: Forks, with_articles: bool
) -> None:
    articles = load_corpus([project / "corpus"]) if with_articles else None
    if not with_articles:
        # Without the corpus, an article seen with two bodies in different files is left out.
        path = project / "annotations" / "annotator4.jsonl"
        events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        events[0]["article_sha256"] = "0" * 64
        path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    alone = load_units([project / "annotations"], articles, skip_bad=True, jobs=1)
    assert not forks
    for jobs in (2, 3, 6):
        shared = load_units([project / "annotations"], articles, skip_bad=True, jobs=jobs)
        assert forks, "no child was forked"
        assert state(shared) == state(alone)
        forks.clear()
    assert alone.overlap_units and alone.gold and alone.segments and alone.problems
    assert alone.stale_events if with_articles else alone.unresolved_labels


def test_an_annotator_cut_between_processes_ends_as_read_in_one(
    tmp_path: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One annotator file, so every cut falls inside it: each later part must
    # undo what it changed of the earlier parts, clears and dropped notes too.
    generate(tmp_path, articles=6, claims_per_article=16, annotators=1, seed=9)
    path = tmp_path / "annotations" / "annotator0.jsonl"
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    first, second, third = events[0], events[1], events[2]
    events[0] = {**first, "note": "a note the relabel drops"}
    events[1] = {**second, "note": "a note the clear drops"}
    events[2] = {**third, "note": "a note that stays"}
    later = [
        {**first, "segment": "split", "action": "split"},
        {**first, "label": "disputed", "source": "someone else", "note": None},
        {**second, "op": "clear", "label": None, "source": None, "note": None},
    ]
    lines = [orjson.dumps(event) for event in [*events, *later]]
    # A bad line near the end: its number is counted from the file's start in any process.
    path.write_bytes(b"\n".join([*lines[:-2], b"{not json", *lines[-2:]]) + b"\n")
    # The same annotator's events in a second folder, read after the first.
    again = tmp_path / "again" / "annotator0.jsonl"
    again.parent.mkdir()
    again.write_bytes(orjson.dumps({**third, "label": "unattributed"}) + b"\n")
    folders = [tmp_path / "annotations", again.parent]
    articles = load_corpus([tmp_path / "corpus"]) or {}
    alone = load_units(folders, articles, skip_bad=True, gold=[], jobs=1)
    assert not forks
    for jobs in range(2, 7):
        for corpus in (articles, find_corpus([tmp_path / "corpus"])):
            shared = load_units(folders, corpus, skip_bad=True, gold=[], jobs=jobs)
            assert forks, "no child was forked"
            assert state(shared) == state(alone)
            forks.clear()
    [problem] = alone.problems
    assert f"{path}:{len(lines) - 1}:" in str(problem)
    [unit] = [unit for unit in alone.units() if unit.key[1:] == (first["start"], first["end"])]
    assert unit.votes["annotator0"].label == "disputed" and unit.votes["annotator0"].note is None
    assert not [unit for unit in alone.units() if unit.key[1:] == (second["start"], second["end"])]
    [unit] = [unit for unit in alone.units() if unit.key[1:] == (third["start"], third["end"])]
    assert unit.votes["annotator0"].label == "unattributed" and unit.votes["annotator0"].note is None


def corrupt(path: Path, change: str) -> None:
    """Give the events of `path` (an annotator file read in a child) one kind of event the fold skips."""
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    first, second = events[0], events[1]
    if change == "unknown article":
        events.append({**second, "article_id": "gone/article"})
    elif change == "earlier body":  # every event about one article, made on another version of it
        events = [
            {**event, "article_sha256": "0" * 64} if event["article_id"] == second["article_id"] else event
            for event in events
        ]
    elif change == "wrong text":
        events[0] = {**first, "text": "not what the article says"}
    elif change == "wrong text later":
        events.append({**first, "text": "not what the article says", "label": "disputed"})
    elif change == "unknown label":  # a bad line in either case, found without the articles too
        events.append({**second, "label": "rumour"})
    elif change == "unknown label on an earlier body":  # stale first: skipped, not a bad line
        events.append({**second, "label": "rumour", "article_sha256": "0" * 64})
    elif change == "two bodies":
        events.append({**second, "article_sha256": "0" * 64, "label": "disputed"})
        events.append({**second, "label": "unattributed"})
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))


@pytest.mark.parametrize(
    "change",
    [
        "none",
        "unknown article",
        "earlier body",
        "wrong text",
        "wrong text later",
        "two bodies",
        "unknown label",
        "unknown label on an earlier body",
    ],
)
def test_children_started_before_the_articles_are_read_equal_one_process(
    tmp_path: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    # With a Corpus not read yet, children fold without the articles while this
    # process reads them; their result is kept only if every event in it was
    # made on the corpus's bodies, else their files are folded again here.
    generate(tmp_path, articles=8, claims_per_article=24, annotators=6, seed=5)
    articles = load_corpus([tmp_path / "corpus"]) or {}
    vary_annotations(tmp_path, articles)
    corrupt(tmp_path / "annotations" / "annotator5.jsonl", change)
    verdicts: list[tuple[bool, bool]] = []  # (the child read annotator5's events, its result kept)
    holds = annotate.units._Loader.holds

    def spied(self: annotate.units._Loader, folded: annotate.units._Folded) -> bool:
        verdicts.append(("annotator5" in folded.units.annotators, holds(self, folded)))
        return verdicts[-1][1]

    monkeypatch.setattr(annotate.units._Loader, "holds", spied)
    schemas = schema_lookup(load_schema(DEFAULT_SCHEMA))
    alone = load_units([tmp_path / "annotations"], articles, skip_bad=True, schemas=schemas, jobs=1)
    for jobs in (2, 3, 6):
        corpus = find_corpus([tmp_path / "corpus"])
        shared = load_units([tmp_path / "annotations"], corpus, skip_bad=True, schemas=schemas, jobs=jobs)
        assert forks, "no child was forked"
        assert state(shared) == state(alone)
        assert corpus is not None and corpus.articles == articles
        # Only a child that read the changed file (or part of it) can have its result refused,
        # and one of them is, unless nothing needs skipping.
        assert all(kept for changed, kept in verdicts if not changed)
        assert all(kept for _, kept in verdicts) is (change in ("none", "unknown label"))
        forks.clear()
        verdicts.clear()
    skipped = alone.stale_events + alone.unknown_article_events
    assert skipped == {"none": 0, "unknown label": 0, "earlier body": 24}.get(change, 1)
    assert len(alone.problems) == (change == "unknown label")


def test_a_bad_file_read_in_a_child_gives_the_same_one_line_error(project: Path, forks: Forks) -> None:
    path = project / "annotations" / "annotator5.jsonl"
    first = orjson.loads(path.read_bytes().splitlines()[0])
    path.write_bytes(path.read_bytes() + orjson.dumps({**first, "annotator": "someone"}) + b"\n")
    articles = load_corpus([project / "corpus"])
    messages = []
    for jobs in (1, 2):
        with pytest.raises(AnnotateError) as raised:
            load_units([project / "annotations"], articles, skip_bad=True, jobs=jobs)
        messages.append(str(raised.value))
    assert forks
    assert messages[0] == messages[1]
    assert "an event of annotator 'someone' in annotator5.jsonl" in messages[0]


def export(project: Path, out: Path, *extra: str) -> int:
    out.mkdir(exist_ok=True)
    arguments = ["export", "--corpus", str(project / "corpus"), "--annotations", str(project / "annotations")]
    return main([*arguments, "--out", str(out / "claims.jsonl"), "--skip-bad", "--force", *extra])


@pytest.mark.parametrize(
    "extra",
    [
        ("--format", "jsonl", "--include-ties", "--include-not-a-claim"),
        ("--format", "jsonl", "--min-annotators", "3"),
        ("--format", "csv", "--split", "train=0.5,dev=0.25,test=0.25", "--seed", "4"),
    ],
)
def test_export_in_children_is_byte_identical(project: Path, forks: Forks, extra: tuple[str, ...]) -> None:
    assert export(project, project / "one", *extra, "--jobs", "1") == 0
    assert not forks
    assert export(project, project / "two", *extra, "--jobs", "2") == 0
    assert forks
    one = {path.name: path.read_bytes() for path in (project / "one").iterdir()}
    two = {path.name: path.read_bytes() for path in (project / "two").iterdir()}
    assert len(one) >= 2 and one == two
    data = b"".join(content for name, content in one.items() if name != "DATASET.md")
    assert data.count(b"\n") > 100


def test_agreement_and_status_in_children_are_identical(
    project: Path, forks: Forks, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [str(project / "annotations"), "--corpus", str(project / "corpus"), "--skip-bad", "--json"]
    for command in ("agreement", "status"):
        outputs = []
        for jobs in ("1", "2"):
            assert main([command, *arguments, "--jobs", jobs]) == 0
            captured = capsys.readouterr()
            outputs.append((orjson.loads(captured.out), captured.err))
        assert forks
        forks.clear()
        assert outputs[0] == outputs[1]
        report = outputs[0][0]
        assert "skipped" in outputs[0][1]  # the bad line, listed the same way
        if command == "agreement":
            assert report["units"] > 100 and len(report["annotators"]) == 6
        else:
            assert len(report["annotators"]["rows"]) == 6


def failing_child(error: BaseException | None) -> object:
    def records_apart(*args: object) -> object:
        if error is None:
            os._exit(9)  # killed, or out of memory: no result comes back
        raise error

    return records_apart


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (None, "a worker process ended without its result"),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            "cannot write the export (No space left on device)",
        ),
    ],
)
def test_a_failed_child_replaces_nothing_and_says_so_in_one_line(
    project: Path,
    forks: Forks,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException | None,
    message: str,
) -> None:
    out = project / "out"
    out.mkdir()
    (out / "claims.jsonl").write_bytes(b"the earlier export\n")
    monkeypatch.setattr(annotate.export, "_records_apart", failing_child(error))
    assert export(project, out, "--jobs", "2") == 2
    assert forks
    lines = capsys.readouterr().err.strip().splitlines()
    assert message in lines[-1] and "Traceback" not in "\n".join(lines)
    assert [path.name for path in out.iterdir()] == ["claims.jsonl"]
    assert (out / "claims.jsonl").read_bytes() == b"the earlier export\n"


@pytest.mark.parametrize("jobs", ["0", "-2"])
def test_jobs_below_one_is_refused(project: Path, capsys: pytest.CaptureFixture[str], jobs: str) -> None:
    assert export(project, project / "out", "--jobs", jobs) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--jobs {jobs}: give 1 or more processes" in err
    assert not (project / "out" / "claims.jsonl").exists()


def test_parts_are_cut_at_line_starts_inside_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotate.units, "PARALLEL_BYTES", 0)
    Range = annotate.units.FileRange
    files = []
    for number in range(4):
        path = tmp_path / f"ann{number}.jsonl"
        path.write_bytes(b"123456789\n" * 10)  # 10 lines of 10 bytes
        files.append(path)
    f0, f1, f2, f3 = files
    parts = annotate.units.reading_parts
    # Shares of 400 bytes over 2.15 (a child's part costs 15% more): the first ends at byte 214.
    assert parts(files, 2) == [[Range(f0), Range(f1), Range(f2, 0, 20)], [Range(f2, 20), Range(f3)]]
    assert parts(files, 3) == [
        [Range(f0), Range(f1, 0, 50)],
        [Range(f1, 50), Range(f2, 0, 80)],
        [Range(f2, 80), Range(f3)],
    ]
    # A first process that reads the articles first (100 bytes' worth) gets less to fold.
    assert parts(files, 2, lead=100) == [[Range(f0), Range(f1, 0, 70)], [Range(f1, 70), Range(f2), Range(f3)]]
    # One line and no other line start: the cut moves to the file's end.
    f2.write_bytes(b"x" * 99 + b"\n")
    assert parts(files, 2) == [[Range(f0), Range(f1), Range(f2)], [Range(f3)]]
    f2.write_bytes(b"123456789\n" * 10)
    everything = b"".join(path.read_bytes() for path in files)
    for jobs in range(2, 12):
        cut = parts(files, jobs)
        assert 2 <= len(cut) <= jobs and all(cut[1:])
        ranges = [piece for part in cut for piece in part]
        # Every byte once, in file order; each piece from a line start to a line start.
        assert b"".join(path.read_bytes()[start:stop] for path, start, stop in ranges) == everything
        for path, start, stop in ranges:
            data = path.read_bytes()
            assert start == 0 or data[start - 1 : start] == b"\n"
            assert stop is None or data[stop - 1 : stop] == b"\n"
        # A file is cut at most once.
        assert max(Counter(path for path, _, _ in ranges).values()) <= 2
    assert parts(files, 1) == [[Range(path) for path in files]]


def process_state(pid: int) -> str:
    """The state letter of process `pid` (Z for a zombie), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_child_that_finished_first_keeps_its_records(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in review: the parent cleans up killed exports' partial files after
    # forking; a child that had already finished (a zombie until reaped) had its
    # share removed as stale, and the export failed. Here the parent looks only
    # once its children have finished.
    real = annotate.export.remove_stale_partials

    def after_the_children_finish(target: Path) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(process_state(c.pid) not in ("Z", "gone") for c in forks):
            time.sleep(0.01)
        real(target)

    monkeypatch.setattr(annotate.export, "remove_stale_partials", after_the_children_finish)
    assert export(project, project / "one", "--jobs", "1") == 0
    assert export(project, project / "two", "--jobs", "4", "--split", "a=0.25,b=0.25,c=0.25,d=0.25") == 0
    assert forks
    assert export(project, project / "three", "--jobs", "1", "--split", "a=0.25,b=0.25,c=0.25,d=0.25") == 0
    two = {path.name: path.read_bytes() for path in (project / "two").iterdir()}
    assert two == {path.name: path.read_bytes() for path in (project / "three").iterdir()}


def test_a_failed_fork_is_one_line_and_leaves_no_child(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The second fork fails (ENOMEM copying a large process's page tables, or EAGAIN at a process limit).
    real_fork = os.fork
    calls: list[int] = []

    def fork() -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOMEM, "Cannot allocate memory")
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    arguments = [str(project / "annotations"), "--corpus", str(project / "corpus"), "--skip-bad", "--json"]
    assert main(["agreement", *arguments, "--jobs", "3"]) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1
        and "cannot start a worker process (Cannot allocate memory); pass --jobs 1" in err
    )
    assert len(forks) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0].pid, os.WNOHANG)  # stopped and reaped


def test_a_child_killed_while_sending_its_result_is_one_line(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Killed (the OOM killer, kill -9) part-way through sending: what arrived is not a result.
    monkeypatch.setattr(annotate.units, "_fold_apart", lambda *args: os.urandom(4_000_000))
    real_read = os.read

    def read(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        for child in forks:
            if data and fd == child._pipe:
                os.kill(child.pid, signal.SIGKILL)
        return data

    monkeypatch.setattr(os, "read", read)
    arguments = [str(project / "annotations"), "--corpus", str(project / "corpus"), "--skip-bad", "--json"]
    assert main(["agreement", *arguments, "--jobs", "2"]) == 2
    assert forks
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a worker process ended without its result" in err


# `annotate export` with the size thresholds lowered, in a subprocess (for a file size limit).
EXPORT_IN_CHILDREN = (
    "import sys, annotate.units, annotate.export; "
    "annotate.units.PARALLEL_BYTES = annotate.export.PARALLEL_RECORDS = 0; "
    "from annotate.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_while_writing_records_leaves_no_partial_file(project: Path, jobs: str) -> None:
    # Found in review: discarding the staged files closed each one first, which
    # flushed its buffer, failed again on the full disk and left the partial files.
    out = project / "out"
    out.mkdir()
    arguments = ["export", "--corpus", str(project / "corpus"), "--annotations", str(project / "annotations")]
    arguments += ["--out", str(out / "claims.jsonl"), "--force", "--skip-bad", "--jobs", jobs]
    first = subprocess.run(
        [sys.executable, "-c", EXPORT_IN_CHILDREN, *arguments], cwd=ROOT, capture_output=True
    )
    assert first.returncode == 0, first.stderr
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    limit = len(before["claims.jsonl"]) * 4 // 5  # more than a child's share, less than the whole file

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    second = subprocess.run(
        [sys.executable, "-c", EXPORT_IN_CHILDREN, *arguments],
        cwd=ROOT,
        capture_output=True,
        preexec_fn=full_disk,
    )
    err = second.stderr.decode()
    assert second.returncode == 2 and "cannot write the export" in err and "Traceback" not in err
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_an_export_with_no_votes_is_the_same_with_children(project: Path, forks: Forks) -> None:
    # Every label cleared: no unit has a vote, so there is no range to share out.
    for path in (project / "annotations").glob("*.jsonl"):
        events = [orjson.loads(line) for line in path.read_bytes().splitlines() if line != b"{not json"]
        cleared = [{**event, "op": "clear", "label": None, "source": None, "note": None} for event in events]
        path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events + cleared))
    shutil.rmtree(project / "annotations" / "gold")
    assert export(project, project / "one", "--jobs", "1") == 0
    assert export(project, project / "two", "--jobs", "2") == 0
    one = {path.name: path.read_bytes() for path in (project / "one").iterdir()}
    assert one == {path.name: path.read_bytes() for path in (project / "two").iterdir()}
    assert one["claims.jsonl"] == b""


def test_each_ticket_is_taken_once_by_one_of_the_processes() -> None:
    tickets = annotate.forked.Tickets(annotate.forked.Tickets.LIMIT)

    def take_slowly(report: object) -> list[int]:
        taken = []
        while (ticket := tickets.take()) is not None:
            taken.append(ticket)
            time.sleep(0.001)
        return taken

    children = annotate.forked.start_children([take_slowly, take_slowly])
    mine = take_slowly(None)
    theirs = [child.result() for child in children]
    tickets.close()
    everything = sorted([*mine, *theirs[0], *theirs[1]])
    assert everything == list(range(annotate.forked.Tickets.LIMIT))
    assert mine and all(theirs)  # every process had some
    with pytest.raises(ValueError, match="256 tickets"):
        annotate.forked.Tickets(256)


def test_pieces_made_by_several_processes_land_in_piece_order(tmp_path: Path) -> None:
    # Each process makes the pieces it takes, at its own pace, and writes each
    # straight into the files once every earlier piece's size is known: the
    # files hold every piece in piece order, whoever made it and whenever.
    count = 60
    tickets = annotate.forked.Tickets(count)
    sizes = annotate.forked.SharedSizes(count * 2)
    first, second = (tmp_path / "claims.csv").open("wb"), (tmp_path / "claims.train.csv").open("wb")
    first.write(b"header\n")  # a piece's place is after what the file holds already
    first.flush()
    placed = annotate.export._PlacedPieces([first, second], count, sizes)

    def contents(number: int) -> list[annotate.export._Chunks]:
        # Pieces of different sizes, some empty in the second file (no record of that split).
        first, second = annotate.export._Chunks(), annotate.export._Chunks()
        for _ in range(number % 4 + 1):
            first.write(b"piece %d\n" % number)
        if number % 2:
            second.write(b"train %d\n" % number)
        return [first, second]

    def make(report: object) -> list[int]:
        rng = random.Random(os.getpid())
        taken = []
        while (number := tickets.take()) is not None:
            time.sleep(rng.uniform(0, 0.004))
            placed.add(number, contents(number))
            taken.append(number)
        while not placed.place():
            time.sleep(0.001)
        return taken

    children = annotate.forked.start_children([make, make])
    mine = make(None)
    theirs = [child.result() for child in children]
    tickets.close()
    first.close()
    second.close()
    assert mine and all(theirs) and sorted([*mine, *theirs[0], *theirs[1]]) == list(range(count))
    expected = [b"".join(b"".join(contents(n)[column]) for n in range(count)) for column in (0, 1)]
    assert (tmp_path / "claims.csv").read_bytes() == b"header\n" + expected[0]
    assert (tmp_path / "claims.train.csv").read_bytes() == expected[1]
    assert placed.end(0) == len(b"header\n" + expected[0]) and placed.end(1) == len(expected[1])


def test_a_piece_written_in_part_is_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pwritev may write less than asked (a signal, a nearly full disk): the rest follows.
    real = os.pwritev

    def short(fd: int, buffers: list[bytes], at: int) -> int:
        return real(fd, [b"".join(buffers)[:3]], at)

    monkeypatch.setattr(os, "pwritev", short)
    monkeypatch.setattr(annotate.export, "_IOV_MAX", 2)  # and more chunks than one call takes
    chunks = [b"first line\n", b"second\n", b"third\n", b"", b"fourth\n", b"fifth\n"]
    with (tmp_path / "claims.jsonl").open("wb") as handle:
        handle.write(b"header\n")
        handle.flush()
        annotate.export._write_at(handle.fileno(), chunks, 7)
    assert (tmp_path / "claims.jsonl").read_bytes() == b"header\n" + b"".join(chunks)


def test_a_shared_size_reads_as_unset_until_it_is_set() -> None:
    sizes = annotate.forked.SharedSizes(3)
    assert [sizes.get(i) for i in range(3)] == [None, None, None] and sizes.run(0, 3) is None
    sizes.set(0, 0)
    sizes.set(2, 2**40)
    assert [sizes.get(i) for i in range(3)] == [0, None, 2**40] and sizes.run(0, 2) is None
    sizes.set(1, 7)
    assert sizes.run(0, 3) == [0, 7, 2**40]
    sizes.close()


def open_descriptors() -> dict[int, str]:
    found = {}
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return found


def test_a_fork_refused_for_the_records_leaves_nothing_open(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found in review: the tickets' pipe stayed open when the records' fork failed.
    real_fork, calls = os.fork, []

    def fork() -> int:
        calls.append(1)
        if len(calls) == 2:  # the first forks the reading's child, the second the records'
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    before = open_descriptors()
    assert export(project, project / "out", "--jobs", "2") == 2
    assert "cannot start a worker process" in capsys.readouterr().err
    assert {fd: what for fd, what in open_descriptors().items() if before.get(fd) != what} == {}
    assert [path.name for path in (project / "out").iterdir()] == []


def test_the_summary_counts_come_in_the_same_order_with_children(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in review: counts were added up process by process, not piece by piece.
    seen = []
    real = annotate.export.export_dataset

    def spied(*args: Any, **kwargs: Any) -> annotate.export.ExportSummary:
        summary = real(*args, **kwargs)
        names = ["labels", "decisions", "article_records", "annotator_votes", "excluded", "per_split"]
        names += ["articles_per_split", "labels_per_split"]
        seen.append({name: list(getattr(summary, name).items()) for name in names})
        return summary

    monkeypatch.setattr(annotate.export, "export_dataset", spied)
    for jobs in ("1", "2"):
        split = ("--split", "a=0.5,b=0.5")
        assert export(project, project / f"out{jobs}", "--format", "csv", *split, "--jobs", jobs) == 0
    assert forks
    assert seen[0] == seen[1] and seen[0]["per_split"]


def test_a_full_disk_while_writing_pieces_names_the_folder_as_one_process_does(project: Path) -> None:
    out = project / "out"
    out.mkdir()
    arguments = ["export", "--corpus", str(project / "corpus"), "--annotations", str(project / "annotations")]
    arguments += ["--out", str(out / "claims.jsonl"), "--force", "--skip-bad"]

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    errors = []
    for jobs in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", EXPORT_IN_CHILDREN, *arguments, "--jobs", jobs],
            cwd=ROOT,
            capture_output=True,
            preexec_fn=full_disk,
        )
        assert done.returncode == 2
        errors.append(done.stderr.decode().splitlines()[-1])
        assert list(out.iterdir()) == []
    assert errors[0] == errors[1]
    assert f"{out}: cannot write the export" in errors[0]


def test_a_slow_child_holds_back_how_many_pieces_this_process_keeps_in_memory(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child is slow with its first piece (a stopped process, more processes
    # than cores): the pieces after it cannot be written yet, and this process
    # waits rather than hold more than MOST_HELD of them in memory.
    assert export(project, project / "one", "--jobs", "1") == 0
    parent = os.getpid()
    real_records = annotate.export._records
    slowed: list[bool] = []

    def slow_first_piece_in_the_child(*args: Any) -> object:
        if os.getpid() != parent and not slowed:
            slowed.append(True)
            time.sleep(0.5)
        return real_records(*args)

    held: list[int] = []
    real_add = annotate.export._PlacedPieces.add

    def counted(self: annotate.export._PlacedPieces, number: int, contents: Any) -> None:
        real_add(self, number, contents)
        if os.getpid() == parent:
            held.append(len(self.held))

    monkeypatch.setattr(annotate.export, "_records", slow_first_piece_in_the_child)
    monkeypatch.setattr(annotate.export._PlacedPieces, "add", counted)
    monkeypatch.setattr(annotate.export, "MOST_HELD", 2)
    monkeypatch.setattr(annotate.export, "PIECES_PER_PROCESS", 100)  # a piece per article
    assert export(project, project / "two", "--jobs", "2") == 0
    assert forks
    assert len(held) >= 4 and max(held) == 2  # it held some, and never more than two
    one = {path.name: path.read_bytes() for path in (project / "one").iterdir()}
    assert one == {path.name: path.read_bytes() for path in (project / "two").iterdir()}


def test_a_child_killed_holding_a_piece_replaces_nothing(
    project: Path, forks: Forks, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The child takes a piece and dies with it: this process writes the rest,
    # then finds the child's result missing; no piece may go missing silently.
    out = project / "out"
    out.mkdir()
    (out / "claims.jsonl").write_bytes(b"the earlier export\n")

    def takes_a_piece_and_dies(*args: Any) -> object:
        assert args[0].tickets.take() is not None
        os._exit(9)

    monkeypatch.setattr(annotate.export, "_records_apart", takes_a_piece_and_dies)
    assert export(project, out, "--jobs", "2") == 2
    assert forks
    err = capsys.readouterr().err
    assert "a worker process ended without its result" in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert [path.name for path in out.iterdir()] == ["claims.jsonl"]
    assert (out / "claims.jsonl").read_bytes() == b"the earlier export\n"


# An export with three processes in which the child forked last takes a piece
# and dies with it, once its sibling is running; this process takes its pieces
# only after a second, so the survivor takes the rest and waits for the lost one.
LAST_CHILD_DIES = """
import os, sys, time
import annotate.agreement, annotate.export, annotate.units
from annotate.cli import main

annotate.units.PARALLEL_BYTES = annotate.export.PARALLEL_RECORDS = 0
real = annotate.export._records_apart
parent = os.getpid()


def children():
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return found


def last_child_dies(work, report):
    time.sleep(0.3)  # both children are forked by now
    if os.getpid() == max(children()):
        work.tickets.take()
        os._exit(9)
    return real(work, report)


def slow_agreement(*args, **kwargs):
    time.sleep(1)  # this process's part before it takes pieces: the children take them all
    return real_agreement(*args, **kwargs)


real_agreement = annotate.agreement.agreement_report
annotate.agreement.agreement_report = slow_agreement
annotate.export._records_apart = last_child_dies
sys.exit(main(sys.argv[1:]))
"""


def test_a_child_killed_holding_a_piece_its_sibling_waits_for_ends_the_export(project: Path) -> None:
    # The surviving child waits for the size of the piece the other took: this
    # process must notice the dead one rather than wait on the survivor for ever.
    out = project / "out"
    out.mkdir()
    (out / "claims.jsonl").write_bytes(b"the earlier export\n")
    arguments = ["export", "--corpus", str(project / "corpus"), "--annotations", str(project / "annotations")]
    arguments += ["--out", str(out / "claims.jsonl"), "--force", "--skip-bad", "--jobs", "3"]
    done = subprocess.run(
        [sys.executable, "-c", LAST_CHILD_DIES, *arguments], cwd=ROOT, capture_output=True, timeout=60
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "a worker process ended without its result" in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert [path.name for path in out.iterdir()] == ["claims.jsonl"]
    assert (out / "claims.jsonl").read_bytes() == b"the earlier export\n"


def test_an_adjudicated_event_where_a_file_is_cut_is_refused_as_in_one_process(
    tmp_path: Path, forks: Forks
) -> None:
    # Found in review: the check ran only where the annotator changed, which a cut also does.
    generate(tmp_path, articles=2, claims_per_article=8, annotators=1, seed=1)
    path = tmp_path / "annotations" / "annotator0.jsonl"
    [[_], [cut]] = annotate.units.reading_parts([path], 2)
    data = path.read_bytes()
    events = [orjson.loads(line) for line in data.splitlines()]
    number = data[: cut.start].count(b"\n")
    events[number]["adjudicated"] = True
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    messages = []
    for jobs in (1, 2):
        with pytest.raises(AnnotateError) as raised:
            load_units([path], None, gold=[], jobs=jobs)
        messages.append(str(raised.value))
    assert forks
    assert (
        messages[0] == messages[1]
        and f"annotator0.jsonl:{number + 1}: this file holds adjudicated" in messages[0]
    )


def test_segments_come_in_the_order_of_one_process(tmp_path: Path, forks: Forks) -> None:
    # A child that reads annotator0, then annotator1's merge, then annotator0's (second folder) merge.
    generate(tmp_path, articles=2, claims_per_article=8, annotators=2, seed=1)
    folder = tmp_path / "annotations"
    second = [orjson.loads(line) for line in (folder / "annotator1.jsonl").read_bytes().splitlines()]
    with (folder / "annotator1.jsonl").open("ab") as handle:
        handle.write(orjson.dumps({**second[-1], "segment": "merge", "action": "merge"}) + b"\n")
    own = (folder / "annotator0.jsonl").read_bytes()
    (folder / "annotator0.jsonl").write_bytes(own * 2)  # the cut falls inside annotator0.jsonl
    first = orjson.loads(own.splitlines()[0])
    again = tmp_path / "again" / "annotator0.jsonl"
    again.parent.mkdir()
    again.write_bytes(orjson.dumps({**first, "segment": "split", "action": "split"}) + b"\n")
    paths = [folder, again.parent]
    alone = load_units(paths, None, gold=[], jobs=1)
    shared = load_units(paths, None, gold=[], jobs=2)
    assert forks
    assert annotate.units.reading_parts(annotate.units.event_files(paths), 2)[0][0].stop
    assert list(alone.segments) == [(1, "gen-00001"), (0, "gen-00000")]
    assert list(shared.segments) == list(alone.segments)


def test_a_child_keeps_what_it_is_told_to_until_it_exits_and_this_process_keeps_nothing() -> None:
    import weakref

    class Spans:
        """Stands for what a child's reading leaves unsent."""

    spans = Spans()
    freed = weakref.ref(spans)
    annotate.forked.keep_to_exit(spans)  # in this process: kept by nobody
    del spans
    assert freed() is None

    def work(report: annotate.forked.Report) -> int:
        annotate.forked.keep_to_exit(Spans())
        return len(annotate.forked._KEPT)

    assert annotate.forked.Child(work).result() == 1
    assert annotate.forked._KEPT == []


def test_the_package_imports_and_forks_where_there_is_no_fcntl() -> None:
    # fcntl is POSIX only (Windows has none); it only enlarges the result pipe here.
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import annotate.cli, annotate.forked\n"
        "child = annotate.forked.Child(lambda report: 'sent back')\n"
        "print(child.result())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sent back"
