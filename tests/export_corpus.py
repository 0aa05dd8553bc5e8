"""Generated corpora and annotation files for the export tests (crash test, decision check)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import orjson

WORDS = [
    "the",
    "army",
    "said",
    "rebels",
    "deny",
    "claim",
    "officials",
    "reported",
    "that",
    "talks",
    "failed",
    "“quoted”",
    "café",
    "🐱",
    "town",
]


def sentence(rng: random.Random) -> str:
    """A short sentence of sample words."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def generate(root: Path, articles: int, claims_per_article: int, annotators: int, seed: int = 1) -> int:
    """Write `root/corpus` and `root/annotations`; returns the number of events written.

    Each article has paragraphs of four sentences; every sentence is a claim that
    every annotator labels once, so events = articles x claims x annotators.
    """
    rng = random.Random(seed)
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    folder = root / "annotations"
    folder.mkdir(parents=True, exist_ok=True)
    labels = ["confirmed", "disputed", "unattributed", "not_a_claim"]
    handles = [(folder / f"annotator{n}.jsonl").open("wb") for n in range(annotators)]
    count = 0
    try:
        for a in range(articles):
            sentences = [sentence(rng) for _ in range(claims_per_article)]
            paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
            body = "\n\n".join(paragraphs)
            article_id = f"gen-{a:05d}"
            (corpus / f"{article_id}.md").write_text(
                f"---\ntitle: Generated {a}\nlicense: CC0\n---\n{body}\n", encoding="utf-8"
            )
            sha = hashlib.sha256(body.encode()).hexdigest()
            spans = []
            pos = 0
            for index, paragraph in enumerate(paragraphs):
                cursor = 0
                for piece in paragraph.split(". "):
                    text = piece if piece.endswith(".") else piece + "."
                    start = paragraph.index(text, cursor)
                    spans.append((index, pos + start, pos + start + len(text)))
                    cursor = start + len(text)
                pos += len(paragraph) + 2
            for n, handle in enumerate(handles):
                lines = []
                for paragraph_index, start, end in spans:
                    label = labels[0] if rng.random() < 0.6 else rng.choice(labels)
                    lines.append(
                        orjson.dumps(
                            {
                                "v": 1,
                                "id": f"{a}-{start}-{n}",
                                "ts": f"2024-01-{1 + n:02d}T10:00:00.000Z",
                                "annotator": f"annotator{n}",
                                "article_id": article_id,
                                "article_sha256": sha,
                                "paragraph": paragraph_index,
                                "start": start,
                                "end": end,
                                "text": body[start:end],
                                "op": "label",
                                "label": label,
                                "source": "Reuters" if label == "confirmed" else None,
                                "note": None,
                                "schema": "credibility/1",
                            }
                        )
                    )
                handle.write(b"\n".join(lines) + b"\n")
                count += len(lines)
    finally:
        for handle in handles:
            handle.close()
    return count
