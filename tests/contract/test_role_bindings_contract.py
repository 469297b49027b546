"""The emulator's Role Bindings API (reference/role-bindings.md §3-4), in-process and served: create-or-update
by name with dryRun, list with pagination, get, delete, exists, inline, generate-manifest; the generic apply,
delete and dependency-tree; validation like the server's; and effective access on the virtual accounts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import ADMIN, API, Emulator

pytestmark = pytest.mark.anyio

RB_FIELDS = {"id", "name", "accountId", "manifest", "metadata", "createdBySubject", "createdAt", "updatedAt"}


def account(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "virtual-account", "name": name, "ownedBy": {"team": "data"}, **extra}


def binding(name: str, subjects: list[tuple[str, str]], grants: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "type": "role-binding",
        "name": name,
        "subjects": [{"type": t, "name": n} for t, n in subjects],
        "permissions": [{"resourceType": t, "resourceFqn": f, "role": r} for r, t, f in grants],
    }


MEMBER = ("workspace-member", "workspace", "acme-prod-cluster:data")
ADMIN_GRANT = ("workspace-admin", "workspace", "acme-prod-cluster:platform")


async def put(emulator: Emulator, manifest: dict[str, Any], dry_run: bool = False, token: str = ADMIN) -> Any:
    return await emulator.client.put(
        f"{API}/role-bindings", json={"manifest": manifest, "dryRun": dry_run}, headers=emulator.auth(token)
    )


async def test_create_update_get_delete_by_name(emulator: Emulator) -> None:
    assert (await emulator.put(account("ci-bot"))).status_code == 200
    dry = await put(emulator, binding("va-ci-bot", [("virtualaccount", "ci-bot")], [MEMBER]), dry_run=True)
    assert dry.status_code == 200 and set(dry.json()["data"]) == RB_FIELDS
    assert (await emulator.get("/role-bindings/exists", name="va-ci-bot")).json() == {"exists": False}
    created = (await put(emulator, binding("va-ci-bot", [("virtualaccount", "ci-bot")], [MEMBER]))).json()["data"]
    assert created["name"] == "va-ci-bot" and created["accountId"] and "createdBy" not in created
    assert (await emulator.get("/role-bindings/exists", name="va-ci-bot")).json() == {"exists": True}
    updated = await put(emulator, binding("va-ci-bot", [("virtualaccount", "ci-bot")], [MEMBER, ADMIN_GRANT]))
    assert updated.json()["data"]["id"] == created["id"]  # the name matched: an update
    fetched = (await emulator.get(f"/role-bindings/{created['id']}")).json()["data"]
    assert len(fetched["manifest"]["permissions"]) == 2
    assert (await emulator.client.delete(f"{API}/role-bindings/{created['id']}", headers=emulator.auth())).json() == {}
    assert (await emulator.get(f"/role-bindings/{created['id']}")).status_code == 404
    gone = await emulator.client.delete(f"{API}/role-bindings/{created['id']}", headers=emulator.auth())
    assert gone.status_code == 404 and gone.json()["statusCode"] == 404


async def test_listing_pages_and_filters(emulator: Emulator) -> None:
    assert (await emulator.put(account("ci-bot"))).status_code == 200
    for index in range(5):
        response = await put(emulator, binding(f"grant-{index}", [("virtualaccount", "ci-bot")], [MEMBER]))
        assert response.status_code == 200
    first = (await emulator.get("/role-bindings", limit=2, offset=0)).json()
    assert first["pagination"] == {"total": 5, "offset": 0, "limit": 2} and len(first["data"]) == 2
    past = (await emulator.get("/role-bindings", limit=2, offset=6)).json()
    assert past["data"] == [] and past["pagination"]["total"] == 5
    named = (await emulator.get("/role-bindings", name="grant-3")).json()["data"]
    assert [b["name"] for b in named] == ["grant-3"]
    assert (await emulator.get("/role-bindings", id=named[0]["id"])).json()["data"][0]["name"] == "grant-3"
    assert (await emulator.get("/role-bindings", limit=0)).status_code == 400


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (binding("Bad_Name", [("virtualaccount", "ci-bot")], [MEMBER]), "manifest.name: 3 to 66 characters"),
        (
            binding("both", [("virtualaccount", "ci-bot"), ("team", "data")], [MEMBER, ADMIN_GRANT]),
            "Use either one subject and many permissions, or many subjects and one permission",
        ),
        (binding("ghost", [("virtualaccount", "nobody")], [MEMBER]), "virtual account 'nobody' does not exist"),
        (binding("team", [("team", "nowhere")], [MEMBER]), "team 'nowhere' does not exist"),
        (binding("user", [("user", "mallory@evil.example")], [MEMBER]), "is not a member of this tenant"),
        (binding("role", [("virtualaccount", "ci-bot")], [("no-role", "workspace", "acme-prod-cluster:data")]),
         "role 'no-role' does not exist"),
        (binding("fit", [("virtualaccount", "ci-bot")], [("cluster-admin", "workspace", "acme-prod-cluster:data")]),
         "role 'cluster-admin' applies to cluster, not to workspace"),
        (binding("res", [("virtualaccount", "ci-bot")], [("workspace-admin", "workspace", "acme-prod-cluster:nope")]),
         "resource 'acme-prod-cluster:nope' does not exist"),
        ({**binding("extra", [("virtualaccount", "ci-bot")], [MEMBER]), "tags": {"a": "b"}}, "unknown field(s) tags"),
        ({**binding("none", [], [MEMBER])}, "manifest.subjects"),
    ],
)  # fmt: skip
async def test_validation_like_the_server(emulator: Emulator, manifest: dict[str, Any], message: str) -> None:
    assert (await emulator.put(account("ci-bot"))).status_code == 200
    for dry_run in (True, False):
        response = await put(emulator, manifest, dry_run=dry_run)
        assert response.status_code == 422, response.text
        assert message in response.json()["message"]
    assert (await emulator.get("/role-bindings")).json()["pagination"]["total"] == 0


async def test_agents_external_identities_users_and_teams_are_subjects(emulator: Emulator) -> None:
    for kind, name in [("agent", "release-agent"), ("external-identity", "release-agent"),
                       ("user", "alice@acme.example"), ("team", "data")]:  # fmt: skip
        response = await put(emulator, binding(f"grant-{kind}", [(kind, name)], [MEMBER]))
        assert response.status_code == 200, response.text


async def test_effective_access_is_legacy_permissions_and_bindings(emulator: Emulator) -> None:
    legacy = [{"resource_fqn": "acme-prod-cluster:data", "resource_type": "workspace", "role_id": "workspace-viewer"}]
    assert (await emulator.put(account("ci-bot", permissions=legacy))).status_code == 200
    await put(emulator, binding("va-ci-bot", [("virtualaccount", "ci-bot")], [ADMIN_GRANT]))
    omitted = (await emulator.put(account("ci-bot"))).json()["data"]  # omitting permissions keeps them
    assert omitted["roleIds"] == ["workspace-admin", "workspace-viewer"]
    assert {(r["roleId"], r["resourceId"]) for r in omitted["rolesWithResource"]} == {
        ("workspace-admin", "acme-prod-cluster:platform"),
        ("workspace-viewer", "acme-prod-cluster:data"),
    }
    generated = (await emulator.get("/role-bindings/generate-manifest", subjectType="virtualaccount",
                                    subjectId=omitted["id"])).json()["data"]  # fmt: skip
    assert sorted((m["permissions"][0]["role"], m["subjects"][0]["name"]) for m in generated) == [
        ("workspace-admin", "ci-bot"),
        ("workspace-viewer", "ci-bot"),
    ]
    on_resource = (await emulator.get("/role-bindings/generate-manifest", resourceType="workspace",
                                      resourceId="acme-prod-cluster:platform")).json()["data"]  # fmt: skip
    assert [m["subjects"] for m in on_resource] == [[{"type": "virtualaccount", "name": "ci-bot"}]]
    assert (await emulator.get("/role-bindings/generate-manifest")).status_code == 400


async def test_a_binding_to_tenant_admin_makes_an_account_an_admin(emulator: Emulator) -> None:
    created = (await emulator.put(account("robot"))).json()
    token = created["token"]
    assert (await emulator.put(account("robot-child"), token=token)).status_code == 403
    tenant_admin = binding("robot-admin", [("virtualaccount", "robot")], [("tenant-admin", "tenant", "acme")])
    assert (await put(emulator, tenant_admin)).status_code == 200
    assert (await emulator.put(account("robot-child"), token=token)).status_code == 200
    assert (await emulator.get("/role-bindings", token="not-a-token")).status_code == 401


async def test_inline_creates_one_binding_per_item(emulator: Emulator) -> None:
    assert (await emulator.put(account("ci-bot"))).status_code == 200
    items = [{"subject": {"type": "virtualaccount", "name": "ci-bot"},
              "permission": {"resourceType": "workspace", "resourceFqn": "acme-prod-cluster:data", "role": r}}
             for r in ("workspace-viewer", "workspace-member")]  # fmt: skip
    created = await emulator.client.post(f"{API}/role-bindings/inline", json={"items": items}, headers=emulator.auth())
    assert created.status_code == 200 and len(created.json()["data"]) == 2
    again = await emulator.client.post(f"{API}/role-bindings/inline", json={"items": items}, headers=emulator.auth())
    assert {b["id"] for b in again.json()["data"]} == {b["id"] for b in created.json()["data"]}  # stable names
    bad = await emulator.client.post(f"{API}/role-bindings/inline", json={"items": []}, headers=emulator.auth())
    assert bad.status_code == 400


async def test_generic_apply_delete_and_dependency_tree_take_bindings(emulator: Emulator) -> None:
    assert (await emulator.put(account("ci-bot"))).status_code == 200
    manifest = binding("va-ci-bot", [("virtualaccount", "ci-bot")], [MEMBER])
    dry = await emulator.client.put(
        f"{API}/apply", json={"manifest": manifest, "dryRun": True}, headers=emulator.auth()
    )
    assert dry.json()["action"] == "CREATE" and dry.json()["existingManifest"] is None
    applied = await emulator.client.put(f"{API}/apply", json={"manifest": manifest}, headers=emulator.auth())
    assert applied.json()["action"] == "CREATE" and applied.json()["data"]["name"] == "va-ci-bot"
    again = await emulator.client.put(f"{API}/apply", json={"manifest": manifest}, headers=emulator.auth())
    assert again.json()["action"] == "UPDATE" and again.json()["existingManifest"]["name"] == "va-ci-bot"
    tree = await emulator.client.post(f"{API}/dependency-tree", json={"manifests": [account("ci-bot"), manifest]},
                                      headers=emulator.auth())  # fmt: skip
    assert tree.json()["data"][1]["dependencies"] == [{"resourceType": "virtual-account", "resourceName": "ci-bot"}]
    assert tree.json()["data"][0]["dependencies"] == []
    deleted = await emulator.client.post(f"{API}/delete", json={"manifest": manifest}, headers=emulator.auth())
    assert deleted.json() == {}
    assert (await emulator.get("/role-bindings/exists", name="va-ci-bot")).json() == {"exists": False}
    unknown = await emulator.client.put(f"{API}/apply", json={"manifest": {"type": "workspace", "name": "w"}},
                                        headers=emulator.auth())  # fmt: skip
    assert unknown.status_code == 422
