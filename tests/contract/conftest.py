"""Two transports for one contract suite: the emulator in-process (httpx ASGITransport, how commands use it
without TFY_HOST) and served by `reconciler emulator serve` on 127.0.0.1 (real HTTP, a real process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.http.app import create_app
from tests.emulator_process import ADMIN, API, ServedEmulator

__all__ = ["ADMIN", "API", "Emulator", "ServedEmulator"]


@dataclass
class Emulator:
    """A running emulator and a client for it; `client` sends the admin token unless told otherwise."""

    mode: str
    base_url: str
    client: httpx.AsyncClient
    db: Path

    def auth(self, token: str = ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def put(self, manifest: dict[str, Any], dry_run: bool = False, token: str = ADMIN) -> httpx.Response:
        return await self.client.put(
            f"{API}/virtual-accounts",
            json={"manifest": manifest, "dryRun": dry_run},
            headers=self.auth(token),
        )

    async def get(self, path: str, token: str = ADMIN, **params: Any) -> httpx.Response:
        return await self.client.get(f"{API}{path}", params=params, headers=self.auth(token))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedEmulator]:
    server = ServedEmulator(tmp_path / "served.db")
    yield server
    server.stop()


@pytest.fixture(params=["in-process", "served"])
async def emulator(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Emulator]:
    db = tmp_path / "control-plane.db"
    if request.param == "in-process":
        app = create_app(db, admin_token=ADMIN, test_controls=True)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://embedded") as client:
            yield Emulator("in-process", "http://embedded", client, db)
        return
    server = ServedEmulator(db)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            yield Emulator("served", server.url, client, db)
    finally:
        assert server.stop() == 0
