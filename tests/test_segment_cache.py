"""Segmentation caches and background segmentation give exactly pysbd's claims."""

from __future__ import annotations

from pathlib import Path

import pysbd
import pytest

from annotate.corpus import load_article
from annotate.segment import (
    PYSBD_VERSION,
    BackgroundSegmentation,
    Claim,
    cache_dir,
    cached_claims,
    default_claims,
    forget_cached_claims,
    paragraph_claims,
    sentence_spans,
)
from annotate.session import EAGER_PARAGRAPHS
from annotate.tui.screens.annotate import AnnotateScreen
from bench.articles import long_article_text
from tests.conftest import CORPUS
from tests.tui_helpers import build, screen_text


def pysbd_claims(path: Path) -> list[Claim]:
    """The claims straight from pysbd, paragraph by paragraph, no cache involved."""
    article = load_article(path)
    claims = []
    for index, paragraph in enumerate(article.paragraphs):
        base = article.paragraph_starts[index]
        claims.extend(Claim(base + s, base + e, index) for s, e in sentence_spans(paragraph))
    return claims


def long_article(tmp_path: Path, paragraphs: int = 60) -> Path:
    path = tmp_path / "long.md"
    path.write_text(long_article_text(paragraphs), encoding="utf-8")
    return path


def test_pinned_pysbd_version_is_the_installed_one() -> None:
    assert pysbd.__version__ == PYSBD_VERSION


def test_cold_and_warm_claims_equal_pysbd_on_the_corpus(tmp_path: Path) -> None:
    paths = [*sorted(CORPUS.iterdir()), long_article(tmp_path)]
    for path in paths:
        expected = pysbd_claims(path)
        forget_cached_claims()
        assert default_claims(load_article(path)) == expected  # cold: segmented and written
        forget_cached_claims()
        assert cached_claims(load_article(path)) == expected  # warm: from the file
        assert default_claims(load_article(path)) == expected  # from memory
    files = list(cache_dir().iterdir())
    assert len(files) == len(paths) and not [f for f in files if f.name.startswith(".")]


def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path: Path) -> None:
    path = long_article(tmp_path, 30)
    article = load_article(path)
    expected = default_claims(article)
    cache_file = cache_dir() / f"{article.sha256}.json"
    for damage in [
        b"{not json",
        b"[]",
        cache_file.read_bytes().replace(b'"claims":[', b'"claims":[999999,1,0,'),
    ]:
        cache_file.write_bytes(damage)
        forget_cached_claims()
        assert cached_claims(article) is None
        assert default_claims(article) == expected


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a folder")
    article = load_article(long_article(tmp_path, 30))
    forget_cached_claims()
    assert default_claims(article) == pysbd_claims(article.path)


def test_background_segmentation_in_a_child_process_equals_pysbd(tmp_path: Path) -> None:
    path = long_article(tmp_path, 80)
    article = load_article(path)
    first = paragraph_claims(article, 0, 10)
    forget_cached_claims()
    background = BackgroundSegmentation(article, 10, first)
    chunks = list(background.chunks(size=25))
    assert [claim for chunk in chunks for claim in chunk] == pysbd_claims(path)[len(first) :]
    assert len(chunks) == 3
    forget_cached_claims()
    assert cached_claims(article) == pysbd_claims(path)


async def test_a_long_article_opens_before_it_is_segmented_and_labels_at_once(
    tmp_path: Path, annotations: Path
) -> None:
    path = long_article(tmp_path, EAGER_PARAGRAPHS * 3)
    forget_cached_claims()
    app = build([path], annotations)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        if screen.session.segmenting:  # almost always: the child needs ~0.3 s to start
            assert "segmenting" in screen_text(app)
        await pilot.press("1", "2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.session.segmenting
        assert screen.session.claims == pysbd_claims(path)
        assert "segmenting" not in screen_text(
            app
        ) and f"2/{len(screen.session.claims)} labelled" in screen_text(app)
    forget_cached_claims()
    assert cached_claims(load_article(path)) == pysbd_claims(path)
