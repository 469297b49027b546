"""The import round trip as a property: for generated tenants whose accounts take every field variant (each
notification target, typed and legacy secret stores, rotation given in part or not at all, owners, tags,
identity mappings, token types, deprecated permissions) and role bindings naming them, `reconciler import`
into an empty repository, then `plan` shows only adoption; `apply`, then `plan`, shows nothing.

The tenant lives in the embedded control plane (the emulator in-process, as `reconciler` uses it without
TFY_HOST), seeded through its HTTP API as any client would; every command is the real CLI's `run()`."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.adapters.controlplane.connection import EMBEDDED_DB
from reconciler.emulator.http.app import create_app
from tests.conftest import TODAY, CliRunner, git
from tests.emulator_process import API

CHANNELS = {
    "email": "acme:notification-channel:email-data",
    "slack-webhook": "acme:notification-channel:slack-data",
    "slack-bot": "acme:notification-channel:slack-bot",
    "pagerduty": "acme:notification-channel:pagerduty-sre",
    "ms-teams-webhook": "acme:notification-channel:teams-ml",
}
GRANTS = [
    ("workspace", "acme-prod-cluster:data", "workspace-viewer"),
    ("workspace", "acme-staging-cluster:platform", "workspace-member"),
    ("cluster", "acme-prod-cluster", "cluster-viewer"),
    ("provider-account", "acme:openai-main", "provider-account-access"),
    ("mlf-project", "acme:models", "mlf-project-editor"),
]
TAG_VALUES = st.sampled_from(["prod", "yes", "2027-01-31", "0755", "1:30", "on", "a: b", "#x", ""]) | st.integers(0, 9)


def _notification(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(CHANNELS)))
    target: dict[str, Any] = {"type": kind, "notification_channel": CHANNELS[kind]}
    if kind == "email":
        target["to_emails"] = draw(st.lists(st.sampled_from(["ops@acme.example", "sre@acme.example"]), min_size=1,
                                            max_size=2, unique=True))  # fmt: skip
    if kind == "slack-bot":
        target["channels"] = draw(st.lists(st.sampled_from(["#ops", "#data-eng"]), min_size=1, max_size=2, unique=True))
    return target


def _store(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["legacy", "secret-store", "tfy-secrets"]))
    if kind == "tfy-secrets":
        return {"type": kind, "secret_group": "acme:data-secrets", "key": name.upper().replace("-", "_")}
    store = {"integration_fqn": draw(st.sampled_from(["acme:aws:secrets-manager", "acme:hashicorp:vault:prod"])),
             "secret_path": draw(st.sampled_from([f"ci/{name}", f"/ci/{name}", f"{name}-token"]))}  # fmt: skip
    return store if kind == "legacy" else {"type": kind, **store}


@st.composite
def accounts(draw: st.DrawFn, name: str) -> dict[str, Any]:
    manifest: dict[str, Any] = {"type": "virtual-account", "name": name}
    optional = {
        "expiration_date": lambda: draw(st.sampled_from(["2027-03-31", "2028-02-29", "2028-12-31"])),
        "auto_rotate": lambda: draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "auto_rotate_interval": st.sampled_from([60, 90, 360, 400]),
                    "grace_period": st.sampled_from([1, 7, 30]),
                },
            )
        ),  # fmt: skip
        "notification_target": lambda: _notification(draw),
        "secret_store_config": lambda: _store(draw, name),
        "ownedBy": lambda: draw(
            st.sampled_from([{"team": "data"}, {"team": "sre"}, {"team": "ml", "account": "acme"}])
        ),
        "tags": lambda: draw(st.dictionaries(st.sampled_from(["env", "tier", "purpose"]), TAG_VALUES, min_size=1)),
        "identity_provider_mapping": lambda: [
            {"identity_provider": "acme:identity-provider:okta", "value": f"{name}-client"}
        ],
        "token_type": lambda: draw(st.sampled_from(["jwt", "opaque"])),
        "permissions": lambda: [
            {"resource_type": t, "resource_fqn": f, "role_id": r}
            for t, f, r in draw(st.lists(st.sampled_from(GRANTS), min_size=1, max_size=3, unique=True))
        ],
    }
    for key, value in optional.items():
        if draw(st.booleans()):
            manifest[key] = value()
    return manifest


@st.composite
def tenants(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    count = draw(st.integers(1, 5))
    names = [f"{draw(st.sampled_from(['ci', 'ml', 'data-sync', 'x9']))}-bot-{i}" for i in range(count)]
    members = [draw(accounts(name)) for name in names]
    bindings = []
    for index in range(draw(st.integers(0, 3))):
        subjects = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        resource_type, fqn, role = draw(st.sampled_from(GRANTS))
        bindings.append({
            "type": "role-binding",
            "name": f"grant-{index}",
            "subjects": [{"type": "virtualaccount", "name": s} for s in subjects],
            "permissions": [{"resourceType": resource_type, "resourceFqn": fqn, "role": role}],
        })  # fmt: skip
    return members, bindings


def _admin(db: Path) -> httpx.AsyncClient:
    """The emulator's API in-process, as its admin (what `reconciler` does without TFY_HOST)."""
    app = create_app(db)
    headers = {"Authorization": f"Bearer {app.state.emulator.backend.admin_token}"}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://embedded", headers=headers)


async def _seed(db: Path, members: list[dict[str, Any]], bindings: list[dict[str, Any]]) -> None:
    async with _admin(db) as client:
        for kind, manifests in (("virtual-accounts", members), ("role-bindings", bindings)):
            for manifest in manifests:
                response = await client.put(f"{API}/{kind}", json={"manifest": manifest, "dryRun": False})
                assert response.status_code == 200, (manifest, response.text)


def _live(repo: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    async def read() -> tuple[dict[str, Any], dict[str, Any]]:
        async with _admin(repo / EMBEDDED_DB) as c:
            found = [(await c.get(f"{API}/{kind}", params={"limit": 1000})).json()["data"]
                     for kind in ("virtual-accounts", "role-bindings")]  # fmt: skip
        return ({a["name"]: a["manifest"] for a in found[0]}, {b["name"]: b["manifest"] for b in found[1]})

    return asyncio.run(read())


@pytest.mark.timeout(600)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenants())
def test_import_then_plan_only_adopts_and_apply_then_plan_shows_nothing(
    cli: CliRunner, tenant: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    members, bindings = tenant
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        repo.mkdir()
        git(repo, "init", "-q")
        asyncio.run(_seed(repo / EMBEDDED_DB, members, bindings))
        accounts_before, bindings_before = _live(repo)
        assert len(accounts_before) == len(members), accounts_before

        imported = cli("import", str(repo), "--today", TODAY)
        assert imported.code == 0, imported.out + imported.err
        assert len(list((repo / "accounts").rglob("*.yaml"))) == len(members)  # one file per account
        planned = cli("plan", str(repo), "--today", TODAY, "--out", "-")
        assert planned.code == 0, planned.err
        plan = json.loads(planned.out)
        legacy = {f"va-{m['name']}" for m in members if m.get("permissions")}
        expected = {("virtual-account", m["name"]): "adopt" for m in members}
        expected |= {("role-binding", name): "adopt" for name in legacy}
        expected |= {("role-binding", b["name"]): "no-op" for b in bindings}
        assert {(c["kind"], c["name"]): c["action"] for c in plan["changes"]} == expected
        assert all(d["path"].startswith("tags") for c in plan["changes"] for d in c["diffs"])
        assert all(not a["added"] and not a["removed"] for a in plan["access"])

        applied = cli("apply", str(repo), "--today", TODAY)
        assert applied.code == 0, applied.out + applied.err
        again = cli("plan", str(repo), "--today", TODAY, "--detailed-exitcode")
        assert again.code == 0 and "No changes" in again.out, again.out
        accounts_after, bindings_after = _live(repo)
        assert set(accounts_after) == set(accounts_before)
        assert set(bindings_after) == set(bindings_before) | legacy
        for name, manifest in accounts_after.items():
            untagged = {k: v for k, v in manifest.items() if k != "tags"}
            assert untagged == {k: v for k, v in accounts_before[name].items() if k != "tags"}
