"""Shared fixtures: a clean environment, the sample corpus, and an app factory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED_ID = "panjshir-2021-09-06"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No user configuration, annotator name or segmentation cache leaks into a test."""
    monkeypatch.delenv("ANNOTATE_KEYMAP", raising=False)
    monkeypatch.delenv("ANNOTATE_ANNOTATOR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the sample corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


# The four articles some tests' figures were worked out on (the sample corpus grows).
FOUR_ARTICLES = (
    f"{SEED_ID}.txt",
    "voa-2006-12-13-chad-army-rebels-claim-victory.md",
    "wikinews-2004-11-19-beheaded-bodies-found-mosul.md",
    "wikinews-2005-04-04-venezuela-buys-weapons-from-spain.md",
)


@pytest.fixture
def four_articles(tmp_path: Path) -> Path:
    """A private corpus of the four original sample articles."""
    target = tmp_path / "corpus"
    target.mkdir()
    for name in FOUR_ARTICLES:
        shutil.copy(CORPUS / name, target / name)
    return target


@pytest.fixture
def seed(corpus: Path) -> Path:
    """The seed article's path in the private corpus."""
    return corpus / f"{SEED_ID}.txt"


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Every event line of a file, parsed."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.fixture
def annotations(tmp_path: Path) -> Iterator[Path]:
    """An empty annotation folder."""
    folder = tmp_path / "annotations"
    yield folder
