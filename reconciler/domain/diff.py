"""Pure field-level diff of two JSON objects: objects recurse, anything else compares whole (lists included:
normalisation has already put set-like lists in a canonical order)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, TypedDict

from reconciler.domain.values import JsonValue
from reconciler.domain.vocabulary import DiffKind


class FieldDiffData(TypedDict):
    """One field that differs: the missing side of an add or a remove is null."""

    path: Annotated[str, "Dotted path of the field (`auto_rotate.grace_period`)."]
    kind: Annotated[str, DiffKind]
    before: Annotated[JsonValue, "Plan: the control plane's value. Drift: Git's value."]
    after: Annotated[JsonValue, "Plan: the value apply sends. Drift: the control plane's value."]


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs. `path` is dotted (`auto_rotate.grace_period`); the missing side of an add or a
    remove is None, and `kind` says which side is missing."""

    path: str
    kind: DiffKind
    before: JsonValue
    after: JsonValue

    def to_data(self) -> FieldDiffData:
        return {"path": self.path, "kind": str(self.kind), "before": self.before, "after": self.after}

    @classmethod
    def from_data(cls, data: Mapping[str, JsonValue]) -> FieldDiff:
        return cls(str(data["path"]), DiffKind(str(data["kind"])), data["before"], data["after"])


def diff(before: Mapping[str, JsonValue], after: Mapping[str, JsonValue], prefix: str = "") -> list[FieldDiff]:
    """Every field that differs, in key order, depth first. `1` and `1.0` or `1` and `true` differ (a
    manifest's types must match, whatever Python's equality says)."""
    changes: list[FieldDiff] = []
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}{key}"
        if key not in before:
            changes.append(FieldDiff(path, DiffKind.ADD, None, after[key]))
        elif key not in after:
            changes.append(FieldDiff(path, DiffKind.REMOVE, before[key], None))
        else:
            old, new = before[key], after[key]
            if isinstance(old, dict) and isinstance(new, dict):
                changes.extend(diff(old, new, f"{path}."))
            elif old != new or type(old) is not type(new):
                changes.append(FieldDiff(path, DiffKind.CHANGE, old, new))
    return changes
