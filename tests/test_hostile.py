"""Hostile and malformed input: every failure is an AnnotateError with a message, nothing else.

Property-based (hypothesis) over the article loader, the schema loader, the
keymap loader and the event reader, with random bytes, random Unicode (combining
marks, right-to-left text, zero-width characters, emoji, NUL, ESC sequences),
huge lines and deeply nested or self-referencing YAML.
"""

from __future__ import annotations

import io
import json
import string
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate import event_decode
from annotate.corpus import load_article
from annotate.errors import AnnotateError
from annotate.keymap import load_keymap
from annotate.schema import load_schema
from annotate.segment import default_claims
from annotate.store import check_event, read_events
from annotate.validate import validate

HOSTILE_PIECES = [
    "\u0301\u0301\u0308",  # combining marks with nothing to combine with
    "\u202eevil\u202c",  # right-to-left override
    "مرحبا بالعالم. שלום עולם.",  # RTL scripts
    "zero\u200bwidth\u200d\ufeff",  # zero-width space, joiner, BOM
    "👍🏽 👨‍👩‍👧 🏳️‍🌈",  # emoji with modifiers and ZWJ sequences
    "\x00",  # NUL
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[2J",  # ESC sequences: colour, title, clear screen
    "[bold]x[/bold] [/ [@click=app.quit]q[/]",  # markup
    "---",
    "\r\n\r",
    "Mr. Dr. U.S.A. e.g. 3.14 ... ?! ",
    "\t\x0b\x0c\x85\u2028\u2029",  # other line and paragraph separators
]
hostile_text = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_PIECES),
        st.text(max_size=40),
        st.text(alphabet=string.printable, max_size=40),
    ),
    max_size=12,
).map("".join)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_article(path: Path) -> None:
    """Load an article; when it loads, its claims must be exact spans of its body."""
    try:
        article = load_article(path)
    except AnnotateError as error:
        assert str(error).startswith(str(path)), error
        return
    assert article.body and "\r" not in article.body
    for claim in default_claims(article):
        text = article.body[claim.start : claim.end]
        assert text and text == text.strip()
        assert article.paragraph_of(claim.start) == claim.paragraph
    assert isinstance(article.title, str)
    for key in article.meta:
        assert isinstance(article.meta_text(key), str)


@FAST
@given(data=st.binary(max_size=300))
def test_article_loader_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    check_article(path)


@FAST
@given(text=hostile_text, front=st.booleans(), title=hostile_text)
def test_article_loader_hostile_unicode(tmp_path: Path, text: str, front: bool, title: str) -> None:
    path = tmp_path / "a.md"
    body = f"---\ntitle: {title}\n---\n{text}" if front else text
    path.write_bytes(body.encode("utf-8", "surrogatepass"))
    check_article(path)


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: " + "[" * 50_000 + "]" * 50_000 + "\n---\nBody.\n",
        "---\n" + "".join(" " * i + "a:\n" for i in range(2000)) + "---\nBody.\n",
        "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\ntitle: *b\n---\nBody.\n",
        "---\ntitle: !!python/object/apply:os.system ['echo owned']\n---\nBody.\n",
        "---\ntitle: !!python/object:pathlib.Path {}\n---\nBody.\n",
        "---\ntitle: !!python/name:os.system\n---\nBody.\n",
        "---\ntitle: 1" + "0" * 5000 + "\n---\nBody.\n",
        "---\n? [a, b]\n: c\n---\nBody.\n",
        "x" * 150_000 + "\n",  # one huge line: refused, not segmented for minutes
        "---\ntitle: unclosed\nBody.\n",
    ],
    ids=[
        "deep-list",
        "deep-map",
        "alias-bomb",
        "python-apply",
        "python-object",
        "python-name",
        "big-int",
        "complex-key",
        "huge-line",
        "unclosed",
    ],
)
def test_article_loader_refuses_hostile_front_matter_and_sizes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError) as error:
        load_article(path)
    assert str(error.value).startswith(f"{path}"), error.value


def test_long_but_allowed_paragraph_segments_in_linear_time(tmp_path: Path) -> None:
    # 16,000 tiny sentences in one paragraph: pysbd alone is quadratic (hours for
    # a hostile file); the windowed reading keeps every sentence, exactly.
    path = tmp_path / "a.md"
    path.write_text("Word. " * 16_000, encoding="utf-8")
    claims = default_claims(load_article(path))
    assert len(claims) == 16_000


def check_schema(path: Path) -> None:
    """Load a schema; anything wrong must be an AnnotateError naming the file."""
    try:
        schema = load_schema(path)
    except AnnotateError as error:
        assert str(error).startswith(str(path)), error
        return
    assert schema.labels


@FAST
@given(data=st.binary(max_size=300))
def test_schema_loader_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(data)
    check_schema(path)


yaml_scalar = st.one_of(
    hostile_text,
    st.integers(),
    st.booleans(),
    st.none(),
    st.sampled_from(["1", "j", "#fff", "[", "*x", "&a", "!!python/object:os.system"]),
)


@FAST
@given(
    name=yaml_scalar,
    version=yaml_scalar,
    labels=st.lists(
        st.dictionaries(st.sampled_from(["name", "key", "color", "description"]), yaml_scalar), max_size=4
    ),
)
def test_schema_loader_hostile_values(
    tmp_path: Path, name: object, version: object, labels: list[dict[str, object]]
) -> None:
    # JSON is YAML: every value reaches the schema checks, quoted or not.
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({"name": name, "version": version, "labels": labels}), encoding="utf-8")
    check_schema(path)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 50_000 + "]" * 50_000,
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nname: x\nversion: 1\nlabels: *b\n",
        "!!python/object/apply:os.system ['echo owned']\n",
        "name: !!python/object/new:os.system [echo owned]\nversion: 1\nlabels: []\n",
        "name: x\nversion: 1" + "0" * 5000 + "\nlabels:\n  - {name: a, key: '1'}\n",
    ],
    ids=["deep", "alias-bomb", "python-apply", "python-new", "big-int"],
)
def test_schema_loader_refuses_hostile_yaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError) as error:
        load_schema(path)
    assert str(error.value).startswith(f"{path}:"), error.value


@pytest.mark.parametrize(
    "text",
    ["claim.next: !!python/object/apply:os.system [echo owned]\n", "[" * 50_000, "a: &a x\nclaim.next: *a\n"],
)
def test_keymap_loader_refuses_hostile_yaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError):
        load_keymap(path, [{"claim.next": "j"}])


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=8,
)


def dumps(value: object) -> bytes:
    """JSON with any integer and lone surrogates escaped, as a hostile writer might produce."""
    return json.dumps(value).encode("ascii")


VALID = {
    "v": 1,
    "id": "e1",
    "ts": "2026-01-01T00:00:00.000Z",
    "annotator": "alice",
    "article_id": "a",
    "article_sha256": "0" * 64,
    "paragraph": 0,
    "start": 0,
    "end": 3,
    "text": "abc",
    "op": "label",
    "label": "confirmed",
    "source": None,
    "note": None,
    "schema": "credibility/1",
}


@FAST
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=80),
            json_value.map(dumps),
            st.dictionaries(st.sampled_from(sorted(VALID)), json_value).map(lambda d: dumps({**VALID, **d})),
        ),
        max_size=6,
    ),
    newline=st.booleans(),
)
def test_event_reader_never_raises_on_bad_lines(tmp_path: Path, lines: list[bytes], newline: bool) -> None:
    path = tmp_path / "alice.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if newline else b""))
    result = read_events(path)
    for event in result.events:
        assert (
            isinstance(event["start"], int)
            and isinstance(event["end"], int)
            and event["op"] in ("label", "clear")
        )
    for problem in result.problems:
        assert str(problem).startswith(f"{path}:") and problem.message
    # The validate command goes through the same events without a traceback.
    _, summary = validate([], tmp_path, None)
    assert "annotation files" in summary


def reference_read(data: bytes) -> tuple[list[object], list[int]]:
    """The events and bad line numbers of a file, by the definition: each line, orjson, check_event."""
    events: list[object] = []
    bad: list[int] = []
    for number, line in enumerate(io.BytesIO(data), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            bad.append(number)
            continue
        if check_event(record) is None and record["v"] == 1:
            events.append(record)
        else:
            bad.append(number)
    return events, bad


# Lines that stress the whole-file fast path: several values on one line, values
# split over lines, CRLF, blank lines, bools and floats for ints, -1, 2**63.
awkward_line = st.one_of(
    st.just(dumps(VALID) + b" " + dumps(VALID)),
    st.just(dumps(VALID).replace(b", ", b",\n")),
    st.just(dumps(VALID) + b"\r"),
    st.sampled_from([b"", b" ", b"\r", b"{}", b"}{", b"[]"]),
    # Invalid UTF-8 in a known field: a bad line, never a traceback.
    st.just(dumps(VALID).replace(b'"abc"', b'"ab\xff"')),
    st.just(dumps(VALID).replace(b'"confirmed"', b'"caf\xe9"')),
    # Valid for check_event, refused by msgspec: a repeated key, deep nesting,
    # optional fields of other shapes than this tool writes.
    st.just(dumps({**VALID, "suggested": None, "segment": None})),
    st.just(dumps({**VALID, "suggested": {"label": "x", "score": 0.9}, "adjudicated": 1})),
    st.just(dumps(VALID)[:-1] + b', "start": "x", "start": 0}'),
    st.sampled_from([900, 1000, 1100]).map(
        lambda depth: dumps(VALID)[:-1] + b', "suggested": ' + b"[" * depth + b"]" * depth + b"}"
    ),
    st.sampled_from(["start", "end", "paragraph", "v"]).flatmap(
        lambda name: st.sampled_from([True, 1.0, -1, 2**63, 2**64, 3]).map(
            lambda value: dumps({**VALID, name: value})
        )
    ),
)


@FAST
@given(
    lines=st.lists(
        st.one_of(
            st.just(dumps(VALID)),
            awkward_line,
            json_value.map(dumps),
            st.dictionaries(st.sampled_from(sorted(VALID)), json_value).map(lambda d: dumps({**VALID, **d})),
        ),
        max_size=8,
    ),
    newline=st.booleans(),
    chunk=st.sampled_from([16, 700, event_decode.CHUNK_BYTES]),
)
def test_event_reader_matches_the_line_by_line_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[bytes], newline: bool, chunk: int
) -> None:
    # The reader decodes chunks of well-formed lines at once; whatever the bytes
    # and wherever the chunks end (lines longer than a chunk, too), it must keep
    # exactly the events, and report exactly the lines, that reading each line
    # with orjson and check_event gives.
    monkeypatch.setattr(event_decode, "CHUNK_BYTES", chunk)
    data = b"\n".join(lines) + (b"\n" if newline else b"")
    path = tmp_path / "alice.jsonl"
    path.write_bytes(data)
    result = read_events(path)
    events, bad = reference_read(data)
    assert result.events == events
    assert [type(value) for event in result.events for value in event.values()] == [
        type(value)
        for event in events
        for value in event.values()  # type: ignore[attr-defined]
    ]
    assert [problem.line for problem in result.problems] == bad


def test_event_reader_huge_line(tmp_path: Path) -> None:
    path = tmp_path / "alice.jsonl"
    event = {**VALID, "note": "x" * 5_000_000}
    path.write_bytes(orjson.dumps(VALID) + b"\n" + orjson.dumps(event) + b"\n" + b"{" * 100_000 + b"\n")
    result = read_events(path)
    assert len(result.events) == 2 and result.events[1]["note"] == "x" * 5_000_000
    assert [problem.line for problem in result.problems] == [3]


@pytest.mark.parametrize(
    "lines",
    [
        # As many values as lines, yet not one per line: a split event and two glued ones.
        [dumps(VALID).replace(b", ", b",\n", 1), dumps(VALID) + b" " + dumps(VALID)],
        [dumps(VALID) + dumps(VALID), b"", dumps(VALID)],
        [b"  ", dumps(VALID) + b"\t" + dumps(VALID)],
    ],
)
def test_event_reader_is_not_fooled_by_lines_that_even_out(tmp_path: Path, lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "alice.jsonl"
    path.write_bytes(data)
    result = read_events(path)
    events, bad = reference_read(data)
    assert result.events == events
    assert [problem.line for problem in result.problems] == bad and bad


@pytest.mark.parametrize("loader", ["schema", "keymap"])
def test_yaml_tags_never_run_and_aliases_are_refused_even_when_the_result_would_be_valid(
    tmp_path: Path, loader: str
) -> None:
    # The earlier cases are refused anyway, since what an unsafe loader builds is
    # not a valid schema or keymap. These would load if aliases or tags were
    # honoured, and a tag that ran would leave the sentinel folder behind.
    sentinel = tmp_path / "owned"
    if loader == "schema":
        aliased = "name: &n s\nversion: 1\nlabels:\n  - {name: *n, key: '1'}\n"
        tagged = f"!!python/object/apply:os.mkdir ['{sentinel}']\n"
        load = load_schema
    else:
        aliased = "claim.next: &k l\nclaim.previous: h\nlabel.confirmed: *k\n"
        tagged = f"!!python/object/apply:os.mkdir ['{sentinel}']\n"

        def load(path: Path) -> object:
            return load_keymap(path, [{"claim.next": "j", "claim.previous": "k", "label.confirmed": "1"}])

    for text, needle in ((aliased, "alias"), (tagged, "python")):
        path = tmp_path / f"{loader}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(AnnotateError, match=needle) as error:
            load(path)
        assert str(error.value).startswith(f"{path}"), error.value
        assert not sentinel.exists()
