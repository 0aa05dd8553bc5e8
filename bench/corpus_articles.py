"""Generated articles for the benchmarks: deterministic, news-shaped, in the seed's raw form or as corpus files."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = [
    "government",
    "officials",
    "said",
    "rebels",
    "forces",
    "army",
    "ministry",
    "spokesman",
    "talks",
    "ceasefire",
    "border",
    "capital",
    "province",
    "report",
    "agency",
    "according",
    "statement",
    "week",
    "attack",
    "troops",
    "killed",
    "wounded",
    "city",
    "region",
    "police",
    "president",
    "election",
    "opposition",
    "vote",
    "parliament",
    "minister",
    "denied",
    "confirmed",
    "claimed",
    "sources",
    "local",
    "residents",
    "international",
    "community",
    "support",
    "negotiations",
    "military",
    "operation",
    "valley",
    "highway",
    "convoy",
    "leaders",
]
OUTLETS = ("Reuters", "VOA", "Wikinews", "Example News", "The Daily Record", "Agency Wire")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    verb = rng.choice(("said", "told reporters", "reported", "added", "denied"))
    return f"{' '.join(words).capitalize()}, {rng.choice(OUTLETS)} {verb}."


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    return [" ".join(_sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(count)]


def write_raw_articles(folder: Path, count: int, paragraphs: int = 8, seed: int = 1) -> list[Path]:
    """`count` raw scraped text files like the seed: title, byline, dateline, body, "Post Comments"."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).title() + f" {number}"
        day = 1 + number % 28
        body = "\n\n\n".join(_paragraphs(rng, paragraphs))
        text = f"{title}\n\nBy: Reporter {number % 97}\n{day:02d} Sep 2021 7:36:16 PM Somewhere\n\n{body}\n\nPost Comments\n"
        path = folder / f"scraped-{number:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_corpus(folder: Path, count: int, paragraphs: int = 8, seed: int = 2) -> None:
    """`count` corpus files with front matter, as `annotate import` writes them."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).title()
        outlet = rng.choice(OUTLETS)
        body = "\n\n".join(_paragraphs(rng, paragraphs))
        (folder / f"article-{number:05d}.md").write_text(
            f"---\ntitle: {title} {number}\noutlet: {outlet}\ndate: '2021-{1 + number % 12:02d}-{1 + number % 28:02d}'\n"
            f"author: Reporter {number % 97}\n---\n\n{body}\n",
            encoding="utf-8",
        )
