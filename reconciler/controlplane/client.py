"""The TrueFoundry control-plane client: httpx AsyncClient, bounded concurrency, explicit timeouts, retries
by operation kind (reference/security-and-reliability.md §5.1), complete listings or none.

Retry classes:
- reads, deletes, dry runs and updates: retried on 429/502/503/504, connection failures and lost responses,
  honouring Retry-After, with full-jitter backoff, under an overall deadline;
- creates: a PUT that may create is never repeated blindly, because the token comes back only once. After an
  ambiguous failure the account is re-read by name; if it exists its token is recovered with GET .../token.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from reconciler.controlplane.errors import (
    ConnectionFailed,
    ControlPlaneError,
    DeadlineExceeded,
    ListingIncomplete,
    NotFound,
    ReadOnlyViolation,
    ResponseLost,
    error_for_status,
)
from reconciler.controlplane.retry import RetryPolicy, backoff_seconds
from reconciler.model import LiveAccount, Token

API = "/api/svc/v1"
PAGE_SIZE = 1000
TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)


@dataclass(frozen=True)
class Connection:
    """Where the control plane is. `transport` is set for the embedded (in-process) control plane."""

    base_url: str
    api_key: str
    description: str
    transport: httpx.AsyncBaseTransport | None = None


@dataclass(frozen=True)
class Created:
    account: LiveAccount
    token: Token | None
    recovered: bool  # the create's response was lost; the token came from GET .../token


def live_account(data: Mapping[str, Any]) -> LiveAccount:
    manifest = data.get("manifest") or {}
    return LiveAccount(
        id=str(data["id"]),
        name=str(data.get("name") or manifest.get("name")),
        manifest=manifest,
        updated_at=str(data.get("updatedAt", "")),
        jwt_id=data.get("jwtId"),
        is_expired=bool(data.get("isExpired", False)),
        next_rotation=data.get("nextScheduledRotation"),
    )


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
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(concurrency)
        self._deadline = time.monotonic() + self.policy.deadline
        self._http = httpx.AsyncClient(
            base_url=connection.base_url,
            headers={"Authorization": f"Bearer {connection.api_key}", "User-Agent": "va-reconciler"},
            timeout=TIMEOUT,
            transport=connection.transport,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.requests_sent = 0

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
            except (
                httpx.TimeoutException,
                httpx.RemoteProtocolError,
                httpx.ReadError,
                httpx.WriteError,
            ) as exc:
                raise ResponseLost(f"{method} {path}: the response was lost ({type(exc).__name__})") from exc
        if response.is_success:
            return response.json()
        raise error_for_status(response.status_code, _server_message(method, path, response),
                               response.headers.get("retry-after"))  # fmt: skip

    def _retrying(self, retry_lost_responses: bool) -> AsyncRetrying:
        def transient(exc: BaseException) -> bool:
            if isinstance(exc, ResponseLost):
                return retry_lost_responses
            return isinstance(exc, ControlPlaneError) and exc.transient

        return AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(transient),
            sleep=self._sleep_within_deadline,
            reraise=True,
        )

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        retry_after = exc.retry_after if isinstance(exc, ControlPlaneError) else None
        return backoff_seconds(state.attempt_number, retry_after, self.policy, datetime.now(UTC), random.random())

    async def _sleep_within_deadline(self, seconds: float) -> None:
        if time.monotonic() + seconds > self._deadline:
            raise DeadlineExceeded(
                f"gave up: retrying would pass the {self.policy.deadline:.0f} s deadline of this run"
            )
        await self._sleep(seconds)

    async def _call(self, method: str, path: str, retry_lost_responses: bool = True, **kwargs: Any) -> Any:
        async for attempt in self._retrying(retry_lost_responses):
            with attempt:
                return await self._send(method, path, **kwargs)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    # -- reads ----------------------------------------------------------------------------------------------
    async def list_accounts(self) -> list[LiveAccount]:
        """Every account, in pages of 1,000. Proves completeness (the count matches `pagination.total`, no
        name twice) or raises ListingIncomplete: a partial listing must never look like "fewer accounts"."""
        accounts: list[LiveAccount] = []
        total: int | None = None
        while True:
            page = await self._call("GET", "/virtual-accounts", params={"limit": PAGE_SIZE, "offset": len(accounts)})
            data = page.get("data")
            page_total = (page.get("pagination") or {}).get("total")
            if not isinstance(data, list) or not isinstance(page_total, int):
                raise ListingIncomplete("the control plane returned a listing page without data or total")
            if total is not None and page_total != total:
                raise ListingIncomplete(
                    f"the number of accounts changed while listing ({total} -> {page_total}); re-run"
                )
            total = page_total
            accounts.extend(live_account(item) for item in data)
            if not data or len(accounts) >= total:
                break
        names = [a.name for a in accounts]
        if len(accounts) != total or len(set(names)) != len(names):
            raise ListingIncomplete(
                f"listed {len(accounts)} accounts ({len(set(names))} distinct names) but the control plane "
                f"reports {total}; refusing to plan from a partial listing"
            )
        return accounts

    async def get(self, account_id: str) -> LiveAccount:
        return live_account((await self._call("GET", f"/virtual-accounts/{account_id}"))["data"])

    async def find(self, name: str) -> LiveAccount | None:
        page = await self._call("GET", "/virtual-accounts", params={"nameSearchQuery": name, "limit": PAGE_SIZE})
        return next((live_account(d) for d in page.get("data", []) if d.get("name") == name), None)

    async def token(self, account_id: str) -> Token:
        return Token(str((await self._call("GET", f"/virtual-accounts/{account_id}/token"))["token"]))

    # -- writes ---------------------------------------------------------------------------------------------
    async def dry_run(self, manifest: Mapping[str, Any]) -> LiveAccount:
        body = {"manifest": manifest, "dryRun": True}
        return live_account((await self._call("PUT", "/virtual-accounts", json=body))["data"])

    async def update(self, manifest: Mapping[str, Any]) -> LiveAccount:
        """PUT to an account that exists: repeating it is harmless (no token is at stake)."""
        body = {"manifest": manifest, "dryRun": False}
        return live_account((await self._call("PUT", "/virtual-accounts", json=body))["data"])

    async def delete(self, account_id: str) -> None:
        try:
            await self._call("DELETE", f"/virtual-accounts/{account_id}")
        except NotFound:
            return  # already gone: a retried delete whose first response was lost

    async def create(self, manifest: Mapping[str, Any]) -> Created:
        """PUT that creates. Never repeated blindly: after a lost response, a 429 or a 5xx, re-read by name;
        if the account exists, recover its token; only if it is still absent, try the PUT again."""
        body = {"manifest": manifest, "dryRun": False}
        name = str(manifest["name"])
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                response = await self._send("PUT", "/virtual-accounts", json=body)
            except ConnectionFailed as exc:
                failure: ControlPlaneError = exc  # nothing was sent: plain retry
            except ControlPlaneError as exc:
                if not exc.transient:
                    raise
                failure = exc
                existing = await self._call("GET", "/virtual-accounts", params={"nameSearchQuery": name})
                found = next((d for d in existing.get("data", []) if d.get("name") == name), None)
                if found is not None:
                    account = live_account(found)
                    return Created(account, await self.token(account.id), recovered=True)
            else:
                token = response.get("token")
                return Created(live_account(response["data"]), Token(token) if token else None, False)
            if attempt == self.policy.max_attempts:
                raise failure
            wait = backoff_seconds(attempt, failure.retry_after, self.policy, datetime.now(UTC), random.random())
            await self._sleep_within_deadline(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def _server_message(method: str, path: str, response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    text = str(message) if message else response.text[:200] or response.reason_phrase
    return f"{method} {path}: {response.status_code} {text[:500]}"
