"""JSON Schema patterns are ECMA-262 everywhere: the fast validator (jsonschema-rs), the one that explains
errors (jsonschema with regress) and the emulator's agree, and a disagreement fails closed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.domain.values import Position
from reconciler.emulator.errors import ApiError
from reconciler.emulator.tenant import load_tenant
from reconciler.emulator.validation import AccountValidator
from reconciler.schema import CONFIG_SCHEMA_FILE, MANIFEST_SCHEMA_FILE, ROLE_BINDING_SCHEMA_FILE, packaged_schema
from reconciler.schema.validate import UNEXPLAINED, SchemaValidator

HERE = Position("f.yaml", 3, 7)


def _here(_path: object) -> Position:
    return HERE


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


SCHEMAS = (MANIFEST_SCHEMA_FILE, ROLE_BINDING_SCHEMA_FILE, CONFIG_SCHEMA_FILE)
PATTERNS = sorted({p for name in SCHEMAS for p in _patterns(packaged_schema(name))})

PATTERNS_BY_START = {p[:6]: p for p in PATTERNS}

# Where engines differ: line terminators (`$` before a final newline in Python, `.` and CR, U+2028), Unicode
# digits and letters (`\d`, `\w`), format characters, and the characters the patterns themselves name.
TRICKY = "\n\r\u2028\u2029\u0085\t \u00a0\u200b\ufeff\u0663\u00e9/.-_@:a-zA-Z0-9"
TEXT = st.text(alphabet=st.sampled_from(list(TRICKY)) | st.characters(exclude_categories=("Cs",)), max_size=40)


def _verdicts(pattern: str, value: str) -> tuple[bool, bool]:
    schema = {"type": "string", "pattern": pattern}
    fast = bool(jsonschema_rs.validator_for(schema).is_valid(value))
    return fast, SchemaValidator(schema).explains_valid(value)


def test_the_schemas_have_patterns_to_compare() -> None:
    assert len(PATTERNS) >= 5  # name, dates, secret paths, tag keys, e-mail addresses, config paths


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=150, deadline=None)
@given(value=TEXT)
def test_fast_and_explaining_validators_agree_on_every_pattern(pattern: str, value: str) -> None:
    fast, explained = _verdicts(pattern, value)
    assert fast == explained, (pattern, value)


@pytest.mark.parametrize(
    ("pattern", "value", "valid"),
    [
        ("^[a-z][a-z0-9-]{1,34}[a-z0-9]$", "nl-bot\n", False),  # Python's `$` matches before the newline
        ("^[a-z][a-z0-9-]{1,34}[a-z0-9]$", "nl-bot", True),
        ("^.{1,128}$", "env\r", False),  # ECMA's `.` stops at CR, Python's does not
        ("^.{1,128}$", "a\u2028", False),
        ("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "2027-01-01\n", False),
        ("^\\d$", "\u0663", False),  # ECMA's \d is ASCII only
        # jsonschema-rs runs patterns with look-arounds on fancy-regex, whose `.` matches CR: the config schema
        # spells the line terminators out instead of `.` (found by the property test above)
        (PATTERNS_BY_START["^(?!/)"], "accounts\r", False),
        (PATTERNS_BY_START["^(?!/)"], "accounts/team a", True),
    ],
)
def test_known_differences_from_python_re_follow_ecma(pattern: str, value: str, valid: bool) -> None:
    assert _verdicts(pattern, value) == (valid, valid)


def test_a_document_the_fast_validator_refuses_is_never_valid_for_want_of_an_explanation() -> None:
    # jsonschema-rs checks `format: email` for real; jsonschema only looks for an "@": they disagree on "a@"
    validator = SchemaValidator({"type": "string", "format": "email"})
    assert not validator.is_valid("a@")
    problems = validator.problems("a@", _here, _here)
    assert [(p.position, p.message) for p in problems] == [(HERE, UNEXPLAINED)]


def test_the_emulator_refuses_a_name_with_a_trailing_newline() -> None:
    validator = AccountValidator(load_tenant(None))
    with pytest.raises(ApiError) as refused:
        validator.validate({"type": "virtual-account", "name": "nl-bot\n"})
    assert refused.value.status == 422
    assert "manifest.name" in str(refused.value)
    assert validator.validate({"type": "virtual-account", "name": "nl-bot"})["name"] == "nl-bot"


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=60, deadline=None)
@given(value=TEXT)
def test_the_emulator_reads_patterns_like_the_reconciler(pattern: str, value: str) -> None:
    from reconciler.emulator.validation import _Validator

    emulated = _Validator({"type": "string", "pattern": pattern}).is_valid(value)
    assert emulated == _verdicts(pattern, value)[0], json.dumps([pattern, value])
