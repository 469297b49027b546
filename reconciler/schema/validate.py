"""Pure: JSON values -> positioned problems, with the documentation's own messages.

One compiled validator per schema, reused for every document. A fast validator (jsonschema-rs) answers "is it
valid?"; only invalid documents go through jsonschema for every error with its path. Messages are built from
the keyword and the schema's annotations, never from `str(error)` or the instance (an alias bomb or a 50 MB
scalar would otherwise end up in the message).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import jsonschema_rs

from reconciler.domain.values import JsonPath, Position, Problem, format_json_path

Locate = Callable[[JsonPath], Position]

MAX_MESSAGE_CHARS = 300
_SCALAR_KEYWORDS = frozenset(
    {"type", "pattern", "format", "minLength", "maxLength", "minimum", "maximum", "const", "enum"}
)
_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}
_REQUIRED_MESSAGE = re.compile(r"^'(.+)' is a required property$")


class SchemaValidator:
    """A schema compiled once; `problems()` lists everything wrong with one instance."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._fast = jsonschema_rs.validator_for(dict(schema), validate_formats=True)
        self._full: Any = None  # built on the first invalid document: a valid repository never pays for it

    def _explainer(self) -> Any:
        if self._full is None:
            import jsonschema  # ~50 ms to import; only needed to explain what is wrong

            self._full = jsonschema.Draft202012Validator(
                self._schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
        return self._full

    def is_valid(self, instance: Any) -> bool:
        return bool(self._fast.is_valid(instance))

    def problems(self, instance: Any, locate_value: Locate, locate_key: Locate) -> list[Problem]:
        if self.is_valid(instance):
            return []
        found: list[Problem] = []
        for error in self._explainer().iter_errors(instance):
            found.extend(_describe(error, locate_value, locate_key))
        return sorted(set(found))


@lru_cache(maxsize=8)
def _close_matches(word: str, choices: tuple[str, ...]) -> list[str]:
    return difflib.get_close_matches(word, choices, n=1, cutoff=0.6)


def _describe(error: Any, locate_value: Locate, locate_key: Locate) -> list[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    keyword: str = error.validator
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword == "additionalProperties":
        return _unknown_keys(error.instance, schema, path, locate_key)
    if keyword == "required":
        match = _REQUIRED_MESSAGE.match(error.message)
        missing = match.group(1) if match else "?"
        title = schema.get("properties", {}).get(missing, {}).get("title")
        label = f" ({title})" if title else ""
        return [
            Problem(
                locate_value(path),
                _short(f"missing required field '{missing}'{label}"),
                format_json_path(path),
            )
        ]
    return [Problem(locate_value(path), _short(_value_message(keyword, error, schema)), format_json_path(path))]


def _unknown_keys(instance: Any, schema: Mapping[str, Any], path: JsonPath, locate_key: Locate) -> list[Problem]:
    allowed = tuple(schema.get("properties", {}))
    problems = []
    for key in sorted(k for k in instance if k not in allowed):
        shown = key if len(key) <= 60 else key[:57] + "..."
        suggestion = _close_matches(key, allowed)
        if suggestion:
            hint = f"did you mean '{suggestion[0]}'?"
        else:
            hint = "allowed here: " + ", ".join(allowed)
        problems.append(
            Problem(
                locate_key((*path, key)),
                _short(f"unknown field '{shown}'; {hint}"),
                format_json_path((*path, key)),
            )
        )
    return problems


def _value_message(keyword: str, error: Any, schema: Mapping[str, Any]) -> str:
    documented = schema.get("errorMessage")  # the documented +message with its hint (schema/generate.py)
    if documented and keyword in _SCALAR_KEYWORDS and schema.get("type") in ("string", "integer"):
        return str(documented)
    reason = _reason(keyword, error.validator_value, error.instance)
    title = schema.get("title")
    return f"{title}: {reason}" if title else reason


def _reason(keyword: str, bound: Any, instance: Any) -> str:
    if keyword == "type":
        expected = bound if isinstance(bound, list) else [bound]
        names = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in expected)
        return f"must be {names}, not {_kind(instance)}"
    if keyword == "const":
        return f"must be '{bound}'"
    if keyword == "enum":
        return "must be one of: " + ", ".join(str(v) for v in bound)
    if keyword == "minimum":
        return f"must be at least {bound}"
    if keyword == "maximum":
        return f"must be at most {bound}"
    if keyword in ("minLength", "minItems") and bound == 1:
        return "must not be empty"
    if keyword == "minItems":
        return f"must have at least {bound} items"
    if keyword == "maxLength":
        return f"must be at most {bound} characters long"
    if keyword == "pattern":
        return f"must match the pattern {bound}"
    if keyword == "format":
        return f"is not a valid {bound}"
    if keyword == "propertyNames":
        return "has a key that is empty or too long"
    return f"is invalid ({keyword})"


def _kind(instance: Any) -> str:
    if isinstance(instance, bool):
        return "true/false"
    if isinstance(instance, int):
        return "a whole number"
    if isinstance(instance, str):
        return "a string"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, dict):
        return "a mapping"
    if instance is None:
        return "empty"
    return type(instance).__name__


def _short(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 3] + "..."
