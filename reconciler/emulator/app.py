"""Starlette routes of the emulated control plane, at the host root (`/api/svc/v1/...`), plus emulator-only
routes under `/_emulator/` for inspection (secret store, notification outbox, request counts) and, when
enabled, test controls (clock, fault injection)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from reconciler.emulator.domain import ApiError, ControlPlane, Identity, iso, load_tenant, parse_iso
from reconciler.emulator.store import AccountRow, Store

API = "/api/svc/v1"
MIN_CLI_VERSION = "0.0.1"
_FILTERS = ("nameSearchQuery", "ownedByTeams", "isExpired", "filter")
_FILTER_OPS = {"STRING_CONTAINS", "STRING_EQUALS", "EQUALS", "STRING_STARTS_WITH", "EXISTS"}


@dataclass
class Fault:
    """A scripted failure for the next `times` requests matching `method` and the `path` regex."""

    method: str
    path: str
    times: int = 1
    status: int | None = None
    retry_after: str | None = None
    latency_ms: int = 0
    drop_response: bool = False  # process the request (commit), then drop the response
    body: Any = None  # with `status`: the JSON body to answer instead of an error body
    skip: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in ("*", method) and re.search(self.path, path) is not None

    def fires(self) -> bool:
        """Called on a match: counts down `skip`, then `times`."""
        if self.skip > 0:
            self.skip -= 1
            return False
        self.times -= 1
        return True


@dataclass
class EmulatorState:
    control_plane: ControlPlane
    test_controls: bool
    latency_ms: int = 0
    faults: list[Fault] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)


def create_app(
    db_path: Path | str,
    admin_token: str | None = None,
    tenant_file: Path | None = None,
    test_controls: bool = False,
    latency_ms: int = 0,
) -> Starlette:
    """The emulator as an ASGI app: served by uvicorn, or used in-process through httpx's ASGITransport.
    The admin token is stored with the database (generated once) unless one is given."""
    store = Store(db_path)
    tenant = load_tenant(tenant_file)
    if admin_token is not None:
        store.set_meta("admin_token", admin_token)
    control_plane = ControlPlane(store, tenant, admin_token="")
    token = store.meta("admin_token", control_plane.admin_session_token) or ""
    control_plane.admin_token = token
    state = EmulatorState(control_plane, test_controls, latency_ms)
    app = Starlette(routes=_routes(), exception_handlers=_exception_handlers())
    app.state.emulator = state
    app.add_middleware(_FaultsAndLatency, state=state)
    return app


def _routes() -> list[Route]:
    return [
        Route(f"{API}/virtual-accounts", list_accounts, methods=["GET"]),
        Route(f"{API}/virtual-accounts", put_account, methods=["PUT"]),
        Route(f"{API}/virtual-accounts/exists", account_exists, methods=["GET"]),
        Route(f"{API}/virtual-accounts/{{id}}", get_account, methods=["GET"]),
        Route(f"{API}/virtual-accounts/{{id}}", delete_account, methods=["DELETE"]),
        Route(f"{API}/virtual-accounts/{{id}}/token", get_token, methods=["GET"]),
        Route(f"{API}/virtual-accounts/{{id}}/regenerate-token", regenerate_token, methods=["POST"]),
        Route(f"{API}/virtual-accounts/{{id}}/sync-to-secret-store", sync_to_secret_store, methods=["POST"]),
        Route(f"{API}/virtual-accounts/{{id}}/jwt/{{jwt_id}}", delete_jwt, methods=["DELETE"]),
        Route(f"{API}/apply", apply_manifest, methods=["PUT"]),
        Route(f"{API}/delete", delete_manifest, methods=["POST"]),
        Route(f"{API}/dependency-tree", dependency_tree, methods=["POST"]),
        Route(f"{API}/min-cli-version", min_cli_version, methods=["GET"]),
        Route(f"{API}/tenant-id", tenant_id, methods=["GET"]),
        Route(f"{API}/session", session, methods=["GET"]),
        Route("/_emulator/secret-store", inspect_secret_store, methods=["GET"]),
        Route("/_emulator/outbox", inspect_outbox, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET", "DELETE"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        Route("/_emulator/faults", faults, methods=["POST", "DELETE"]),
    ]


def _exception_handlers() -> dict[Any, Any]:
    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse(ApiError(exc.status_code, str(exc.detail)).body(), status_code=exc.status_code)

    return {ApiError: api_error, HTTPException: http_error}


# -- helpers ----------------------------------------------------------------------------------------------


def _cp(request: Request) -> ControlPlane:
    state: EmulatorState = request.app.state.emulator
    return state.control_plane


def _admin(request: Request) -> tuple[ControlPlane, Identity]:
    control_plane = _cp(request)
    control_plane.rotate_due()
    identity = control_plane.authenticate(request.headers.get("authorization"))
    control_plane.require_admin(identity)
    return control_plane, identity


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ApiError(400, "request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return body


def _int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, f"{name} must be an integer") from exc
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{name} must be {bounds}")
    return value


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return raw.lower() == "true"


# -- virtual accounts -------------------------------------------------------------------------------------


async def list_accounts(request: Request) -> Response:
    control_plane, _ = _admin(request)
    limit = _int_param(request, "limit", 100, 1, 1000)
    offset = _int_param(request, "offset", 0, 0, None)
    if any(key in request.query_params for key in _FILTERS):
        accounts = _filtered(control_plane, request)
        page, total = accounts[offset : offset + limit], len(accounts)
    else:
        page, total = control_plane.store.account_page(limit, offset)
    return JSONResponse(
        {"data": control_plane.render(page), "pagination": {"total": total, "offset": offset, "limit": limit}}
    )


def _filtered(control_plane: ControlPlane, request: Request) -> list[AccountRow]:
    accounts = control_plane.store.all_accounts()
    query = request.query_params.get("nameSearchQuery")
    if query:
        accounts = [a for a in accounts if query in a.name]
    teams = {t for raw in request.query_params.getlist("ownedByTeams") for t in raw.split(",") if t}
    if teams:
        accounts = [a for a in accounts if a.manifest.get("ownedBy", {}).get("team") in teams]
    expired = _bool_param(request, "isExpired")
    if expired is not None:
        now = control_plane.clock.now()
        accounts = [a for a in accounts if control_plane._is_expired(a, now) is expired]
    raw_filter = request.query_params.get("filter")
    if raw_filter:
        try:
            tree = json.loads(raw_filter)
        except ValueError as exc:
            raise ApiError(400, "filter is not valid JSON") from exc
        accounts = [a for a in accounts if _matches(tree, a)]
    return accounts


def _matches(node: Any, account: AccountRow) -> bool:
    """The list filter: AND/OR trees of `column` leaves on `name` and `json_map` leaves on `manifest.tags`
    (`{"json_map": "manifest.tags", "key": k, "op": "EQUALS"|"EXISTS", "value": v}`)."""
    if not isinstance(node, dict):
        raise ApiError(400, "filter nodes must be objects")
    if node.get("type") in ("AND", "OR"):
        children = node.get("children")
        if not isinstance(children, list):
            raise ApiError(400, "filter AND/OR nodes need a children list")
        results = (_matches(child, account) for child in children)
        return all(results) if node["type"] == "AND" else any(results)
    op = node.get("op")
    if op not in _FILTER_OPS:
        raise ApiError(400, f"filter op must be one of {', '.join(sorted(_FILTER_OPS))}")
    if node.get("column") == "name":
        actual: Any = account.name
    elif node.get("json_map") == "manifest.tags" or node.get("column") == "manifest.tags":
        tags = account.manifest.get("tags", {})
        if op == "EXISTS":
            return node.get("key") in tags
        actual = tags.get(node.get("key"))
    else:
        raise ApiError(400, "filter leaves match column 'name' or json_map 'manifest.tags'")
    expected = node.get("value")
    if op == "STRING_CONTAINS":
        return isinstance(actual, str) and str(expected) in actual
    if op == "STRING_STARTS_WITH":
        return isinstance(actual, str) and actual.startswith(str(expected))
    return bool(actual == expected)


async def put_account(request: Request) -> Response:
    control_plane, identity = _admin(request)
    body = await _json_body(request)
    if "manifest" not in body:
        raise ApiError(400, "manifest is required")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise ApiError(400, "dryRun must be a boolean")
    account, token, _previous = control_plane.upsert(body["manifest"], dry_run, identity)
    result: dict[str, Any] = {"data": control_plane.render([account])[0]}
    if token is not None:
        result["token"] = token
    return JSONResponse(result)


async def account_exists(request: Request) -> Response:
    control_plane, _ = _admin(request)
    name = request.query_params.get("name")
    if not name:
        raise ApiError(400, "name is required")
    return JSONResponse({"exists": control_plane.store.account_by_name(name) is not None})


async def get_account(request: Request) -> Response:
    control_plane, _ = _admin(request)
    account = control_plane.account(request.path_params["id"])
    return JSONResponse({"data": control_plane.render([account])[0]})


async def delete_account(request: Request) -> Response:
    control_plane, _ = _admin(request)
    control_plane.delete(request.path_params["id"])
    return JSONResponse({})


async def get_token(request: Request) -> Response:
    control_plane, _ = _admin(request)
    return JSONResponse({"token": control_plane.token(request.path_params["id"])})


async def regenerate_token(request: Request) -> Response:
    control_plane, _ = _admin(request)
    body = await _json_body(request)
    if "gracePeriodInMinutes" in body:
        grace = _non_negative(body["gracePeriodInMinutes"], "gracePeriodInMinutes", 525_600)
        period = timedelta(minutes=grace)
    elif "gracePeriodInDays" in body:
        period = timedelta(days=_non_negative(body["gracePeriodInDays"], "gracePeriodInDays", 365))
    else:
        raise ApiError(422, "gracePeriodInMinutes is required")
    return JSONResponse({"token": control_plane.regenerate(request.path_params["id"], period)})


def _non_negative(value: Any, name: str, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise ApiError(422, f"{name} must be an integer between 0 and {maximum}")
    return value


async def sync_to_secret_store(request: Request) -> Response:
    control_plane, _ = _admin(request)
    force = _bool_param(request, "force") or False
    info = control_plane.sync(request.path_params["id"], force)
    return JSONResponse({"syncTokenInSecretStoreInfo": info})


async def delete_jwt(request: Request) -> Response:
    control_plane, _ = _admin(request)
    control_plane.delete_jwt(request.path_params["id"], request.path_params["jwt_id"])
    return JSONResponse({})


# -- generic endpoints used by TrueFoundry's CLI ----------------------------------------------------------


def _virtual_account_manifest(body: dict[str, Any]) -> dict[str, Any]:
    manifest = body.get("manifest")
    if not isinstance(manifest, dict):
        raise ApiError(400, "manifest is required")
    if manifest.get("type") != "virtual-account":
        raise ApiError(422, f"resources of type '{manifest.get('type')}' are not supported by the emulator")
    return manifest


async def apply_manifest(request: Request) -> Response:
    control_plane, identity = _admin(request)
    body = await _json_body(request)
    manifest = _virtual_account_manifest(body)
    account, _token, previous = control_plane.upsert(manifest, bool(body.get("dryRun", False)), identity)
    # No token here: a virtual account created through /apply needs GET .../token.
    return JSONResponse(
        {
            "existingManifest": previous,
            "action": "CREATE" if previous is None else "UPDATE",
            "data": control_plane.render([account])[0],
        }
    )


async def delete_manifest(request: Request) -> Response:
    control_plane, _ = _admin(request)
    manifest = _virtual_account_manifest(await _json_body(request))
    control_plane.delete(control_plane.account_named(str(manifest.get("name"))).id)
    return JSONResponse({})


async def dependency_tree(request: Request) -> Response:
    _admin(request)
    manifests = (await _json_body(request)).get("manifests")
    if not isinstance(manifests, list):
        raise ApiError(400, "manifests must be a list")
    return JSONResponse(
        {
            "data": [
                {"resourceType": m.get("type"), "resourceName": m.get("name"), "dependencies": []}
                for m in manifests
                if isinstance(m, dict)
            ]
        }
    )


async def min_cli_version(_request: Request) -> Response:
    return JSONResponse(
        {
            "minVersion": MIN_CLI_VERSION,
            "truefoundryCliMinVersion": MIN_CLI_VERSION,
            "useSFYServerAuthAPIs": False,
        }
    )


async def tenant_id(request: Request) -> Response:
    control_plane = _cp(request)
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"tenantName": control_plane.tenant.name, "auth_server_url": f"{base}/auth"})


async def session(request: Request) -> Response:
    control_plane = _cp(request)
    identity = control_plane.authenticate(request.headers.get("authorization"))
    return JSONResponse(
        {
            "user": {
                "tenantName": control_plane.tenant.name,
                "email": identity.email,
                "subject": {
                    "subjectId": identity.subject["subjectId"],
                    "subjectType": identity.subject["subjectType"],
                    "subjectSlug": identity.subject["subjectSlug"],
                },
                "metadata": {},
            },
            "tenantInfo": {"tenantName": control_plane.tenant.name},
        }
    )


# -- emulator-only routes ---------------------------------------------------------------------------------


def _emulator_admin(request: Request, test_control: bool = False) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    if test_control and not state.test_controls:
        raise ApiError(404, "test controls are off; start the emulator with --test-controls")
    _admin(request)
    return state


async def inspect_secret_store(request: Request) -> Response:
    """What the emulated secret stores hold, with a SHA-256 of each token instead of the token."""
    state = _emulator_admin(request)
    rows = state.control_plane.store.secrets()
    return JSONResponse(
        [
            {
                "store": store,
                "path": path,
                "sha256": hashlib.sha256(value.encode()).hexdigest(),
                "jwtId": jwt_id,
                "account": account,
                "updatedAt": updated_at,
            }
            for store, path, value, jwt_id, account, updated_at in rows
        ]
    )


async def inspect_outbox(request: Request) -> Response:
    state = _emulator_admin(request)
    return JSONResponse(state.control_plane.store.outbox())


async def stats(request: Request) -> Response:
    state = _emulator_admin(request)
    if request.method == "DELETE":
        state.requests.clear()
    return JSONResponse({"requests": sum(state.requests.values()), "byRoute": dict(state.requests)})


async def clock(request: Request) -> Response:
    state = _emulator_admin(request, test_control=request.method == "POST")
    control_plane = state.control_plane
    if request.method == "POST":
        body = await _json_body(request)
        if "now" in body:
            control_plane.clock.set(parse_iso(str(body["now"])))
        else:
            control_plane.clock.advance(float(body.get("advanceSeconds", 0)))
        control_plane.rotate_due()
    return JSONResponse({"now": iso(control_plane.clock.now())})


async def faults(request: Request) -> Response:
    state = _emulator_admin(request, test_control=True)
    if request.method == "DELETE":
        state.faults.clear()
        return JSONResponse({"faults": 0})
    body = await _json_body(request)
    state.faults.append(
        Fault(
            method=str(body.get("method", "*")).upper(),
            path=str(body.get("path", ".*")),
            times=int(body.get("times", 1)),
            status=body.get("status"),
            retry_after=None if body.get("retryAfter") is None else str(body["retryAfter"]),
            latency_ms=int(body.get("latencyMs", 0)),
            drop_response=bool(body.get("dropResponse", False)),
            body=body.get("body"),
            skip=int(body.get("skip", 0)),
        )
    )
    return JSONResponse({"faults": len(state.faults)})


class _FaultsAndLatency:
    """ASGI middleware: counts API requests, adds the configured latency, and plays scripted faults."""

    def __init__(self, app: Any, state: EmulatorState) -> None:
        self._app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self._app(scope, receive, send)
            return
        method = scope["method"]
        self._state.requests[f"{method} {_route_of(path)}"] += 1
        if self._state.latency_ms:
            await asyncio.sleep(self._state.latency_ms / 1000)
        fault = next((f for f in self._state.faults if f.matches(method, path)), None)
        if fault is None or not fault.fires():
            await self._app(scope, receive, send)
            return
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.status is not None:
            await _send_error(send, fault.status, fault.retry_after, fault.body)
        elif fault.drop_response:
            await self._app(scope, receive, _dropping(send))
        else:
            await self._app(scope, receive, send)


def _route_of(path: str) -> str:
    """`/api/svc/v1/virtual-accounts/abc/token` -> `/virtual-accounts/{id}/token`, for request counts."""
    tail = path.removeprefix(API)
    return re.sub(r"^/virtual-accounts/(?!exists$)[^/]+", "/virtual-accounts/{id}", tail)


async def _send_error(send: Send, status: int, retry_after: str | None, payload: Any = None) -> None:
    body = json.dumps(payload if payload is not None else ApiError(status, "injected fault").body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _dropping(send: Send) -> Send:
    """Let the app commit, announce the response, then abort before its body: the client sees the
    connection close mid-response (a lost response), the server has done the work."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(message)
            return
        raise ConnectionAbortedError("emulator fault: response dropped after commit")

    return wrapped
