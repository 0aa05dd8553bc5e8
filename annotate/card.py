"""The dataset card (`DATASET.md`) written beside an export.

Deterministic like the data: it states the date of the newest annotation
event, never the time of the export.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from annotate import __version__
from annotate.agreement import label_order
from annotate.corpus import Article
from annotate.schema import NOT_A_CLAIM

if TYPE_CHECKING:
    from annotate.export import ExportPlan, ExportSummary

RECORD_FIELDS = (
    ("id", "str", "`<article_id>:<start>-<end>`, unique"),
    ("article_id", "str", "the article's path in the corpus without extension"),
    ("article_sha256", "str", "SHA-256 of the article body the offsets index"),
    ("title, outlet, author, date, url, license", "str", 'the article\'s metadata ("" where absent)'),
    ("paragraph", "int", "0-based paragraph of the claim"),
    ("start, end", "int", "code point offsets into the body, end exclusive"),
    ("text", "str", "the claim: `body[start:end]`"),
    ("context", "str", "the whole paragraph the claim is in"),
    ("label", "str", 'the final label ("" for a tie)'),
    ("source", "str", 'who the claim is attributed to, as decided ("" for none)'),
    ("decision", "str", "how the label was decided: `gold`, `majority`, `single` or `tie`"),
    ("adjudicator", "str", 'who adjudicated a `gold` decision ("" otherwise)'),
    ("top_labels", "list of str", "the label most annotators gave, or the labels that tied for most"),
    ("annotators", "int", "how many annotators labelled the claim"),
    (
        "votes",
        "list of objects",
        'each annotator\'s `label`, `source` ("" for none) and own `start`/`end`, sorted by `annotator`',
    ),
    ("split", "str", 'the split the record belongs to ("" without `--split`)'),
    ("schema", "str", "the label schema, `name/version`"),
)


def _cell(text: object) -> str:
    # Markdown table cells: pipes and newlines would break the row.
    return str(text).replace("|", "\\|").replace("\n", " ")


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def _number(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"  # the report's four decimals: never rounded twice
    return str(value)


def render_card(
    plan: ExportPlan,
    summary: ExportSummary,
    articles: Mapping[str, Article],
    agreement: Mapping[str, Any],
    newest: str | None,
    annotators: Sequence[str],
) -> str:
    """The card's Markdown text; `agreement` is `agreement.agreement_report` over the same units."""
    options, schema = plan.options, plan.schema
    lines: list[str] = []
    add = lines.append
    name = options.out.name
    add(f"# Dataset card: {name}")
    add("")
    add(f"Claims from news articles labelled for source credibility with annotate {__version__}.")
    add("")
    add(f"- Labels as of: {newest or 'no events'} (the newest annotation event)")
    add(f"- Schema: `{schema.ref}`")
    add(f"- Format: `{options.fmt}`")
    files = ", ".join(f"`{path.name}`" for path in summary.files if path != plan.card)
    add(f"- Files: {files}")
    filters = [f"at least {options.min_annotators} annotator(s) per claim"]
    filters.append("`not_a_claim` included" if options.include_not_a_claim else "`not_a_claim` left out")
    if options.fmt not in ("jsonl", "csv"):
        filters.append("ties left out (a span needs a label)")
    else:
        filters.append('ties included (label "")' if options.include_ties else "ties left out")
    add(f"- Filters: {'; '.join(filters)}")
    if options.split:
        add(f"- Split: `{options.split}`, seed {options.seed or 0}, by article (no article is in two splits)")
    add("")

    add("## Counts")
    add("")
    add(f"{summary.records} records from {len(summary.article_records)} articles.")
    add("")
    if plan.splits:
        add("| split | file | records | articles |")
        add("|---|---|---|---|")
        for part, target in zip(plan.splits, plan.targets, strict=True):
            add(
                f"| {part.name} | `{_cell(target.name)}` | {summary.per_split.get(part.name, 0)} "
                f"| {summary.articles_per_split.get(part.name, 0)} |"
            )
        add("")
    add("| left out | count |")
    add("|---|---|")
    for reason, count in sorted(summary.excluded.items()):
        add(f"| {reason} | {count} |")
    add(f"| events about articles missing from the corpus | {summary.missing_article_events} |")
    add(f"| stale events (made on an earlier article body) | {summary.stale_events} |")
    add(f"| unreadable event lines | {summary.problems} |")
    add("")

    add("## Label distribution")
    add("")
    splits = [part.name for part in plan.splits]
    header = "| label | records | share |" + "".join(f" {split} |" for split in splits)
    add(header)
    add("|---|---|---|" + "---|" * len(splits))
    decided = [label for label in summary.labels if label != "tie"]
    for label in [*label_order(decided, schema.names), *(["tie"] if "tie" in summary.labels else [])]:
        count = summary.labels[label]
        per = "".join(
            f" {summary.labels_per_split.get(split, Counter()).get(label, 0)} |" for split in splits
        )
        add(f"| {_cell(label)} | {count} | {_share(count, summary.records)} |{per}")
    add("")
    add("| decided by | records |")
    add("|---|---|")
    for method in ("gold", "majority", "single", "tie"):
        add(f"| {method} | {summary.decisions.get(method, 0)} |")
    add("")

    add("## How labels were decided")
    add("")
    add(
        "Each annotator's current label on a claim is the last one they recorded. A claim's final label is "
        "the adjudicator's (`gold`) when there is one, otherwise the label most annotators gave (`majority`), "
        "or the one annotator's (`single`). When the most-given labels tie, the claim is a `tie` with no label. "
        "The final `source` is the adjudicator's, or the source most of the annotators who gave the final "
        "label named (compared ignoring case, articles and spacing; a tie, and the spelling, go to the first "
        "such annotator by name). "
        "A claim one annotator drew with other boundaries (merged or split) counts with the claim it overlaps "
        "most, at least half of the shorter one; its vote keeps the annotator's own `start`/`end`."
    )
    add("")

    add("## Agreement")
    add("")
    add(
        f"Before the export's filters, over the {agreement.get('units', 0)} claims labelled by two or more "
        "annotators (the same figures as `annotate agreement --json`)."
    )
    add("")
    add("| coefficient | value |")
    add("|---|---|")
    for key, title in (
        ("krippendorff_alpha", "Krippendorff's alpha (nominal)"),
        ("percent_agreement", "percent agreement"),
        (
            "fleiss_kappa",
            f"Fleiss' kappa ({agreement.get('fleiss_units', 0)} claims every annotator labelled)",
        ),
    ):
        add(f"| {title} | {_number(agreement.get(key))} |")
    for pair, value in sorted((agreement.get("cohen_kappa") or {}).items()):
        add(f"| Cohen's kappa {_cell(pair)} | {_number(value)} |")
    for label, value in (agreement.get("per_label") or {}).items():
        add(f"| specific agreement on {_cell(label)} | {_number(value)} |")
    sources = agreement.get("source_agreement") or {}
    if sources.get("units"):
        add(
            f"| source agreement, alpha ({sources['units']} claims with two or more sources named) "
            f"| {_number(sources.get('krippendorff_alpha'))} |"
        )
    for note in agreement.get("notes") or []:
        add("")
        add(f"Note: {_cell(note)}")
    add("")

    add("## Annotators")
    add("")
    add("| annotator | claims labelled in this export | agreement with the others' majority |")
    add("|---|---|---|")
    per_annotator = agreement.get("per_annotator") or {}
    for annotator in annotators:
        with_majority = (per_annotator.get(annotator) or {}).get("agreement_with_majority")
        add(
            f"| {_cell(annotator)} | {summary.annotator_votes.get(annotator, 0)} | {_number(with_majority)} |"
        )
    add("")

    add("## Schema and guidelines")
    add("")
    add(f"`{schema.ref}`. {schema.description}".rstrip())
    add("")
    for entry in schema.labels:
        add(f"- **{entry.name}**: {entry.description}")
    add(f"- **{NOT_A_CLAIM}** (built in): the segment is not a claim (a byline, a heading, boilerplate).")
    add("")

    add("## Record fields")
    add("")
    if options.fmt in ("jsonl", "csv"):
        add("| field | type | meaning |")
        add("|---|---|---|")
        for field_name, kind, meaning in RECORD_FIELDS:
            add(f"| {field_name} | {kind} | {meaning} |")
        if options.fmt == "csv":
            add("")
            add("In the CSV, `votes` and `top_labels` hold JSON.")
    else:
        add(
            f"One `{options.fmt}` task per article with the final labels as spans; "
            "see the annotate README, section Interchange."
        )
    add("")
    if options.fmt == "label-studio":
        from annotate.interchange import label_studio_config

        add("## Label Studio labeling config")
        add("")
        add("```xml")
        add(label_studio_config(schema, [*schema.names, NOT_A_CLAIM]).rstrip())
        add("```")
        add("")

    add("## Source articles")
    add("")
    add("| article | title | outlet | date | url | license | records |")
    add("|---|---|---|---|---|---|---|")
    for article_id in sorted(summary.article_records):
        article = articles[article_id]
        meta = [article.meta_text(key) for key in ("title", "outlet", "date", "url", "license")]
        license_text = meta[4] or "not stated"
        add(
            f"| {_cell(article_id)} | {_cell(meta[0])} | {_cell(meta[1])} | {_cell(meta[2])} | {_cell(meta[3])} "
            f"| {_cell(license_text)} | {summary.article_records[article_id]} |"
        )
    add("")
    return "\n".join(lines)
