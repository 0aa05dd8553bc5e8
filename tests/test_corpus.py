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


def _walked_as_before(folder: Path) -> list[tuple[str, str]]:
    """(path, article id) of each article file, found as discover did before `article_files`:
    os.walk, Path.is_file, sorted Paths, and every id from `article_id_for`."""
    import os

    from annotate.corpus import ARTICLE_SUFFIXES, article_id_for

    found = []
    for directory, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith((".", "_"))]
        for name in names:
            lower = name.lower()
            if name.startswith((".", "_")) or lower == "readme.md":
                continue
            path = Path(directory, name)
            if os.path.splitext(lower)[1] in ARTICLE_SUFFIXES and path.is_file():
                found.append(path)
    return [(str(path), article_id_for(path, folder)) for path in sorted(found)]


def test_a_walked_corpus_gives_the_paths_order_and_ids_of_a_path_by_path_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ids are the contract every event names: the quick walk must give each file the id
    # resolving its path gives, in the same order, whatever the tree holds.
    corpus = tmp_path / "corpus"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far.md").write_text("Far.", encoding="utf-8")
    (outside / "folder").mkdir()
    (outside / "folder" / "deep.md").write_text("Deep.", encoding="utf-8")
    files = [
        "a.md", "a-b.md", "a b.txt", "A.MD", "x.markdown", "v1.2.md", "dots..md", "notes.rst",
        "README.md", "readme.MD", "_draft.md", ".hidden.md",
        "a/b.md", "a/c/d.txt", "a-b/e.md", "a.b/f.md", "Z/g.md", "é/ü.md",
        ".git/h.md", "_staging/i.md", "ok/_j.md", "ok/.k.md", "ok/l.md", "folder.md/m.md",
    ]  # fmt: skip
    for name in files:
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Text of {name}.", encoding="utf-8")
    (corpus / "link-out.md").symlink_to(outside / "far.md")
    (corpus / "a" / "link-in.md").symlink_to(corpus / ".git" / "h.md")
    (corpus / "linked-folder").symlink_to(outside / "folder")
    (corpus / "broken.md").symlink_to(tmp_path / "nowhere.md")
    (corpus / "dir-link.md").symlink_to(outside / "folder")

    walked = [(str(item.path), item.article_id) for item in discover([corpus])]
    assert walked == _walked_as_before(corpus)
    ids = [article_id for _, article_id in walked]
    assert "a/c/d" in ids and "v1.2" in ids and "dots." in ids and "é/ü" in ids and "folder.md/m" in ids
    assert "link-out" in ids  # a link out of the corpus: its own name
    assert ".git/h" in ids  # a link to a file in the corpus: that file's place
    assert "README" not in ids and "h" not in ids and "deep" not in ids
    # Through a relative path too, as `annotate export --corpus corpus` gives it.
    monkeypatch.chdir(tmp_path)
    relative = [(str(item.path), item.article_id) for item in discover([Path("corpus")])]
    assert relative == _walked_as_before(Path("corpus"))


def test_a_relative_corpus_is_resolved_where_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same relative name in two working directories is two corpora: a link's id
    # is its target's place in the corpus found now, not in the one found first.
    for name in ("first", "second"):
        corpus = tmp_path / name / "corpus"
        (corpus / ".drafts").mkdir(parents=True)
        (corpus / ".drafts" / "x.md").write_text(f"Draft in {name}.", encoding="utf-8")
        (corpus / "link.md").symlink_to(corpus / ".drafts" / "x.md")
    for name in ("first", "second"):
        monkeypatch.chdir(tmp_path / name)
        [item] = discover([Path("corpus")])
        assert item.article_id == ".drafts/x"
        assert item.load().body == f"Draft in {name}."
