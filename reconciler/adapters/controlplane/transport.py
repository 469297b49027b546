"""The transport under the control-plane client when it talks HTTP to a served control plane: httpx's API over
aiohttp's connection pool, through httpx-aiohttp's `AiohttpTransport`. Only this module imports aiohttp and
httpx-aiohttp.

Why not httpx's own pool: httpcore's pool re-scans every connection for every request (encode/httpcore #1035,
encode/httpx #3215), so its client CPU per request grows with the pool: measured by
`benchmarks/transports.py` (1,000 dry-run PUTs at 20 ms, served emulator), httpx's pool spent about 1.3 ms of
client CPU per request at concurrency 8 and 4-6.5 ms at 32-64, taking longer at 32 than at 8; over aiohttp's
pool it stays near 0.5-0.9 ms, and concurrency pays (benchmarks/README.md has the figures of the last run).

What a failure means is kept exact. httpx-aiohttp maps every `aiohttp.ClientConnectionError` without a more
specific entry to `httpx.ConnectTimeout`, which reads as "nothing was sent"; a server that disconnects or
resets the connection after the request went out (`ServerDisconnectedError`, `ClientOSError`) may have
processed it. Those become `httpx.RemoteProtocolError` here, so the client treats them as a lost response:
a create is then looked up by name before it is ever sent again."""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

_NOTHING_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class ServedTransport(AiohttpTransport):
    """httpx-aiohttp's transport with failures classified by whether the request may have been processed."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            raise classified(exc) from exc.__cause__


def classified(error: httpx.ConnectTimeout) -> httpx.TransportError:
    """`error` when aiohttp never got the request onto a connection; a lost response otherwise."""
    if isinstance(error.__cause__, _NOTHING_SENT) or error.__cause__ is None:
        return error
    return httpx.RemoteProtocolError(f"the connection failed after the request was sent: {error}")


KEEPALIVE_SECONDS = 5.0  # httpx's default keep-alive expiry


def served_transport(concurrency: int, https: bool = True) -> httpx.AsyncBaseTransport:
    """A pool of at most `concurrency` connections, kept alive for reuse. Over https, certificates are
    verified as httpx does (certifi, or SSL_CERT_FILE); a plain-http control plane (the served emulator)
    skips building that context (about 20-50 ms of start-up). Cookies are never kept (the API is bearer-token
    only, and a cookie jar costs CPU on every response)."""
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=KEEPALIVE_SECONDS
    )
    tls = httpx.create_ssl_context() if https else None

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=concurrency, keepalive_timeout=KEEPALIVE_SECONDS, ssl=tls if tls is not None else True
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    return ServedTransport(limits=limits, client=session)
