"""`annotate agreement` and `annotate status` from the command line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotate.cli import main
from annotate.corpus import discover
from annotate.session import article_progress
from annotate.store import read_events
from tests.test_units import raw_event, write
from tests.votes import annotator_session, label_claims, seed_article

DESIGN_KEYS = {
    "units",
    "annotators",
    "percent_agreement",
    "krippendorff_alpha",
    "fleiss_kappa",
    "cohen_kappa",
    "per_label",
    "per_article",
    "notes",
}


@pytest.fixture
def three(seed: Path, annotations: Path) -> Path:
    """Three annotators on the seed article, with some disagreement and sources."""
    article = seed_article(seed)
    label_claims(
        annotations,
        "alice",
        article,
        ["confirmed", "disputed", "unattributed", "confirmed", "not_a_claim", "confirmed"],
        ["Reuters", None, None, "The Taliban"],
    )
    label_claims(
        annotations,
        "bob",
        article,
        ["confirmed", "disputed", "confirmed", "confirmed", "not_a_claim"],
        ["reuters", None, None, "taliban"],
    )
    label_claims(annotations, "carol", article, ["confirmed", "unattributed", "confirmed", "confirmed"])
    return annotations


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(list(args)) == 0
    return orjson.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_json_report_has_the_design_keys(three: Path, seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "agreement", str(three), "--json", "--corpus", str(seed.parent))
    assert report.keys() >= DESIGN_KEYS
    assert report["annotators"] == ["alice", "bob", "carol"]
    assert report["units"] == 5
    assert set(report["cohen_kappa"]) == {"alice|bob", "alice|carol", "bob|carol"}  # type: ignore[arg-type]
    assert list(report["per_label"]) == ["confirmed", "disputed", "unattributed", "not_a_claim"]  # type: ignore[arg-type]
    [(article_id, entry)] = report["per_article"].items()  # type: ignore[attr-defined]
    assert article_id == "panjshir-2021-09-06" and entry["units"] == 5
    assert isinstance(report["krippendorff_alpha"], float)
    assert report["fleiss_units"] == 4
    source = report["source_agreement"]
    # "Reuters"/"reuters" and "The Taliban"/"taliban" agree once normalised.
    assert source == {**source, "units": 2, "percent_agreement": 1.0}  # type: ignore[dict-item]


def test_undefined_coefficients_are_null_with_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "annotations"
    write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30)])
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 20, 30)])
    raw = capsys.readouterr()
    assert main(["agreement", str(folder), "--json"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text and "Infinity" not in text
    report = orjson.loads(text)
    assert report["krippendorff_alpha"] is None and report["fleiss_kappa"] is None
    assert report["cohen_kappa"] == {"a|b": None}
    assert report["percent_agreement"] == 1.0
    assert any("krippendorff_alpha" in note for note in report["notes"])
    assert raw.err == ""


def test_human_output_fits_80_columns(
    three: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for extra in ([], ["--by", "article"], ["--by", "annotator"], ["--by", "label"]):
        assert main(["agreement", str(three), *extra]) == 0
        out = capsys.readouterr().out
        assert max(len(line) for line in out.splitlines()) <= 80
        assert "Krippendorff's alpha" in out
    assert main(["agreement", str(three)]) == 0
    out = capsys.readouterr().out
    assert "alice × bob" in out and "alice × carol" in out and "bob × carol" in out
    assert "conf = confirmed" in out
    assert main(["agreement", str(three), "--by", "annotator"]) == 0
    assert "with majority" in capsys.readouterr().out


def test_one_annotator_gets_a_clear_message(
    seed: Path, annotations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    label_claims(annotations, "alice", seed_article(seed), ["confirmed"] * 3)
    assert main(["agreement", str(annotations), "--json"]) == 2
    err = capsys.readouterr().err
    assert "only alice" in err and "two or more annotators" in err and "Traceback" not in err
    empty = annotations.parent / "empty"
    empty.mkdir()
    assert main(["agreement", str(empty)]) == 2
    assert "no annotation events" in capsys.readouterr().err


def test_malformed_lines_listed_and_refused_unless_skip_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "annotations"
    path = write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30)])
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 20, 30, "disputed")])
    with path.open("ab") as handle:
        handle.write(b'garbage\n{"v": 1}\n')
    assert main(["agreement", str(folder), "--json"]) == 2
    captured = capsys.readouterr()
    assert f"{path}:3: malformed JSON" in captured.err and f"{path}:4: invalid event" in captured.err
    assert "--skip-bad" in captured.err and captured.out == ""
    report = run_json(capsys, "agreement", str(folder), "--json", "--skip-bad")
    assert report["units"] == 2 and report["skipped_lines"] == 2


def test_mixed_schemas_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "annotations"
    write(folder, "a", [raw_event("a", 0, 10)])
    write(folder, "b", [raw_event("b", 0, 10, schema="fever/1")])
    assert main(["agreement", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "different label schemas" in err and "a.jsonl" in err and "b.jsonl" in err


def test_status_counts_match_the_annotate_screen(
    three: Path, seed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = run_json(capsys, "status", str(three), "--corpus", str(seed.parent), "--json")
    rows = {row["annotator"]: row for row in payload["annotators"]["rows"]}  # type: ignore[index]
    articles = [item.load() for item in discover([seed.parent])]
    for name in ("alice", "bob", "carol"):
        events = read_events(three / f"{name}.jsonl").events
        progress = [article_progress(article, events) for article in articles]
        assert rows[name]["labelled"] == sum(done for done, _ in progress)
        assert rows[name]["claims"] == sum(total for _, total in progress)
    assert rows["alice"]["confirmed"] == 3 and rows["alice"]["not_a_claim"] == 1
    assert rows["carol"]["with_majority"] == pytest.approx(2 / 3, abs=1e-4)
    article_rows = {row["article"]: row for row in payload["articles"]["rows"]}  # type: ignore[index]
    assert article_rows["panjshir-2021-09-06"]["alice"] == "6/15"
    assert article_rows["panjshir-2021-09-06"]["units"] == 5
    assert len(article_rows) == len(articles)
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["status", str(three), "--corpus", str(seed.parent)]) == 0
    out = capsys.readouterr().out
    assert "Annotators" in out and "Articles" in out and "6/15" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_status_sections_are_extensible(
    three: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotate import status

    def assigned(data: status.StatusData) -> status.Section:
        return status.Section(
            "assigned", "Assigned", ["annotator", "assigned"], [[n, 1] for n in data.units.annotators]
        )

    monkeypatch.setattr(status, "SECTIONS", [*status.SECTIONS, assigned])
    payload = run_json(capsys, "status", str(three), "--json")
    assert list(payload) == ["annotators", "articles", "assigned"]


def test_status_reports_suggestion_acceptance(
    seed: Path, annotations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = seed_article(seed)
    suggested = {"label": "confirmed", "source": "Reuters"}
    with annotator_session(annotations, "dana", article) as session:
        session.set_label(0, "confirmed", suggested=suggested)
        session.set_label(1, "disputed", suggested=suggested)
    with annotator_session(annotations, "eve", article) as session:
        session.set_label(0, "confirmed", suggested=suggested)
        session.set_label(1, "confirmed", suggested=suggested)
    payload = run_json(capsys, "status", str(annotations), "--json")
    rows = {row["annotator"]: row for row in payload["acceptance"]["rows"]}  # type: ignore[index]
    assert rows["dana"]["label_suggested"] == 2 and rows["dana"]["label_accepted"] == 1
    assert rows["eve"]["label_accepted"] == 2 and rows["eve"]["label_rate"] == 1.0


def test_report_without_per_article_is_the_full_report_less_that_part(three: Path) -> None:
    # Export's card asks for the report without per-article figures (its costliest part):
    # everything else must be the same figures `annotate agreement` prints.
    from annotate.agreement import agreement_report
    from annotate.units import load_units

    # A second article where every vote is one label: its alpha is null, with a note.
    write(three, "dave", [raw_event("dave", 0, 10, label="disputed")])
    write(three, "erin", [raw_event("erin", 0, 10, label="disputed")])
    units = load_units([three])
    labels = ("confirmed", "disputed", "unattributed", "not_a_claim")
    full = agreement_report(units, labels)
    light = agreement_report(units, labels, per_article=False)
    assert "per_article" in full and "per_article" not in light
    per_article_notes = [note for note in full["notes"] if note.startswith("per_article")]
    assert per_article_notes, "the fixture should trigger the per_article note"
    assert light == {
        **{key: value for key, value in full.items() if key != "per_article"},
        "notes": [note for note in full["notes"] if not note.startswith("per_article")],
    }


def test_a_label_outside_the_schema_is_a_bad_line_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `validate` names it; agreement and status must not count it as a label.
    folder = tmp_path / "annotations"
    path = write(folder, "a", [raw_event("a", 0, 10), raw_event("a", 20, 30, "maybe")])
    write(folder, "b", [raw_event("b", 0, 10), raw_event("b", 20, 30, "disputed")])
    for command in (["agreement", str(folder), "--json"], ["status", str(folder), "--json"]):
        assert main(command) == 2
        captured = capsys.readouterr()
        assert f"{path}:2: unknown label 'maybe' for schema credibility/1" in captured.err
        assert "--skip-bad" in captured.err and captured.out == "" and "Traceback" not in captured.err
    report = run_json(capsys, "agreement", str(folder), "--json", "--skip-bad")
    assert "maybe" not in report["label_counts"] and "maybe" not in report["per_label"]  # type: ignore[operator]
    assert report["units"] == 1 and report["skipped_lines"] == 1
    status = run_json(capsys, "status", str(folder), "--json", "--skip-bad")
    assert "maybe" not in orjson.dumps(status).decode()


def test_table_card_and_json_show_the_same_figures(
    three: Path, seed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The table once rounded the JSON's four decimals again to three (0.3835 -> 0.384,
    # where the true 0.38348 is 0.383): every view shows the JSON's figure.
    monkeypatch.setenv("COLUMNS", "120")
    report = run_json(capsys, "agreement", str(three), "--json")
    assert main(["agreement", str(three)]) == 0
    table = capsys.readouterr().out
    alpha, percent = report["krippendorff_alpha"], report["percent_agreement"]
    assert isinstance(alpha, float) and isinstance(percent, float)
    assert f"{alpha:.4f}" in table and f"{percent * 100:.2f}%" in table
    out = three.parent / "out"
    out.mkdir()
    assert (
        main(
            [
                "export",
                "--corpus",
                str(seed.parent),
                "--annotations",
                str(three),
                "--out",
                str(out / "c.jsonl"),
            ]
        )
        == 0
    )
    assert f"| {alpha:.4f} |" in (out / "DATASET.md").read_text()


@pytest.mark.parametrize("columns", [80, 60])
def test_status_tables_fit_the_terminal_with_every_name_and_header_whole(
    seed: Path,
    annotations: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    columns: int,
) -> None:
    # The acceptance section has nine columns: squeezed into one table, the
    # annotator column folded away and the headers were cut to 8 letters.
    article = seed_article(seed)
    suggested = {"label": "confirmed", "source": "Reuters"}
    for name, labels in (
        ("annotator_one", ["confirmed", "disputed", "confirmed"]),
        ("alice", ["disputed"] * 3),
    ):
        with annotator_session(annotations, name, article) as session:
            for index, label in enumerate(labels):
                session.set_label(index, label, suggested=suggested)
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["status", str(annotations)]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= columns
    for header in ("label_suggested", "label_accepted", "source_suggested", "accept_key"):
        assert header in out, header
    acceptance = out[out.index("Suggestion acceptance") :]
    tables = acceptance.count("annotator ")
    assert tables >= 2 and acceptance.count("annotator_one") == tables and acceptance.count("alice") == tables
    payload = run_json(capsys, "status", str(annotations), "--json")
    rates = [row["label_rate"] for row in payload["acceptance"]["rows"]]  # type: ignore[index]
    assert rates == [round(rate, 4) for rate in rates] and 0.6667 in rates
