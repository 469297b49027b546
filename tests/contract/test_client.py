"""The control-plane client against the in-process emulator: retries by class, pagination proofs, deadline.
`sleep` is recorded instead of slept, so waits are asserted exactly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.adapters.controlplane.client import Connection, ControlPlaneClient
from reconciler.adapters.controlplane.errors import ListingIncomplete, Rejected, Unavailable
from reconciler.adapters.retry import DeadlineExceeded, RetryPolicy
from reconciler.domain.vocabulary import Kind
from reconciler.emulator.http.app import create_app
from tests.emulator_process import ADMIN

pytestmark = pytest.mark.anyio
VA = Kind.VIRTUAL_ACCOUNT


class Harness:
    def __init__(self, db: Path, policy: RetryPolicy | None = None) -> None:
        self.app = create_app(db, admin_token=ADMIN, test_controls=True)
        self.slept: list[float] = []
        transport = httpx.ASGITransport(app=self.app)
        connection = Connection("http://embedded", ADMIN, "test", transport)

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        self.client = ControlPlaneClient(connection, concurrency=8, policy=policy, sleep=sleep)
        self.admin = httpx.AsyncClient(transport=transport, base_url="http://embedded",
                                       headers={"Authorization": f"Bearer {ADMIN}"})  # fmt: skip

    async def fault(self, **fault: Any) -> None:
        (await self.admin.post("/_emulator/faults", json=fault)).raise_for_status()

    def calls(self, route: str) -> int:
        return int(self.app.state.emulator.faults.requests[route])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path / "cp.db")
    async with harness.client:
        yield harness
    await harness.admin.aclose()


def manifest(name: str) -> dict[str, Any]:
    return {"type": "virtual-account", "name": name, "ownedBy": {"team": "data"}}


async def test_retry_after_seconds_and_date_are_slept_as_told(harness: Harness) -> None:
    await harness.fault(method="GET", path="/virtual-accounts$", status=429, retryAfter="7", times=1)
    await harness.fault(method="GET", path="/virtual-accounts$", status=503,
                        retryAfter="Wed, 21 Oct 2015 07:28:00 GMT", times=1)  # fmt: skip
    assert await harness.client.list_all(VA) == []
    assert harness.slept == [7.0, 0.0]  # an HTTP date in the past means: retry now
    assert harness.calls("GET /virtual-accounts") == 4  # two refused, then two readings that agree


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_client_errors_are_tried_once(harness: Harness, status: int) -> None:
    await harness.fault(method="GET", path="/virtual-accounts$", status=status, times=5)
    with pytest.raises(Exception) as caught:
        await harness.client.list_all(VA)
    assert f"{status} injected fault" in str(caught.value)
    assert harness.calls("GET /virtual-accounts") == 1 and harness.slept == []


async def test_transient_errors_give_up_after_the_attempt_limit(harness: Harness) -> None:
    await harness.fault(method="GET", path="/virtual-accounts$", status=503, times=100)
    with pytest.raises(Unavailable, match="503"):
        await harness.client.list_all(VA)
    assert harness.calls("GET /virtual-accounts") == harness.client.policy.max_attempts


async def test_the_deadline_bounds_retrying(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "cp.db", RetryPolicy(deadline=5.0))
    async with harness.client:
        await harness.fault(method="GET", path="/virtual-accounts$", status=429, retryAfter="60", times=5)
        with pytest.raises(DeadlineExceeded, match="5 s deadline"):
            await harness.client.list_all(VA)
    await harness.admin.aclose()


async def test_dry_run_rejections_are_not_retried(harness: Harness) -> None:
    with pytest.raises(Rejected, match="422 manifest.ownedBy.team: team 'nobody' does not exist"):
        await harness.client.dry_run(VA, {**manifest("x-bot"), "ownedBy": {"team": "nobody"}})


async def test_listing_pages_through_1001_accounts(harness: Harness) -> None:
    backend = harness.app.state.emulator.backend
    identity = backend.auth.authenticate(f"Bearer {ADMIN}")
    for index in range(1001):
        backend.accounts.upsert(manifest(f"paged-{index:04d}"), dry_run=False, identity=identity)
    accounts = await harness.client.list_all(VA)
    assert len(accounts) == 1001 == len({a.name for a in accounts})
    assert harness.calls("GET /virtual-accounts") == 4  # two pages, read twice


@pytest.mark.parametrize(
    "body",
    [
        {"data": [], "pagination": {"total": 3}},  # pages end early
        {
            "data": [{"id": "a", "name": "dup-bot", "manifest": {}}] * 3,
            "pagination": {"total": 3},
        },  # duplicates
        {"data": [], "pagination": {}},  # no total
    ],
    ids=["missing", "duplicated", "no-total"],
)
async def test_an_inconsistent_listing_is_refused(harness: Harness, body: dict[str, Any]) -> None:
    await harness.fault(method="GET", path="/virtual-accounts$", status=200, body=body, times=10)
    with pytest.raises(ListingIncomplete):
        await harness.client.list_all(VA)


async def test_concurrent_creates_are_bounded_and_all_succeed(harness: Harness) -> None:
    created = await asyncio.gather(*(harness.client.create(VA, manifest(f"many-{i:02d}")) for i in range(40)))
    assert all(c.token is not None and not c.recovered for c in created)
    assert "Token(<redacted>)" == repr(created[0].token) == str(created[0].token)
