"""The token lifecycle of emulated virtual accounts (reference/control-plane-api.md §8): issue on create, the
active token, regeneration and scheduled rotation (the old token stays valid for the grace period), expiry
from `expiration_date`, sync of every new token to the configured secret store, and rotation notifications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reconciler.emulator.clock import Clock, iso, parse_iso
from reconciler.emulator.errors import ApiError
from reconciler.emulator.store import AccountRow, JwtRow, Store, new_id
from reconciler.emulator.tokens import NO_EXPIRY, TokenMint


def is_expired(account: AccountRow, now: datetime) -> bool:
    raw = account.manifest.get("expiration_date")
    return isinstance(raw, str) and date.fromisoformat(raw) < now.date()


class TokenLifecycle:
    def __init__(self, store: Store, clock: Clock, mint: TokenMint) -> None:
        self._store = store
        self._clock = clock
        self._mint = mint

    def find(self, account_id: str) -> AccountRow:
        found = self._store.account_by_id(account_id)
        if found is None:
            raise ApiError(404, f"virtual account '{account_id}' not found")
        return found

    @staticmethod
    def expiry_of(manifest: Mapping[str, Any], now: datetime) -> datetime:
        """A token expires at the end of the account's expiration date (UTC), or in ten years without one."""
        raw = manifest.get("expiration_date")
        if isinstance(raw, str):
            return datetime.combine(date.fromisoformat(raw) + timedelta(days=1), datetime.min.time(), UTC)
        return now + NO_EXPIRY

    def issue(self, account: AccountRow, now: datetime) -> JwtRow:
        jwt_id = "jwt_" + new_id(12)
        expiry = self.expiry_of(account.manifest, now)
        token_type = account.manifest.get("token_type", "jwt")
        claims: dict[str, object] = {
            "exp": int(expiry.timestamp()),
            "iat": int(now.timestamp()),
            "sub": account.id,
            "username": account.name,
            "subjectType": "virtualaccount",
            "jti": jwt_id,
        }
        row = JwtRow(
            jwt_id, account.id, self._mint.mint(token_type, claims), token_type, iso(now), iso(now), iso(expiry)
        )
        self._store.save_jwt(row)
        return row

    def active(self, account: AccountRow) -> JwtRow | None:
        jwts = self._store.jwts_for([account.id])[account.id]
        return next((j for j in jwts if j.id == account.jwt_id), None)

    def token(self, account_id: str) -> str:
        account = self.find(account_id)
        active = self.active(account)
        if active is None:
            raise ApiError(404, f"virtual account '{account.name}' has no active token; regenerate one")
        return active.token

    def next_rotation(self, existing: AccountRow, manifest: Mapping[str, Any], now: datetime) -> str | None:
        """When the active token rotates under `manifest`'s schedule: its issue time plus the interval."""
        settings = manifest.get("auto_rotate")
        if not settings:
            return None
        active = self.active(existing)
        issued = parse_iso(active.created_at) if active is not None else now
        return iso(max(issued + timedelta(days=settings["auto_rotate_interval"]), now))

    def regenerate(self, account_id: str, grace: timedelta) -> str:
        with self._store.transaction():
            account = self.find(account_id)
            if account.manifest.get("identity_provider_mapping"):
                raise ApiError(422, "token regeneration is not allowed when identity_provider_mapping is configured")
            return self.replace_token(account, grace, self._clock.now(), event="regenerated").token

    def replace_token(self, account: AccountRow, grace: timedelta, now: datetime, event: str) -> JwtRow:
        """Issue a new active token; the old one stays valid for the grace period, then expires."""
        old = self.active(account)
        fresh = self.issue(account, now)
        if old is not None:
            expiry = min(parse_iso(old.expiry), now + grace)
            self._store.save_jwt(replace(old, expiry=iso(expiry), updated_at=iso(now)))
        account = replace(account, jwt_id=fresh.id)
        self._store.save_account(account)
        self.sync_row(account, force=False, now=now)
        target = account.manifest.get("notification_target")
        if target:
            self._store.notify(account.name, f"token-{event}", target, fresh.id, iso(now))
        return fresh

    def rotate_due(self) -> int:
        """Rotate every account whose `nextScheduledRotation` has passed, at its scheduled times."""
        now = self._clock.now()
        rotated = 0
        for due in self._store.accounts_due_for_rotation(iso(now)):
            with self._store.transaction():
                account = self._store.account_by_id(due.id)
                while account is not None and account.next_rotation and parse_iso(account.next_rotation) <= now:
                    settings = account.manifest["auto_rotate"]
                    at = parse_iso(account.next_rotation)
                    self.replace_token(account, timedelta(days=settings["grace_period"]), at, "rotated")
                    account = self._store.account_by_id(due.id)
                    assert account is not None
                    account = replace(account, next_rotation=iso(at + timedelta(days=settings["auto_rotate_interval"])))
                    self._store.save_account(account)
                    rotated += 1
        return rotated

    def sync(self, account_id: str, force: bool) -> dict[str, Any]:
        with self._store.transaction():
            account = self.find(account_id)
            if not account.manifest.get("secret_store_config"):
                raise ApiError(400, f"virtual account '{account.name}' has no secret_store_config")
            synced = self.sync_row(account, force=force, now=self._clock.now())
        return {"updatedAt": synced.last_synced_at, "jwtId": synced.last_synced_jwt_id}

    def sync_row(self, account: AccountRow, force: bool, now: datetime) -> AccountRow:
        """Write the active token to the configured store; skipped when that JWT was already synced."""
        config = account.manifest.get("secret_store_config")
        active = self.active(account)
        if not config or active is None or (not force and account.last_synced_jwt_id == active.id):
            return account
        if config.get("type") == "tfy-secrets":
            store, path = f"tfy-secrets:{config['secret_group']}", config["key"]
        else:
            store, path = config["integration_fqn"], config["secret_path"]
        self._store.put_secret(store, path, active.token, active.id, account.name, iso(now))
        synced = replace(account, last_synced_jwt_id=active.id, last_synced_at=iso(now))
        self._store.save_account(synced)
        return synced

    def delete_jwt(self, account_id: str, jwt_id: str) -> None:
        with self._store.transaction():
            account = self.find(account_id)
            if jwt_id == account.jwt_id:
                raise ApiError(409, f"'{jwt_id}' is the active token of '{account.name}'; regenerate first")
            if not any(j.id == jwt_id for j in self._store.jwts_for([account_id])[account_id]):
                raise ApiError(404, f"token '{jwt_id}' not found on virtual account '{account.name}'")
            self._store.delete_jwt(jwt_id)
