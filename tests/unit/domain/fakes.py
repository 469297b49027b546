"""In-memory implementations of the domain's ports, with TrueFoundry's semantics (upsert by name, the token
only on creation, updatedAt moving on every write) and a schedule of faults, for testing the executor and
the plan-apply loop without HTTP."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.domain.errors import ReconcilerError, TokenSinkError
from reconciler.domain.ports import Created
from reconciler.domain.resources import LiveResource
from reconciler.domain.values import JsonValue, Manifest, Token
from reconciler.domain.vocabulary import Kind


class Crash(Exception):
    """The process died here (not a ReconcilerError: nothing in the run may catch it)."""


class Unavailable(ReconcilerError):
    """What the real client raises once it gives up on a transient failure."""


class Fault(StrEnum):
    UNAVAILABLE = "unavailable"  # refused before anything was written
    LOST = "lost"  # written, then the response was lost and the client gave up
    RECOVERED = "recovered"  # written, the response was lost, the client found it by name (creates only)
    CRASH_AFTER = "crash-after"  # written, then the process died
    TAKEN_FIRST = "taken-first"  # someone else creates the name (untagged) just before this write (creates only)
    LOST_TO_OTHER = "lost-to-other"  # a create's response is lost, and the name now holds someone else's account


RUN_FAULTS = (Fault.UNAVAILABLE, Fault.LOST, Fault.RECOVERED, Fault.CRASH_AFTER)  # what our own runs meet
FOREIGN = {"owner": "someone-else"}


@dataclass
class Record:
    id: str
    manifest: dict[str, JsonValue]
    updated: int
    token: str


@dataclass
class InMemoryControlPlane:
    """The `ControlPlane` port. `faults` maps the n-th request (counting from 1, across runs) to a fault."""

    faults: dict[int, Fault] = field(default_factory=dict)
    requests_sent: int = 0
    records: dict[str, Record] = field(default_factory=dict)  # virtual accounts
    bindings: dict[str, Record] = field(default_factory=dict)  # role bindings
    creates: Counter[str] = field(default_factory=Counter)
    writes: list[tuple[str, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def _request(self, kind: Kind | None = Kind.VIRTUAL_ACCOUNT) -> Fault | None:
        if kind not in (Kind.VIRTUAL_ACCOUNT, Kind.ROLE_BINDING):
            raise AssertionError(f"not a kind of resource: {kind!r}")
        await asyncio.sleep(0)  # a suspension point, as a real request has
        self.requests_sent += 1
        fault = self.faults.get(self.requests_sent)
        if fault == Fault.UNAVAILABLE:
            raise Unavailable(f"request {self.requests_sent}: 503")
        return fault

    @staticmethod
    def _after_write(fault: Fault | None) -> None:
        if fault == Fault.LOST:
            raise Unavailable("the response was lost")
        if fault == Fault.CRASH_AFTER:
            raise Crash

    def _of(self, kind: Kind) -> dict[str, Record]:
        return self.records if kind == Kind.VIRTUAL_ACCOUNT else self.bindings

    def _live(self, name: str, kind: Kind = Kind.VIRTUAL_ACCOUNT) -> LiveResource:
        record = self._of(kind)[name]
        return LiveResource(kind, record.id, name, record.manifest, str(record.updated))

    def _by_id(self, resource_id: str, kind: Kind = Kind.VIRTUAL_ACCOUNT) -> str:
        name = next((n for n, r in self._of(kind).items() if r.id == resource_id), None)
        if name is None:
            raise ReconcilerError(f"{resource_id}: 404")
        return name

    async def list_all(self, kind: Kind) -> list[LiveResource]:
        await self._request(kind)
        return [r for r in self.snapshot() if r.kind == kind]

    def snapshot(self) -> list[LiveResource]:
        """What listings would return, every kind, without a request (and so without a fault)."""
        accounts = [self._live(name) for name in sorted(self.records)]
        return accounts + [self._live(name, Kind.ROLE_BINDING) for name in sorted(self.bindings)]

    async def get(self, kind: Kind, resource_id: str) -> LiveResource:
        await self._request(kind)
        return self._live(self._by_id(resource_id, kind), kind)

    async def dry_run(self, kind: Kind, manifest: Manifest) -> None:
        await self._request(kind)

    async def exists(self, kind: Kind, name: str) -> bool:
        await self._request(kind)
        return name in self._of(kind)

    async def find(self, kind: Kind, name: str) -> LiveResource | None:
        await self._request(kind)
        return self._live(name, kind) if name in self._of(kind) else None

    async def create(self, kind: Kind, manifest: Manifest) -> Created:
        fault = await self._request(kind)
        name = str(manifest["name"])
        if fault in (Fault.TAKEN_FIRST, Fault.LOST_TO_OTHER):
            self.seed(name, {"type": "virtual-account", "name": name, "tags": dict(FOREIGN)}, kind)
        if fault == Fault.LOST_TO_OTHER:
            return Created(self._live(name, kind), None, recovered=True)
        existed = name in self._of(kind)
        self._write(name, manifest, kind)
        if kind == Kind.ROLE_BINDING:
            self._after_write(fault)
            return Created(self._live(name, kind), None)
        if fault == Fault.RECOVERED:
            return Created(self._live(name), None, recovered=True)
        self._after_write(fault)
        token = None if existed else Token(self.records[name].token)
        return Created(self._live(name), token)

    async def update(self, kind: Kind, manifest: Manifest) -> LiveResource:
        fault = await self._request(kind)
        self._write(str(manifest["name"]), manifest, kind)
        self._after_write(fault)
        return self._live(str(manifest["name"]), kind)

    async def delete(self, kind: Kind, resource_id: str) -> None:
        fault = await self._request(kind)
        name = self._by_id(resource_id, kind)
        del self._of(kind)[name]
        self.writes.append(("delete", name))
        self._after_write(fault)

    async def token(self, account_id: str) -> Token:
        await self._request()
        return Token(self.records[self._by_id(account_id)].token)

    def seed(self, name: str, manifest: Manifest, kind: Kind = Kind.VIRTUAL_ACCOUNT) -> None:
        """A resource someone else created: not one of our writes, not one of our creates."""
        number = next(self._ids)
        self._of(kind)[name] = Record(f"id-{number}", dict(manifest), next(self._clock), f"token-{name}-{number}")

    def _write(self, name: str, manifest: Manifest, kind: Kind = Kind.VIRTUAL_ACCOUNT) -> None:
        self.writes.append(("put", name))
        store = self._of(kind)
        if name in store:
            record = store[name]
            record.manifest, record.updated = dict(manifest), next(self._clock)
            return
        self.creates[name] += 1
        number = next(self._ids)
        store[name] = Record(f"id-{number}", dict(manifest), next(self._clock), f"token-{name}-{number}")


@dataclass
class MemorySink:
    """The `TokenSink` port: keeps each account's token, refuses to overwrite a different one."""

    tokens: dict[str, str] = field(default_factory=dict)
    deliveries: Counter[str] = field(default_factory=Counter)

    def deliver(self, name: str, token: Token) -> str:
        held = self.tokens.get(name)
        if held is not None and held != token.reveal():
            raise TokenSinkError(f"{name} already holds a different token")
        self.tokens[name] = token.reveal()
        self.deliveries[name] += 1
        return f"memory:{name}"

    def discard(self, name: str) -> str | None:
        return f"memory:{name}" if self.tokens.pop(name, None) is not None else None
