"""Generated corpora and annotation files for the export tests (crash test, decision check)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from pathlib import Path

import orjson

from annotate.corpus import Article

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


def vary_annotations(root: Path, articles: Mapping[str, Article]) -> None:
    """Make `generate`'s annotations (four annotators or more) hold every kind of decision.

    Sources that differ in spelling, notes, annotator3 without some claims and
    with some claims merged with the next (matched by overlap), claims only
    annotator0 labelled (single decisions) and gold decisions.
    """
    # Sources that differ in spelling, notes, one annotator without some claims
    # and with some claims merged with the next (matched by overlap), and gold.
    path = root / "annotations" / "annotator3.jsonl"
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    rewritten = []
    skip = set()
    for number, event in enumerate(events):
        if number % 3 == 0 or number in skip:
            continue
        event["source"] = ["The Reuters", "reuters", None, "AP"][number % 4]
        event["note"] = "a note" if number % 5 == 0 else None
        after = events[number + 1] if number + 1 < len(events) else None
        if (
            number % 7 == 1
            and after
            and (after["article_id"], after["paragraph"])
            == (
                event["article_id"],
                event["paragraph"],
            )
        ):
            event["end"] = after["end"]
            event["text"] = articles[event["article_id"]].body[event["start"] : event["end"]]
            skip.add(number + 1)
        rewritten.append(orjson.dumps(event))
    path.write_bytes(b"\n".join(rewritten) + b"\n")
    # Some claims only annotator0 labelled (with a note): single decisions.
    for name in ("annotator0", "annotator1", "annotator2"):
        other = root / "annotations" / f"{name}.jsonl"
        kept = []
        for number, line in enumerate(other.read_bytes().splitlines()):
            if number % 39 == 6:
                if name != "annotator0":
                    continue
                line = orjson.dumps({**orjson.loads(line), "note": "only me"})
            kept.append(line)
        other.write_bytes(b"\n".join(kept) + b"\n")
    gold_events = []
    for number, line in enumerate((root / "annotations" / "annotator0.jsonl").read_bytes().splitlines()):
        if number % 11 == 0:
            event = orjson.loads(line)
            event.update(annotator="lead", label="disputed", source="the lead", note="why", adjudicated=True)
            gold_events.append(orjson.dumps(event))
    (root / "annotations" / "gold").mkdir()
    (root / "annotations" / "gold" / "lead.jsonl").write_bytes(b"\n".join(gold_events) + b"\n")
