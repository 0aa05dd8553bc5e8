"""Label schemas (DESIGN 4.2): which labels exist, their keys, colours and guidelines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.color import Color, ColorParseError

from annotate import safeyaml
from annotate.errors import AnnotateError

NOT_A_CLAIM = "not_a_claim"
DEFAULT_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "credibility.yaml"

# Keys the annotate screen binds by default; a label key must not shadow them.
RESERVED_KEYS = frozenset(
    [
        "j",
        "k",
        "J",
        "K",
        "x",
        "a",
        "s",
        "n",
        "m",
        "M",
        "u",
        "o",
        "q",
        "?",
        "up",
        "down",
        "left",
        "right",
        "tab",
        "enter",
        "escape",
        "space",
        "ctrl+z",
        "ctrl+c",
    ]
)
_KEY = re.compile(r"^(?:[!-~]|f\d{1,2}|ctrl\+[a-z])$")


@dataclass(frozen=True)
class Label:
    """One label: its stored name, its key, its display colour and its guideline."""

    name: str
    key: str
    color: str
    description: str


@dataclass(frozen=True)
class LabelSchema:
    """A named, versioned set of labels."""

    name: str
    version: int
    labels: tuple[Label, ...]
    description: str = ""
    path: Path | None = None

    @property
    def ref(self) -> str:
        """The value events store in their `schema` field, e.g. `credibility/1`."""
        return f"{self.name}/{self.version}"

    @property
    def names(self) -> tuple[str, ...]:
        """Label names, in schema order."""
        return tuple(label.name for label in self.labels)

    def allows(self, name: str | None) -> bool:
        """Whether `name` is a label of this schema, `not_a_claim`, or no label."""
        return name is None or name == NOT_A_CLAIM or name in self.names

    def label(self, name: str) -> Label | None:
        """The label called `name`, if any."""
        return next((label for label in self.labels if label.name == name), None)

    def color_of(self, name: str | None) -> str:
        """The display colour of a label name (grey for not_a_claim)."""
        label = self.label(name) if name else None
        return label.color if label else "grey50"


def _line_of(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: yaml.Node = value_node
                return found
    return None


def load_schema(path: Path) -> LabelSchema:
    """Load and validate a schema file; problems name the file, line and reason."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnnotateError(f"{where}: no such schema file; check --schema") from None
    except (OSError, UnicodeDecodeError) as error:
        raise AnnotateError(f"{where}: cannot read the schema ({error}); give a UTF-8 YAML file") from None
    try:
        data: Any = safeyaml.load(text)
        root = safeyaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise AnnotateError(f"{where}:{line}: invalid YAML ({problem}); fix the schema file") from None
    except RecursionError:
        raise AnnotateError(f"{where}:1: YAML nested too deeply; simplify the schema file") from None

    def fail(node: yaml.Node | None, reason: str) -> AnnotateError:
        return AnnotateError(f"{where}:{_line_of(node)}: {reason}")

    if not isinstance(data, dict):
        raise fail(root, "a schema must be a mapping with name, version and labels")
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise fail(
            _child(root, "name") or root,
            "schema needs a 'name' of letters, digits, '_', '.' or '-'",
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(_child(root, "version") or root, "schema needs an integer 'version' of 1 or more")
    raw_labels = data.get("labels")
    labels_node = _child(root, "labels")
    if not isinstance(raw_labels, list) or not raw_labels:
        raise fail(labels_node or root, "schema needs a non-empty 'labels' list")
    labels: list[Label] = []
    seen_names: set[str] = set()
    seen_keys: dict[str, str] = {}
    for index, raw in enumerate(raw_labels):
        node = labels_node.value[index] if isinstance(labels_node, yaml.SequenceNode) else None
        if not isinstance(raw, dict):
            raise fail(node, "each label must be a mapping with name, key, color and description")
        label_name = raw.get("name")
        if not isinstance(label_name, str) or not label_name.strip():
            raise fail(node, f"label {index + 1} is missing its 'name'")
        if label_name == NOT_A_CLAIM:
            raise fail(_child(node, "name"), f"'{NOT_A_CLAIM}' is built in; choose another label name")
        if label_name in seen_names:
            raise fail(_child(node, "name"), f"duplicate label name {label_name!r}")
        key = raw.get("key")
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)
        if not isinstance(key, str) or not _KEY.match(key):
            raise fail(
                _child(node, "key") or node,
                f"label {label_name!r} needs a 'key': one printable character",
            )
        if key in RESERVED_KEYS:
            raise fail(
                _child(node, "key"),
                f"label {label_name!r}: key {key!r} is used for navigation; pick another",
            )
        if key in seen_keys:
            raise fail(
                _child(node, "key"),
                f"label {label_name!r}: key {key!r} is already used by {seen_keys[key]!r}",
            )
        color = raw.get("color", "white")
        try:
            Color.parse(str(color))
        except ColorParseError:
            raise fail(_child(node, "color"), f"label {label_name!r}: unknown colour {color!r}") from None
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise fail(_child(node, "description"), f"label {label_name!r}: 'description' must be text")
        seen_names.add(label_name)
        seen_keys[key] = label_name
        labels.append(Label(label_name, key, str(color), " ".join(description.split())))
    description = data.get("description", "")
    return LabelSchema(name, version, tuple(labels), str(description or "").strip(), path)
