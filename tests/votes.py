"""Writing real annotator files for agreement, review and status tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from annotate.corpus import Article, load_article
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.session import ArticleSession
from annotate.store import EventLog, log_path


def label_claims(
    annotations: Path,
    annotator: str,
    article: Article,
    labels: Sequence[str | None],
    sources: Sequence[str | None] = (),
) -> ArticleSession:
    """Label the article's claims in order as the annotate screen would (None skips a claim)."""
    schema = load_schema(DEFAULT_SCHEMA)
    with EventLog(log_path(annotations, annotator)) as log:
        session = ArticleSession(article, schema, annotator, log.read().events, log.append)
        for index, label in enumerate(labels):
            if label is not None:
                session.set_label(index, label)
            if index < len(sources) and sources[index]:
                session.set_source(index, sources[index])
    return session


def seed_article(seed: Path) -> Article:
    """The seed article as loaded from the private corpus."""
    return load_article(seed, seed.parent)


@contextmanager
def annotator_session(annotations: Path, annotator: str, article: Article) -> Iterator[ArticleSession]:
    """An ArticleSession writing to the annotator's real, locked log."""
    schema = load_schema(DEFAULT_SCHEMA)
    with EventLog(log_path(annotations, annotator)) as log:
        yield ArticleSession(article, schema, annotator, log.read().events, log.append)
