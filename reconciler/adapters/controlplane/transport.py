"""The exchange with a served control plane (TFY_HOST, or `reconciler emulator serve`): aiohttp's client and
connection pool. Only this module imports aiohttp.

Chosen by benchmark (`benchmarks/transports.py`, 1,000 dry-run PUTs at 20 ms against the served emulator;
benchmarks/README.md has the last run's figures): httpx's own pool re-scans every connection for every request
(encode/httpcore #1035, encode/httpx #3215), so its client CPU per request grew from about 1.3 ms at
concurrency 8 to 4-6.5 ms at 32-64, and concurrency made apply slower; httpx over httpx-aiohttp's transport
stayed near 0.5 ms; aiohttp alone near 0.25 ms. At concurrency 32 the client's CPU per request is what bounds
an apply on two cores, so the served path uses aiohttp directly; the embedded control plane keeps httpx's
ASGITransport (`client.py`), which has no pool to scan.

What a failure means is kept exact: a connection that could not be made (or not within the connect timeout)
sent nothing (`ConnectionFailed`, always safe to retry); any other failure may have reached the server
(`ResponseLost`: a create is then looked up by name before it is ever sent again)."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from reconciler.adapters.controlplane.errors import ConnectionFailed, ResponseLost
from reconciler.adapters.controlplane.exchange import Reply

# connect: waiting for a pooled connection plus connecting; sock_connect: the TCP/TLS connect alone.
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=30.0, sock_connect=5.0, sock_read=30.0)
KEEPALIVE_SECONDS = 5.0
_NOTHING_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class ServedExchange:
    """At most `concurrency` pooled connections to `base_url`, kept alive for reuse. Certificates are verified
    with the system's trust store (or SSL_CERT_FILE); cookies are never kept (the API is bearer-token only,
    and a cookie jar costs CPU on every response)."""

    def __init__(self, base_url: str, headers: Mapping[str, str], concurrency: int) -> None:
        self._base_url, self._headers, self._concurrency = base_url, dict(headers), concurrency
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:  # inside the event loop, as aiohttp requires
        connector = aiohttp.TCPConnector(limit=self._concurrency, keepalive_timeout=KEEPALIVE_SECONDS)
        self._session = aiohttp.ClientSession(
            self._base_url, headers=self._headers, timeout=TIMEOUT, connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True,
        )  # fmt: skip
        return self._session

    async def send(
        self, method: str, path: str, body: bytes | None = None, params: Mapping[str, str | int] | None = None
    ) -> Reply:
        session = self._session or self._open()
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            async with session.request(method, path, data=body, params=params, headers=headers) as response:
                content = await response.read()
                return Reply(response.status, response.headers, content, response.reason or "")
        except _NOTHING_SENT as exc:
            raise ConnectionFailed(type(exc).__name__) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ResponseLost(type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
