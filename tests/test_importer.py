"""`annotate import`: sources become corpus files; bad input leaves the corpus untouched."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import orjson
import pytest

from annotate.cli import main
from annotate.corpus import discover, load_article
from tests.conftest import SEED_ID

SEED_TITLE = "Last Bastion of Afghan Independence to be Surrendered?"
SEED_NEW_ID = "2021-09-06-last-bastion-of-afghan-independence-to-be-surrendered"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("annotate: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (hidden ones too) with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def articles_in(folder: Path) -> dict[str, object]:
    return {item.article_id: item.load() for item in discover([folder])}


# -- plain text (the seed) ---------------------------------------------------------


def test_seed_raw_text_imports_to_expected_article(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    code, out, _ = run(capsys, "import", str(seed), "--corpus", str(target))
    assert code == 0
    assert "imported 1 articles" in out
    written = target / f"{SEED_NEW_ID}.md"
    article = load_article(written, target)
    assert article.article_id == SEED_NEW_ID
    assert article.meta["title"] == SEED_TITLE
    assert article.meta["author"] == "Aashruti Vohra"
    assert article.meta["date"] == "2021-09-06"
    assert article.meta["dateline"].startswith("06 Sep 2021 7:36:16 PM")
    assert article.meta["imported_from"] == f"{SEED_ID}.txt"
    assert len(article.paragraphs) == 9
    assert article.paragraphs[0].startswith("Ahmed Masood, one of the leaders")
    assert article.paragraphs[-1].endswith("he said.")
    assert "Post Comments" not in article.body and "By:" not in article.body
    # The same body as opening the raw file directly: labels made on it stay valid.
    assert article.sha256 == load_article(seed, seed.parent).sha256
    text = written.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: ")
    assert not list(target.glob(".import-*"))


def test_dry_run_shows_title_paragraphs_and_dropped_lines(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    code, out, err = run(capsys, "import", str(seed), "--corpus", str(target), "--dry-run")
    assert code == 0
    assert f"-> {SEED_NEW_ID}.md (new)" in out
    assert f"title: {SEED_TITLE}" in out
    assert "9 paragraphs" in out
    assert "metadata line: By: Aashruti Vohra" in out
    assert "dropped: Post Comments" in out
    assert "1 articles would be imported" in err
    assert not target.exists()


def test_reimport_is_a_no_op(seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out"
    run(capsys, "import", str(seed), "--corpus", str(target))
    before = snapshot(target)
    code, out, _ = run(capsys, "import", str(seed), "--corpus", str(target))
    assert code == 0
    assert "imported 0 articles" in out and "already imported" in out
    assert snapshot(target) == before
    # The same text from another file is recognised too.
    copy = tmp_path / "copy.txt"
    copy.write_bytes(seed.read_bytes() + b"\n\nShare this\n")
    code, out, _ = run(capsys, "import", str(copy), "--corpus", str(target))
    assert "same text is already in the corpus" in out
    assert snapshot(target) == before


def test_title_collision_gets_a_numbered_id_and_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    for name, body in (("a.txt", "First report of the day."), ("b.txt", "A different report entirely.")):
        (sources / name).write_text(f"Rebels Claim Victory\n\n{body}\n\nMore text here.\n", encoding="utf-8")
    target = tmp_path / "out"
    code, out, _ = run(capsys, "import", str(sources), "--corpus", str(target))
    assert code == 0
    assert set(articles_in(target)) == {"rebels-claim-victory", "rebels-claim-victory-2"}
    assert "id 'rebels-claim-victory' is taken" in out and "imported as 'rebels-claim-victory-2'" in out
    assert (
        load_article(target / "rebels-claim-victory.md", target).paragraphs[0] == "First report of the day."
    )
    # A third one next time continues the numbering, predictably.
    (sources / "c.txt").write_text("Rebels Claim Victory\n\nYet another one.\n\nEnd.\n", encoding="utf-8")
    run(capsys, "import", str(sources), "--corpus", str(target))
    assert "rebels-claim-victory-3" in articles_in(target)


# -- Markdown -------------------------------------------------------------------


def test_markdown_with_heading_links_images_and_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "story.md"
    source.write_text(
        "# Talks collapse in Geneva\n\nBy Jane Doe\n\n"
        "The envoy said the talks had [collapsed](https://example.org/x) on *Tuesday*,\n"
        "according to **two** officials.\n\n"
        "![a photo of the hall](hall.jpg)\n\n"
        "> A spokesman denied it.\n\n"
        "```\nconsole.log('x')\n```\n\n"
        "Share this\n",
        encoding="utf-8",
    )
    target = tmp_path / "out"
    _code, out, _ = run(capsys, "import", str(source), "--corpus", str(target), "--dry-run")
    assert "dropped: image: a photo of the hall" in out and "dropped: code block: console.log('x')" in out
    assert "dropped: Share this" in out
    run(capsys, "import", str(source), "--corpus", str(target))
    [article] = articles_in(target).values()
    assert article.meta["title"] == "Talks collapse in Geneva"  # type: ignore[attr-defined]
    assert article.meta["author"] == "Jane Doe"  # type: ignore[attr-defined]
    assert article.paragraphs == (  # type: ignore[attr-defined]
        "The envoy said the talks had collapsed on Tuesday, according to two officials.",
        "A spokesman denied it.",
    )


def test_markdown_with_front_matter_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "voa.md"
    source.write_text(
        "---\ntitle: Chad fighting\noutlet: VOA\ndate: 2006-12-13\nlicense: public domain\n---\n\nOne.\n\nTwo.\n",
        encoding="utf-8",
    )
    target = tmp_path / "out"
    run(capsys, "import", str(source), "--corpus", str(target))
    article = load_article(target / "2006-12-13-chad-fighting.md", target)
    assert article.meta["outlet"] == "VOA" and article.meta["license"] == "public domain"
    assert article.paragraphs == ("One.", "Two.")


# -- JSONL -----------------------------------------------------------------------


def test_jsonl_one_article_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        {
            "title": "Ceasefire agreed",
            "text": "Ceasefire agreed\n\nBoth sides agreed to a ceasefire, the UN said.\n\nFighting stopped at noon.",
            "url": "https://example.org/ceasefire",
            "date": "2021-09-07T10:15:00Z",
            "authors": ["A. Writer", "B. Writer"],
            "site_name": "Example News",
            "section": "world",
        },
        {
            "headline": "Markets fall",
            "body": "Shares fell sharply on Monday.\nAnalysts blamed rate fears.\nAdvertisement",
            "id": "markets/2021-09-08-markets",
        },
        {
            "title": "Listed",
            "paragraphs": ["First paragraph.", "Second paragraph."],
            "date": "8 September 2021",
        },
    ]
    source = tmp_path / "feed.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n\n")
    target = tmp_path / "out"
    code, _, _ = run(capsys, "import", str(source), "--corpus", str(target))
    assert code == 0
    articles = articles_in(target)
    assert set(articles) == {
        "2021-09-07-ceasefire-agreed",
        "markets/2021-09-08-markets",
        "2021-09-08-listed",
    }
    first = articles["2021-09-07-ceasefire-agreed"]
    assert first.paragraphs == ("Both sides agreed to a ceasefire, the UN said.", "Fighting stopped at noon.")  # type: ignore[attr-defined]
    assert first.meta["author"] == "A. Writer, B. Writer"  # type: ignore[attr-defined]
    assert first.meta["outlet"] == "Example News" and first.meta["section"] == "world"  # type: ignore[attr-defined]
    assert first.meta["date"] == "2021-09-07" and first.meta["imported_from"] == "feed.jsonl:1"  # type: ignore[attr-defined]
    markets = articles["markets/2021-09-08-markets"]
    assert markets.paragraphs == ("Shares fell sharply on Monday.", "Analysts blamed rate fears.")  # type: ignore[attr-defined]
    assert articles["2021-09-08-listed"].paragraphs == ("First paragraph.", "Second paragraph.")  # type: ignore[attr-defined]
    # Re-importing the same feed changes nothing.
    before = snapshot(target)
    code, out, _ = run(capsys, "import", str(source), "--corpus", str(target))
    assert "imported 0 articles" in out and snapshot(target) == before


def test_jsonl_bad_line_names_file_and_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "feed.jsonl"
    source.write_text(
        '{"title": "Good", "text": "A fine article.\\n\\nWith two paragraphs."}\n{"title": "Bad", "text": \n',
        encoding="utf-8",
    )
    target = tmp_path / "out"
    code, _, err = run(capsys, "import", str(source), "--corpus", str(target))
    assert code == 2
    one_line_error(err, f"{source}:2", "not valid JSON", "nothing was imported", "--skip-bad")
    assert snapshot(target) == {}
    code, out, err = run(capsys, "import", str(source), "--corpus", str(target), "--skip-bad")
    assert code == 0 and "imported 1 articles" in out and f"{source}:2" in err
    assert list(articles_in(target)) == ["good"]


def test_jsonl_duplicate_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "feed.jsonl"
    source.write_text(
        '{"id": "story-1", "text": "One text."}\n{"id": "story-1", "text": "Another text."}\n',
        encoding="utf-8",
    )
    target = tmp_path / "out"
    code, _, err = run(capsys, "import", str(source), "--corpus", str(target))
    assert code == 2
    one_line_error(err, f"{source}:2", "duplicate id 'story-1'", f"{source}:1")
    assert snapshot(target) == {}


# -- HTML --------------------------------------------------------------------------

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Rebels claim victory in Chad | Example News</title>
<meta property="og:title" content="Rebels claim victory in Chad">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2006-12-13T10:00:00Z">
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="https://example.org/world/chad-rebels">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<div class="cookie-banner"><p>We use cookies to improve your experience on our site.</p></div>
<main><article>
<h1>Rebels claim victory in Chad</h1>
<p class="byline">By Jane Doe</p>
<p>Chad's army and rebels both claimed victory on Wednesday after heavy fighting near the border with Sudan, officials in the capital said.</p>
<p>A rebel spokesman told Reuters that government forces had retreated from two towns. The government denied the report and said the rebels were pushed back across the border.</p>
<p>Independent confirmation was not possible, as journalists are barred from the area and telephone lines have been cut since Monday.</p>
<div class="share">Share this</div>
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/a">Unrelated story one</a></li><li><a href="/b">Unrelated story two</a></li></ul></aside>
<footer><p>Copyright 2006 Example News. All rights reserved.</p></footer>
</body></html>
"""


def test_html_page_imports_to_expected_article(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("trafilatura")
    source = tmp_path / "chad.html"
    source.write_text(ARTICLE_HTML, encoding="utf-8")
    target = tmp_path / "out"
    code, _, err = run(capsys, "import", str(source), "--corpus", str(target))
    assert code == 0, err
    article = load_article(target / "2006-12-13-rebels-claim-victory-in-chad.md", target)
    assert article.meta["title"] == "Rebels claim victory in Chad"
    assert article.meta["author"] == "Jane Doe"
    assert article.meta["outlet"] == "Example News"
    assert article.meta["date"] == "2006-12-13"
    assert article.meta["url"] == "https://example.org/world/chad-rebels"
    assert len(article.paragraphs) == 3
    assert article.paragraphs[0].startswith("Chad's army and rebels both claimed victory")
    assert article.paragraphs[2].endswith("cut since Monday.")
    for furniture in ("cookies", "Share this", "Unrelated story", "All rights reserved", "Sport", "By Jane"):
        assert furniture not in article.body


def test_html_without_an_article_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("trafilatura")
    source = tmp_path / "index.html"
    source.write_text(
        "<html><body><nav><a href='/'>Home</a></nav><ul><li><a href='/a'>A</a></li></ul></body></html>",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "import", str(source), "--corpus", str(tmp_path / "out"))
    assert code == 2
    one_line_error(err, str(source), "no article text could be extracted")
    assert not (tmp_path / "out").exists()


def test_html_without_trafilatura_says_how_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # makes `import trafilatura` fail
    source = tmp_path / "chad.html"
    source.write_text(ARTICLE_HTML, encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text("Title line\n\nSome text.\n", encoding="utf-8")
    code, _, err = run(
        capsys, "import", str(good), str(source), "--corpus", str(tmp_path / "out"), "--skip-bad"
    )
    assert code == 2
    one_line_error(err, "pip install 'annotate[html]'", str(source))
    assert not (tmp_path / "out").exists()


# -- bad input and atomicity --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.txt", b"  \n\n", "empty"),
        ("nul.txt", b"text\x00\x00more", "binary"),
        ("doc.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF file"),
        ("short.txt", b"na\xefve text", "encoding cannot be detected"),
        ("only-furniture.txt", b"A Title Line\n\nBy: Someone\n\nPost Comments\n", "no paragraphs left"),
        ("feed.jsonl", b'{"title": "No text here"}\n', "has no article text"),
        ("feed2.jsonl", b'{"id": "Bad Id!", "text": "x"}\n', "not a usable article id"),
        ("notes.docx", b"whatever", "unknown source type"),
    ],
)
def test_bad_source_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, needle: str
) -> None:
    corpus = tmp_path / "out"
    corpus.mkdir()
    (corpus / "kept.md").write_text("---\ntitle: Kept\n---\nBody.\n", encoding="utf-8")
    before = snapshot(corpus)
    good = tmp_path / "good.txt"
    good.write_text("A good title\n\nA good paragraph.\n", encoding="utf-8")
    source = tmp_path / name
    source.write_bytes(content)
    code, _, err = run(capsys, "import", str(good), str(source), "--corpus", str(corpus))
    assert code == 2
    one_line_error(err, str(source), needle)
    assert snapshot(corpus) == before


def test_non_utf8_text_is_detected_when_confident(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "Le gouvernement affirme avoir repoussé les rebelles\n\n"
        "Le gouvernement a déclaré mercredi que les rebelles avaient été repoussés près de la frontière. "
        "« Nous contrôlons la ville », a affirmé un porte-parole à l'agence.\n\n"
        "Les journalistes n'ont pas accès à la région, où les combats se poursuivent depuis lundi.\n"
    )
    source = tmp_path / "fr.txt"
    source.write_bytes(text.encode("cp1252"))
    target = tmp_path / "out"
    code, out, _ = run(capsys, "import", str(source), "--corpus", str(target))
    assert code == 0 and "decoded as cp1252" in out
    [article] = articles_in(target).values()
    assert article.meta["title"] == "Le gouvernement affirme avoir repoussé les rebelles"  # type: ignore[attr-defined]
    assert "« Nous contrôlons la ville »" in article.body  # type: ignore[attr-defined]
    # A forced encoding is used as given.
    short = tmp_path / "short.txt"
    short.write_bytes("Titre\n\nUn texte naïf.\n".encode("latin-1"))
    code, _, _ = run(capsys, "import", str(short), "--corpus", str(target), "--encoding", "latin-1")
    assert code == 0
    assert any("naïf" in a.body for a in articles_in(target).values())  # type: ignore[attr-defined]


def test_failed_write_leaves_the_corpus_exactly_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "out"
    corpus.mkdir()
    (corpus / "kept.md").write_text("---\ntitle: Kept\n---\nBody.\n", encoding="utf-8")
    sources = tmp_path / "src"
    sources.mkdir()
    for number in range(4):
        (sources / f"s{number}.txt").write_text(
            f"Story {number}\n\nText of story {number}.\n", encoding="utf-8"
        )
    before = snapshot(corpus)
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(src: object, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing_replace)
    code, _, err = run(capsys, "import", str(sources), "--corpus", str(corpus))
    assert code == 2
    one_line_error(err, "No space left on device", "nothing was imported")
    assert len(calls) == 3  # two files were already in place, and were taken back
    monkeypatch.setattr(os, "replace", real_replace)
    after = snapshot(corpus)
    after.pop(".import.lock", None)
    assert after == before
