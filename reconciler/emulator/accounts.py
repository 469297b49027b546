"""Emulated virtual accounts (reference/control-plane-api.md §4): upsert by name with the token only on
creation, dry runs that persist nothing, omitted `permissions` keeping access, delete, the listing's filters,
and the `VirtualAccount` object as the API returns it (§6)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from reconciler.emulator.auth import Identity
from reconciler.emulator.clock import Clock, iso, parse_iso
from reconciler.emulator.errors import ApiError
from reconciler.emulator.lifecycle import TokenLifecycle, is_expired
from reconciler.emulator.store import AccountRow, JwtRow, Store, new_id
from reconciler.emulator.tenant import Tenant
from reconciler.emulator.validation import AccountValidator

FILTER_OPS = frozenset({"STRING_CONTAINS", "STRING_EQUALS", "EQUALS", "STRING_STARTS_WITH", "EXISTS"})


class Accounts:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        tenant: Tenant,
        validator: AccountValidator,
        tokens: TokenLifecycle,
        bound_grants: Callable[[], dict[str, list[dict[str, str]]]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._tenant = tenant
        self._validator = validator
        self._tokens = tokens
        self._bound_grants = bound_grants  # {account name: the grants role bindings give it}

    # reads ------------------------------------------------------------------------------------------------
    def by_id(self, account_id: str) -> AccountRow:
        return self._tokens.find(account_id)

    def named(self, name: str) -> AccountRow:
        found = self._store.account_by_name(name)
        if found is None:
            raise ApiError(404, f"virtual account with name '{name}' not found")
        return found

    def exists(self, name: str) -> bool:
        return self._store.account_by_name(name) is not None

    def page(self, limit: int, offset: int) -> tuple[list[AccountRow], int]:
        return self._store.account_page(limit, offset)

    def filtered(
        self, name_query: str | None, teams: set[str], expired: bool | None, tree: Any | None
    ) -> list[AccountRow]:
        """The listing's filters: name substring, owning teams, expiry, and an AND/OR `filter` tree."""
        accounts = self._store.all_accounts()
        if name_query:
            accounts = [a for a in accounts if name_query in a.name]
        if teams:
            accounts = [a for a in accounts if a.manifest.get("ownedBy", {}).get("team") in teams]
        if expired is not None:
            now = self._clock.now()
            accounts = [a for a in accounts if is_expired(a, now) is expired]
        if tree is not None:
            accounts = [a for a in accounts if _matches(tree, a)]
        return accounts

    def render(self, accounts: Iterable[AccountRow]) -> list[dict[str, Any]]:
        rows = list(accounts)
        jwts = self._store.jwts_for([a.id for a in rows])
        now = self._clock.now()
        bound = self._bound_grants() if rows else {}
        return [self._render(a, jwts[a.id], now, bound.get(a.name, [])) for a in rows]

    @staticmethod
    def effective_grants(account: AccountRow, bound: list[dict[str, str]]) -> list[dict[str, str]]:
        """Its own `permissions` (kept when the manifest later omits them) and the grants of the bindings naming
        it (`bound`), as `{roleId, resourceType, resourceId}`."""
        own = [
            {"roleId": p["role_id"], "resourceType": p["resource_type"], "resourceId": p["resource_fqn"]}
            for p in account.manifest.get("permissions", [])
        ]
        via = [{"roleId": g["role"], "resourceType": g["resourceType"], "resourceId": g["resourceFqn"]} for g in bound]
        unique = {json.dumps(g, sort_keys=True): g for g in own + via}
        return [unique[key] for key in sorted(unique)]

    def _render(
        self, account: AccountRow, jwts: list[JwtRow], now: datetime, bound: list[dict[str, str]]
    ) -> dict[str, Any]:
        grants = self.effective_grants(account, bound)
        roles = sorted({g["roleId"] for g in grants})
        return {
            "id": account.id,
            "name": account.name,
            "type": "virtualaccount",
            "tenantName": self._tenant.name,
            "createdBySubject": account.created_by,
            "createdAt": account.created_at,
            "updatedAt": account.updated_at,
            "manifest": account.manifest,
            "jwtId": account.jwt_id,
            "lastAccessedAt": account.last_accessed_at,
            "isExpired": is_expired(account, now),
            "jwts": [
                {
                    "id": j.id,
                    "subjectType": "virtualaccount",
                    "subjectId": account.id,
                    "expiry": j.expiry,
                    "tokenType": j.token_type,
                    "createdAt": j.created_at,
                    "updatedAt": j.updated_at,
                    "metadata": {"active": j.id == account.jwt_id},
                }
                for j in jwts
                if parse_iso(j.expiry) > now
            ],
            "accountId": self._tenant.account_id,
            "metadata": {},
            "roleIds": roles,
            "rolesWithResource": [{**g, "roleName": g["roleId"]} for g in grants],
            "createdBy": account.created_by.get("subjectSlug"),
            "nextScheduledRotation": account.next_rotation,
        }

    # writes -----------------------------------------------------------------------------------------------
    def upsert(
        self, manifest: Any, dry_run: bool, identity: Identity
    ) -> tuple[AccountRow, str | None, dict[str, Any] | None]:
        """Create or update by name. Returns the account, the token (only when this call created it), and
        the manifest it had before (None on create). A dry run validates fully and persists nothing."""
        normalized = self._validator.validate(manifest)
        with self._store.transaction():
            now = self._clock.now()
            existing = self._store.account_by_name(normalized["name"])
            if existing is not None:
                return self._update(existing, normalized, dry_run, now), None, existing.manifest
            return (*self._create(normalized, dry_run, identity, now), None)

    def _update(self, existing: AccountRow, manifest: dict[str, Any], dry_run: bool, now: datetime) -> AccountRow:
        if "permissions" not in manifest and "permissions" in existing.manifest:
            manifest["permissions"] = existing.manifest["permissions"]  # omitted: access stays as it is
        updated = replace(
            existing,
            manifest=manifest,
            updated_at=iso(now),
            next_rotation=self._tokens.next_rotation(existing, manifest, now),
        )
        if not dry_run:
            self._store.save_account(updated)
            if manifest.get("secret_store_config") != existing.manifest.get("secret_store_config"):
                self._tokens.sync_row(updated, force=True, now=now)
        return updated

    def _create(
        self, manifest: dict[str, Any], dry_run: bool, identity: Identity, now: datetime
    ) -> tuple[AccountRow, str | None]:
        settings = manifest.get("auto_rotate")
        account = AccountRow(
            id=new_id(),
            name=manifest["name"],
            manifest=manifest,
            created_at=iso(now),
            updated_at=iso(now),
            created_by=dict(identity.subject),
            jwt_id=None,
            next_rotation=iso(now + timedelta(days=settings["auto_rotate_interval"])) if settings else None,
            last_synced_jwt_id=None,
            last_synced_at=None,
            last_accessed_at=None,
        )
        if dry_run:
            return account, None
        self._store.save_account(account)
        token = self._tokens.issue(account, now)
        account = replace(account, jwt_id=token.id)
        self._store.save_account(account)
        self._tokens.sync_row(account, force=True, now=now)
        return account, token.token

    def delete(self, account_id: str) -> None:
        with self._store.transaction():
            self.by_id(account_id)
            self._store.delete_account(account_id)


def parse_filter(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "filter is not valid JSON") from exc


def _matches(node: Any, account: AccountRow) -> bool:
    """The list filter: AND/OR trees of `column` leaves on `name` and `json_map` leaves on `manifest.tags`
    (`{"json_map": "manifest.tags", "key": k, "op": "EQUALS"|"EXISTS", "value": v}`)."""
    if not isinstance(node, dict):
        raise ApiError(400, "filter nodes must be objects")
    if node.get("type") in ("AND", "OR"):
        children = node.get("children")
        if not isinstance(children, list):
            raise ApiError(400, "filter AND/OR nodes need a children list")
        results = (_matches(child, account) for child in children)
        return all(results) if node["type"] == "AND" else any(results)
    op = node.get("op")
    if op not in FILTER_OPS:
        raise ApiError(400, f"filter op must be one of {', '.join(sorted(FILTER_OPS))}")
    if node.get("column") == "name":
        actual: Any = account.name
    elif node.get("json_map") == "manifest.tags" or node.get("column") == "manifest.tags":
        tags: Mapping[str, Any] = account.manifest.get("tags", {})
        if op == "EXISTS":
            return node.get("key") in tags
        actual = tags.get(str(node.get("key")))
    else:
        raise ApiError(400, "filter leaves match column 'name' or json_map 'manifest.tags'")
    expected = node.get("value")
    if op == "STRING_CONTAINS":
        return isinstance(actual, str) and str(expected) in actual
    if op == "STRING_STARTS_WITH":
        return isinstance(actual, str) and actual.startswith(str(expected))
    return bool(actual == expected)
