"""Validation like the server's: the generated JSON Schema (read as data: the emulator shares no code with the
reconciler's core), then references checked against the tenant. Only this emulator module imports
jsonschema. Patterns are ECMA-262, as JSON Schema specifies (regress), not Python's `re`: `$` must not match
before a final newline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
import regress

from reconciler.emulator.errors import ApiError
from reconciler.emulator.tenant import Tenant

DEFAULT_ROTATE_INTERVAL = 360
DEFAULT_GRACE_PERIOD = 30


def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("reconciler.data").joinpath(name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@lru_cache(maxsize=64)
def _regex(pattern: str) -> Any:
    return regress.Regex(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, _schema: Mapping[str, Any]) -> Iterator[Any]:
    if validator.is_type(instance, "string") and _regex(pattern).find(instance) is None:
        yield jsonschema.ValidationError(f"does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})


class SchemaCheck:
    """A generated JSON Schema, compiled once: 400 for a manifest that is not an object, 422 with the field
    and the documented reason for one that breaks the schema."""

    def __init__(self, name: str) -> None:
        self._validator = _Validator(load_schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

    def check(self, manifest: Any) -> dict[str, Any]:
        if not isinstance(manifest, dict):
            raise ApiError(400, "manifest: must be an object")
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(manifest))
        if error is not None:
            raise ApiError(422, schema_message(error))
        return manifest


class AccountValidator:
    """Checks a virtual-account manifest: 422 with the field and the reason, like the server."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._schema = SchemaCheck("virtual-account.schema.json")

    def validate(self, manifest: Any) -> dict[str, Any]:
        """The manifest with the server's defaults filled (`auto_rotate` 360/30), or ApiError."""
        manifest = self._schema.check(manifest)
        self._check_references(manifest)
        normalized: dict[str, Any] = json.loads(json.dumps(manifest))
        if isinstance(normalized.get("auto_rotate"), dict):
            normalized["auto_rotate"].setdefault("auto_rotate_interval", DEFAULT_ROTATE_INTERVAL)
            normalized["auto_rotate"].setdefault("grace_period", DEFAULT_GRACE_PERIOD)
        return normalized

    def _check_references(self, manifest: Mapping[str, Any]) -> None:
        tenant = self.tenant
        team = manifest.get("ownedBy", {}).get("team")
        if team is not None and team not in tenant.teams:
            raise ApiError(422, f"manifest.ownedBy.team: team '{team}' does not exist")
        for index, permission in enumerate(manifest.get("permissions", [])):
            self.check_grant(f"manifest.permissions[{index}]", permission["role_id"], permission["resource_fqn"],
                             permission["resource_type"], role_key="role_id")  # fmt: skip
        target = manifest.get("notification_target")
        if target and target["notification_channel"] not in tenant.notification_channels:
            raise ApiError(
                422,
                "manifest.notification_target.notification_channel: notification channel integration "
                f"'{target['notification_channel']}' does not exist",
            )
        self._check_secret_store(manifest.get("secret_store_config"))
        for index, mapping in enumerate(manifest.get("identity_provider_mapping", [])):
            if mapping["identity_provider"] not in tenant.identity_providers:
                raise ApiError(
                    422,
                    f"manifest.identity_provider_mapping[{index}].identity_provider: identity provider "
                    f"'{mapping['identity_provider']}' is not configured",
                )

    def _check_secret_store(self, store: Mapping[str, Any] | None) -> None:
        if not store:
            return
        if store.get("type") == "tfy-secrets":
            if store["secret_group"] not in self.tenant.secret_groups:
                raise ApiError(
                    422,
                    f"manifest.secret_store_config.secret_group: secret group '{store['secret_group']}' does not exist",
                )
        elif store["integration_fqn"] not in self.tenant.secret_stores:
            raise ApiError(
                422,
                f"manifest.secret_store_config.integration_fqn: secret store integration "
                f"'{store['integration_fqn']}' does not exist",
            )

    def check_grant(self, where: str, role_id: str, fqn: str, kind: str, role_key: str) -> None:
        """A role on a resource: the role exists, the resource exists and is of that type, the role fits it."""
        role = self.tenant.roles.get(role_id)
        if role is None:
            raise ApiError(422, f"{where}.{role_key}: role '{role_id}' does not exist")
        actual = self.tenant.resources.get(fqn)
        if actual is None:
            raise ApiError(422, f"{where}.resource_fqn: resource '{fqn}' does not exist")
        if actual != kind:
            raise ApiError(422, f"{where}.resource_type: resource '{fqn}' is a {actual}, not a {kind}")
        if role.resource_type != kind:
            raise ApiError(422, f"{where}.{role_key}: role '{role.id}' applies to {role.resource_type}, not to {kind}")


def schema_message(error: jsonschema.ValidationError) -> str:
    """`manifest.<path>: <documented message or the validator's>`, bounded."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    documented = schema.get("x-message") if error.validator in ("pattern", "format", "type") else None
    if error.validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        reason = f"unknown field(s) {', '.join(extra)}"
    else:
        reason = documented or error.message
    message = f"manifest{path}: {reason}"
    return message if len(message) <= 300 else message[:297] + "..."
