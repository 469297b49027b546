"""The TrueFoundry control-plane client: the `ControlPlane` port, kind by kind, over one `Exchange`: aiohttp
for a served control plane (`transport.py`, chosen by benchmark), httpx's ASGITransport for the embedded one.
Bounded concurrency, explicit timeouts, retries by operation (reference/security-and-reliability.md §5.1),
complete listings or none.

Retry classes (the shared policy of `adapters/retry.py`):
- reads, deletes, dry runs and updates: retried on 429/502/503/504, connection failures and lost responses,
  honouring Retry-After, with full-jitter backoff, under the run's deadline;
- creates: a PUT that may create is never repeated blindly, because the token comes back only once. After an
  ambiguous failure the resource is looked up by name; if it exists, an account's token is recovered with
  GET .../token; only if it is still absent is the PUT tried again.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from json import dumps, loads
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
from reconciler.adapters.controlplane.exchange import Exchange, Reply
from reconciler.adapters.retry import Retries, RetryPolicy
from reconciler.domain.ports import Created
from reconciler.domain.resources import LiveResource
from reconciler.domain.values import JsonValue, Manifest, Token
from reconciler.domain.vocabulary import Kind

API = "/api/svc/v1"
PAGE_SIZE = 1000


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


PAGES_AHEAD = 2  # listing pages requested ahead of the one being planned (each about 1.7 MB of JSON)


class _Listing:
    """The proof that a paginated listing is complete: every page has data and the same total, and in the
    end the pages hold `total` resources with distinct names."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.total = 0
        self._listed = 0
        self._names: set[str] = set()
        self._totals: set[int] = set()

    def take(self, page: Mapping[str, Any]) -> list[LiveResource]:
        data = page.get("data")
        total = (page.get("pagination") or {}).get("total")
        if not isinstance(data, list) or not isinstance(total, int):
            raise ListingIncomplete("the control plane returned a listing page without data or total")
        if self._totals and total not in self._totals:
            raise ListingIncomplete(
                f"the number of {self.kind}s changed while listing ({self.total} -> {total}); re-run"
            )
        self._totals.add(total)
        self.total = total
        resources = [live_resource(self.kind, item) for item in data]
        self._listed += len(resources)
        self._names.update(r.name for r in resources)
        return resources

    def prove_complete(self) -> None:
        if self._listed != self.total or len(self._names) != self._listed:
            raise ListingIncomplete(
                f"listed {self._listed} {self.kind}s ({len(self._names)} distinct names) but the control plane "
                f"reports {self.total}; refusing to plan from a partial listing"
            )


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
        headers = {"Authorization": f"Bearer {connection.api_key}", "User-Agent": "va-reconciler"}
        self._exchange: Exchange = (
            _in_process(connection.base_url, headers, connection.transport)
            if connection.transport is not None
            else _served(connection.base_url, headers, concurrency)
        )
        self.requests_sent = 0

    @property
    def policy(self) -> RetryPolicy:
        return self._retries.policy

    async def __aenter__(self) -> ControlPlaneClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._exchange.aclose()

    # -- requests -----------------------------------------------------------------------------------------
    async def _send(
        self, method: str, path: str, json: Any = None, params: Mapping[str, str | int] | None = None
    ) -> Any:
        """One HTTP exchange, mapped to our errors; no retries here."""
        if self.read_only and method != "GET":
            raise ReadOnlyViolation(f"{method} {path} refused: this client is read-only (drift never writes)")
        body = None if json is None else dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
        async with self._semaphore:
            self.requests_sent += 1
            try:
                reply = await self._exchange.send(method, f"{API}{path}", body, params)
            except ConnectionFailed as exc:
                raise ConnectionFailed(f"cannot reach the control plane at {self.connection.description}") from exc
            except ResponseLost as exc:
                raise ResponseLost(f"{method} {path}: the response was lost ({exc})") from exc
        if reply.ok:
            return loads(reply.body)
        raise error_for_status(reply.status, _server_message(method, path, reply), reply.headers.get("retry-after"))

    async def _call(
        self, method: str, path: str, json: Any = None, params: Mapping[str, str | int] | None = None
    ) -> Any:
        """`_send` under the shared retry policy, for requests that are safe to repeat."""
        async for attempt in self._retries.asynchronous(_transient):
            with attempt:
                return await self._send(method, path, json, params)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    # -- reads ----------------------------------------------------------------------------------------------
    async def list_all(self, kind: Kind) -> list[LiveResource]:
        """Every resource of `kind`, read twice (each reading all of `pages`). Each reading proves it adds up,
        and the second must list the same ids as the first: a resource deleted and another created between
        two pages leave the count right but shift one out of sight (issue 12). Raises ListingIncomplete
        (ListingChanged for a disagreement): a partial listing must never look like "fewer resources"."""
        first = [resource async for page in self.pages(kind) for resource in page]
        confirming = {resource.id async for page in self.pages(kind) for resource in page}
        if {resource.id for resource in first} != confirming:
            raise ListingChanged(f"the {kind}s listed changed between two readings; re-run")
        return first

    async def pages(self, kind: Kind) -> AsyncIterator[list[LiveResource]]:
        """Every resource of `kind`, a page of up to 1,000 at a time. Proves completeness (the count matches
        `pagination.total`, no name twice) or raises ListingIncomplete, after the last page: a consumer acts
        on nothing before the iteration ends, since a partial listing must never look like "fewer resources".

        Once the first page tells the total, the next PAGES_AHEAD pages are requested while the consumer
        works on the current one, so the server renders page k+1 while the client plans page k (at 100,000
        accounts, a page cost the served emulator about 0.1 s and planning it about as much)."""
        listing = _Listing(kind)
        first = listing.take(await self._page(kind, 0))
        stride = len(first) or PAGE_SIZE  # the server's page size, if it serves fewer than asked
        ahead: deque[asyncio.Task[dict[str, Any]]] = deque()
        offsets = iter(range(len(first), listing.total, stride))
        try:
            ahead.extend(asyncio.ensure_future(self._page(kind, o)) for o in itertools.islice(offsets, PAGES_AHEAD))
            pending = first
            while ahead:
                yield pending
                page = await ahead.popleft()
                ahead.extend(asyncio.ensure_future(self._page(kind, o)) for o in itertools.islice(offsets, 1))
                pending = listing.take(page)
            listing.prove_complete()
            yield pending
        finally:
            for task in ahead:
                task.cancel()

    async def _page(self, kind: Kind, offset: int) -> dict[str, Any]:
        page: dict[str, Any] = await self._call(
            "GET", ENDPOINTS[kind].path, params={"limit": PAGE_SIZE, "offset": offset}
        )
        return page

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


def _in_process(base_url: str, headers: Mapping[str, str], transport: httpx.AsyncBaseTransport) -> Exchange:
    from reconciler.adapters.controlplane.in_process import InProcessExchange  # httpx: only when embedded

    return InProcessExchange(base_url, headers, transport)


def _served(base_url: str, headers: Mapping[str, str], concurrency: int) -> Exchange:
    from reconciler.adapters.controlplane.transport import ServedExchange  # aiohttp: about 0.13 s to import

    return ServedExchange(base_url, headers, concurrency)


def _transient(error: BaseException) -> bool:
    return isinstance(error, ControlPlaneError) and error.transient


def _name_of(data: Mapping[str, Any]) -> JsonValue:
    return data.get("name") or (data.get("manifest") or {}).get("name")


def _server_message(method: str, path: str, reply: Reply) -> str:
    try:
        body = loads(reply.body)
        message = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    text = str(message) if message else reply.body[:200].decode("utf-8", "replace") or reply.reason
    return f"{method} {path}: {reply.status} {text[:500]}"
