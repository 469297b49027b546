"""Virtual-account semantics of the emulated control plane, as reference/control-plane-api.md describes them:
upsert by name, the token only on creation, dry runs that persist nothing, tokens and their rotation,
expiry, secret-store sync and rotation notifications, and validation like the server's (the generated JSON
Schema plus references checked against a tenant description).

A second implementation of the API contract: it never imports the reconciler's client or planner."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jwt as pyjwt
import yaml

from reconciler.emulator.store import AccountRow, JwtRow, Store, new_id

DEFAULT_ROTATE_INTERVAL = 360
DEFAULT_GRACE_PERIOD = 30
ADMIN_SUBJECT = {
    "subjectId": "usr-emulator-admin",
    "subjectType": "user",
    "subjectSlug": "admin@emulator.local",
    "subjectDisplayName": "Emulator admin",
}
_NO_EXPIRY = timedelta(days=3650)


class ApiError(Exception):
    """An HTTP error with the documented body `{statusCode, message, code}`."""

    CODES = {
        400: "BAD_REQUEST",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CONFLICT",
        422: "VALIDATION_ERROR",
        429: "TOO_MANY_REQUESTS",
        503: "SERVICE_UNAVAILABLE",
    }

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "message": self.message,
            "code": self.CODES.get(self.status, "ERROR"),
        }


# -- time -------------------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """Wall time plus an offset kept in the database, so tests can move time and a restart keeps it."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def offset(self) -> float:
        return float(self._store.meta("clock_offset_seconds") or 0)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset())

    def advance(self, seconds: float) -> None:
        self._store.set_meta("clock_offset_seconds", str(self.offset() + seconds))

    def set(self, moment: datetime) -> None:
        self._store.set_meta("clock_offset_seconds", str((moment - datetime.now(UTC)).total_seconds()))


# -- tenant -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    id: str
    resource_type: str
    tenant_admin: bool = False


@dataclass(frozen=True)
class Tenant:
    """What the tenant holds that manifests may refer to: teams, roles, resources and integrations."""

    name: str
    account_id: str
    teams: frozenset[str]
    roles: Mapping[str, Role]
    resources: Mapping[str, str]  # fqn -> resource type
    secret_stores: frozenset[str]
    secret_groups: frozenset[str]
    notification_channels: frozenset[str]
    identity_providers: frozenset[str]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Tenant:
        return cls(
            name=str(data["tenant_name"]),
            account_id=str(data.get("account_id", data["tenant_name"])),
            teams=frozenset(data.get("teams", ())),
            roles={
                r["id"]: Role(r["id"], r.get("resource_type", ""), bool(r.get("tenant_admin", False)))
                for r in data.get("roles", ())
            },
            resources={r["fqn"]: r["type"] for r in data.get("resources", ())},
            secret_stores=frozenset(data.get("secret_stores", ())),
            secret_groups=frozenset(data.get("secret_groups", ())),
            notification_channels=frozenset(data.get("notification_channels", ())),
            identity_providers=frozenset(data.get("identity_providers", ())),
        )


def load_tenant(path: Path | None) -> Tenant:
    """The tenant description in `path`, or the built-in demo tenant that matches manifests-example/."""
    if path is None:
        text = resources.files("reconciler.emulator").joinpath("demo-tenant.yaml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "tenant_name" not in data:
        raise ValueError(f"{path}: a tenant description is a mapping with at least tenant_name")
    return Tenant.from_data(data)


def load_manifest_schema() -> dict[str, Any]:
    """The generated JSON Schema, read as data (the emulator shares no code with the reconciler's core)."""
    text = resources.files("reconciler.data").joinpath("virtual-account.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# -- identities -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    subject: Mapping[str, Any]
    tenant_admin: bool
    account_name: str | None = None
    email: str | None = None


# -- the control plane ------------------------------------------------------------------------------------


@dataclass
class ControlPlane:
    store: Store
    tenant: Tenant
    admin_token: str
    schema: Mapping[str, Any] = field(default_factory=load_manifest_schema)

    def __post_init__(self) -> None:
        self.clock = Clock(self.store)
        self._signing_key = self.store.meta("jwt_signing_key", lambda: secrets.token_hex(32)) or ""
        self._validator = jsonschema.Draft202012Validator(
            self.schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )

    # authentication -------------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Identity:
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
        token = authorization.removeprefix("Bearer ").strip()
        if secrets.compare_digest(token, self.admin_token):
            return Identity(ADMIN_SUBJECT, tenant_admin=True, email=ADMIN_SUBJECT["subjectSlug"])
        row = self.store.jwt_by_token(token)
        if row is None or (row.token_type == "jwt" and not self._signature_ok(token)):
            raise ApiError(401, "invalid token")
        now = self.clock.now()
        if parse_iso(row.expiry) <= now:
            raise ApiError(401, "token has expired")
        account = self.store.account_by_id(row.account_id)
        if account is None:
            raise ApiError(401, "invalid token")
        if self._is_expired(account, now):
            raise ApiError(401, "virtual account has expired")
        self.store.touch_account(account.id, iso(now))
        roles = {p.get("role_id") for p in account.manifest.get("permissions", [])}
        admin = any(self.tenant.roles.get(str(r), Role("", "")).tenant_admin for r in roles)
        return Identity(self._subject_of(account), tenant_admin=admin, account_name=account.name)

    def _signature_ok(self, token: str) -> bool:
        try:
            pyjwt.decode(token, self._signing_key, algorithms=["HS256"], options={"verify_exp": False})
        except pyjwt.PyJWTError:
            return False
        return True

    @staticmethod
    def require_admin(identity: Identity) -> None:
        if not identity.tenant_admin:
            raise ApiError(403, "only tenant admins can manage virtual accounts")

    def _subject_of(self, account: AccountRow) -> dict[str, Any]:
        return {
            "subjectId": account.id,
            "subjectType": "virtualaccount",
            "subjectSlug": account.name,
            "subjectDisplayName": account.name,
        }

    def admin_session_token(self) -> str:
        """A signed JWT for the admin, with the claims TrueFoundry's CLI decodes locally."""
        return pyjwt.encode(
            {
                "tenantName": self.tenant.name,
                "exp": int((datetime.now(UTC) + _NO_EXPIRY).timestamp()),
                "sub": ADMIN_SUBJECT["subjectId"],
                "username": "admin",
                "email": ADMIN_SUBJECT["subjectSlug"],
                "subjectType": "user",
                "jti": new_id(12),
            },
            self._signing_key,
            algorithm="HS256",
        )

    # validation -------------------------------------------------------------------------------------------
    def validate(self, manifest: Any) -> dict[str, Any]:
        """422 with the field and the reason, like the server; returns the manifest with defaults filled."""
        if not isinstance(manifest, dict):
            raise ApiError(400, "manifest: must be an object")
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(manifest))
        if error is not None:
            raise ApiError(422, _schema_message(error))
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
            self._check_permission(index, permission)
        target = manifest.get("notification_target")
        if target and target["notification_channel"] not in tenant.notification_channels:
            raise ApiError(
                422,
                "manifest.notification_target.notification_channel: notification channel integration "
                f"'{target['notification_channel']}' does not exist",
            )
        store = manifest.get("secret_store_config")
        if store and store.get("type") == "tfy-secrets":
            if store["secret_group"] not in tenant.secret_groups:
                raise ApiError(
                    422,
                    f"manifest.secret_store_config.secret_group: secret group '{store['secret_group']}' does not exist",
                )
        elif store and store["integration_fqn"] not in tenant.secret_stores:
            raise ApiError(
                422,
                f"manifest.secret_store_config.integration_fqn: secret store integration "
                f"'{store['integration_fqn']}' does not exist",
            )
        for index, mapping in enumerate(manifest.get("identity_provider_mapping", [])):
            if mapping["identity_provider"] not in tenant.identity_providers:
                raise ApiError(
                    422,
                    f"manifest.identity_provider_mapping[{index}].identity_provider: identity provider "
                    f"'{mapping['identity_provider']}' is not configured",
                )

    def _check_permission(self, index: int, permission: Mapping[str, Any]) -> None:
        where = f"manifest.permissions[{index}]"
        role = self.tenant.roles.get(permission["role_id"])
        if role is None:
            raise ApiError(422, f"{where}.role_id: role '{permission['role_id']}' does not exist")
        fqn, kind = permission["resource_fqn"], permission["resource_type"]
        actual = self.tenant.resources.get(fqn)
        if actual is None:
            raise ApiError(422, f"{where}.resource_fqn: resource '{fqn}' does not exist")
        if actual != kind:
            raise ApiError(422, f"{where}.resource_type: resource '{fqn}' is a {actual}, not a {kind}")
        if role.resource_type != kind:
            raise ApiError(422, f"{where}.role_id: role '{role.id}' applies to {role.resource_type}, not to {kind}")

    # reads ------------------------------------------------------------------------------------------------
    def account(self, account_id: str) -> AccountRow:
        found = self.store.account_by_id(account_id)
        if found is None:
            raise ApiError(404, f"virtual account '{account_id}' not found")
        return found

    def account_named(self, name: str) -> AccountRow:
        found = self.store.account_by_name(name)
        if found is None:
            raise ApiError(404, f"virtual account with name '{name}' not found")
        return found

    def render(self, accounts: Iterable[AccountRow]) -> list[dict[str, Any]]:
        rows = list(accounts)
        jwts = self.store.jwts_for([a.id for a in rows])
        now = self.clock.now()
        return [self._render(a, jwts[a.id], now) for a in rows]

    def _render(self, account: AccountRow, jwts: list[JwtRow], now: datetime) -> dict[str, Any]:
        roles = sorted({p["role_id"] for p in account.manifest.get("permissions", [])})
        return {
            "id": account.id,
            "name": account.name,
            "type": "virtualaccount",
            "tenantName": self.tenant.name,
            "createdBySubject": account.created_by,
            "createdAt": account.created_at,
            "updatedAt": account.updated_at,
            "manifest": account.manifest,
            "jwtId": account.jwt_id,
            "lastAccessedAt": account.last_accessed_at,
            "isExpired": self._is_expired(account, now),
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
            "accountId": self.tenant.account_id,
            "metadata": {},
            "roleIds": roles,
            "rolesWithResource": [
                {
                    "roleId": p["role_id"],
                    "resourceType": p["resource_type"],
                    "resourceId": p["resource_fqn"],
                    "roleName": p["role_id"],
                }
                for p in account.manifest.get("permissions", [])
            ],
            "createdBy": account.created_by.get("subjectSlug"),
            "nextScheduledRotation": account.next_rotation,
        }

    @staticmethod
    def _is_expired(account: AccountRow, now: datetime) -> bool:
        raw = account.manifest.get("expiration_date")
        return isinstance(raw, str) and date.fromisoformat(raw) < now.date()

    # writes -----------------------------------------------------------------------------------------------
    def upsert(
        self, manifest: Any, dry_run: bool, identity: Identity
    ) -> tuple[AccountRow, str | None, dict[str, Any] | None]:
        """Create or update by name. Returns the account, the token (only when this call created it), and
        the manifest it had before (None on create). A dry run validates fully and persists nothing."""
        normalized = self.validate(manifest)
        with self.store.transaction():
            now = self.clock.now()
            existing = self.store.account_by_name(normalized["name"])
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
            next_rotation=self._next_rotation(existing, manifest, now),
        )
        if not dry_run:
            self.store.save_account(updated)
            if manifest.get("secret_store_config") != existing.manifest.get("secret_store_config"):
                self._sync(updated, force=True, now=now)
        return updated

    def _next_rotation(self, existing: AccountRow, manifest: Mapping[str, Any], now: datetime) -> str | None:
        settings = manifest.get("auto_rotate")
        if not settings:
            return None
        interval = timedelta(days=settings["auto_rotate_interval"])
        jwts = self.store.jwts_for([existing.id])[existing.id]
        active = next((j for j in jwts if j.id == existing.jwt_id), None)
        issued = parse_iso(active.created_at) if active is not None else now
        return iso(max(issued + interval, now))

    def _create(
        self, manifest: dict[str, Any], dry_run: bool, identity: Identity, now: datetime
    ) -> tuple[AccountRow, str | None]:
        account_id = new_id()
        settings = manifest.get("auto_rotate")
        account = AccountRow(
            id=account_id,
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
        self.store.save_account(account)
        token = self._issue(account, now)
        account = replace(account, jwt_id=token.id)
        self.store.save_account(account)
        self._sync(account, force=True, now=now)
        return account, token.token

    def _token_expiry(self, manifest: Mapping[str, Any], now: datetime) -> datetime:
        raw = manifest.get("expiration_date")
        if isinstance(raw, str):
            return datetime.combine(date.fromisoformat(raw) + timedelta(days=1), datetime.min.time(), UTC)
        return now + _NO_EXPIRY

    def _issue(self, account: AccountRow, now: datetime) -> JwtRow:
        jwt_id = "jwt_" + new_id(12)
        expiry = self._token_expiry(account.manifest, now)
        token_type = account.manifest.get("token_type", "jwt")
        if token_type == "opaque":
            token = "tfy_" + secrets.token_urlsafe(32)
        else:
            token = pyjwt.encode(
                {
                    "tenantName": self.tenant.name,
                    "exp": int(expiry.timestamp()),
                    "iat": int(now.timestamp()),
                    "sub": account.id,
                    "username": account.name,
                    "subjectType": "virtualaccount",
                    "jti": jwt_id,
                },
                self._signing_key,
                algorithm="HS256",
            )
        row = JwtRow(jwt_id, account.id, token, token_type, iso(now), iso(now), iso(expiry))
        self.store.save_jwt(row)
        return row

    def delete(self, account_id: str) -> None:
        with self.store.transaction():
            self.account(account_id)
            self.store.delete_account(account_id)

    def token(self, account_id: str) -> str:
        account = self.account(account_id)
        active = self._active_jwt(account)
        if active is None:
            raise ApiError(404, f"virtual account '{account.name}' has no active token; regenerate one")
        return active.token

    def _active_jwt(self, account: AccountRow) -> JwtRow | None:
        jwts = self.store.jwts_for([account.id])[account.id]
        return next((j for j in jwts if j.id == account.jwt_id), None)

    def regenerate(self, account_id: str, grace: timedelta) -> str:
        with self.store.transaction():
            account = self.account(account_id)
            if account.manifest.get("identity_provider_mapping"):
                raise ApiError(422, "token regeneration is not allowed when identity_provider_mapping is configured")
            now = self.clock.now()
            return self._replace_token(account, grace, now, event="regenerated").token

    def _replace_token(self, account: AccountRow, grace: timedelta, now: datetime, event: str) -> JwtRow:
        """Issue a new active token; the old one stays valid for the grace period, then expires."""
        old = self._active_jwt(account)
        fresh = self._issue(account, now)
        if old is not None:
            expiry = min(parse_iso(old.expiry), now + grace)
            self.store.save_jwt(replace(old, expiry=iso(expiry), updated_at=iso(now)))
        account = replace(account, jwt_id=fresh.id, updated_at=account.updated_at)
        self.store.save_account(account)
        self._sync(account, force=False, now=now)
        target = account.manifest.get("notification_target")
        if target:
            self.store.notify(account.name, f"token-{event}", target, fresh.id, iso(now))
        return fresh

    def rotate_due(self) -> int:
        """Rotate every account whose `nextScheduledRotation` has passed, at its scheduled times."""
        now = self.clock.now()
        rotated = 0
        for due in self.store.accounts_due_for_rotation(iso(now)):
            with self.store.transaction():
                account = self.store.account_by_id(due.id)
                while account is not None and account.next_rotation and parse_iso(account.next_rotation) <= now:
                    settings = account.manifest["auto_rotate"]
                    at = parse_iso(account.next_rotation)
                    self._replace_token(account, timedelta(days=settings["grace_period"]), at, "rotated")
                    account = self.store.account_by_id(due.id)
                    assert account is not None
                    account = replace(account, next_rotation=iso(at + timedelta(days=settings["auto_rotate_interval"])))
                    self.store.save_account(account)
                    rotated += 1
        return rotated

    def sync(self, account_id: str, force: bool) -> dict[str, Any]:
        with self.store.transaction():
            account = self.account(account_id)
            if not account.manifest.get("secret_store_config"):
                raise ApiError(400, f"virtual account '{account.name}' has no secret_store_config")
            synced = self._sync(account, force=force, now=self.clock.now())
        return {"updatedAt": synced.last_synced_at, "jwtId": synced.last_synced_jwt_id}

    def _sync(self, account: AccountRow, force: bool, now: datetime) -> AccountRow:
        """Write the active token to the configured store; skipped when that JWT was already synced."""
        config = account.manifest.get("secret_store_config")
        active = self._active_jwt(account)
        if not config or active is None or (not force and account.last_synced_jwt_id == active.id):
            return account
        if config.get("type") == "tfy-secrets":
            store, path = f"tfy-secrets:{config['secret_group']}", config["key"]
        else:
            store, path = config["integration_fqn"], config["secret_path"]
        self.store.put_secret(store, path, active.token, active.id, account.name, iso(now))
        synced = replace(account, last_synced_jwt_id=active.id, last_synced_at=iso(now))
        self.store.save_account(synced)
        return synced

    def delete_jwt(self, account_id: str, jwt_id: str) -> None:
        with self.store.transaction():
            account = self.account(account_id)
            if jwt_id == account.jwt_id:
                raise ApiError(409, f"'{jwt_id}' is the active token of '{account.name}'; regenerate first")
            if not any(j.id == jwt_id for j in self.store.jwts_for([account_id])[account_id]):
                raise ApiError(404, f"token '{jwt_id}' not found on virtual account '{account.name}'")
            self.store.delete_jwt(jwt_id)


def _schema_message(error: jsonschema.ValidationError) -> str:
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
