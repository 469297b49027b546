"""The served exchange (aiohttp) on real sockets: a request that may have reached the server is never reported
as "nothing was sent", so a create is looked up by name before it is sent again."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from reconciler.adapters.controlplane.client import Connection, ControlPlaneClient
from reconciler.adapters.controlplane.errors import ConnectionFailed, ResponseLost
from reconciler.adapters.controlplane.transport import ServedExchange
from reconciler.adapters.retry import RetryPolicy
from reconciler.domain.vocabulary import Kind

pytestmark = pytest.mark.anyio
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _hang_up_after_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the whole request, then closes without a byte of response: the server may have acted on it."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    await reader.readexactly(length)
    writer.close()


@pytest.fixture
async def hang_up_server() -> AsyncIterator[str]:
    server = await asyncio.start_server(_hang_up_after_request, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    async with server:
        yield f"http://{host}:{port}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_hang_up_after_the_request_is_a_lost_response(hang_up_server: str) -> None:
    exchange = ServedExchange(hang_up_server, {}, 4)
    try:
        with pytest.raises(ResponseLost):
            await exchange.send("PUT", "/x", b"{}")
    finally:
        await exchange.aclose()


async def test_a_refused_connection_is_nothing_sent() -> None:
    exchange = ServedExchange(f"http://127.0.0.1:{_closed_port()}", {}, 4)
    try:
        with pytest.raises(ConnectionFailed):
            await exchange.send("GET", "/x")
    finally:
        await exchange.aclose()


async def test_the_client_maps_both_to_its_own_errors(hang_up_server: str) -> None:
    once = RetryPolicy(max_attempts=1)
    async with ControlPlaneClient(Connection(hang_up_server, "k", "test"), policy=once) as client:
        with pytest.raises(ResponseLost):
            await client.dry_run(Kind.VIRTUAL_ACCOUNT, {"name": "a"})
    refused = Connection(f"http://127.0.0.1:{_closed_port()}", "k", "test")
    async with ControlPlaneClient(refused, policy=once) as client:
        with pytest.raises(ConnectionFailed):
            await client.dry_run(Kind.VIRTUAL_ACCOUNT, {"name": "a"})
