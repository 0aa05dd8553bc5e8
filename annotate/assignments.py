"""Who annotates which article: `assignments.yaml` in the corpus folder.

`assign` gives each article `per_article` annotators so that every annotator
has the same load (within one article) and every pair of annotators shares
about as many articles as every other pair, so agreement can be computed for
every pair. Entries already in the file are never changed: adding articles or
annotators only fills in what is missing.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from annotate import safeyaml
from annotate.atomic import replace_file
from annotate.corpus import Article
from annotate.errors import AnnotateError
from annotate.session import article_progress
from annotate.store import Event, validate_annotator

ASSIGNMENTS_FILE = "assignments.yaml"
FORMAT_VERSION = 1
# Greedy assignment is myopic; a few runs with different tie-breaks and the
# best pair coverage kept close the gaps it leaves (measured: no pair left
# uncovered once there are as many articles as pairs, in 600 random cases).
ATTEMPTS = 8
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Pair = tuple[str, str]


@dataclass(frozen=True)
class Assignments:
    """The assignment of annotators to articles."""

    per_article: int
    seed: int
    annotators: tuple[str, ...]
    articles: dict[str, tuple[str, ...]]
    leads: tuple[str, ...] = ()

    def queue(self, annotator: str) -> list[str]:
        """The article ids assigned to `annotator`, in file order."""
        return [article_id for article_id, names in self.articles.items() if annotator in names]

    def assigned_to(self, article_id: str) -> tuple[str, ...]:
        """Who is assigned `article_id` (empty when nobody is)."""
        return self.articles.get(article_id, ())

    def load(self) -> Counter[str]:
        """How many articles each annotator has."""
        return Counter(name for names in self.articles.values() for name in names)

    def pairs(self) -> Counter[Pair]:
        """How many articles each pair of annotators shares (names sorted)."""
        return Counter(pair for names in self.articles.values() for pair in _pairs_of(names))

    @property
    def everyone(self) -> list[str]:
        """The listed annotators, then anyone else who has articles."""
        names = list(self.annotators)
        for assigned in self.articles.values():
            names.extend(name for name in assigned if name not in names)
        return names


@dataclass
class AssignReport:
    """What `assign` changed, for the summary it prints."""

    new_articles: int = 0
    topped_up: int = 0
    kept: int = 0
    removed: list[str] = field(default_factory=list)
    unlisted: dict[str, int] = field(default_factory=dict)


def _pairs_of(names: Iterable[str]) -> Iterable[Pair]:
    return itertools.combinations(sorted(names), 2)


def assignments_path(corpus: Path) -> Path:
    """Where a corpus folder's assignments live."""
    return corpus / ASSIGNMENTS_FILE


def parse_annotator_list(text: str) -> list[str]:
    """Comma-separated annotator names, validated, duplicates refused."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise AnnotateError("--annotators needs at least one name, e.g. --annotators alice,bob,carol")
    for name in names:
        validate_annotator(name)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise AnnotateError(f"--annotators lists {', '.join(duplicates)} more than once")
    return names


def _rank(seed: int, salt: int, article_id: str) -> random.Random:
    digest = hashlib.blake2b(f"{seed}\0{salt}\0{article_id}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def assign(
    article_ids: Sequence[str],
    annotators: Sequence[str],
    per_article: int,
    seed: int = 0,
    existing: Assignments | None = None,
    leads: Sequence[str] | None = None,
) -> tuple[Assignments, AssignReport]:
    """Assign `per_article` annotators to every article, keeping existing entries.

    Articles are filled in the given order. Each missing place goes to the
    annotator with the lowest load, then the fewest articles shared with those
    already on the article, then a tie-break seeded by `seed` and the article
    id (so the result does not depend on the clock).
    """
    for name in annotators:
        validate_annotator(name)
    if per_article < 1:
        raise AnnotateError("--per-article must be at least 1")
    if per_article > len(annotators):
        raise AnnotateError(
            f"--per-article {per_article} needs at least {per_article} annotators; {len(annotators)} given"
        )
    report = AssignReport()
    wanted = set(article_ids)
    kept: dict[str, tuple[str, ...]] = {}
    if existing is not None:
        for article_id, names in existing.articles.items():
            if article_id in wanted:
                kept[article_id] = names
            else:
                report.removed.append(article_id)
    listed = set(annotators)
    for names in kept.values():
        for name in names:
            if name not in listed:
                report.unlisted[name] = report.unlisted.get(name, 0) + 1
    report.kept = len(kept)
    todo = [article_id for article_id in article_ids if len(kept.get(article_id, ())) < per_article]
    best: dict[str, tuple[str, ...]] | None = None
    best_score: tuple[int, int, int] | None = None
    attempts = ATTEMPTS if todo else 0
    for salt in range(attempts):
        filled = _fill(todo, annotators, per_article, seed, salt, kept)
        score = _pair_score(annotators, itertools.chain(kept.values(), filled.values()))
        if best_score is None or score < best_score:
            best, best_score = filled, score
    articles: dict[str, tuple[str, ...]] = {}
    for article_id in article_ids:
        names = kept.get(article_id, ())
        if best is not None and article_id in best:
            if names:
                report.topped_up += 1
            else:
                report.new_articles += 1
            names = best[article_id]
        articles[article_id] = names
    kept_leads = existing.leads if existing is not None else ()
    lead_names = tuple(leads) if leads is not None else kept_leads
    for name in lead_names:
        validate_annotator(name)
    return Assignments(per_article, seed, tuple(annotators), articles, lead_names), report


def _fill(
    todo: Sequence[str],
    annotators: Sequence[str],
    per_article: int,
    seed: int,
    salt: int,
    kept: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    load: Counter[str] = Counter(name for names in kept.values() for name in names)
    pairs: Counter[Pair] = Counter(pair for names in kept.values() for pair in _pairs_of(names))
    filled: dict[str, tuple[str, ...]] = {}
    for article_id in todo:
        chosen = list(kept.get(article_id, ()))
        rng = _rank(seed, salt, article_id)
        tiebreak = {name: rng.random() for name in annotators}
        candidates = [name for name in annotators if name not in chosen]
        while len(chosen) < per_article and candidates:
            pick = min(
                candidates,
                key=lambda name: (
                    load[name],
                    sum(pairs[(name, other) if name < other else (other, name)] for other in chosen),
                    tiebreak[name],
                ),
            )
            candidates.remove(pick)
            for other in chosen:
                pairs[(pick, other) if pick < other else (other, pick)] += 1
            chosen.append(pick)
            load[pick] += 1
        filled[article_id] = tuple(sorted(chosen))
    return filled


def _pair_score(annotators: Sequence[str], assigned: Iterable[tuple[str, ...]]) -> tuple[int, int, int]:
    counts = Counter(pair for names in assigned for pair in _pairs_of(names))
    values = [counts[pair] for pair in _pairs_of(annotators)]
    if not values:
        return (0, 0, 0)
    return (values.count(0), max(values) - min(values), sum(value * value for value in values))


# -- the file -----------------------------------------------------------------


def load_assignments(path: Path) -> Assignments | None:
    """Read and check `assignments.yaml`; None when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise AnnotateError(
            f"{path}: cannot read the assignments ({error}); fix or remove the file"
        ) from None
    try:
        data = safeyaml.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise AnnotateError(f"{path}{line}: invalid YAML ({problem}); fix the file") from None
    if not isinstance(data, dict):
        raise AnnotateError(f"{path}: expected a mapping with 'articles'; re-create it with annotate assign")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise AnnotateError(f"{path}: assignments version {version!r} is not supported (this tool reads 1)")

    def where(needle: str) -> str:
        pattern = re.compile(rf"^\s*['\"]?{re.escape(needle)}['\"]?\s*:", re.MULTILINE)
        match = pattern.search(text)
        return f"{path}:{text.count(chr(10), 0, match.start()) + 1}" if match else str(path)

    def names_of(value: Any, at: str, what: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise AnnotateError(f"{at}: {what} must be a list of annotator names")
        for name in value:
            try:
                validate_annotator(name)
            except AnnotateError:
                raise AnnotateError(
                    f"{at}: {what}: {name!r} is not a valid annotator name "
                    "(1-64 of a-z, 0-9, '.', '_', '-'); fix the file"
                ) from None
        if len(set(value)) != len(value):
            raise AnnotateError(f"{at}: {what} lists an annotator twice; fix the file")
        return tuple(value)

    annotators = names_of(data.get("annotators"), where("annotators"), "annotators")
    leads = names_of(data.get("leads"), where("leads"), "leads")
    raw_articles = data.get("articles") or {}
    if not isinstance(raw_articles, dict):
        raise AnnotateError(f"{where('articles')}: 'articles' must map article ids to annotator lists")
    articles: dict[str, tuple[str, ...]] = {}
    for article_id, names in raw_articles.items():
        key = str(article_id)
        articles[key] = names_of(names, where(key), f"article {key!r}")
    per_article = data.get("per_article", 1)
    seed = data.get("seed", 0)
    if not isinstance(per_article, int) or isinstance(per_article, bool) or per_article < 1:
        raise AnnotateError(f"{where('per_article')}: per_article must be a whole number of at least 1")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise AnnotateError(f"{where('seed')}: seed must be a whole number")
    return Assignments(per_article, seed, annotators, articles, leads)


def render_assignments(assignments: Assignments) -> str:
    """The YAML text of an assignments file."""
    header = (
        "# Who annotates which article. Written by `annotate assign`, which keeps these entries\n"
        "# when articles or annotators are added. Hand edits are fine: names must be valid annotators.\n"
    )
    body = {
        "version": FORMAT_VERSION,
        "per_article": assignments.per_article,
        "seed": assignments.seed,
        "annotators": list(assignments.annotators),
        "leads": list(assignments.leads),
        "articles": {article_id: list(names) for article_id, names in assignments.articles.items()},
    }
    dumped = yaml.dump(
        body, Dumper=_DUMPER, sort_keys=False, default_flow_style=None, allow_unicode=True, width=1_000_000
    )
    return header + dumped


def write_assignments(path: Path, assignments: Assignments) -> None:
    """Write the file atomically: a temporary file in the same folder, fsynced, renamed over it."""
    text = render_assignments(assignments)
    try:
        replace_file(path, text.encode("utf-8"))
    except OSError as error:
        raise AnnotateError(
            f"{path}: cannot write the assignments ({error.strerror}); nothing changed"
        ) from None


# -- progress -------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatorProgress:
    """One annotator's assigned articles: how many are done, started, untouched."""

    annotator: str
    assigned: int
    done: int
    started: int
    claims_done: int
    claims: int

    @property
    def untouched(self) -> int:
        """Assigned articles with no label yet."""
        return self.assigned - self.done - self.started


Progress = Mapping[tuple[str, str], tuple[int, int]]


def summarise_progress(assignments: Assignments, progress: Progress) -> list[AnnotatorProgress]:
    """Assigned versus done per annotator, from (annotator, article_id) -> (claims labelled, claims).

    A pair missing from `progress` counts as untouched with no claims known.
    """
    rows: list[AnnotatorProgress] = []
    for name in assignments.everyone:
        done = started = claims_done = claims = 0
        queue = assignments.queue(name)
        for article_id in queue:
            labelled, total = progress.get((name, article_id), (0, 0))
            claims_done += labelled
            claims += total
            if total and labelled >= total:
                done += 1
            elif labelled:
                started += 1
        rows.append(AnnotatorProgress(name, len(queue), done, started, claims_done, claims))
    return rows


def measure_progress(
    assignments: Assignments, articles: Iterable[Article], events: Iterable[Event]
) -> dict[tuple[str, str], tuple[int, int]]:
    """(claims labelled, claims) for every assigned (annotator, article) pair, from everyone's events."""
    grouped: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        grouped.setdefault((event["annotator"], event["article_id"]), []).append(event)
    progress: dict[tuple[str, str], tuple[int, int]] = {}
    for article in articles:
        for name in assignments.assigned_to(article.article_id):
            progress[(name, article.article_id)] = article_progress(
                article, grouped.get((name, article.article_id), [])
            )
    return progress


def assignment_progress(
    assignments: Assignments, articles: Iterable[Article], events: Iterable[Event]
) -> list[AnnotatorProgress]:
    """Assigned versus done per annotator (for `annotate status` and the corpus screen)."""
    return summarise_progress(assignments, measure_progress(assignments, articles, events))


def describe_assignments(assignments: Assignments, report: AssignReport) -> list[str]:
    """The summary `annotate assign` prints: loads, pairs, and what changed."""
    lines = [
        f"{len(assignments.articles)} articles, {assignments.per_article} annotators each: "
        f"{report.new_articles} newly assigned, {report.topped_up} topped up, "
        f"{report.kept - report.topped_up} kept as they were"
    ]
    load = assignments.load()
    width = max((len(name) for name in assignments.everyone), default=0)
    for name in assignments.everyone:
        lines.append(f"  {name:<{width}}  {load[name]:>6} articles")
    pairs = assignments.pairs()
    if len(assignments.annotators) > 1 and assignments.per_article > 1:
        shared = [pairs[pair] for pair in _pairs_of(assignments.annotators)]
        lines.append(
            f"  pairs sharing articles: {min(shared)}-{max(shared)} per pair over "
            f"{len(shared)} pairs" + (" (some pairs share none yet: add articles)" if 0 in shared else "")
        )
    if report.removed:
        lines.append(f"  dropped {len(report.removed)} entries for articles no longer in the corpus")
    for name, count in sorted(report.unlisted.items()):
        lines.append(f"  {name} is not in --annotators but keeps {count} assigned articles")
    return lines
