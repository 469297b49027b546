"""TrueFoundry's API as the emulator serves it, at the host root (`/api/svc/v1/...`,
reference/control-plane-api.md §4-5): the virtual-account endpoints and the generic ones `tfy` calls."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.accounts import parse_filter
from reconciler.emulator.auth import Identity
from reconciler.emulator.backend import Backend
from reconciler.emulator.errors import ApiError

API = "/api/svc/v1"
MIN_CLI_VERSION = "0.0.1"
_FILTERS = ("nameSearchQuery", "ownedByTeams", "isExpired", "filter")


def routes() -> list[Route]:
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
    ]


# -- helpers ----------------------------------------------------------------------------------------------


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.emulator.backend
    return backend


def admin(request: Request) -> tuple[Backend, Identity]:
    """The backend, after due rotations, for a caller who must be a tenant admin."""
    backend = backend_of(request)
    backend.tokens.rotate_due()
    identity = backend.auth.authenticate(request.headers.get("authorization"))
    backend.auth.require_admin(identity)
    return backend, identity


def reader(request: Request) -> tuple[Backend, Identity]:
    """The backend, after due rotations, for any authenticated caller: what it reads is filtered by what it
    may see (`visibility.py`)."""
    backend = backend_of(request)
    backend.tokens.rotate_due()
    return backend, backend.auth.authenticate(request.headers.get("authorization"))


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ApiError(400, "request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return body


def int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
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


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return raw.lower() == "true"


# -- virtual accounts -------------------------------------------------------------------------------------


async def list_accounts(request: Request) -> Response:
    backend, identity = reader(request)
    limit = int_param(request, "limit", 100, 1, 1000)
    offset = int_param(request, "offset", 0, 0, None)
    if any(key in request.query_params for key in _FILTERS) or not identity.tenant_admin:
        raw_filter = request.query_params.get("filter")
        accounts = backend.accounts.filtered(
            request.query_params.get("nameSearchQuery"),
            {t for raw in request.query_params.getlist("ownedByTeams") for t in raw.split(",") if t},
            bool_param(request, "isExpired"),
            parse_filter(raw_filter) if raw_filter else None,
        )
        accounts = backend.visibility.accounts(identity, accounts)
        page, total = accounts[offset : offset + limit], len(accounts)
    else:
        _race(request, backend, identity, offset)
        page, total = backend.accounts.page(limit, offset)
    return JSONResponse(
        {"data": backend.accounts.render(page), "pagination": {"total": total, "offset": offset, "limit": limit}}
    )


def _race(request: Request, backend: Backend, identity: Identity, offset: int) -> None:
    """Test control: the writes another writer makes between two pages (`/_emulator/listing-race`)."""
    for race in request.app.state.emulator.faults.races_at(offset):
        if race.delete is not None:
            backend.accounts.delete(backend.accounts.named(race.delete).id)
        if race.create is not None:
            backend.accounts.upsert(race.create, dry_run=False, identity=identity)


async def put_account(request: Request) -> Response:
    backend, identity = admin(request)
    body = await json_body(request)
    if "manifest" not in body:
        raise ApiError(400, "manifest is required")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise ApiError(400, "dryRun must be a boolean")
    account, token, _previous = backend.accounts.upsert(body["manifest"], dry_run, identity)
    result: dict[str, Any] = {"data": backend.accounts.render([account])[0]}
    if token is not None:
        result["token"] = token
    return JSONResponse(result)


async def account_exists(request: Request) -> Response:
    backend, _ = reader(request)  # names are unique tenant-wide: any caller may ask [I]
    name = request.query_params.get("name")
    if not name:
        raise ApiError(400, "name is required")
    return JSONResponse({"exists": backend.accounts.exists(name)})


async def get_account(request: Request) -> Response:
    backend, identity = reader(request)
    account = backend.accounts.by_id(request.path_params["id"])
    if not backend.visibility.accounts(identity, [account]):
        raise ApiError(404, f"virtual account '{account.id}' not found")  # what a caller cannot see, is not there
    return JSONResponse({"data": backend.accounts.render([account])[0]})


async def delete_account(request: Request) -> Response:
    backend, _ = admin(request)
    backend.accounts.delete(request.path_params["id"])
    return JSONResponse({})


async def get_token(request: Request) -> Response:
    backend, _ = admin(request)
    return JSONResponse({"token": backend.tokens.token(request.path_params["id"])})


async def regenerate_token(request: Request) -> Response:
    backend, _ = admin(request)
    body = await json_body(request)
    if "gracePeriodInMinutes" in body:
        grace = _non_negative(body["gracePeriodInMinutes"], "gracePeriodInMinutes", 525_600)
        period = timedelta(minutes=grace)
    elif "gracePeriodInDays" in body:
        period = timedelta(days=_non_negative(body["gracePeriodInDays"], "gracePeriodInDays", 365))
    else:
        raise ApiError(422, "gracePeriodInMinutes is required")
    return JSONResponse({"token": backend.tokens.regenerate(request.path_params["id"], period)})


def _non_negative(value: Any, name: str, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise ApiError(422, f"{name} must be an integer between 0 and {maximum}")
    return value


async def sync_to_secret_store(request: Request) -> Response:
    backend, _ = admin(request)
    force = bool_param(request, "force") or False
    info = backend.tokens.sync(request.path_params["id"], force)
    return JSONResponse({"syncTokenInSecretStoreInfo": info})


async def delete_jwt(request: Request) -> Response:
    backend, _ = admin(request)
    backend.tokens.delete_jwt(request.path_params["id"], request.path_params["jwt_id"])
    return JSONResponse({})


# -- generic endpoints used by TrueFoundry's CLI ----------------------------------------------------------


_SUPPORTED = ("virtual-account", "role-binding")


def _manifest_of(body: dict[str, Any]) -> dict[str, Any]:
    manifest = body.get("manifest")
    if not isinstance(manifest, dict):
        raise ApiError(400, "manifest is required")
    if manifest.get("type") not in _SUPPORTED:
        raise ApiError(422, f"resources of type '{manifest.get('type')}' are not supported by the emulator")
    return manifest


async def apply_manifest(request: Request) -> Response:
    """The generic apply (`tfy apply`, the SDK's `client.apply`): `{existingManifest, action, data}`, no token."""
    backend, identity = admin(request)
    body = await json_body(request)
    manifest = _manifest_of(body)
    dry_run = bool(body.get("dryRun", False))
    if manifest["type"] == "role-binding":
        binding, previous = backend.bindings.upsert(manifest, dry_run, identity)
        data = backend.bindings.render([binding])[0]
    else:
        account, _token, previous = backend.accounts.upsert(manifest, dry_run, identity)
        data = backend.accounts.render([account])[0]  # a virtual account created here needs GET .../token
    return JSONResponse(
        {"existingManifest": previous, "action": "CREATE" if previous is None else "UPDATE", "data": data}
    )


async def delete_manifest(request: Request) -> Response:
    backend, _ = admin(request)
    manifest = _manifest_of(await json_body(request))
    name = str(manifest.get("name"))
    if manifest["type"] == "role-binding":
        backend.bindings.delete(backend.bindings.named(name).id)
    else:
        backend.accounts.delete(backend.accounts.named(name).id)
    return JSONResponse({})


async def dependency_tree(request: Request) -> Response:
    """Each manifest with what it needs first: a role binding needs the virtual accounts it names."""
    admin(request)
    manifests = (await json_body(request)).get("manifests")
    if not isinstance(manifests, list):
        raise ApiError(400, "manifests must be a list")
    return JSONResponse(
        {
            "data": [
                {"resourceType": m.get("type"), "resourceName": m.get("name"), "dependencies": _dependencies(m)}
                for m in manifests
                if isinstance(m, dict)
            ]
        }
    )


def _dependencies(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    if manifest.get("type") != "role-binding" or not isinstance(manifest.get("subjects"), list):
        return []
    return [
        {"resourceType": "virtual-account", "resourceName": s.get("name")}
        for s in manifest["subjects"]
        if isinstance(s, dict) and s.get("type") == "virtualaccount"
    ]


async def min_cli_version(_request: Request) -> Response:
    return JSONResponse(
        {"minVersion": MIN_CLI_VERSION, "truefoundryCliMinVersion": MIN_CLI_VERSION, "useSFYServerAuthAPIs": False}
    )


async def tenant_id(request: Request) -> Response:
    backend = backend_of(request)
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"tenantName": backend.tenant.name, "auth_server_url": f"{base}/auth"})


async def session(request: Request) -> Response:
    backend = backend_of(request)
    identity = backend.auth.authenticate(request.headers.get("authorization"))
    return JSONResponse(
        {
            "user": {
                "tenantName": backend.tenant.name,
                "email": identity.email,
                "subject": {
                    "subjectId": identity.subject["subjectId"],
                    "subjectType": identity.subject["subjectType"],
                    "subjectSlug": identity.subject["subjectSlug"],
                },
                "metadata": {},
            },
            "tenantInfo": {"tenantName": backend.tenant.name},
        }
    )
