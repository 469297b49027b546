"""Who is calling: the admin token, or a virtual account's own token (valid, unexpired, of an unexpired account).
Only tenant admins (the admin token, or an account holding a tenant-admin role) may manage accounts."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.emulator.clock import Clock, iso, parse_iso
from reconciler.emulator.errors import ApiError
from reconciler.emulator.lifecycle import is_expired
from reconciler.emulator.store import AccountRow, Store
from reconciler.emulator.tenant import Tenant
from reconciler.emulator.tokens import TokenMint

ADMIN_SUBJECT = {
    "subjectId": "usr-emulator-admin",
    "subjectType": "user",
    "subjectSlug": "admin@emulator.local",
    "subjectDisplayName": "Emulator admin",
}


@dataclass(frozen=True)
class Identity:
    subject: Mapping[str, Any]
    tenant_admin: bool
    account_name: str | None = None
    email: str | None = None


def subject_of(account: AccountRow) -> dict[str, Any]:
    return {
        "subjectId": account.id,
        "subjectType": "virtualaccount",
        "subjectSlug": account.name,
        "subjectDisplayName": account.name,
    }


class Authenticator:
    """`bound_grants()` maps account names to the grants role bindings add to their own `permissions`."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        tenant: Tenant,
        mint: TokenMint,
        admin_token: str,
        bound_grants: Callable[[], dict[str, list[dict[str, str]]]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._tenant = tenant
        self._mint = mint
        self.admin_token = admin_token
        self._bound_grants = bound_grants

    def authenticate(self, authorization: str | None) -> Identity:
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
        token = authorization.removeprefix("Bearer ").strip()
        if secrets.compare_digest(token, self.admin_token):
            return Identity(ADMIN_SUBJECT, tenant_admin=True, email=ADMIN_SUBJECT["subjectSlug"])
        row = self._store.jwt_by_token(token)
        if row is None or (row.token_type == "jwt" and not self._mint.signature_ok(token)):
            raise ApiError(401, "invalid token")
        now = self._clock.now()
        if parse_iso(row.expiry) <= now:
            raise ApiError(401, "token has expired")
        account = self._store.account_by_id(row.account_id)
        if account is None:
            raise ApiError(401, "invalid token")
        if is_expired(account, now):
            raise ApiError(401, "virtual account has expired")
        self._store.touch_account(account.id, iso(now))
        roles = {str(p.get("role_id")) for p in account.manifest.get("permissions", [])}
        roles |= {g["role"] for g in self._bound_grants().get(account.name, [])}
        return Identity(subject_of(account), self._tenant.grants_tenant_admin(roles), account_name=account.name)

    @staticmethod
    def require_admin(identity: Identity) -> None:
        if not identity.tenant_admin:
            raise ApiError(403, "only tenant admins can manage virtual accounts")
