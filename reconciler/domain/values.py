"""Values everything passes around: JSON, positions in files, problems, hashing and the write-only token."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, TypedDict

from reconciler.domain.vocabulary import Severity

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
Manifest = Mapping[str, JsonValue]
JsonPath = tuple[str | int, ...]
LineCol = tuple[int, int]


# Invisible characters, by Unicode category rather than by a list of examples: controls (Cc) other than tab,
# LF and CR; format characters (Cf: zero-width space and joiners, U+FEFF, bidirectional-text controls, soft
# hyphen, ...); line and paragraph separators (Zl, Zp), which YAML reads as line breaks and editors do not.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_VISIBLE_CONTROLS = frozenset("\t\n\r")
_ASCII_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_invisible(char: str) -> bool:
    """Whether one character is one a reader cannot see (see `_INVISIBLE_CATEGORIES`)."""
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES and char not in _VISIBLE_CONTROLS


def first_invisible(text: str) -> int | None:
    """The offset of the first invisible character in `text`, or None. ASCII text costs one regex scan;
    other text one look at each distinct character."""
    if text.isascii():
        found = _ASCII_INVISIBLE.search(text)
        return None if found is None else found.start()
    offsets = [text.find(char) for char in set(text) if is_invisible(char)]
    return min(offsets, default=None)


def format_json_path(path: JsonPath) -> str:
    """`("permissions", 0, "role_id")` -> `$.permissions[0].role_id` (jsonschema's own notation)."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def canonical_json(value: object) -> str:
    """The one serialisation used for hashing: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    import hashlib  # about 3 ms (OpenSSL): validate never hashes

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mapping(value: JsonValue) -> Mapping[str, JsonValue]:
    """`value` if it is a JSON object, else an empty one (manifests are schema-valid; this is for typing)."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, order=True, slots=True)  # one per resource and per problem: slots save ~100 B each
class Position:
    """A place in a file: `file` is relative to the repository root, line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def __reduce__(self) -> tuple[type[Position], tuple[str, int, int]]:
        # pickled by its fields (validate's forked workers send one per resource): a frozen slotted dataclass
        # otherwise pickles through `__getstate__`/`__setstate__`, about 3x slower
        return Position, (self.file, self.line, self.col)


class ProblemData(TypedDict):
    """A problem with the input, pointing at it (in plan.json and the validation report)."""

    file: Annotated[str, "Relative to the repository root (or the manifests folder outside Git), posix style."]
    line: Annotated[int, "From 1."]
    col: Annotated[int, "From 1."]
    severity: Annotated[str, Severity]
    message: str
    path: Annotated[str, "The JSON path of the value in its document (`$.auto_rotate.grace_period`), or empty."]


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong with the input, pointing at it."""

    position: Position
    message: str
    json_path: str = ""
    severity: Severity = Severity.ERROR

    def to_data(self) -> ProblemData:
        where = self.position
        return {
            "file": where.file,
            "line": where.line,
            "col": where.col,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.json_path,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, JsonValue]) -> Problem:
        line, col = data["line"], data["col"]
        if not isinstance(line, int) or not isinstance(col, int):
            raise ValueError("a problem's line and col are whole numbers")
        return cls(
            Position(str(data["file"]), line, col),
            str(data["message"]),
            str(data["path"]),
            Severity(str(data["severity"])),
        )


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
