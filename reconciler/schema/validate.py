"""Pure: JSON values -> positioned problems, with the documentation's own messages.

One compiled validator per schema, reused for every document. A fast validator (jsonschema-rs) answers "is it
valid?"; only invalid documents go through jsonschema for every error with its path. Messages are built from
the keyword and the schema's annotations, never from `str(error)` or the instance (an alias bomb or a 50 MB
scalar would otherwise end up in the message).

Both validators read `pattern` as JSON Schema says, with ECMA-262 semantics: jsonschema-rs does so itself,
and jsonschema's own `pattern` (Python's `re`, where `$` also matches before a final newline and `.` matches
a carriage return) is replaced by regress, an ECMA-262 engine. Should they still disagree, the document is
invalid (fail closed): a document the fast validator refuses is never counted valid for want of an
explanation.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping
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
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")
UNEXPLAINED = (
    "the document does not match the schema, but no field could be named (the two validators disagree); "
    "check each field against the schema"
)


@lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> Any:
    """`pattern` compiled with ECMA-262 semantics (regress), once per pattern. regress is imported here: only an
    invalid document needs it, and loading it cost a valid run up to 0.1-0.3 s on a busy machine."""
    import regress

    return regress.Regex(pattern)


def _ecma_pattern(validator: Any, pattern: str, instance: Any, _schema: Mapping[str, Any]) -> Iterator[Any]:
    """jsonschema's `pattern` keyword, evaluated as JSON Schema specifies: ECMA-262, unanchored search."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and ecma_regex(pattern).find(instance) is None:
        yield ValidationError(f"does not match {pattern!r}")


class SchemaValidator:
    """A schema compiled once; `problems()` lists everything wrong with one instance."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._fast = jsonschema_rs.validator_for(dict(schema), validate_formats=True)
        self._full: Any = None  # built on the first invalid document: a valid repository never pays for it

    def _explainer(self) -> Any:
        if self._full is None:
            import jsonschema  # ~50 ms to import; only needed to explain what is wrong

            explainer = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})
            self._full = explainer(self._schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        return self._full

    def is_valid(self, instance: Any) -> bool:
        return bool(self._fast.is_valid(instance))

    def explains_valid(self, instance: Any) -> bool:
        """The explaining validator's own verdict (slow; for tests that compare the two validators)."""
        return not any(True for _ in self._explainer().iter_errors(instance))

    def problems(self, instance: Any, locate_value: Locate, locate_key: Locate) -> list[Problem]:
        if self.is_valid(instance):
            return []
        found: list[Problem] = []
        for error in self._explainer().iter_errors(instance):
            found.extend(_describe(error, locate_value, locate_key))
        if not found:  # the fast validator refused it: never count it valid for want of an explanation
            found.append(Problem(locate_value(()), UNEXPLAINED, "$"))
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
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        return [_bad_key(error, schema, path, locate_key)]
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


def _bad_key(error: Any, schema: Mapping[str, Any], path: JsonPath, locate_key: Locate) -> Problem:
    """A key that breaks `propertyNames` (e.g. a tag key): shown JSON-escaped, so `\r` or U+200B are visible."""
    key: str = error.instance
    shown = json.dumps(key if len(key) <= 60 else key[:57] + "...")
    reason = schema.get("x-hint") or _reason(error.validator, error.validator_value, key)
    return Problem(
        locate_key((*path, key)),
        _short(f"key {shown} {reason}{_spaces(error.validator, key)}"),
        format_json_path(path),
    )


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
        return str(documented) + _spaces(keyword, error.instance)
    reason = _reason(keyword, error.validator_value, error.instance) + _spaces(keyword, error.instance)
    title = schema.get("title")
    return f"{title}: {reason}" if title else reason


def _spaces(keyword: str, instance: Any) -> str:
    """Say so when a value fails its pattern because of spaces around it, which are easy to miss."""
    if keyword in ("pattern", "format") and isinstance(instance, str) and instance != instance.strip():
        return " (it has spaces or line breaks before or after it)"
    return ""


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
    if isinstance(instance, float) or (isinstance(instance, str) and _DECIMAL.fullmatch(instance)):
        return str(instance)  # `30.0` (the loader keeps decimals as written): "not 30.0" says what to fix
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
