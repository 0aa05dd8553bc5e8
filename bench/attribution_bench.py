"""Attribution detection against the hand-labelled development set, and its speed.

    python bench/attribution_bench.py [--quick] [--json] [--errors]

Scores `annotate.attribution` on tests/data/attribution_dev.jsonl (90 claims of
eight corpus articles, labelled by hand before the rules were written; see
attribution_dev.yaml for the guidelines), and apart on attribution_heldout.jsonl
(21 claims of two more articles, labelled before the detector ever ran on them:
`heldout_*` figures, the fairer estimate for unseen text), and times
suggestions over the whole corpus.

Matching, per claim (micro-averaged over all claims):
- cues (attribution cues: reporting verbs, "according to", quotation marks;
  stance cues are scored apart): a predicted cue matches a gold cue of the same
  claim; each gold cue is matched at most once.
  *exact*: same start and end. *overlap*: the spans share at least one character.
  precision = matched / predicted, recall = matched / gold.
- source: at most one predicted and one gold span per claim; precision =
  correct / claims with a predicted source, recall = correct / claims with a
  gold source; *exact* and *overlap* as above.
- resolved: of the gold pronoun sources, how many got a resolved name that
  refers to the same person or group (same surname or head noun).
- stance: as cues, over dispute/hedge/confirmation cues.

`run(quick)` returns the figures for the `python -m bench` runner.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from annotate.attribution import (  # noqa: E402
    ATTRIBUTION_KINDS,
    STANCE_KINDS,
    ArticleAttribution,
    Suggestion,
    same_referent,
)
from annotate.corpus import Article, discover  # noqa: E402
from annotate.schema import DEFAULT_SCHEMA, load_schema  # noqa: E402
from annotate.segment import Claim, default_claims  # noqa: E402

DEV_SET = ROOT / "tests" / "data" / "attribution_dev.jsonl"
HELD_OUT = ROOT / "tests" / "data" / "attribution_heldout.jsonl"
CORPUS = ROOT / "corpus"

Spans = list[tuple[int, int]]


def _match(predicted: Spans, gold: Spans, overlap: bool) -> int:
    used: set[int] = set()
    matched = 0
    for p in predicted:
        for index, g in enumerate(gold):
            if index in used:
                continue
            if (p == g) if not overlap else (p[0] < g[1] and g[0] < p[1]):
                used.add(index)
                matched += 1
                break
    return matched


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def load_dev_set(path: Path = DEV_SET) -> list[dict[str, Any]]:
    """The labelled claims of a set (the development set by default)."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def score(records: list[dict[str, Any]], articles: dict[str, Article]) -> tuple[dict[str, float], list[str]]:
    """Precision and recall figures, and a line per disagreement (for --errors)."""
    detectors = {article_id: ArticleAttribution(article) for article_id, article in articles.items()}
    totals = dict.fromkeys(
        [
            "cue_pred", "cue_gold", "cue_exact", "cue_overlap",
            "stance_pred", "stance_gold", "stance_exact", "stance_overlap",
            "src_pred", "src_gold", "src_exact", "src_overlap",
            "res_gold", "res_ok",
        ],
        0,
    )  # fmt: skip
    errors: list[str] = []
    for record in records:
        article = articles[record["article_id"]]
        claim = Claim(record["start"], record["end"], record["paragraph"])
        suggestion: Suggestion = detectors[record["article_id"]].suggest(claim)
        for group, kinds, gold in (
            ("cue", ATTRIBUTION_KINDS, [(c["start"], c["end"]) for c in record["cues"]]),
            ("stance", STANCE_KINDS, [(c["start"], c["end"]) for c in record["stance"]]),
        ):
            predicted = sorted({(c.start, c.end) for c in suggestion.cues if c.kind in kinds})
            totals[f"{group}_pred"] += len(predicted)
            totals[f"{group}_gold"] += len(gold)
            totals[f"{group}_exact"] += _match(predicted, gold, overlap=False)
            totals[f"{group}_overlap"] += _match(predicted, gold, overlap=True)
            missing = [article.body[s:e] for s, e in gold if (s, e) not in predicted]
            extra = [article.body[s:e] for s, e in predicted if (s, e) not in gold]
            if missing or extra:
                errors.append(
                    f"{record['article_id']} @{record['start']} {group}: missing {missing} extra {extra}"
                )
        gold_source = record["source"]
        predicted_source = suggestion.source
        if predicted_source is not None:
            totals["src_pred"] += 1
        if gold_source is not None:
            totals["src_gold"] += 1
        if gold_source is not None and predicted_source is not None:
            g = (gold_source["start"], gold_source["end"])
            p = (predicted_source.start, predicted_source.end)
            totals["src_exact"] += p == g
            totals["src_overlap"] += p[0] < g[1] and g[0] < p[1]
        if (gold_source or {}).get("text") != (predicted_source.text if predicted_source else None):
            errors.append(
                f"{record['article_id']} @{record['start']} source: gold {gold_source and gold_source['text']!r}"
                f" got {predicted_source and predicted_source.text!r}"
            )
        if record["resolved"]:
            totals["res_gold"] += 1
            ok = bool(suggestion.source_resolved) and same_referent(
                record["resolved"], suggestion.source_resolved or ""
            )
            totals["res_ok"] += ok
            if not ok:
                errors.append(
                    f"{record['article_id']} @{record['start']} resolved: gold {record['resolved']!r}"
                    f" got {suggestion.source_resolved!r}"
                )
    figures = {
        "cue_precision_exact": _ratio(totals["cue_exact"], totals["cue_pred"]),
        "cue_recall_exact": _ratio(totals["cue_exact"], totals["cue_gold"]),
        "cue_precision_overlap": _ratio(totals["cue_overlap"], totals["cue_pred"]),
        "cue_recall_overlap": _ratio(totals["cue_overlap"], totals["cue_gold"]),
        "source_precision_exact": _ratio(totals["src_exact"], totals["src_pred"]),
        "source_recall_exact": _ratio(totals["src_exact"], totals["src_gold"]),
        "source_precision_overlap": _ratio(totals["src_overlap"], totals["src_pred"]),
        "source_recall_overlap": _ratio(totals["src_overlap"], totals["src_gold"]),
        "resolved_accuracy": _ratio(totals["res_ok"], totals["res_gold"]),
        "stance_precision_exact": _ratio(totals["stance_exact"], totals["stance_pred"]),
        "stance_recall_exact": _ratio(totals["stance_exact"], totals["stance_gold"]),
        "stance_precision_overlap": _ratio(totals["stance_overlap"], totals["stance_pred"]),
        "stance_recall_overlap": _ratio(totals["stance_overlap"], totals["stance_gold"]),
        "dev_claims": float(len(records)),
    }
    return figures, errors


def time_corpus(articles: dict[str, Article], repeats: int) -> float:
    """Seconds to suggest every claim of the corpus from a cold cache (best of `repeats`)."""
    from annotate import attribution

    labels = load_schema(DEFAULT_SCHEMA).names
    best = float("inf")
    for _ in range(repeats):
        attribution._local.cache_clear()
        started = time.perf_counter()
        for article in articles.values():
            detector = ArticleAttribution(article)
            for claim in default_claims(article):
                detector.suggest(claim, labels)
        best = min(best, time.perf_counter() - started)
    return best


def run(quick: bool = False) -> dict[str, float]:
    """All figures: dev-set precision/recall and the corpus timing."""
    articles = {item.article_id: item.load() for item in discover([CORPUS])}
    figures, _ = score(load_dev_set(), articles)
    held_out, _ = score(load_dev_set(HELD_OUT), articles)
    figures.update({f"heldout_{key}": value for key, value in held_out.items() if key != "dev_claims"})
    figures["heldout_claims"] = held_out["dev_claims"]
    for article in articles.values():
        default_claims(article)  # segmentation is cached; it is not what is timed
    figures["suggest_corpus_s"] = time_corpus(articles, 1 if quick else 5)
    figures["corpus_claims"] = float(sum(len(default_claims(a)) for a in articles.values()))
    return figures


def main() -> int:
    """Print the figures as a table or JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timing run instead of five")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--errors", action="store_true", help="list every disagreement with the dev set")
    args = parser.parse_args()
    figures = run(args.quick)
    if args.errors:
        articles = {item.article_id: item.load() for item in discover([CORPUS])}
        for path in (DEV_SET, HELD_OUT):
            for line in score(load_dev_set(path), articles)[1]:
                print(f"{path.stem}: {line}")
    if args.json:
        print(orjson.dumps(figures).decode())
    else:
        for key, value in figures.items():
            print(f"{key:28} {value:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
