"""The values everything else passes around. Standard library only, no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JsonPath = tuple[str | int, ...]
Severity = Literal["error", "warning"]

VIRTUAL_ACCOUNT = "virtual-account"


def format_json_path(path: JsonPath) -> str:
    """`("permissions", 0, "role_id")` -> `$.permissions[0].role_id` (jsonschema's own notation)."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file: `file` is relative to the manifests root, line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong with the input, pointing at it."""

    position: Position
    message: str
    json_path: str = ""
    severity: Severity = "error"

    def to_data(self) -> dict[str, Any]:
        where = self.position
        return {
            "file": where.file,
            "line": where.line,
            "col": where.col,
            "severity": self.severity,
            "message": self.message,
            "path": self.json_path,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Problem:
        return cls(Position(data["file"], data["line"], data["col"]), data["message"], data["path"], data["severity"])


@dataclass(frozen=True)
class DesiredAccount:
    """One virtual-account manifest as Git holds it, with where each of its values stands."""

    name: str
    manifest: Mapping[str, Any]
    position: Position
    # (line, column) of each value by JSON path, in `position.file`
    value_positions: Mapping[JsonPath, tuple[int, int]] = field(default_factory=dict, compare=False)

    def position_of(self, path: JsonPath) -> Position:
        while path:
            found = self.value_positions.get(path)
            if found is not None:
                return Position(self.position.file, *found)
            path = path[:-1]
        return self.position


@dataclass(frozen=True)
class SkippedDocument:
    """A document that is not a virtual account (e.g. a team or role-binding): listed, not validated."""

    position: Position
    kind: str


@dataclass(frozen=True)
class ValidationReport:
    """Everything `validate` found: the accounts, what was skipped, and every problem, sorted."""

    files: int
    accounts: tuple[DesiredAccount, ...]
    skipped: tuple[SkippedDocument, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def valid(self) -> bool:
        return not self.errors


def canonical_json(value: Any) -> str:
    """The one serialisation used for hashing: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LiveAccount:
    """One virtual account as the control plane returned it (server-managed fields kept apart)."""

    id: str
    name: str
    manifest: Mapping[str, Any]
    updated_at: str
    jwt_id: str | None = None
    is_expired: bool = False
    next_rotation: str | None = None

    @property
    def fingerprint(self) -> str:
        """Identifies the account *as read*: any write by anyone changes it (manifest or updatedAt)."""
        return sha256_hex(canonical_json({"id": self.id, "manifest": self.manifest, "updatedAt": self.updated_at}))


class Token:
    """A virtual-account token. Never printable: `str()` and `repr()` redact it; only a token sink calls
    `reveal()`. This keeps the value out of logs, exception text and f-strings by construction."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
