"""The label keys of a schema as bindings, shared by the annotate and review screens.

A module of its own so that the review screen does not import the annotate
screen (and its widgets) for them.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from annotate.schema import LabelSchema


def label_bindings(schema: LabelSchema, prefix: str = "label") -> list[BindingType]:
    """One binding per schema label, keyed as the schema says, with ids `<prefix>.<label name>`."""
    return [
        Binding(
            label.key,
            f"label({index})",
            label.name,
            id=f"{prefix}.{label.name}",
            tooltip=label.description,
        )
        for index, label in enumerate(schema.labels)
    ]
