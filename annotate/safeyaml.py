"""YAML as this project reads it: the safe loader only, libyaml's C parser when present.

Schemas, front matter and keymaps come from files a user may not have written;
the safe loader refuses tags such as `!!python/object`. The C parser reads the
default schema several times faster than the pure-Python one (startup time).
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NestedTooDeeply(yaml.YAMLError):
    """A document nested so deeply that building it would exhaust the stack."""

    problem = "nested too deeply"
    problem_mark = None

    def __str__(self) -> str:
        return "nested too deeply"


def load(text: str) -> Any:
    """The document in `text`, built with the safe loader; raises yaml.YAMLError."""
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except RecursionError:
        raise NestedTooDeeply() from None


def compose(text: str) -> yaml.Node | None:
    """The node tree of `text` (for line numbers), with the safe loader; raises yaml.YAMLError."""
    try:
        return yaml.compose(text, Loader=SAFE_LOADER)
    except RecursionError:
        raise NestedTooDeeply() from None
