"""Serve the emulator under uvicorn on a loopback address, and say where and how to authenticate."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from reconciler.emulator.app import create_app


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


def serve(
    host: str,
    port: int,
    db: Path,
    admin_token: str | None,
    tenant: Path | None,
    test_controls: bool,
    latency_ms: int,
    on_ready: Callable[[str, str], None],
) -> None:
    """Run until Ctrl-C (uvicorn shuts down cleanly on SIGINT/SIGTERM)."""
    app = create_app(db, admin_token, tenant, test_controls=test_controls, latency_ms=latency_ms)
    token = app.state.emulator.control_plane.admin_token
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=3,  # requests held by an injected latency must not block Ctrl-C
    )
    _AnnouncingServer(config, lambda url: on_ready(url, token)).run()
