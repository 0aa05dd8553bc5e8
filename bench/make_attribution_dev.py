"""Build tests/data/attribution_{dev,heldout}.jsonl from the hand-written YAML beside them.

The YAML names each span by its text in context (`⟦span⟧` inside a string that
occurs exactly once in the claim's paragraph); this script finds the body
offsets, checks every one, and writes one JSON object per claim:

    {"article_id", "paragraph", "start", "end", "text",
     "cues": [{start, end, text}], "source": {start, end, text} | null,
     "resolved": str | null, "stance": [{start, end, text, stance}]}

Run from the repository root: `python bench/make_attribution_dev.py`.
A test checks that the committed JSONL is what this script produces.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from annotate.corpus import Article, discover  # noqa: E402
from annotate.segment import default_claims  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = {"attribution_dev": "development set", "attribution_heldout": "held-out set"}
CORPUS = ROOT / "corpus"


def locate(article: Article, paragraph: int, marked: str) -> dict[str, Any]:
    """The body span written as `context ⟦span⟧ context`, unique in the paragraph.

    A leading "¶-1:" looks in the previous paragraph instead.
    """
    if marked.startswith("¶-1:"):
        marked, paragraph = marked[4:], paragraph - 1
    if marked.count("⟦") != 1 or marked.count("⟧") != 1:
        raise ValueError(f"{article.article_id}: {marked!r} needs exactly one ⟦span⟧")
    before, rest = marked.split("⟦")
    inner, after = rest.split("⟧")
    needle = before + inner + after
    text = article.paragraphs[paragraph]
    found = [i for i in range(len(text)) if text.startswith(needle, i)]
    if len(found) != 1:
        raise ValueError(f"{article.article_id} ¶{paragraph}: {needle!r} occurs {len(found)} times")
    start = article.paragraph_starts[paragraph] + found[0] + len(before)
    end = start + len(inner)
    assert article.body[start:end] == inner
    return {"start": start, "end": end, "text": inner}


def build(name: str = "attribution_dev") -> list[dict[str, Any]]:
    """Every labelled claim of `tests/data/<name>.yaml`, with body offsets."""
    spec = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    articles = {item.article_id: item.load() for item in discover([CORPUS])}
    records: list[dict[str, Any]] = []
    for article_id, claims in spec.items():
        article = articles[article_id]
        segments = default_claims(article)
        if [entry["claim"] for entry in claims] != list(range(len(segments))):
            raise ValueError(f"{article_id}: label every claim, in order (0..{len(segments) - 1})")
        for entry in claims:
            claim = segments[entry["claim"]]
            cues = [locate(article, claim.paragraph, cue) for cue in entry.get("cues") or []]
            source = locate(article, claim.paragraph, entry["source"]) if entry.get("source") else None
            stance = [
                {**locate(article, claim.paragraph, marked), "stance": kind}
                for kind, marked in entry.get("stance") or []
            ]
            records.append(
                {
                    "article_id": article_id,
                    "paragraph": claim.paragraph,
                    "start": claim.start,
                    "end": claim.end,
                    "text": article.body[claim.start : claim.end],
                    "cues": sorted(cues, key=lambda c: (c["start"], c["end"])),
                    "source": source,
                    "resolved": entry.get("resolved"),
                    "stance": sorted(stance, key=lambda c: (c["start"], c["end"])),
                }
            )
    return records


def encode(records: list[dict[str, Any]]) -> bytes:
    """The JSONL bytes for `records`."""
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def main() -> int:
    """Write each set's JSONL and say how many claims it holds."""
    for name in SETS:
        records = build(name)
        output = DATA / f"{name}.jsonl"
        output.write_bytes(encode(records))
        print(f"{output.relative_to(ROOT)}: {len(records)} claims", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
