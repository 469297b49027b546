"""One HTTP exchange with the control plane, whatever carries it: the embedded control plane in-process (httpx's
ASGITransport, `client.py`) or a served one over the network (aiohttp, `transport.py`). Both send the same
requests and return the same `Reply`, or raise `ConnectionFailed` (nothing reached the server) or
`ResponseLost` (the request may have been processed): the client maps statuses, retries and counts requests
once, above them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reply:
    """A response read whole. `headers` looks names up case-insensitively (both libraries' header types do)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reason: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Exchange(Protocol):
    async def send(
        self, method: str, path: str, body: bytes | None = None, params: Mapping[str, str | int] | None = None
    ) -> Reply:
        """`path` is relative to the control plane's root; `body` is JSON, already encoded."""
        ...

    async def aclose(self) -> None: ...
