"""Pure: the transcribed documented manifest (schemas/virtual-account.manifest.yaml) -> JSON Schema 2020-12.

The source keeps the documentation's annotation lines verbatim (`+label=... +usage=... +message=...`); this
module parses them into `title`, `description` and `x-*` annotation keywords, and turns the structure keys
(type, required, fields, constraint "x >= N", ...) into validation keywords. Objects refuse unknown keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MANIFEST_SCHEMA_ID = "urn:va-reconciler:schema:virtual-account:v1"

# `+key=value` runs up to the next ` +key=`; values may hold spaces and JSON (`+uiProps={"a": 1}`).
_ANNOTATION = re.compile(r"\+(\w+)=(.*?)(?=\s+\+\w+=|$)")
_CONSTRAINT = re.compile(r"x\s*(>=|<=|>|<)\s*(-?\d+)")
_CONSTRAINT_KEYWORDS = {">=": "minimum", "<=": "maximum", ">": "exclusiveMinimum", "<": "exclusiveMaximum"}
_ANNOTATION_KEYWORDS = {
    "label": "title",
    "usage": "description",
    "message": "x-message",
    "sort": "x-sort",
    "uiType": "x-ui-type",
    "uiProps": "x-ui-props",
    "placeholder": "x-placeholder",
    "docs": "x-docs",
}
_SIMPLE_KEYWORDS = {
    "pattern": "pattern",
    "format": "format",
    "enum": "enum",
    "value": "const",
    "default": "default",
    "min_length": "minLength",
    "max_length": "maxLength",
    "min_items": "minItems",
    "hint": "x-hint",
    "source": "x-source",
}
_JSON_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean"}


def parse_annotations(doc: str) -> dict[str, str]:
    """`"+label=Name +sort=1"` -> `{"label": "Name", "sort": "1"}` (values stripped)."""
    return {key: value.strip() for key, value in _ANNOTATION.findall(doc)}


def build_manifest_schema(source: Mapping[str, Any]) -> dict[str, Any]:
    """The complete JSON Schema for one virtual-account manifest."""
    defs: dict[str, Any] = {}
    body = _object(source, "", defs)
    schema: dict[str, Any] = {"$schema": DIALECT, "$id": source.get("id", MANIFEST_SCHEMA_ID)}
    schema["title"] = source["title"]
    schema["description"] = source["description"]
    schema.update({k: v for k, v in body.items() if k not in ("title", "description")})
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def render_json(schema: Mapping[str, Any]) -> str:
    """The committed form: stable key order as built, two-space indent, trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _annotations(spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parse_annotations(spec.get("doc", "")).items():
        keyword = _ANNOTATION_KEYWORDS.get(key)
        if keyword is None:
            continue
        if keyword == "x-sort":
            out[keyword] = int(value)
        elif keyword == "x-ui-props":
            out[keyword] = json.loads(value)
        else:
            out[keyword] = value
    return out


def _field(spec: Mapping[str, Any], name: str, defs: dict[str, Any]) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "object":
        return _object(spec, name, defs)
    if kind == "union":
        return _union(spec, name, defs)
    schema = _annotations(spec)
    if kind == "list":
        schema["type"] = "array"
        schema["items"] = _field(spec["items"], f"{name}[]", defs)
    elif kind == "map":
        schema["type"] = "object"
        if "key_pattern" in spec:
            schema["propertyNames"] = {"pattern": spec["key_pattern"]}
            if "key_hint" in spec:
                schema["propertyNames"]["x-hint"] = spec["key_hint"]
    else:
        schema["type"] = _JSON_TYPES[kind]
    for key, keyword in _SIMPLE_KEYWORDS.items():
        if key in spec:
            schema[keyword] = spec[key]
    if "constraint" in spec:
        operator, bound = _parse_constraint(spec["constraint"])
        schema[_CONSTRAINT_KEYWORDS[operator]] = bound
    return schema


def _parse_constraint(text: str) -> tuple[str, int]:
    match = _CONSTRAINT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"unsupported constraint {text!r}; expected the docs' form 'x >= N'")
    return match.group(1), int(match.group(2))


def _object(spec: Mapping[str, Any], name: str, defs: dict[str, Any]) -> dict[str, Any]:
    fields: Mapping[str, Any] = spec["fields"]
    schema = _annotations(spec)
    if "source" in spec:
        schema["x-source"] = spec["source"]
    schema["type"] = "object"
    schema["properties"] = {key: _field(child, f"{name}.{key}".lstrip("."), defs) for key, child in fields.items()}
    required = [key for key, child in fields.items() if child.get("required")]
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _union(spec: Mapping[str, Any], name: str, defs: dict[str, Any]) -> dict[str, Any]:
    """A tagged union: the discriminator picks a variant through if/then, so errors name the right fields."""
    discriminator: str = spec["discriminator"]
    variants: Mapping[str, Any] = spec["variants"]
    untyped: str | None = spec.get("untyped")
    schema = _annotations(spec)
    schema["x-source"] = spec["source"]
    schema["type"] = "object"
    schema["properties"] = {discriminator: {"enum": list(variants)}}
    if untyped is None:
        schema["required"] = [discriminator]
    branches = []
    for variant, variant_spec in variants.items():
        ref = f"{name}.{variant}"
        fields = {discriminator: {"type": "string", "value": variant, "required": untyped is None}}
        fields.update(variant_spec["fields"])
        defs[ref] = _object({**variant_spec, "fields": fields}, ref, defs)
        when: dict[str, Any] = {
            "properties": {discriminator: {"const": variant}},
            "required": [discriminator],
        }
        if variant == untyped:
            when = {"anyOf": [when, {"not": {"required": [discriminator]}}]}
        branches.append({"if": when, "then": {"$ref": f"#/$defs/{ref}"}})
    schema["allOf"] = branches
    return schema
