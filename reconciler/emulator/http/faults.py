"""Scripted failures and latency for tests (`--test-controls`): an ASGI middleware that counts API requests,
delays them, answers with an injected status, or processes a request and then drops its response, or holds
it until the client gives up or dies (a crash right after the server did the work)."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator.errors import ApiError

API = "/api/svc/v1"


@dataclass
class Fault:
    """A scripted failure for the next `times` requests matching `method` and the `path` regex."""

    method: str
    path: str
    times: int = 1
    status: int | None = None
    retry_after: str | None = None
    latency_ms: int = 0
    drop_response: bool = False  # process the request (commit), then drop the response
    hold_response: bool = False  # process the request (commit), then never answer
    body: Any = None  # with `status`: the JSON body to answer instead of an error body
    skip: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in ("*", method) and re.search(self.path, path) is not None

    def fires(self) -> bool:
        """Called on a match: counts down `skip`, then `times`."""
        if self.skip > 0:
            self.skip -= 1
            return False
        self.times -= 1
        return True

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Fault:
        return cls(
            method=str(body.get("method", "*")).upper(),
            path=str(body.get("path", ".*")),
            times=int(body.get("times", 1)),
            status=body.get("status"),
            retry_after=None if body.get("retryAfter") is None else str(body["retryAfter"]),
            latency_ms=int(body.get("latencyMs", 0)),
            drop_response=bool(body.get("dropResponse", False)),
            hold_response=bool(body.get("holdResponse", False)),
            body=body.get("body"),
            skip=int(body.get("skip", 0)),
        )


@dataclass
class ListingRace:
    """Changes made once, just before the unfiltered account listing serves the page at `offset`: what other
    writers do between two pages of a real listing."""

    offset: int
    delete: str | None = None  # an account name
    create: dict[str, Any] | None = None  # a manifest

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ListingRace:
        create = body.get("create")
        delete = body.get("delete")
        return cls(
            offset=int(body.get("offset", 0)),
            delete=None if delete is None else str(delete),
            create=create if isinstance(create, dict) else None,
        )


@dataclass
class Faults:
    latency_ms: int = 0
    scripted: list[Fault] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    races: list[ListingRace] = field(default_factory=list)

    def races_at(self, offset: int) -> list[ListingRace]:
        """The listing races due before the page at `offset`, removed: each happens once."""
        due = [race for race in self.races if race.offset == offset]
        self.races = [race for race in self.races if race.offset != offset]
        return due

    held: int = 0  # responses held so far (`holdResponse`): a test waits for this before killing its client


class FaultsAndLatency:
    """ASGI middleware: counts API requests, adds the configured latency, and plays scripted faults."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self._app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self._app(scope, receive, send)
            return
        method = scope["method"]
        self._faults.requests[f"{method} {route_of(path)}"] += 1
        if self._faults.latency_ms:
            send = _delayed(send, asyncio.get_running_loop().time() + self._faults.latency_ms / 1000)
        fault = next((f for f in self._faults.scripted if f.matches(method, path)), None)
        if fault is None or not fault.fires():
            await self._app(scope, receive, send)
            return
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.status is not None:
            await _send_error(send, fault.status, fault.retry_after, fault.body)
        elif fault.drop_response:
            await self._app(scope, receive, _dropping(send))
        elif fault.hold_response:
            await self._app(scope, receive, self._holding())
        else:
            await self._app(scope, receive, send)

    def _holding(self) -> Send:
        """Let the app commit, then wait for good instead of answering."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._faults.held += 1
                await asyncio.Event().wait()  # until the server shuts down; the client sees nothing

        return wrapped


def _delayed(send: Send, not_before: float) -> Send:
    """`send` whose response starts no earlier than `not_before` (event-loop time): the configured latency runs
    from the request's arrival while the request is handled, as a network's would. Sleeping before handling
    instead made requests that had queued behind others wake together and be handled in one burst, so the
    emulator's own CPU serialised them: a lockstep no real server shows, which at concurrency 32 on two cores
    dominated apply's time (benchmarks/README.md)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            wait = not_before - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
        await send(message)

    return wrapped


def route_of(path: str) -> str:
    """`/api/svc/v1/virtual-accounts/abc/token` -> `/virtual-accounts/{id}/token`, for request counts."""
    tail = path.removeprefix(API)
    tail = re.sub(r"^/virtual-accounts/(?!exists$)[^/]+", "/virtual-accounts/{id}", tail)
    return re.sub(r"^/role-bindings/(?!exists$|inline$|generate-manifest$)[^/]+", "/role-bindings/{id}", tail)


async def _send_error(send: Send, status: int, retry_after: str | None, payload: Any = None) -> None:
    body = json.dumps(payload if payload is not None else ApiError(status, "injected fault").body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _dropping(send: Send) -> Send:
    """Let the app commit, announce the response, then abort before its body: the client sees the
    connection close mid-response (a lost response), the server has done the work."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(message)
            return
        raise ConnectionAbortedError("emulator fault: response dropped after commit")

    return wrapped
