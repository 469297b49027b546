"""The emulator's HTTP contract, per reference/control-plane-api.md. Every test runs twice: in-process and
served over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from tests.contract.conftest import ADMIN, API, Emulator

pytestmark = pytest.mark.anyio

VA_FIELDS = {
    "id",
    "name",
    "type",
    "tenantName",
    "createdBySubject",
    "createdAt",
    "updatedAt",
    "manifest",
    "jwtId",
    "isExpired",
    "jwts",
    "accountId",
    "metadata",
    "roleIds",
    "createdBy",
    "nextScheduledRotation",
}
JWT_FIELDS = {"id", "subjectType", "subjectId", "expiry", "tokenType", "createdAt", "updatedAt", "metadata"}


def manifest(name: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "virtual-account",
        "name": name,
        "permissions": [
            {
                "resource_fqn": "acme-prod-cluster:data",
                "resource_type": "workspace",
                "role_id": "workspace-viewer",
            }
        ],
        "ownedBy": {"team": "data"},
    }
    base.update(extra)
    return base


STORE = {"type": "secret-store", "integration_fqn": "acme:aws:secrets-manager", "secret_path": "ci/bot"}
EMAIL = {
    "type": "email",
    "notification_channel": "acme:notification-channel:email-sre",
    "to_emails": ["x@y.z"],
}


async def create(emulator: Emulator, name: str, **extra: Any) -> tuple[dict[str, Any], str]:
    response = await emulator.put(manifest(name, **extra))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"], body["token"]


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "message", "code"}
    assert body["statusCode"] == status
    return str(body["message"])


async def test_create_returns_every_documented_field_and_the_token_once(emulator: Emulator) -> None:
    data, token = await create(emulator, "ci-bot", token_type="jwt")
    assert VA_FIELDS <= set(data)
    assert len(data["id"]) == 24 and data["id"].isalnum() and data["id"].islower()
    assert data["name"] == data["manifest"]["name"] == "ci-bot"
    assert data["createdBySubject"]["subjectType"] == "user"
    assert data["roleIds"] == ["workspace-viewer"]
    assert [set(j) for j in data["jwts"]] == [JWT_FIELDS]
    assert data["jwts"][0]["tokenType"] == "jwt" and data["jwtId"] == data["jwts"][0]["id"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert {"tenantName", "exp", "sub", "username", "subjectType", "jti"} <= set(claims)
    assert claims["username"] == "ci-bot" and claims["jti"] == data["jwtId"]

    again = await emulator.put(manifest("ci-bot"))
    assert again.status_code == 200 and "token" not in again.json()
    assert again.json()["data"]["id"] == data["id"]  # upsert by name


async def test_opaque_tokens(emulator: Emulator) -> None:
    data, token = await create(emulator, "opaque-bot", token_type="opaque")
    assert token.startswith("tfy_") and data["jwts"][0]["tokenType"] == "opaque"
    session = await emulator.get("/session", token=token)
    assert session.status_code == 200 and session.json()["user"]["subject"]["subjectSlug"] == "opaque-bot"


async def test_pagination_edges(emulator: Emulator) -> None:
    for index in range(5):
        await create(emulator, f"page-bot-{index}")
    first = (await emulator.get("/virtual-accounts", limit=2, offset=0)).json()
    assert [a["name"] for a in first["data"]] == ["page-bot-0", "page-bot-1"]
    assert first["pagination"] == {"total": 5, "offset": 0, "limit": 2}
    last = (await emulator.get("/virtual-accounts", limit=2, offset=4)).json()
    assert [a["name"] for a in last["data"]] == ["page-bot-4"]
    past = await emulator.get("/virtual-accounts", limit=2, offset=9)
    assert past.status_code == 200 and past.json()["data"] == [] and past.json()["pagination"]["total"] == 5
    default = (await emulator.get("/virtual-accounts")).json()
    assert default["pagination"]["limit"] == 100 and len(default["data"]) == 5
    assert "between 1 and 1000" in error_of(await emulator.get("/virtual-accounts", limit=0), 400)
    assert "between 1 and 1000" in error_of(await emulator.get("/virtual-accounts", limit=1001), 400)
    assert (await emulator.get("/virtual-accounts", limit=1000)).status_code == 200
    error_of(await emulator.get("/virtual-accounts", offset=-1), 400)
    error_of(await emulator.get("/virtual-accounts", limit="ten"), 400)


async def test_list_filters(emulator: Emulator) -> None:
    await create(emulator, "data-bot", tags={"env": "prod"})
    await create(emulator, "sre-bot", ownedBy={"team": "sre"}, tags={"env": "dev"})
    await create(emulator, "ml-robot", ownedBy={"team": "ml"}, expiration_date="2026-12-01")

    async def names(**params: Any) -> list[str]:
        response = await emulator.get("/virtual-accounts", **params)
        assert response.status_code == 200, response.text
        return [a["name"] for a in response.json()["data"]]

    assert await names(nameSearchQuery="bot") == ["data-bot", "ml-robot", "sre-bot"]
    assert await names(nameSearchQuery="ro") == ["ml-robot"]
    repeated = await emulator.client.get(
        f"{API}/virtual-accounts?ownedByTeams=sre&ownedByTeams=ml", headers=emulator.auth()
    )
    assert [a["name"] for a in repeated.json()["data"]] == ["ml-robot", "sre-bot"]
    assert await names(ownedByTeams="data,sre") == ["data-bot", "sre-bot"]
    assert await names(isExpired="false") == ["data-bot", "ml-robot", "sre-bot"]
    by_tag = '{"type":"AND","children":[{"json_map":"manifest.tags","key":"env","op":"EQUALS","value":"prod"}]}'
    assert await names(filter=by_tag) == ["data-bot"]
    either = (
        '{"type":"OR","children":[{"column":"name","op":"STRING_CONTAINS","value":"sre"},'
        '{"column":"name","op":"STRING_STARTS_WITH","value":"ml"}]}'
    )
    assert await names(filter=either) == ["ml-robot", "sre-bot"]
    error_of(await emulator.get("/virtual-accounts", filter="{not json"), 400)
    error_of(await emulator.get("/virtual-accounts", isExpired="maybe"), 400)
    await emulator.client.post("/_emulator/clock", json={"advanceSeconds": 15 * 86400}, headers=emulator.auth())
    assert await names(isExpired="true") == ["ml-robot"]


async def test_dry_run_validates_fully_and_persists_nothing(emulator: Emulator) -> None:
    dry = await emulator.put(manifest("dry-bot", auto_rotate={}), dry_run=True)
    assert dry.status_code == 200 and "token" not in dry.json()
    assert dry.json()["data"]["manifest"]["auto_rotate"] == {"auto_rotate_interval": 360, "grace_period": 30}
    exists = await emulator.get("/virtual-accounts/exists", name="dry-bot")
    assert exists.json() == {"exists": False}
    bad = await emulator.put(manifest("dry-bot", ownedBy={"team": "nobody"}), dry_run=True)
    assert error_of(bad, 422) == "manifest.ownedBy.team: team 'nobody' does not exist"

    data, _ = await create(emulator, "dry-bot")
    changed = await emulator.put(manifest("dry-bot", tags={"env": "x"}), dry_run=True)
    assert changed.json()["data"]["manifest"]["tags"] == {"env": "x"}
    stored = (await emulator.get(f"/virtual-accounts/{data['id']}")).json()["data"]
    assert "tags" not in stored["manifest"] and stored["updatedAt"] == data["updatedAt"]
    assert (await emulator.get("/virtual-accounts")).json()["pagination"]["total"] == 1


async def test_permissions_omitted_keep_access_and_an_empty_list_is_rejected(emulator: Emulator) -> None:
    await create(emulator, "perm-bot")
    without = manifest("perm-bot")
    del without["permissions"]
    kept = await emulator.put(without)
    assert kept.json()["data"]["manifest"]["permissions"][0]["role_id"] == "workspace-viewer"
    empty = await emulator.put(manifest("perm-bot", permissions=[]))
    assert "permissions" in error_of(empty, 422)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Bad_Name"}, "manifest.name: 3 to 36 lower case characters long alphanumeric word"),
        (
            {"auto_rotate": {"auto_rotate_interval": 7}},
            "manifest.auto_rotate.auto_rotate_interval: 7 is less",
        ),
        ({"colour": "red"}, "manifest: unknown field(s) colour"),
        (
            {"permissions": [{"resource_fqn": "acme", "resource_type": "tenant", "role_id": "root"}]},
            "manifest.permissions[0].role_id: role 'root' does not exist",
        ),
        (
            {"secret_store_config": {"integration_fqn": "acme:nope", "secret_path": "a"}},
            "secret_store_config.integration_fqn: secret store integration 'acme:nope' does not exist",
        ),
        (
            {"notification_target": {"type": "pagerduty", "notification_channel": "acme:x"}},
            "notification channel integration 'acme:x' does not exist",
        ),
        (
            {"identity_provider_mapping": [{"identity_provider": "acme:idp:none", "value": "v"}]},
            "identity provider 'acme:idp:none' is not configured",
        ),
        (
            {
                "permissions": [
                    {
                        "resource_fqn": "acme-prod-cluster",
                        "resource_type": "workspace",
                        "role_id": "workspace-viewer",
                    }
                ]
            },
            "resource 'acme-prod-cluster' is a cluster, not a workspace",
        ),
    ],
)
async def test_validation_errors_name_the_field_and_reason(
    emulator: Emulator, change: dict[str, Any], message: str
) -> None:
    response = await emulator.put({**manifest("valid-bot"), **change})
    assert message in error_of(response, 422)
    assert len(response.json()["message"]) <= 300


async def test_bad_requests(emulator: Emulator) -> None:
    headers = {**emulator.auth(), "content-type": "application/json"}
    not_json = await emulator.client.put(f"{API}/virtual-accounts", content=b"{nope", headers=headers)
    error_of(not_json, 400)
    error_of(await emulator.client.put(f"{API}/virtual-accounts", json={}, headers=headers), 400)
    dry = await emulator.client.put(
        f"{API}/virtual-accounts", json={"manifest": manifest("x-bot"), "dryRun": "yes"}, headers=headers
    )
    error_of(dry, 400)


async def test_exists_get_delete_and_not_found(emulator: Emulator) -> None:
    data, _ = await create(emulator, "gone-bot")
    assert (await emulator.get("/virtual-accounts/exists", name="gone-bot")).json() == {"exists": True}
    assert (await emulator.get(f"/virtual-accounts/{data['id']}")).json()["data"]["name"] == "gone-bot"
    deleted = await emulator.client.delete(f"{API}/virtual-accounts/{data['id']}", headers=emulator.auth())
    assert deleted.status_code == 200 and deleted.json() == {}
    assert (await emulator.get("/virtual-accounts/exists", name="gone-bot")).json() == {"exists": False}
    error_of(await emulator.get(f"/virtual-accounts/{data['id']}"), 404)
    error_of(await emulator.client.delete(f"{API}/virtual-accounts/{data['id']}", headers=emulator.auth()), 404)
    error_of(await emulator.get(f"/virtual-accounts/{data['id']}/token"), 404)
    error_of(await emulator.get("/no-such-route"), 404)


async def test_authentication_and_authorisation(emulator: Emulator) -> None:
    assert "bearer" in error_of(await emulator.client.get(f"{API}/virtual-accounts"), 401)
    error_of(await emulator.get("/virtual-accounts", token="not-a-token"), 401)
    forged = pyjwt.encode({"tenantName": "acme", "exp": 4102444800, "username": "x"}, "wrong-key-" * 4, "HS256")
    error_of(await emulator.get("/virtual-accounts", token=forged), 401)
    plain_data, plain = await create(emulator, "plain-bot")  # team data, no admin role
    assert "tenant admins" in error_of(await emulator.put(manifest("x-bot"), token=plain), 403)
    assert "tenant admins" in error_of(await emulator.get(f"/virtual-accounts/{plain_data['id']}/token", token=plain),
                                       403)  # fmt: skip
    _, admin = await create(
        emulator,
        "admin-bot",
        permissions=[{"resource_fqn": "acme", "resource_type": "tenant", "role_id": "tenant-admin"}],
    )
    listed = await emulator.get("/virtual-accounts", token=admin)
    assert listed.status_code == 200
    created_by_account = await emulator.put(manifest("child-bot"), token=admin)
    assert created_by_account.json()["data"]["createdBySubject"]["subjectSlug"] == "admin-bot"
    # min-cli-version and tenant-id need no authentication
    assert (await emulator.client.get(f"{API}/min-cli-version")).status_code == 200
    tenant = await emulator.client.get(f"{API}/tenant-id", params={"hostName": "localhost"})
    assert tenant.json()["tenantName"] == "acme" and "auth_server_url" in tenant.json()


async def test_token_read_regenerate_and_grace(emulator: Emulator) -> None:
    data, token = await create(emulator, "regen-bot")
    read = (await emulator.get(f"/virtual-accounts/{data['id']}/token")).json()
    assert read == {"token": token}
    regen = await emulator.client.post(
        f"{API}/virtual-accounts/{data['id']}/regenerate-token",
        json={"gracePeriodInMinutes": 60},
        headers=emulator.auth(),
    )
    fresh = regen.json()["token"]
    assert fresh != token
    assert (await emulator.get("/session", token=token)).status_code == 200  # old one: within grace
    assert (await emulator.get("/session", token=fresh)).status_code == 200
    await emulator.client.post("/_emulator/clock", json={"advanceSeconds": 3601}, headers=emulator.auth())
    assert "expired" in error_of(await emulator.get("/session", token=token), 401)
    assert (await emulator.get("/session", token=fresh)).status_code == 200
    legacy = await emulator.client.post(
        f"{API}/virtual-accounts/{data['id']}/regenerate-token",
        json={"gracePeriodInDays": 1},
        headers=emulator.auth(),
    )
    assert legacy.status_code == 200 and legacy.json()["token"] not in (token, fresh)
    missing = await emulator.client.post(
        f"{API}/virtual-accounts/{data['id']}/regenerate-token", json={}, headers=emulator.auth()
    )
    error_of(missing, 422)


async def test_regenerate_is_refused_with_an_identity_provider_mapping(emulator: Emulator) -> None:
    mapping = [{"identity_provider": "acme:identity-provider:okta", "value": "svc"}]
    data, _ = await create(emulator, "idp-bot", identity_provider_mapping=mapping)
    refused = await emulator.client.post(
        f"{API}/virtual-accounts/{data['id']}/regenerate-token",
        json={"gracePeriodInMinutes": 5},
        headers=emulator.auth(),
    )
    assert "identity_provider_mapping" in error_of(refused, 422)


async def _secrets(emulator: Emulator) -> list[dict[str, Any]]:
    response = await emulator.client.get("/_emulator/secret-store", headers=emulator.auth())
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()
    return result


async def test_secret_store_sync_on_create_and_on_demand(emulator: Emulator) -> None:
    data, token = await create(emulator, "sync-bot", secret_store_config=STORE)
    [entry] = await _secrets(emulator)
    assert entry["sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert entry["jwtId"] == data["jwtId"] and "value" not in entry
    url = f"{API}/virtual-accounts/{data['id']}/sync-to-secret-store"
    skipped = await emulator.client.post(url, params={"force": "false"}, headers=emulator.auth())
    info = skipped.json()["syncTokenInSecretStoreInfo"]
    assert info["jwtId"] == data["jwtId"]
    await emulator.client.post("/_emulator/clock", json={"advanceSeconds": 60}, headers=emulator.auth())
    assert (await emulator.client.post(url, headers=emulator.auth())).json()["syncTokenInSecretStoreInfo"] == info
    forced = await emulator.client.post(url, params={"force": "true"}, headers=emulator.auth())
    assert forced.json()["syncTokenInSecretStoreInfo"]["updatedAt"] > info["updatedAt"]
    plain, _ = await create(emulator, "no-store-bot")
    no_store = await emulator.client.post(
        f"{API}/virtual-accounts/{plain['id']}/sync-to-secret-store", headers=emulator.auth()
    )
    error_of(no_store, 400)


async def test_delete_one_jwt(emulator: Emulator) -> None:
    data, old = await create(emulator, "jwt-bot")
    await emulator.client.post(
        f"{API}/virtual-accounts/{data['id']}/regenerate-token",
        json={"gracePeriodInMinutes": 600},
        headers=emulator.auth(),
    )
    active = (await emulator.get(f"/virtual-accounts/{data['id']}")).json()["data"]["jwtId"]
    base = f"{API}/virtual-accounts/{data['id']}/jwt"
    error_of(await emulator.client.delete(f"{base}/{active}", headers=emulator.auth()), 409)
    removed = await emulator.client.delete(f"{base}/{data['jwtId']}", headers=emulator.auth())
    assert removed.status_code == 200
    error_of(await emulator.get("/session", token=old), 401)
    error_of(await emulator.client.delete(f"{base}/jwt_nope", headers=emulator.auth()), 404)


async def test_auto_rotation_follows_the_clock(emulator: Emulator) -> None:
    data, first = await create(
        emulator,
        "rotating-bot",
        auto_rotate={"auto_rotate_interval": 30, "grace_period": 2},
        secret_store_config=STORE,
        notification_target=EMAIL,
    )
    assert data["nextScheduledRotation"] is not None
    await emulator.client.post("/_emulator/clock", json={"advanceSeconds": 29 * 86400}, headers=emulator.auth())
    same = (await emulator.get(f"/virtual-accounts/{data['id']}")).json()["data"]
    assert same["jwtId"] == data["jwtId"]
    await emulator.client.post("/_emulator/clock", json={"advanceSeconds": 2 * 86400}, headers=emulator.auth())
    rotated = (await emulator.get(f"/virtual-accounts/{data['id']}")).json()["data"]
    assert rotated["jwtId"] != data["jwtId"]
    assert rotated["nextScheduledRotation"] > data["nextScheduledRotation"]
    [entry] = await _secrets(emulator)
    assert entry["jwtId"] == rotated["jwtId"]
    outbox = (await emulator.client.get("/_emulator/outbox", headers=emulator.auth())).json()
    assert [(n["account"], n["event"], n["recipients"]) for n in outbox] == [
        ("rotating-bot", "token-rotated", ["x@y.z"])
    ]
    assert (await emulator.get("/session", token=first)).status_code == 200  # within the 2-day grace
    await emulator.client.post("/_emulator/clock", json={"advanceSeconds": 2 * 86400}, headers=emulator.auth())
    error_of(await emulator.get("/session", token=first), 401)


async def test_expiration_date_drives_is_expired_and_authentication(emulator: Emulator) -> None:
    data, token = await create(emulator, "expiring-bot", expiration_date="2026-12-31")
    assert data["isExpired"] is False
    await emulator.client.post("/_emulator/clock", json={"now": "2027-01-02T00:00:00Z"}, headers=emulator.auth())
    now = (await emulator.get(f"/virtual-accounts/{data['id']}")).json()["data"]
    assert now["isExpired"] is True
    error_of(await emulator.get("/session", token=token), 401)


async def test_generic_endpoints_used_by_tfy(emulator: Emulator) -> None:
    body = {"manifest": manifest("applied-bot"), "dryRun": True}
    dry = (await emulator.client.put(f"{API}/apply", json=body, headers=emulator.auth())).json()
    assert dry["existingManifest"] is None and dry["action"] == "CREATE" and "token" not in dry
    assert (await emulator.get("/virtual-accounts/exists", name="applied-bot")).json()["exists"] is False
    created = await emulator.client.put(f"{API}/apply", json={**body, "dryRun": False}, headers=emulator.auth())
    assert created.json()["action"] == "CREATE" and "token" not in created.json()
    again = await emulator.client.put(
        f"{API}/apply", json={"manifest": manifest("applied-bot", tags={"a": "b"})}, headers=emulator.auth()
    )
    assert again.json()["action"] == "UPDATE"
    assert again.json()["existingManifest"]["name"] == "applied-bot"
    team = {"manifest": {"type": "team", "name": "x"}}
    error_of(await emulator.client.put(f"{API}/apply", json=team, headers=emulator.auth()), 422)
    tree = await emulator.client.post(
        f"{API}/dependency-tree", json={"manifests": [manifest("applied-bot")]}, headers=emulator.auth()
    )
    assert tree.json() == {
        "data": [{"resourceType": "virtual-account", "resourceName": "applied-bot", "dependencies": []}]
    }
    deleted = await emulator.client.post(
        f"{API}/delete", json={"manifest": manifest("applied-bot")}, headers=emulator.auth()
    )
    assert deleted.json() == {}
    missing = await emulator.client.post(
        f"{API}/delete", json={"manifest": manifest("applied-bot")}, headers=emulator.auth()
    )
    error_of(missing, 404)
    versions = (await emulator.client.get(f"{API}/min-cli-version")).json()
    assert {"minVersion", "truefoundryCliMinVersion"} <= set(versions)
    session = (await emulator.get("/session")).json()
    assert session["user"]["tenantName"] == "acme" and "subject" in session["user"]


async def test_concurrent_upserts_never_lose_an_update(emulator: Emulator) -> None:
    different = [emulator.put(manifest(f"parallel-{i:02d}")) for i in range(50)]
    same = [emulator.put(manifest("contended", tags={"writer": str(i)})) for i in range(50)]
    responses = await asyncio.gather(*different, *same)
    assert all(r.status_code == 200 for r in responses)
    tokens = [r.json().get("token") for r in responses[50:]]
    assert sum(t is not None for t in tokens) == 1  # exactly one call created "contended"
    listed = (await emulator.get("/virtual-accounts", limit=1000)).json()
    names = [a["name"] for a in listed["data"]]
    assert listed["pagination"]["total"] == 51 == len(set(names))
    writer = next(a for a in listed["data"] if a["name"] == "contended")["manifest"]["tags"]["writer"]
    assert writer in {str(i) for i in range(50)}


async def test_emulator_routes_live_outside_the_api_and_need_the_admin(emulator: Emulator) -> None:
    assert (await emulator.client.get(f"{API}/_emulator/outbox", headers=emulator.auth())).status_code == 404
    error_of(await emulator.client.get("/_emulator/outbox"), 401)
    _, token = await create(emulator, "nosy-bot")
    error_of(await emulator.client.get("/_emulator/secret-store", headers=emulator.auth(token)), 403)


async def test_injected_status_with_retry_after(emulator: Emulator) -> None:
    await emulator.client.post(
        "/_emulator/faults",
        json={"method": "GET", "path": "/virtual-accounts$", "status": 429, "retryAfter": "7", "times": 2},
        headers=emulator.auth(),
    )
    for _ in range(2):
        limited = await emulator.get("/virtual-accounts")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert (await emulator.get("/virtual-accounts")).status_code == 200
    stats = (await emulator.client.get("/_emulator/stats", headers=emulator.auth())).json()
    assert stats["byRoute"]["GET /virtual-accounts"] == 3


async def test_a_documented_client_walk(emulator: Emulator) -> None:
    """Exactly as TrueFoundry documents: TFY_HOST is the host root, `Authorization: Bearer`, paths under
    /api/svc/v1. Create, read, list, token, regenerate, delete."""
    async with httpx.AsyncClient(
        base_url=emulator.base_url,
        transport=emulator.client._transport,
        headers={"Authorization": f"Bearer {ADMIN}"},
    ) as tfy:
        created = await tfy.put("/api/svc/v1/virtual-accounts", json={"manifest": manifest("walk-bot")})
        account_id = created.json()["data"]["id"]
        assert (await tfy.get(f"/api/svc/v1/virtual-accounts/{account_id}")).json()["data"]["name"] == "walk-bot"
        listed = await tfy.get("/api/svc/v1/virtual-accounts", params={"limit": 10, "offset": 0})
        assert [a["id"] for a in listed.json()["data"]] == [account_id]
        token = (await tfy.get(f"/api/svc/v1/virtual-accounts/{account_id}/token")).json()["token"]
        assert token == created.json()["token"]
        regenerated = await tfy.post(
            f"/api/svc/v1/virtual-accounts/{account_id}/regenerate-token", json={"gracePeriodInMinutes": 60}
        )
        assert regenerated.json()["token"] != token
        assert (await tfy.delete(f"/api/svc/v1/virtual-accounts/{account_id}")).json() == {}
        assert (await tfy.get(f"/api/svc/v1/virtual-accounts/{account_id}")).status_code == 404


async def test_regeneration_syncs_the_store_and_notifies(emulator: Emulator) -> None:
    data, _ = await create(emulator, "regen-notify-bot", secret_store_config=STORE, notification_target=EMAIL)
    regenerated = await emulator.client.post(
        f"{API}/virtual-accounts/{data['id']}/regenerate-token",
        json={"gracePeriodInMinutes": 5},
        headers=emulator.auth(),
    )
    fresh = regenerated.json()["token"]
    [entry] = await _secrets(emulator)
    assert entry["sha256"] == hashlib.sha256(fresh.encode()).hexdigest()
    outbox = (await emulator.client.get("/_emulator/outbox", headers=emulator.auth())).json()
    assert [(n["account"], n["event"]) for n in outbox] == [("regen-notify-bot", "token-regenerated")]


async def test_a_caller_that_is_not_an_admin_sees_its_own_team_only(emulator: Emulator) -> None:
    """[I] (`emulator/visibility.py`): a non-admin lists itself and its team's accounts, and the bindings naming
    them; `exists` answers for the whole tenant."""
    _, reader = await create(emulator, "reader-bot", ownedBy={"team": "platform"})
    same, _ = await create(emulator, "same-team-bot", ownedBy={"team": "platform"})
    other, _ = await create(emulator, "other-team-bot", ownedBy={"team": "data"})
    listed = (await emulator.get("/virtual-accounts", token=reader)).json()
    assert sorted(a["name"] for a in listed["data"]) == ["reader-bot", "same-team-bot"]
    assert listed["pagination"]["total"] == 2
    searched = await emulator.get("/virtual-accounts", token=reader, nameSearchQuery="other-team")
    assert searched.json()["data"] == []
    assert (await emulator.get(f"/virtual-accounts/{same['id']}", token=reader)).status_code == 200
    error_of(await emulator.get(f"/virtual-accounts/{other['id']}", token=reader), 404)
    exists = await emulator.get("/virtual-accounts/exists", token=reader, name="other-team-bot")
    assert exists.json() == {"exists": True}
    admin_view = (await emulator.get("/virtual-accounts")).json()
    assert {"reader-bot", "same-team-bot", "other-team-bot"} <= {a["name"] for a in admin_view["data"]}
