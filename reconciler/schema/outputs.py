"""Pure: the typed shapes of the JSON documents the reconciler writes -> JSON Schema 2020-12.

plan.json, the apply report and drift.json are each built by a `to_data()` whose return type is a `TypedDict`
declared next to it (`domain/plan.py`, `domain/reports.py`, `domain/drift.py`). mypy checks every `to_data()`
against its TypedDict; this module reads the same declarations, so a published schema cannot drift from the
code that writes the document. Field descriptions and enumerations come from `Annotated` metadata: a string is
a description, a `StrEnum` the allowed values.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints, is_typeddict

from reconciler.domain.drift import DRIFT_VERSION, DriftData
from reconciler.domain.importing import IMPORT_VERSION, ImportReportData
from reconciler.domain.plan import PLAN_VERSION, PlanFileData
from reconciler.domain.reports import REPORT_VERSION, ApplyReportData
from reconciler.domain.values import JsonValue
from reconciler.schema import APPLY_REPORT_SCHEMA_FILE, DRIFT_SCHEMA_FILE, IMPORT_REPORT_SCHEMA_FILE, PLAN_SCHEMA_FILE
from reconciler.schema.generate import DIALECT

_SCALARS: dict[object, str] = {str: "string", int: "integer", bool: "boolean", float: "number"}
_ANY_JSON = frozenset({type(None), bool, int, float, str, list, dict})


@dataclass(frozen=True)
class OutputDocument:
    """One document the reconciler writes: its TypedDict, its schema's id and title, its format version."""

    shape: type
    schema_id: str
    title: str
    version: int


OUTPUT_DOCUMENTS: Mapping[str, OutputDocument] = {
    PLAN_SCHEMA_FILE: OutputDocument(
        PlanFileData, f"urn:va-reconciler:schema:plan:v{PLAN_VERSION}", "va-reconciler plan (plan.json)", PLAN_VERSION
    ),
    APPLY_REPORT_SCHEMA_FILE: OutputDocument(
        ApplyReportData,
        f"urn:va-reconciler:schema:apply-report:v{REPORT_VERSION}",
        "va-reconciler apply report",
        REPORT_VERSION,
    ),
    DRIFT_SCHEMA_FILE: OutputDocument(
        DriftData, f"urn:va-reconciler:schema:drift:v{DRIFT_VERSION}", "va-reconciler drift (drift.json)", DRIFT_VERSION
    ),
    IMPORT_REPORT_SCHEMA_FILE: OutputDocument(
        ImportReportData,
        f"urn:va-reconciler:schema:import-report:v{IMPORT_VERSION}",
        "va-reconciler import report",
        IMPORT_VERSION,
    ),
}


def build_output_schema(document: OutputDocument) -> dict[str, Any]:
    """The JSON Schema of `document`: every key required, no other key allowed, `version` a constant; nested
    TypedDicts become `$defs`."""
    defs: dict[str, Any] = {}
    body = _object(document.shape, defs)
    body["properties"]["version"] = {
        "const": document.version,
        "description": "The format version; it changes whenever a field changes meaning or disappears.",
    }
    schema: dict[str, Any] = {"$schema": DIALECT, "$id": document.schema_id, "title": document.title, **body}
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def _object(shape: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(shape, include_extras=True)
    required: frozenset[str] = getattr(shape, "__required_keys__", frozenset(hints))
    return {
        "description": inspect.cleandoc(shape.__doc__ or ""),
        "type": "object",
        "properties": {name: _schema(hint, defs) for name, hint in hints.items()},
        "required": [name for name in hints if name in required],
        "additionalProperties": False,
    }


def _is_any_json(hint: Any) -> bool:
    """`JsonValue`, however `get_type_hints` rebuilt the recursive alias (or left its inner references)."""
    if hint is JsonValue or getattr(hint, "__forward_arg__", None) == "JsonValue":
        return True
    kinds = {get_origin(option) or option for option in get_args(hint)}
    return get_origin(hint) in (Union, types.UnionType) and _ANY_JSON <= kinds


def _schema(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if _is_any_json(hint):
        return {"description": "Any JSON value."}
    origin = get_origin(hint)
    if origin is Annotated:
        return _annotated(hint, defs)
    if is_typeddict(hint):
        name = hint.__name__
        if name not in defs:
            defs[name] = {}  # reserved first: a recursive shape refers to itself
            defs[name] = _object(hint, defs)
        return {"$ref": f"#/$defs/{name}"}
    if origin in (Union, types.UnionType):
        return _union(get_args(hint), defs)
    if origin is list:
        return {"type": "array", "items": _schema(get_args(hint)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(get_args(hint)[1], defs)}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    raise TypeError(f"no JSON Schema for {hint!r}: use JSON types, TypedDicts and Annotated")


def _annotated(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    base, *metadata = get_args(hint)
    schema = dict(_schema(base, defs))
    for item in metadata:
        if isinstance(item, type) and issubclass(item, StrEnum):
            schema["enum"] = [member.value for member in item]
        elif isinstance(item, str):
            schema["description"] = item
    return schema


def _union(options: tuple[Any, ...], defs: dict[str, Any]) -> dict[str, Any]:
    present = [option for option in options if option is not type(None)]
    nullable = len(present) < len(options)
    if len(present) == 1 and nullable:
        inner = _schema(present[0], defs)
        if isinstance(inner.get("type"), str):
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    choices = [_schema(option, defs) for option in present]
    return {"anyOf": [*choices, {"type": "null"}] if nullable else choices}
