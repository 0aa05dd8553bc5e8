"""User key remapping: a YAML file mapping binding ids to keys."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml

from annotate import safeyaml
from annotate.errors import AnnotateError

_KEYS = re.compile(r"^[^,\s]+(?:\s*,\s*[^,\s]+)*$")


def default_keymap_path() -> Path:
    """Where the user's keymap lives unless ANNOTATE_KEYMAP says otherwise."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "annotate" / "keymap.yaml"


def load_keymap(
    path: Path | None,
    screens: Sequence[Mapping[str, str]],
    key_name: Callable[[str], str | None] = lambda key: key,
) -> dict[str, str]:
    """Read a keymap (`binding id: keys`); an absent default file means no changes.

    `screens` gives each screen's bindings (binding id -> default keys);
    `key_name` the canonical name of a key ('?' -> 'question_mark'), None for
    a name no key has. A key that is no key, or one that would do two things
    on one screen (the later would silently win, and the other action would be
    gone), is refused.
    """
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
    known_ids = {binding_id for screen in screens for binding_id in screen}
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if binding_id not in known_ids:
            raise AnnotateError(
                f"{path}: unknown binding id {binding_id!r}; known ids are {', '.join(sorted(known_ids))}"
            )
        if not isinstance(keys, str) or not _KEYS.match(keys.strip()):
            raise AnnotateError(f"{path}: keys for {binding_id!r} must be text such as 'j,down'")
        for key in _split(keys):
            if key_name(key) is None:
                raise AnnotateError(
                    f"{path}: {key!r} (for {binding_id!r}) is not a key a terminal can send; use e.g. 'j', "
                    "'J' (not shift+j), 'ctrl+j', 'down', 'f5' (ctrl+i is tab, ctrl+m is enter)"
                )
        keymap[str(binding_id)] = keys.strip()
    for screen in screens:
        doing: dict[str, tuple[str, str]] = {}  # key name -> (binding id, key as written)
        for binding_id, default in screen.items():
            for key in _split(keymap.get(binding_id, default)):
                other, written = doing.setdefault(key_name(key) or key, (binding_id, key))
                if other != binding_id:
                    # Say the key as the keymap wrote it ('?', not 'question_mark').
                    shown = key if binding_id in keymap else written
                    first, second = sorted((other, binding_id))
                    raise AnnotateError(
                        f"{path}: {shown!r} would do both {first!r} and {second!r} on one screen; "
                        "give one of them another key"
                    )
    return keymap


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]
