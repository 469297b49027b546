"""Executing a plan through the control plane: every write re-checks what it read, failures are per account,
and a created token reaches its sink exactly once (or is recovered on the next run).

Token delivery to --token-dir is write-ahead: the account is created with the tag
`va-reconciler-token-delivery: pending`, the token is written, then the tag is removed. A run that dies in
between leaves `pending` in the control plane, and the next plan recovers the token with GET .../token."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from reconciler.errors import ReconcilerError
from reconciler.model import LiveAccount, Token
from reconciler.plan.normalize import TOKEN_DELIVERY_TAG
from reconciler.plan.plan import Change

Status = Literal["applied", "failed", "skipped"]


@dataclass(frozen=True)
class Outcome:
    name: str
    action: str
    status: Status
    detail: str

    def to_data(self) -> dict[str, str]:
        return {"name": self.name, "action": self.action, "status": self.status, "detail": self.detail}


class ControlPlane(Protocol):
    """The writes apply needs; the real one is controlplane.client.ControlPlaneClient."""

    async def get(self, account_id: str) -> LiveAccount: ...

    async def update(self, manifest: Mapping[str, Any]) -> LiveAccount: ...

    async def create(self, manifest: Mapping[str, Any]) -> Any: ...

    async def token(self, account_id: str) -> Token: ...

    async def delete(self, account_id: str) -> None: ...


class TokenSinkError(ReconcilerError):
    pass


class TokenDir:
    """Writes each token to DIR/<name>.token, mode 0600, never overwriting a different token silently."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, name: str, token: Token) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{name}.token"
        value = token.reveal().encode()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            if path.read_bytes() == value:
                return str(path)  # delivered by an earlier attempt
            raise TokenSinkError(f"{path} already holds a different token; move it away and re-run") from None
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(value)
        return str(path)


class OutOfBand(ReconcilerError):
    """Changed in the control plane since it was read: skipped, nothing written."""


class AppearedSincePlan(ReconcilerError):
    """A create found the name taken (the listing is a moment old): reported as failed, for review."""


async def execute(changes: Sequence[Change], client: ControlPlane, sink: TokenDir | None) -> list[Outcome]:
    """Apply every writing change: creates, updates and token recoveries first, deletes last. One failure
    never stops the others; the outcome of every change is reported, in plan order."""
    first = [c for c in changes if c.writes and c.action != "delete"]
    last = [c for c in changes if c.writes and c.action == "delete"]
    results: dict[str, Outcome] = {}
    for batch in (first, last):
        for outcome in await asyncio.gather(*(_apply_one(c, client, sink) for c in batch)):
            results[outcome.name] = outcome
    return [results[c.name] for c in changes if c.name in results]


async def _apply_one(change: Change, client: ControlPlane, sink: TokenDir | None) -> Outcome:
    try:
        detail = await _APPLIERS[change.action](change, client, sink)
    except OutOfBand as exc:
        return Outcome(change.name, change.action, "skipped", str(exc))
    except ReconcilerError as exc:
        return Outcome(change.name, change.action, "failed", str(exc))
    return Outcome(change.name, change.action, "applied", detail)


def _pending(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {**manifest, "tags": {**manifest.get("tags", {}), TOKEN_DELIVERY_TAG: "pending"}}


async def _create(change: Change, client: ControlPlane, sink: TokenDir | None) -> str:
    assert change.desired is not None
    if change.desired.get("secret_store_config"):
        created = await client.create(change.desired)
        if created.token is None and not created.recovered:
            raise AppearedSincePlan(
                "an account with this name appeared after the plan was made; the PUT updated it instead of "
                "creating it: re-plan and review"
            )
        how = " (response lost; found by name)" if created.recovered else ""
        return f"created{how}; token -> {change.token_destination}"
    if sink is None:
        raise TokenSinkError("no token destination: the plan was made with --token-dir; pass it to apply too")
    created = await client.create(_pending(change.desired))
    if created.token is None:
        raise AppearedSincePlan(
            "an account with this name appeared after the plan was made and returned no token; nothing delivered"
        )
    where = sink.deliver(change.name, created.token)
    await client.update(change.desired)
    how = " (response lost; token recovered by GET .../token)" if created.recovered else ""
    return f"created{how}; token written to {where}"


async def _reread(change: Change, client: ControlPlane) -> LiveAccount:
    """Re-read just before writing: refuse when anyone changed the account since it was planned."""
    assert change.account_id is not None
    current = await client.get(change.account_id)
    if current.fingerprint != change.live_fingerprint:
        raise OutOfBand("changed in the control plane since it was read for the plan; re-plan to include it")
    return current


async def _update(change: Change, client: ControlPlane, sink: TokenDir | None) -> str:
    assert change.desired is not None and change.account_id is not None
    await _reread(change, client)
    detail = f"updated {len(change.diffs)} field(s)"
    if change.deliver_token:
        detail += "; " + await _deliver_recovered(change, client, sink)
    await client.update(change.desired)
    return detail


async def _recover(change: Change, client: ControlPlane, sink: TokenDir | None) -> str:
    assert change.desired is not None
    await _reread(change, client)
    detail = await _deliver_recovered(change, client, sink)
    await client.update(change.desired)
    return detail


async def _deliver_recovered(change: Change, client: ControlPlane, sink: TokenDir | None) -> str:
    if sink is None:
        raise TokenSinkError("a pending token needs --token-dir")
    assert change.account_id is not None
    where = sink.deliver(change.name, await client.token(change.account_id))
    return f"pending token recovered and written to {where}"


async def _delete(change: Change, client: ControlPlane, _sink: TokenDir | None) -> str:
    assert change.account_id is not None
    await _reread(change, client)
    await client.delete(change.account_id)
    return "deleted"


_APPLIERS = {"create": _create, "update": _update, "recover-token": _recover, "delete": _delete}
