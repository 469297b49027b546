"""The Role Bindings API as the emulator serves it (reference/role-bindings.md §3): list, create-or-update by
name with `dryRun`, get, delete, exists, inline, generate-manifest. Every route needs a tenant admin [I]."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.bindings import manifests_for_grants
from reconciler.emulator.errors import ApiError
from reconciler.emulator.http.api import API, admin, int_param, json_body, reader

PATH = f"{API}/role-bindings"


def routes() -> list[Route]:
    return [
        Route(PATH, list_bindings, methods=["GET"]),
        Route(PATH, put_binding, methods=["PUT"]),
        Route(f"{PATH}/exists", binding_exists, methods=["GET"]),
        Route(f"{PATH}/inline", inline_bindings, methods=["POST"]),
        Route(f"{PATH}/generate-manifest", generate_manifest, methods=["GET"]),
        Route(f"{PATH}/{{id}}", get_binding, methods=["GET"]),
        Route(f"{PATH}/{{id}}", delete_binding, methods=["DELETE"]),
    ]


async def list_bindings(request: Request) -> Response:
    backend, identity = reader(request)
    limit = int_param(request, "limit", 100, 1, 1000)
    offset = int_param(request, "offset", 0, 0, None)
    found = backend.bindings.listing(request.query_params.get("name"), request.query_params.get("id"))
    found = backend.visibility.bindings(identity, found)
    page = backend.bindings.render(found[offset : offset + limit])
    return JSONResponse({"data": page, "pagination": {"total": len(found), "offset": offset, "limit": limit}})


async def put_binding(request: Request) -> Response:
    backend, identity = admin(request)
    body = await json_body(request)
    if "manifest" not in body:
        raise ApiError(400, "manifest is required")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise ApiError(400, "dryRun must be a boolean")
    binding, _previous = backend.bindings.upsert(body["manifest"], dry_run, identity)
    return JSONResponse({"data": backend.bindings.render([binding])[0]})


async def binding_exists(request: Request) -> Response:
    backend, _ = reader(request)  # names are unique tenant-wide: any caller may ask [I]
    name = request.query_params.get("name")
    if not name:
        raise ApiError(400, "name is required")
    return JSONResponse({"exists": backend.bindings.exists(name)})


async def get_binding(request: Request) -> Response:
    backend, identity = reader(request)
    found = backend.visibility.bindings(identity, [backend.bindings.by_id(request.path_params["id"])])
    if not found:
        raise ApiError(404, f"role binding '{request.path_params['id']}' not found")
    return JSONResponse({"data": backend.bindings.render(found)[0]})


async def delete_binding(request: Request) -> Response:
    backend, _ = admin(request)
    backend.bindings.delete(request.path_params["id"])
    return JSONResponse({})


async def inline_bindings(request: Request) -> Response:
    backend, identity = admin(request)
    created = backend.bindings.inline(await json_body(request), identity)
    return JSONResponse({"data": backend.bindings.render(created)})


async def generate_manifest(request: Request) -> Response:
    """Manifests equivalent to the grants of one subject (`subjectType` + `subjectId`) or on one resource
    (`resourceType` + `resourceId`), one per role; for a virtual account they include the grants its own
    `permissions` made [I]."""
    backend, _ = admin(request)
    query = request.query_params
    subject_type, subject_id = query.get("subjectType"), query.get("subjectId")
    resource_type, resource_id = query.get("resourceType"), query.get("resourceId")
    pairs: list[tuple[dict[str, str], dict[str, str]]] = []
    if subject_type and subject_id:
        if subject_type != "virtualaccount":
            raise ApiError(422, "subjectType: only virtualaccount subjects are emulated")
        account = backend.accounts.by_id(subject_id)
        subject = {"type": "virtualaccount", "name": account.name}
        pairs = [(subject, grant) for grant in _grants_of(backend, account.name)]
        name_of = account.name
    elif resource_type and resource_id:
        pairs = [
            (subject, grant)
            for subject, grant in _all_grants(backend)
            if grant["resourceType"] == resource_type and grant["resourceFqn"] == resource_id
        ]
        name_of = resource_id.replace(":", "-")
    else:
        raise ApiError(400, "give subjectType and subjectId, or resourceType and resourceId")
    return JSONResponse({"data": manifests_for_grants(pairs, name_of)})


def _grants_of(backend: Any, account_name: str) -> list[dict[str, str]]:
    account = backend.accounts.named(account_name)
    bound = backend.bindings.grants_by_account().get(account_name, [])
    return [
        {"resourceType": g["resourceType"], "resourceFqn": g["resourceId"], "role": g["roleId"]}
        for g in backend.accounts.effective_grants(account, bound)
    ]


def _all_grants(backend: Any) -> list[tuple[dict[str, str], dict[str, str]]]:
    found = [
        (subject, permission)
        for binding in backend.store.all_bindings()
        for subject in binding.manifest["subjects"]
        for permission in binding.manifest["permissions"]
    ]
    for account in backend.store.all_accounts():
        subject = {"type": "virtualaccount", "name": account.name}
        found += [
            (subject, {"resourceType": p["resource_type"], "resourceFqn": p["resource_fqn"], "role": p["role_id"]})
            for p in account.manifest.get("permissions", [])
        ]
    return found
