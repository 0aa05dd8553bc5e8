"""Label schemas: the default, another project's, and invalid ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import AnnotateError
from annotate.schema import DEFAULT_SCHEMA, load_schema


def test_default_schema_has_the_three_labels_with_guidelines() -> None:
    schema = load_schema(DEFAULT_SCHEMA)
    assert schema.ref == "credibility/1"
    assert schema.names == ("confirmed", "disputed", "unattributed")
    assert [label.key for label in schema.labels] == ["1", "2", "3"]
    disputed = schema.label("disputed")
    assert disputed is not None and "contests" in disputed.description


FEVER = """name: fever
version: 2
labels:
  - {name: SUPPORTS, key: "1", color: green, description: Evidence supports it.}
  - {name: REFUTES, key: "2", color: red, description: Evidence refutes it.}
  - {name: NOT ENOUGH INFO, key: "3", color: yellow, description: Cannot tell.}
"""


def test_another_schema_loads(tmp_path: Path) -> None:
    path = tmp_path / "fever.yaml"
    path.write_text(FEVER, encoding="utf-8")
    schema = load_schema(path)
    assert schema.ref == "fever/2"
    assert schema.names == ("SUPPORTS", "REFUTES", "NOT ENOUGH INFO")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "name: x\nversion: 1\nlabels:\n  - {name: a, key: '1'}\n  - {name: b, key: '1'}\n",
            5,
            "already used",
        ),
        ("name: x\nversion: 1\nlabels:\n  - {name: a, key: j}\n", 4, "navigation"),
        ("name: x\nversion: 1\nlabels:\n  - {key: '1'}\n", 4, "missing its 'name'"),
        (
            "name: x\nversion: 1\nlabels:\n  - {name: a, key: '1'}\n  - {name: a, key: '2'}\n",
            5,
            "duplicate label",
        ),
        ("name: x\nversion: one\nlabels: []\n", 2, "integer 'version'"),
        ("version: 1\nlabels: []\n", 1, "'name'"),
        (
            "name: x\nversion: 1\nlabels:\n  - {name: a, key: '1', color: notacolour}\n",
            4,
            "unknown colour",
        ),
        ("name: x\nversion: 1\nlabels: [\n", 4, "invalid YAML"),
        ("!!python/object/apply:os.system ['true']\n", 1, "invalid YAML"),
    ],
)
def test_invalid_schema_names_file_line_and_reason(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError) as error:
        load_schema(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert reason in message
