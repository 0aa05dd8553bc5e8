"""Articles: the seed's raw form, front matter, the body and offset rules."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from annotate.corpus import discover, load_article
from annotate.errors import AnnotateError
from annotate.segment import default_claims
from tests.conftest import CORPUS, SEED_ID


def test_seed_article_metadata_and_clean_body(seed: Path) -> None:
    article = load_article(seed, seed.parent)
    assert article.article_id == SEED_ID
    assert article.title == "Last Bastion of Afghan Independence to be Surrendered?"
    assert article.meta["author"] == "Aashruti Vohra"
    assert article.meta["date"] == "2021-09-06"
    assert len(article.paragraphs) == 9
    assert article.paragraphs[0].startswith("Ahmed Masood, one of the leaders")
    assert article.paragraphs[-1].endswith("he said.")
    assert "Post Comments" not in article.body
    assert "By:" not in article.body
    assert "Post Comments" in article.dropped


def test_body_rules_hold_for_every_corpus_article() -> None:
    for item in discover([CORPUS]):
        article = item.load()
        assert article.body == "\n\n".join(article.paragraphs)
        assert "\n\n\n" not in article.body
        assert article.body == unicodedata.normalize("NFC", article.body)
        assert article.body == article.body.strip()
        assert article.sha256 == hashlib.sha256(article.body.encode()).hexdigest()
        for index, start in enumerate(article.paragraph_starts):
            assert article.body[start : start + len(article.paragraphs[index])] == article.paragraphs[index]


def test_claim_offsets_invariant_over_every_claim_of_every_article() -> None:
    total = 0
    for item in discover([CORPUS]):
        article = item.load()
        claims = default_claims(article)
        assert claims, article.article_id
        for claim in claims:
            text = article.body[claim.start : claim.end]
            assert text and text == text.strip()
            assert article.paragraph_of(claim.start) == claim.paragraph
            paragraph_start, paragraph_end = article.paragraph_span(claim.paragraph)
            assert paragraph_start <= claim.start < claim.end <= paragraph_end
        total += len(claims)
    assert total >= 40


def test_seed_is_segmented_into_sentences(seed: Path) -> None:
    article = load_article(seed, seed.parent)
    texts = [article.body[c.start : c.end] for c in default_claims(article)]
    assert "A Taliban official said that an offensive has been launched against Panjshir." in texts
    assert any(t.startswith("It is now confirmed that Masood") for t in texts)
    assert len(texts) == 15


def test_front_matter_article(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(
        "---\ntitle: T\noutlet: VOA\ndate: 2006-12-13\nextra: kept\n---\nFirst para.\r\n\r\n\r\nSecond\u0301 para.\n",
        encoding="utf-8",
    )
    article = load_article(path, tmp_path)
    assert article.meta == {"title": "T", "outlet": "VOA", "date": "2006-12-13", "extra": "kept"}
    assert article.body == "First para.\n\nSecond\u0301 para.".replace(
        "d\u0301", unicodedata.normalize("NFC", "d\u0301")
    )
    assert article.article_id == "a"


def test_article_id_keeps_subfolders(tmp_path: Path) -> None:
    (tmp_path / "news" / "2021").mkdir(parents=True)
    (tmp_path / "news" / "2021" / "x.md").write_text("Body text.", encoding="utf-8")
    [item] = discover([tmp_path])
    assert item.article_id == "news/2021/x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 au lait", "not UTF-8"),
        (b"---\ntitle: [unclosed\n---\nBody.", "invalid YAML front matter"),
        (b"---\n!!python/object:os.system x\n---\nBody.", "invalid YAML"),
        (b"---\ntitle: x\n", "never closed"),
        (b"Post Comments\n", "no text"),
    ],
)
def test_bad_articles_are_refused_with_the_file_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(AnnotateError, match=message) as error:
        load_article(path, tmp_path)
    assert str(path) in str(error.value)


def test_missing_article_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(AnnotateError, match="no such file"):
        discover([tmp_path / "nope.md"])
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    (tmp_path / "a.txt").write_text("y", encoding="utf-8")
    with pytest.raises(AnnotateError, match="duplicate article id"):
        discover([tmp_path])
