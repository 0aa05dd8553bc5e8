"""Generated articles for the benchmarks, built from the sentences of the sample corpus."""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

from annotate.corpus import load_article

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "panjshir-2021-09-06.txt"

# Sentence ends for building the pool only; the app itself segments with pysbd.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][”\"’]))\s+(?=[“\"A-Z])")


@lru_cache(maxsize=1)
def sentence_pool() -> tuple[str, ...]:
    """Every sentence of the sample corpus: real news prose, with quotes, names and numbers."""
    pool: list[str] = []
    for path in sorted(CORPUS.iterdir()):
        article = load_article(path, CORPUS)
        for paragraph in article.paragraphs:
            pool.extend(part.strip() for part in _SENTENCE_END.split(paragraph) if len(part.strip()) > 20)
    return tuple(pool)


def long_article_text(paragraphs: int, seed: int = 7) -> str:
    """A Markdown article of `paragraphs` paragraphs of 1-5 corpus sentences each.

    Paragraphs are recombined at random (seeded), so no two are alike and the
    segmenter does real work on every one of them.
    """
    rng = random.Random(seed)
    pool = sentence_pool()
    body = []
    for index in range(paragraphs):
        sentences = [rng.choice(pool) for _ in range(rng.choice((1, 1, 2, 2, 3, 3, 4, 5)))]
        if index % 7 == 3:
            sentences[0] = f"In paragraph {index + 1}, {sentences[0][0].lower()}{sentences[0][1:]}"
        body.append(" ".join(sentences))
    front = f"---\ntitle: A generated long article ({paragraphs} paragraphs)\noutlet: bench\ndate: 2026-01-01\n---\n"
    return front + "\n\n".join(body) + "\n"


def write_long_article(folder: Path, paragraphs: int, seed: int = 7) -> Path:
    """Write the generated article to `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"long-{paragraphs}.md"
    path.write_text(long_article_text(paragraphs, seed), encoding="utf-8")
    return path
