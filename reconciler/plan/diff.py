"""Pure field-level diff of two JSON values: mappings recurse, anything else compares whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ABSENT: Any = None  # how a missing side is shown; `kind` says which side is missing


@dataclass(frozen=True)
class FieldDiff:
    path: str  # dotted, e.g. "auto_rotate.grace_period"
    kind: str  # "add" | "remove" | "change"
    before: Any
    after: Any

    def to_data(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


def diff(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[FieldDiff]:
    changes: list[FieldDiff] = []
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}{key}"
        if key not in before:
            changes.append(FieldDiff(path, "add", ABSENT, after[key]))
        elif key not in after:
            changes.append(FieldDiff(path, "remove", before[key], ABSENT))
        elif isinstance(before[key], Mapping) and isinstance(after[key], Mapping):
            changes.extend(diff(before[key], after[key], f"{path}."))
        elif before[key] != after[key] or type(before[key]) is not type(after[key]):
            changes.append(FieldDiff(path, "change", before[key], after[key]))
    return changes
