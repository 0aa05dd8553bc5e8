"""User key remapping: a YAML file mapping binding ids to keys."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from annotate import safeyaml
from annotate.errors import AnnotateError

_KEYS = re.compile(r"^[^,\s]+(?:\s*,\s*[^,\s]+)*$")


def default_keymap_path() -> Path:
    """Where the user's keymap lives unless ANNOTATE_KEYMAP says otherwise."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "annotate" / "keymap.yaml"


def load_keymap(path: Path | None, known_ids: set[str]) -> dict[str, str]:
    """Read a keymap (`binding id: keys`); an absent default file means no changes."""
    explicit = path is not None or bool(os.environ.get("ANNOTATE_KEYMAP"))
    if path is None:
        path = Path(os.environ["ANNOTATE_KEYMAP"]) if explicit else default_keymap_path()
    if not path.exists():
        if explicit:
            raise AnnotateError(f"{path}: no such keymap file; check --keymap or ANNOTATE_KEYMAP")
        return {}
    try:
        data = safeyaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AnnotateError(
            f"{path}: cannot read the keymap ({str(error).splitlines()[0]}); fix or remove it"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnnotateError(f"{path}: a keymap maps binding ids to keys, e.g. 'claim.next: j,down'")
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if binding_id not in known_ids:
            raise AnnotateError(
                f"{path}: unknown binding id {binding_id!r}; known ids are {', '.join(sorted(known_ids))}"
            )
        if not isinstance(keys, str) or not _KEYS.match(keys.strip()):
            raise AnnotateError(f"{path}: keys for {binding_id!r} must be text such as 'j,down'")
        keymap[str(binding_id)] = keys.strip()
    return keymap
