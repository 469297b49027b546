"""The TrueFoundry control-plane client: the `ControlPlane` port over httpx, kind by kind. Bounded
concurrency, explicit timeouts, retries by operation (reference/security-and-reliability.md §5.1), complete
listings or none.

Retry classes (the shared policy of `adapters/retry.py`):
- reads, deletes, dry runs and updates: retried on 429/502/503/504, connection failures and lost responses,
  honouring Retry-After, with full-jitter backoff, under the run's deadline;
- creates: a PUT that may create is never repeated blindly, because the token comes back only once. After an
  ambiguous failure the resource is looked up by name; if it exists, an account's token is recovered with
  GET .../token; only if it is still absent is the PUT tried again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.adapters.controlplane.errors import (
    ConnectionFailed,
    ControlPlaneError,
    ListingChanged,
    ListingIncomplete,
    NotFound,
    ReadOnlyViolation,
    ResponseLost,
    error_for_status,
)
from reconciler.adapters.retry import Retries, RetryPolicy
from reconciler.domain.ports import Created
from reconciler.domain.resources import LiveResource
from reconciler.domain.values import JsonValue, Manifest, Token
from reconciler.domain.vocabulary import Kind

API = "/api/svc/v1"
PAGE_SIZE = 1000
TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)


@dataclass(frozen=True)
class Endpoint:
    """Where a kind lives in the API, and how its listing filters by name."""

    path: str
    name_query: str


ENDPOINTS = {
    Kind.VIRTUAL_ACCOUNT: Endpoint("/virtual-accounts", "nameSearchQuery"),
    Kind.ROLE_BINDING: Endpoint("/role-bindings", "name"),
}


@dataclass(frozen=True)
class Connection:
    """Where the control plane is. `transport` is set for the embedded (in-process) control plane."""

    base_url: str
    api_key: str
    description: str
    transport: httpx.AsyncBaseTransport | None = None

    @property
    def embedded(self) -> bool:
        return self.transport is not None


def live_resource(kind: Kind, data: Mapping[str, Any]) -> LiveResource:
    """A resource object of the API (`VirtualAccount`, reference/control-plane-api.md §6) as a LiveResource."""
    manifest = data.get("manifest") or {}
    token_expiry, token_invalid = _active_token(data)
    return LiveResource(
        kind=kind,
        id=str(data["id"]),
        name=str(data.get("name") or manifest.get("name")),
        manifest=manifest,
        updated_at=str(data.get("updatedAt", "")),
        jwt_id=data.get("jwtId"),
        is_expired=bool(data.get("isExpired", False)),
        next_rotation=data.get("nextScheduledRotation"),
        token_expiry=token_expiry,
        token_invalid=token_invalid,
    )


def _active_token(data: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The active JWT's `expiry`, and whether `jwts` was listed without it (only valid tokens are listed, or
    the active one was revoked): (None, False) when the response does not say."""
    jwts, active = data.get("jwts"), data.get("jwtId")
    if not isinstance(jwts, list) or not active:
        return None, False
    for jwt in jwts:
        if isinstance(jwt, dict) and jwt.get("id") == active:
            expiry = jwt.get("expiry")
            return (str(expiry) if expiry else None), False
    return None, True


def _retry_after(error: BaseException) -> str | None:
    return error.retry_after if isinstance(error, ControlPlaneError) else None


class ControlPlaneClient:
    def __init__(
        self,
        connection: Connection,
        concurrency: int = 8,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        read_only: bool = False,
    ) -> None:
        self.connection = connection
        self.read_only = read_only
        self._retries = Retries(policy or RetryPolicy(), _retry_after, sleep=sleep)
        self._semaphore = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(
            base_url=connection.base_url,
            headers={"Authorization": f"Bearer {connection.api_key}", "User-Agent": "va-reconciler"},
            timeout=TIMEOUT,
            transport=connection.transport,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.requests_sent = 0

    @property
    def policy(self) -> RetryPolicy:
        return self._retries.policy

    async def __aenter__(self) -> ControlPlaneClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    # -- requests -----------------------------------------------------------------------------------------
    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        """One HTTP exchange, mapped to our errors; no retries here."""
        if self.read_only and method != "GET":
            raise ReadOnlyViolation(f"{method} {path} refused: this client is read-only (drift never writes)")
        async with self._semaphore:
            self.requests_sent += 1
            try:
                response = await self._http.request(method, f"{API}{path}", **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise ConnectionFailed(f"cannot reach the control plane at {self.connection.description}") from exc
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                raise ResponseLost(f"{method} {path}: the response was lost ({type(exc).__name__})") from exc
        if response.is_success:
            return response.json()
        raise error_for_status(
            response.status_code, _server_message(method, path, response), response.headers.get("retry-after")
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`_send` under the shared retry policy, for requests that are safe to repeat."""
        async for attempt in self._retries.asynchronous(_transient):
            with attempt:
                return await self._send(method, path, **kwargs)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    # -- reads ----------------------------------------------------------------------------------------------
    async def list_all(self, kind: Kind) -> list[LiveResource]:
        """Every resource of `kind`, in pages of 1,000, read twice. Each pass proves it adds up (the count
        matches `pagination.total`, no name twice), and the second must list the same ids as the first: a
        resource deleted and another created between two pages leave the count right but shift one out of
        sight. Raises ListingIncomplete (ListingChanged for a disagreement): a partial listing must never
        look like "fewer resources"."""
        first = await self._list_once(kind)
        second = await self._list_once(kind)
        if {r.id for r in first} != {r.id for r in second}:
            raise ListingChanged(f"the {kind}s listed changed between two readings; re-run")
        return second

    async def _list_once(self, kind: Kind) -> list[LiveResource]:
        path = ENDPOINTS[kind].path
        found: list[LiveResource] = []
        total: int | None = None
        while True:
            page = await self._call("GET", path, params={"limit": PAGE_SIZE, "offset": len(found)})
            data = page.get("data")
            page_total = (page.get("pagination") or {}).get("total")
            if not isinstance(data, list) or not isinstance(page_total, int):
                raise ListingIncomplete("the control plane returned a listing page without data or total")
            if total is not None and page_total != total:
                raise ListingIncomplete(
                    f"the number of {kind}s changed while listing ({total} -> {page_total}); re-run"
                )
            total = page_total
            found.extend(live_resource(kind, item) for item in data)
            if not data or len(found) >= total:
                break
        names = [r.name for r in found]
        if len(found) != total or len(set(names)) != len(names):
            raise ListingIncomplete(
                f"listed {len(found)} {kind}s ({len(set(names))} distinct names) but the control plane "
                f"reports {total}; refusing to plan from a partial listing"
            )
        return found

    async def get(self, kind: Kind, resource_id: str) -> LiveResource:
        return live_resource(kind, (await self._call("GET", f"{ENDPOINTS[kind].path}/{resource_id}"))["data"])

    async def exists(self, kind: Kind, name: str) -> bool:
        found = await self._call("GET", f"{ENDPOINTS[kind].path}/exists", params={"name": name})
        return found.get("exists") is True

    async def find(self, kind: Kind, name: str) -> LiveResource | None:
        endpoint = ENDPOINTS[kind]
        page = await self._call("GET", endpoint.path, params={endpoint.name_query: name, "limit": PAGE_SIZE})
        return next((live_resource(kind, d) for d in page.get("data", []) if _name_of(d) == name), None)

    async def token(self, account_id: str) -> Token:
        return Token(str((await self._call("GET", f"/virtual-accounts/{account_id}/token"))["token"]))

    # -- writes ---------------------------------------------------------------------------------------------
    async def dry_run(self, kind: Kind, manifest: Manifest) -> None:
        await self._call("PUT", ENDPOINTS[kind].path, json={"manifest": manifest, "dryRun": True})

    async def update(self, kind: Kind, manifest: Manifest) -> LiveResource:
        """PUT to a resource that exists: repeating it is harmless (no token is at stake)."""
        body = {"manifest": manifest, "dryRun": False}
        return live_resource(kind, (await self._call("PUT", ENDPOINTS[kind].path, json=body))["data"])

    async def delete(self, kind: Kind, resource_id: str) -> None:
        try:
            await self._call("DELETE", f"{ENDPOINTS[kind].path}/{resource_id}")
        except NotFound:
            return  # already gone: a retried delete whose first response was lost

    async def create(self, kind: Kind, manifest: Manifest) -> Created:
        """PUT that creates, never repeated blindly: after a lost response, a 429 or a 5xx, look the resource up
        by name; if it exists, return it `recovered` (the caller checks it is what it sent before asking for a
        token); only if it is still absent, try the PUT again."""
        async for attempt in self._retries.asynchronous(_transient):
            with attempt:
                return await self._create_once(kind, manifest)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _create_once(self, kind: Kind, manifest: Manifest) -> Created:
        try:
            response = await self._send("PUT", ENDPOINTS[kind].path, json={"manifest": manifest, "dryRun": False})
        except ConnectionFailed:
            raise  # nothing was sent: a plain retry
        except ControlPlaneError as exc:
            if not exc.transient:
                raise
            found = await self.find(kind, str(manifest["name"]))
            if found is None:
                raise  # still absent: the PUT may be tried again
            return Created(found, None, recovered=True)
        token = response.get("token")
        return Created(live_resource(kind, response["data"]), Token(token) if token else None)


def _transient(error: BaseException) -> bool:
    return isinstance(error, ControlPlaneError) and error.transient


def _name_of(data: Mapping[str, Any]) -> JsonValue:
    return data.get("name") or (data.get("manifest") or {}).get("name")


def _server_message(method: str, path: str, response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    text = str(message) if message else response.text[:200] or response.reason_phrase
    return f"{method} {path}: {response.status_code} {text[:500]}"
