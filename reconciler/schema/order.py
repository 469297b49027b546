"""The documented key order of a manifest, read from its published JSON Schema: `properties` in the order the
schema source transcribes the documentation (schemas/*.manifest.yaml), at every depth; a tagged union's
variants (`allOf` of `if`/`then`, `$ref` into `$defs`) contribute their fields in order of appearance, so
`notification_target` reads `type`, `notification_channel`, then the variant's own fields."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.domain.importing import KeyOrder


def documented_order(schema: Mapping[str, Any]) -> KeyOrder:
    """The key order of documents valid under `schema` (a complete schema: `$ref`s resolve in its `$defs`)."""
    return _order([schema], schema)


def _order(schemas: list[Mapping[str, Any]], root: Mapping[str, Any]) -> KeyOrder:
    fields: dict[str, list[Mapping[str, Any]]] = {}
    mapping = False
    for schema in schemas:
        for part in _parts(schema, root):
            mapping = mapping or part.get("type") == "object"
            for key, child in (part.get("properties") or {}).items():
                fields.setdefault(key, []).append(child)
    if mapping and not fields:
        return KeyOrder(open=True)  # a map of free keys (tags)
    inner = {}
    for key, children in fields.items():
        nested = [n for c in children for n in _nested(c, root)]
        if nested:
            inner[key] = _order(nested, root)
    return KeyOrder(tuple(fields), inner)


def _nested(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The object schemas a field holds: itself, or its list's items."""
    for part in _parts(schema, root):
        if part.get("type") == "object":
            yield part
        elif part.get("type") == "array" and isinstance(part.get("items"), Mapping):
            yield from (p for p in _parts(part["items"], root) if p.get("type") == "object")


def _parts(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """`schema` and every subschema that adds fields to the same object: `$ref`, and `then` of `allOf` items."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        yield from _parts(root["$defs"][ref.removeprefix("#/$defs/")], root)
    yield schema
    for item in schema.get("allOf") or ():
        for branch in ("then", "else"):
            if isinstance(item.get(branch), Mapping):
                yield from _parts(item[branch], root)
