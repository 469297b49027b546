"""Emulated role bindings (reference/role-bindings.md §3-4): create-or-update by name with `dryRun`, get, list,
delete, exists, inline creation and manifests generated from grants; validation like the server's; and the
effective access they give, which the virtual-account objects report in `roleIds` and `rolesWithResource`.

Assumptions, marked [I] in the reference and recorded in docs/architecture.md: the list filters by `name` and
`id` and pages like the virtual-account list; a name reused is an update; the shape rule and unknown roles,
resources or subjects answer 422; only tenant admins read or change bindings; deleting a virtual account
leaves bindings naming it in place; the list shows bindings only, not grants made by a virtual account's
deprecated `permissions` (generate-manifest shows those too)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from reconciler.emulator.auth import Identity
from reconciler.emulator.clock import Clock, iso
from reconciler.emulator.errors import ApiError
from reconciler.emulator.store import BindingRow, Store, new_id
from reconciler.emulator.tenant import Tenant
from reconciler.emulator.validation import AccountValidator, SchemaCheck

SHAPE_RULE = (
    "Use either one subject and many permissions, or many subjects and one permission. "
    "A binding cannot have many of both."
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Bindings:
    def __init__(self, store: Store, clock: Clock, tenant: Tenant, accounts: AccountValidator) -> None:
        self._store = store
        self._clock = clock
        self._tenant = tenant
        self._grants = accounts  # checks a role on a resource, as for accounts
        self._schema = SchemaCheck("role-binding.schema.json")

    # reads ------------------------------------------------------------------------------------------------
    def by_id(self, binding_id: str) -> BindingRow:
        found = self._store.binding_by("id", binding_id)
        if found is None:
            raise ApiError(404, f"role binding '{binding_id}' not found")
        return found

    def named(self, name: str) -> BindingRow:
        found = self._store.binding_by("name", name)
        if found is None:
            raise ApiError(404, f"role binding with name '{name}' not found")
        return found

    def exists(self, name: str) -> bool:
        return self._store.binding_by("name", name) is not None

    def listing(self, name: str | None, binding_id: str | None) -> list[BindingRow]:
        return [
            b
            for b in self._store.all_bindings()
            if (name is None or b.name == name) and (binding_id is None or b.id == binding_id)
        ]

    def render(self, bindings: Iterable[BindingRow]) -> list[dict[str, Any]]:
        """The `RoleBinding` object (SDK 0.6.0): no `createdBy`, `accountId` required."""
        return [
            {
                "id": b.id,
                "name": b.name,
                "accountId": self._tenant.account_id,
                "manifest": b.manifest,
                "metadata": {},
                "createdBySubject": b.created_by,
                "createdAt": b.created_at,
                "updatedAt": b.updated_at,
            }
            for b in bindings
        ]

    def grants_by_account(self) -> dict[str, list[dict[str, str]]]:
        """Virtual account name -> the grants every binding naming it gives it (one read of all bindings)."""
        found: dict[str, list[dict[str, str]]] = {}
        for binding in self._store.all_bindings():
            for subject in binding.manifest["subjects"]:
                if subject["type"] == "virtualaccount":
                    found.setdefault(subject["name"], []).extend(binding.manifest["permissions"])
        return found

    # writes -----------------------------------------------------------------------------------------------
    def validate(self, manifest: Any) -> dict[str, Any]:
        manifest = self._schema.check(manifest)
        subjects, permissions = manifest["subjects"], manifest["permissions"]
        if len(subjects) > 1 and len(permissions) > 1:
            raise ApiError(422, f"manifest: {SHAPE_RULE}")
        for index, subject in enumerate(subjects):
            self._check_subject(index, subject)
        for index, permission in enumerate(permissions):
            where = f"manifest.permissions[{index}]"
            self._grants.check_grant(where, permission["role"], permission["resourceFqn"],
                                     permission["resourceType"], role_key="role")  # fmt: skip
        normalized: dict[str, Any] = json.loads(json.dumps(manifest))
        return normalized

    def _check_subject(self, index: int, subject: Mapping[str, str]) -> None:
        kind, name, where = subject["type"], subject["name"], f"manifest.subjects[{index}]"
        tenant = self._tenant
        if kind == "virtualaccount" and self._store.account_by_name(name) is None:
            raise ApiError(422, f"{where}.name: virtual account '{name}' does not exist")
        if kind == "team" and name not in tenant.teams:
            raise ApiError(422, f"{where}.name: team '{name}' does not exist")
        if kind == "user" and (not _EMAIL.match(name) or (tenant.users and name not in tenant.users)):
            raise ApiError(
                422, f"{where}.name: user '{name}' is not a member of this tenant (users are named by email)"
            )
        if kind in ("agent", "external-identity") and tenant.agents and name not in tenant.agents:
            raise ApiError(422, f"{where}.name: {kind} '{name}' does not exist")

    def upsert(self, manifest: Any, dry_run: bool, identity: Identity) -> tuple[BindingRow, dict[str, Any] | None]:
        """Create or update by name; the manifest it had before (None on create). A dry run validates fully
        and persists nothing."""
        normalized = self.validate(manifest)
        with self._store.transaction():
            now = iso(self._clock.now())
            existing = self._store.binding_by("name", normalized["name"])
            if existing is not None:
                updated = replace(existing, manifest=normalized, updated_at=now)
                if not dry_run:
                    self._store.save_binding(updated)
                return updated, existing.manifest
            created = BindingRow(new_id(), normalized["name"], normalized, now, now, dict(identity.subject))
            if not dry_run:
                self._store.save_binding(created)
            return created, None

    def delete(self, binding_id: str) -> None:
        with self._store.transaction():
            self.by_id(binding_id)
            self._store.delete_binding(binding_id)

    def inline(self, body: Mapping[str, Any], identity: Identity) -> list[BindingRow]:
        """R6 [I]: `{"items": [{"subject": {type, name}, "permission": {resourceType, resourceFqn, role}}]}`, one
        binding per item, named from its subject and role (stable, so a repeated call updates)."""
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise ApiError(400, "items must be a non-empty list of {subject, permission}")
        created = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("subject"), dict):
                raise ApiError(400, "every item needs a subject and a permission")
            manifest = {
                "type": "role-binding",
                "name": _generated_name(item["subject"], item.get("permission")),
                "subjects": [item["subject"]],
                "permissions": [item.get("permission")],
            }
            created.append(self.upsert(manifest, False, identity)[0])
        return created


def _generated_name(subject: Mapping[str, Any], permission: Any) -> str:
    """`<subject>-<role>-<6 hex>`, within the 3-66 character name rule."""
    role = str(permission.get("role", "grant")) if isinstance(permission, dict) else "grant"
    digest = hashlib.sha256(json.dumps([subject, permission], sort_keys=True).encode()).hexdigest()[:6]
    stem = re.sub(r"[^a-z0-9-]+", "-", f"{subject.get('name', 'subject')}-{role}".lower()).strip("-")
    stem = stem if stem[:1].isalpha() else f"rb-{stem}"
    return f"{stem[:57]}-{digest}"


def manifests_for_grants(
    subjects_and_grants: Iterable[tuple[dict[str, str], dict[str, str]]], name_of: str
) -> list[dict[str, Any]]:
    """R7: one role-binding manifest per role, equivalent to the grants given (subject, permission)."""
    by_role: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {}
    for subject, permission in subjects_and_grants:
        by_role.setdefault(permission["role"], []).append((subject, permission))
    manifests = []
    for role, pairs in sorted(by_role.items()):
        subjects = _unique(s for s, _ in pairs)
        permissions = _unique(p for _, p in pairs)
        manifests.append(
            {
                "type": "role-binding",
                "name": f"{name_of}-{role}"[:66].rstrip("-"),
                "subjects": subjects,
                "permissions": permissions,
            }  # fmt: skip
        )
    return manifests


def _unique(items: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for item in items:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return list(seen.values())
