"""The emulator as an ASGI app: served by uvicorn (`reconciler emulator serve`), or used in-process through
httpx's ASGITransport (the embedded control plane)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.backend import Backend
from reconciler.emulator.errors import ApiError
from reconciler.emulator.http import api, controls, role_bindings
from reconciler.emulator.http.faults import Faults, FaultsAndLatency


@dataclass
class EmulatorState:
    """What the routes share: the backend, and the test controls with their faults and request counts."""

    backend: Backend
    test_controls: bool
    faults: Faults


def create_app(
    db_path: Path | str,
    admin_token: str | None = None,
    tenant_file: Path | None = None,
    test_controls: bool = False,
    latency_ms: int = 0,
) -> Starlette:
    """The admin token is stored with the database (generated once) unless one is given."""
    backend = Backend(db_path, admin_token, tenant_file)
    faults = Faults(latency_ms=latency_ms)
    routes: list[Route] = [*api.routes(), *role_bindings.routes(), *controls.routes()]
    app = Starlette(routes=routes, exception_handlers=_exception_handlers())
    app.state.emulator = EmulatorState(backend, test_controls, faults)
    app.add_middleware(FaultsAndLatency, faults=faults)
    return app


def _exception_handlers() -> dict[Any, Any]:
    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse(ApiError(exc.status_code, str(exc.detail)).body(), status_code=exc.status_code)

    return {ApiError: api_error, HTTPException: http_error}
