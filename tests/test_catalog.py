"""Corpus listing (metadata only) and `annotate corpus stats`."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotate.catalog import read_catalog
from annotate.cli import main
from annotate.corpus import discover
from tests.conftest import SEED_ID


@pytest.fixture
def corpus(four_articles: Path) -> Path:
    """These tests' figures were worked out on the four original sample articles."""
    return four_articles


def test_catalog_reads_metadata_like_the_loader(corpus: Path) -> None:
    (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    entries = {entry.article_id: entry for entry in read_catalog(discover([corpus]))}
    for item in discover([corpus]):
        if item.article_id == "broken":
            continue
        article = item.load()
        entry = entries[item.article_id]
        assert (entry.title, entry.outlet, entry.date) == (
            article.title,
            article.meta_text("outlet"),
            article.meta_text("date"),
        )
    assert entries[SEED_ID].author == "Aashruti Vohra"
    problem = entries["broken"].problem
    assert problem is not None and "broken.md:" in problem and "invalid YAML front matter" in problem


def test_corpus_stats_json(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "stats", str(corpus), "--json"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["articles"] == 4
    assert report["paragraphs"] == 28
    assert report["claim_candidates"] == 43
    assert 1000 < report["words"] < 1100
    assert report["outlets"] == {"Wikinews": 2, "(none)": 1, "VOA": 1}
    assert report["dates"] == {
        "earliest": "2004-11-19",
        "latest": "2021-09-06",
        "undated": 0,
        "by_year": {"2004": 1, "2005": 1, "2006": 1, "2021": 1},
    }
    assert report["paragraphs_per_article"] == {"min": 4, "median": 6.5, "max": 11}


def test_corpus_stats_human_and_bad_article(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "stats", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "claim candidates          43" in out and "2004-11-19 to 2021-09-06" in out
    bad = corpus / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    assert main(["corpus", "stats", str(corpus)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "binary" in err[0]


def test_segmentation_gives_the_same_claims_from_two_threads_at_once() -> None:
    # The corpus screen segments in a worker thread while the UI thread opens
    # articles; a shared pysbd segmenter mixes up their texts.
    import threading

    from annotate.segment import sentence_spans

    texts = [
        f"Officials said {n} people were hurt. The army denied it on Monday. Talks resume soon, an aide said."
        for n in range(40)
    ] + [f"A short one {n}. Another follows here." for n in range(40)]
    expected = [sentence_spans(text) for text in texts]
    failures: list[int] = []

    def segment_all(order: list[int]) -> None:
        for _ in range(5):
            for index in order:
                if sentence_spans(texts[index]) != expected[index]:
                    failures.append(index)

    threads = [
        threading.Thread(target=segment_all, args=(list(range(len(texts))),)),
        threading.Thread(target=segment_all, args=(list(reversed(range(len(texts)))),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_catalog_cache_notices_changed_files_and_survives_damage(corpus: Path) -> None:
    from annotate.catalog import catalog_cache_file

    files = discover([corpus])
    first = {entry.article_id: entry.title for entry in read_catalog(files)}
    cache = catalog_cache_file(corpus)
    assert cache.exists()
    voa = corpus / "voa-2006-12-13-chad-army-rebels-claim-victory.md"
    text = voa.read_text(encoding="utf-8").replace("title: ", "title: Updated ", 1)
    voa.write_text(text + "\n", encoding="utf-8")  # a different size, whatever the clock says
    second = {entry.article_id: entry.title for entry in read_catalog(discover([corpus]))}
    assert second[voa.stem].startswith("Updated ")
    assert {k: v for k, v in second.items() if k != voa.stem} == {
        k: v for k, v in first.items() if k != voa.stem
    }
    cache.write_bytes(b'{"version": 1, "files": {"x": [1, "bad"]}}')
    assert {entry.article_id: entry.title for entry in read_catalog(discover([corpus]))} == second
    cache.write_bytes(b"\x00 not json")
    assert {entry.article_id: entry.title for entry in read_catalog(discover([corpus]))} == second
