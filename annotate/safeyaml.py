"""YAML as this project reads it: the safe loader only, libyaml's C parser when present.

Schemas, front matter and keymaps come from files a user may not have written.
The safe loader refuses tags such as `!!python/object`; on top of it, aliases
(`*name`) are refused, since none of these files needs them and they let a
few lines expand into gigabytes ("billion laughs"), and documents nested too
deeply or holding integers too long to convert fail as YAML errors. The C
parser reads the default schema several times faster than the pure-Python one.
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Refused(yaml.YAMLError):
    """A document this project refuses to build, with the reason and where."""

    def __init__(self, problem: str, problem_mark: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = problem_mark

    def __str__(self) -> str:
        return self.problem


def _check_events(text: str) -> None:
    if "*" not in text:
        return  # an alias starts with "*": none here, and no need to parse twice (front matter of 10,000 articles)
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise Refused("aliases (*name) are not allowed here; write the value out", event.start_mark)


def load(text: str) -> Any:
    """The document in `text`, built with the safe loader; raises yaml.YAMLError."""
    _check_events(text)
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except RecursionError:
        raise Refused("nested too deeply") from None
    except ValueError as error:  # e.g. an integer over Python's digit limit
        raise Refused(str(error).split(";")[0]) from None


def compose(text: str) -> yaml.Node | None:
    """The node tree of `text` (for line numbers), with the safe loader; raises yaml.YAMLError."""
    _check_events(text)
    try:
        return yaml.compose(text, Loader=SAFE_LOADER)
    except RecursionError:
        raise Refused("nested too deeply") from None
