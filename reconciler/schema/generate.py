"""Pure: the transcribed documented manifest (schemas/virtual-account.manifest.yaml) -> JSON Schema 2020-12.

The source keeps the documentation's annotation lines verbatim (`+label=... +usage=... +message=...`); this
module parses them into `title`, `description` and `x-*` annotation keywords, and turns the structure keys
(type, required, fields, constraint "x >= N", ...) into validation keywords. Objects refuse unknown keys.

For editors (the YAML language server, VS Code), every field also gets what they show on hover and on error:
`markdownDescription` (the usage, the default, an example and our note), `examples`, `default`, and the
documented message as `errorMessage` (and `patternErrorMessage` where a pattern decides), which editors show
instead of "String does not match the pattern". `x-message` keeps the documentation's text verbatim (the
emulator answers with it, as the server does); `errorMessage` completes it with the hint, and is what
`reconciler validate` prints.
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
    "maximum": "maximum",
    "examples": "examples",
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


def build_any_manifest_schema(kinds: Mapping[str, str]) -> dict[str, Any]:
    """One schema for a file of manifests of any managed kind (`type` -> that kind's schema file), for the
    modeline of a file holding several kinds (an account and its role binding, as `reconciler migrate` writes):
    the YAML language server applies a file's one schema to every document in it. Without `$id`, so the
    relative references resolve beside this file, exported or published."""
    return {
        "$schema": DIALECT,
        "title": "va-reconciler manifest (any managed kind)",
        "description": "A TrueFoundry manifest of a kind va-reconciler manages, chosen by its `type`.",
        "markdownDescription": "A TrueFoundry manifest of a kind va-reconciler manages, chosen by its `type`: "
        + ", ".join(f"`{kind}`" for kind in kinds)
        + ".",
        "type": "object",
        "required": ["type"],
        # Other types (a team next to an account) are TrueFoundry's and skipped by va-reconciler: not errors here.
        "properties": {"type": {"type": "string", "examples": list(kinds)}},
        "allOf": [
            {"if": {"properties": {"type": {"const": kind}}, "required": ["type"]}, "then": {"$ref": file}}
            for kind, file in kinds.items()
        ],
    }


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
                schema["propertyNames"]["patternErrorMessage"] = spec["key_hint"]  # what editors show
    else:
        schema["type"] = _JSON_TYPES[kind]
    for key, keyword in _SIMPLE_KEYWORDS.items():
        if key in spec:
            schema[keyword] = spec[key]
    if "constraint" in spec:
        operator, bound = _parse_constraint(spec["constraint"])
        schema[_CONSTRAINT_KEYWORDS[operator]] = bound
    return _for_editors(schema, spec)


def error_message(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    """The documented `+message`, completed by the source's hint when the message names the field but not the
    rule (`Expiration date of the virtual account: should be a date in the format yyyy-mm-dd`); the hint alone
    where the documentation has no message."""
    message, hint = schema.get("x-message"), spec.get("hint")
    if message and hint:
        return f"{message}: {hint}"
    return str(message or hint) if message or hint else None


def markdown_description(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    """Hover text: the usage (or the label), then the default, an example and our note, each its own paragraph."""
    parts = [str(schema.get("description") or schema.get("title") or "")]
    if "default" in schema:
        parts.append(f"Default: `{json.dumps(schema['default'])}`")
    if schema.get("examples"):
        parts.append(f"Example: `{json.dumps(schema['examples'][0], ensure_ascii=False)}`")
    if spec.get("note"):
        parts.append(str(spec["note"]))
    text = "\n\n".join(part for part in parts if part)
    return text if text and text != schema.get("description") else None


def _for_editors(schema: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    message = error_message(schema, spec) if schema.get("type") in ("string", "integer") else None
    if message is not None:  # an object's +message is its usage again, never an error's explanation
        schema["errorMessage"] = message
        if "pattern" in schema:
            schema["patternErrorMessage"] = message
    markdown = markdown_description(schema, spec)
    if markdown is not None:
        schema["markdownDescription"] = markdown
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
    return _for_editors(schema, spec)


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
