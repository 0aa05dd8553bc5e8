"""Generated annotation files: N claims labelled by each of M annotators (DESIGN 4.3 events).

Shared by the benchmarks that read a million events (fold here; agreement and
export when those modules are present), so they all measure the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import orjson

from bench.articles import sentence_pool

ANNOTATORS = ("ann1", "ann2", "ann3", "ann4", "ann5")
LABELS = ("confirmed", "disputed", "unattributed", "not_a_claim")
CLAIMS_PER_ARTICLE = 100
SOURCES = ("Reuters", "a Taliban official", "the ministry", None, None, None)


def sizes(quick: bool) -> tuple[int, int]:
    """(claims, annotators): 200,000 × 5 = 1,000,000 events, or a tenth of that with --quick."""
    return (20_000 if quick else 200_000), len(ANNOTATORS)


def write_event_files(
    folder: Path,
    claims: int,
    annotators: int = len(ANNOTATORS),
    seed: int = 3,
    corpus: Path | None = None,
) -> list[Path]:
    """One `<annotator>.jsonl` per annotator, each labelling every claim once, in article order.

    Labels agree about 70% of the time; texts are corpus sentences, so lines
    have the size and escaping (quotes, non-ASCII) of real events. Each article
    is paragraphs of three claims, and its `article_sha256` is the hash of that
    body, so the events are current for the articles `corpus` receives (written
    when given, as `bench/article-NNNNN.md`: what export needs beside them).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = sentence_pool()
    articles = max(1, claims // CLAIMS_PER_ARTICLE)
    layout = []
    for article in range(articles):
        article_id = f"bench/article-{article:05d}"
        texts = [pool[(article * 31 + claim) % len(pool)] for claim in range(CLAIMS_PER_ARTICLE)]
        paragraphs = [" ".join(texts[first : first + 3]) for first in range(0, len(texts), 3)]
        body = "\n\n".join(paragraphs)
        sha = hashlib.sha256(body.encode()).hexdigest()
        if corpus is not None:
            path = corpus / f"{article_id}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"---\ntitle: Generated article {article}\noutlet: bench\nlicense: CC0-1.0\n---\n{body}\n",
                encoding="utf-8",
            )
        offset = 0
        for claim, text in enumerate(texts):
            if claim and claim % 3 == 0:
                offset += 1  # the second newline between paragraphs
            layout.append(
                (article_id, sha, claim // 3, offset, offset + len(text), text, rng.choice(LABELS[:3]))
            )
            offset += len(text) + 1
    paths = []
    for number in range(annotators):
        name = ANNOTATORS[number]
        path = folder / f"{name}.jsonl"
        with path.open("wb") as out:
            for index, (article_id, sha, paragraph, start, end, text, majority) in enumerate(layout):
                label = majority if rng.random() < 0.7 else rng.choice(LABELS)
                event = {
                    "v": 1,
                    "id": f"{name}-{index:08d}",
                    "ts": f"2026-01-{1 + index % 28:02d}T10:{index % 60:02d}:00.000Z",
                    "annotator": name,
                    "article_id": article_id,
                    "article_sha256": sha,
                    "paragraph": paragraph,
                    "start": start,
                    "end": end,
                    "text": text,
                    "op": "label",
                    "label": label,
                    "source": rng.choice(SOURCES),
                    "note": None,
                    "schema": "credibility/1",
                }
                out.write(orjson.dumps(event) + b"\n")
        paths.append(path)
    return paths
