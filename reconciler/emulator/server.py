"""Serve the emulator under uvicorn on a loopback address, and say where and how to authenticate."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from reconciler.emulator.http.app import create_app


class _AnnouncingServer(uvicorn.Server):
    """Calls `on_ready(url)` once the socket is bound, so `--port 0` reports the port it got."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[str], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                self._on_ready(f"http://{host}:{port}")
                return


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    db: Path
    admin_token: str | None = None
    tenant: Path | None = None
    test_controls: bool = False
    latency_ms: int = 0


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else starts: a busy port or an unknown host is an `OSError`
    here, with the system's reason, instead of a log line from inside the server and an exit."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(options: ServeOptions, on_ready: Callable[[str, str], None]) -> None:
    """Run until Ctrl-C (uvicorn shuts down cleanly on SIGINT/SIGTERM). Raises `OSError` when the address
    cannot be bound and `TenantError` for a bad tenant file, before serving anything."""
    sock = bind(options.host, options.port)
    with sock:
        app = create_app(options.db, options.admin_token, options.tenant, options.test_controls, options.latency_ms)
        token = app.state.emulator.backend.admin_token
        config = uvicorn.Config(
            app,
            host=options.host,
            port=options.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=3,  # requests held by an injected latency must not block Ctrl-C
        )
        _AnnouncingServer(config, lambda url: on_ready(url, token)).run(sockets=[sock])
