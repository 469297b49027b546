"""The exchange with the embedded control plane: the emulator's ASGI app called in-process through httpx's
ASGITransport (no socket, no pool). Imported only when there is no TFY_HOST."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from reconciler.adapters.controlplane.errors import ConnectionFailed, ResponseLost
from reconciler.adapters.controlplane.exchange import Reply

TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)


class InProcessExchange:
    """The embedded control plane, called in-process through httpx's ASGITransport (no socket, no pool)."""

    def __init__(self, base_url: str, headers: Mapping[str, str], transport: httpx.AsyncBaseTransport) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=TIMEOUT, transport=transport)

    async def send(
        self, method: str, path: str, body: bytes | None = None, params: Mapping[str, str | int] | None = None
    ) -> Reply:
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            response = await self._http.request(method, path, content=body, params=params, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ConnectionFailed(type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise ResponseLost(type(exc).__name__) from exc
        return Reply(response.status_code, response.headers, response.content, response.reason_phrase)

    async def aclose(self) -> None:
        await self._http.aclose()
