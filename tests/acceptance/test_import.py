"""`reconciler import` end to end: the real CLI (a subprocess), real Git repositories, the emulator served over
HTTP, and a tenant made with TrueFoundry's own SDK (`peers`). The imported repository validates, its first plan
only adopts, apply converges, the next plan is empty; nothing is duplicated, lost or overwritten."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.schema import packaged_schema
from tests.acceptance.test_access import live_bindings, put_binding
from tests.acceptance.test_plan_apply import Reconciler, assert_converged
from tests.conftest import REPO_ROOT, commit_all, git, write
from tests.emulator_process import API, ServedEmulator

SDK_SEED = """
import glob, sys, yaml
from truefoundry_sdk import RoleBindingManifest, RoleBindingPermission, RoleBindingSubject, TrueFoundry
url, token, root = sys.argv[1:4]
client = TrueFoundry(base_url=url, api_key=token)
for path in sorted(glob.glob(f"{root}/**/*.yaml", recursive=True)):
    for doc in yaml.safe_load_all(open(path)):
        if isinstance(doc, dict) and doc.get("type") == "virtual-account":
            client.virtual_accounts.create_or_update(manifest=doc)
theirs = {"type": "virtual-account", "name": "other-repos-bot", "ownedBy": {"team": "sre"},
          "tags": {"managed-by": "va-reconciler:github.com/acme/elsewhere"}}
client.virtual_accounts.create_or_update(manifest=theirs)
grant = RoleBindingManifest(
    name="sdk-grant",
    subjects=[RoleBindingSubject(type="virtualaccount", name="ci-github-actions"),
              RoleBindingSubject(type="virtualaccount", name="oncall-pager")],
    permissions=[RoleBindingPermission(resource_type="workspace", resource_fqn="acme-prod-cluster:sre",
                                       role="workspace-viewer")],
)
print("applied", client.apply(manifest=grant).action)
"""


def live_accounts(emulator: ServedEmulator) -> dict[str, dict[str, Any]]:
    data = emulator.admin("GET", f"{API}/virtual-accounts", params={"limit": 1000}).json()["data"]
    return {a["name"]: a["manifest"] for a in data}


def yaml_files(repo: Path) -> dict[str, str]:
    return {p.relative_to(repo).as_posix(): p.read_text() for p in repo.rglob("*.yaml") if ".git" not in p.parts}


def test_a_tenant_made_with_truefoundrys_sdk_is_imported_adopted_and_converges(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, peers: Path, tmp_path: Path
) -> None:
    seed = [str(peers / "bin" / "python"), "-c", SDK_SEED, emulator.url, emulator.env["TFY_API_KEY"],
            str(REPO_ROOT / "manifests-example")]  # fmt: skip
    seeded = subprocess.run(seed, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0 and "applied CREATE" in seeded.stdout, seeded.stdout + seeded.stderr
    accounts_before, bindings_before = live_accounts(emulator), live_bindings(emulator)
    assert len(accounts_before) == 13 and set(bindings_before) == {"sdk-grant"}

    imported = reconciler("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    files = yaml_files(git_repo)
    assert "reconciler.yaml" in files and "accounts/platform/ci-github-actions.yaml" in files
    assert "accounts/sre/other-repos-bot.yaml" not in files  # another repository's account
    assert "owned elsewhere" in imported.stdout and "other-repos-bot" in imported.stdout
    assert len(files) == 13  # reconciler.yaml and one file per account of ours
    config = files["reconciler.yaml"]
    assert "paths:\n- accounts\n" in config and "tag_value: va-reconciler:repo-" in config  # no remote: unique
    pipelines = files["accounts/data/data-ingest-pipeline.yaml"]
    assert pipelines.startswith("# yaml-language-server: $schema=https://raw.githubusercontent.com/")
    assert f"# Imported by `reconciler import` from {emulator.url} on " in pipelines
    assert "auto_rotate: {}\n" in pipelines  # the server's 360/30 are defaults: left out
    assert "permissions" not in pipelines.split("---")[0]  # deprecated: moved into the binding after it
    assert "---\ntype: role-binding\nname: va-data-ingest-pipeline\n" in pipelines
    grant_files = [path for path, text in files.items() if "name: sdk-grant\n" in text]
    assert grant_files == ["accounts/platform/ci-github-actions.yaml"]  # with the first account it names
    commit_all(git_repo, "import the tenant")

    validated = reconciler("validate")
    assert validated.returncode == 0 and " 0 errors, 0 warnings" in validated.stdout, validated.stdout
    planned = reconciler("plan", "--detailed-exitcode", "--out", str(tmp_path / "plan.json"))
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Access changes:" not in planned.stdout
    plan = json.loads((tmp_path / "plan.json").read_text())
    actions = {(c["kind"], c["name"]): c["action"] for c in plan["changes"]}
    ours = set(accounts_before) - {"other-repos-bot"}
    assert {name for (kind, name), action in actions.items() if kind == "virtual-account"} == ours
    assert set(actions.values()) == {"adopt", "no-op"}
    assert {n for (k, n), a in actions.items() if k == "virtual-account" and a == "adopt"} == ours
    assert actions["role-binding", "sdk-grant"] == "no-op"  # live and declared as it is
    legacy = {n for (k, n), a in actions.items() if k == "role-binding" and a == "adopt"}
    assert legacy == {f"va-{n}" for n in ours if "permissions" in accounts_before[n]}
    for change in plan["changes"]:
        assert all(d["path"].startswith("tags") for d in change["diffs"]), change

    applied = reconciler("apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert_converged(reconciler)
    accounts_after, bindings_after = live_accounts(emulator), live_bindings(emulator)
    assert set(accounts_after) == set(accounts_before)  # none created, none lost
    assert set(bindings_after) == {"sdk-grant"} | legacy
    assert bindings_after["sdk-grant"] == bindings_before["sdk-grant"]
    assert accounts_after["other-repos-bot"] == accounts_before["other-repos-bot"]  # never written
    for name in ours:
        tags = accounts_after[name]["tags"]
        assert tags["managed-by"].startswith("va-reconciler:repo-")
        before = {k: v for k, v in accounts_after[name].items() if k != "tags"}
        assert before == {k: v for k, v in accounts_before[name].items() if k != "tags"}  # nothing else changed
    drift = reconciler("drift", "--detailed-exitcode")
    assert drift.returncode == 0, drift.stdout


def test_import_never_overwrites_and_a_second_import_adds_nothing(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    for name, team in (("alpha-bot", "data"), ("beta-bot", "data"), ("gamma-bot", "sre")):
        manifest = {"type": "virtual-account", "name": name, "ownedBy": {"team": team}}
        emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": manifest}).raise_for_status()
    write(git_repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nownership: {tag_value: va-reconciler:t/x}\n")
    write(git_repo / "accounts" / "data" / "beta-bot.yaml", "# a draft someone keeps here\n")
    commit_all(git_repo, "a repository with a file in the way")

    dry = reconciler("import", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would write 2 file(s)" in dry.stdout and "+ accounts/sre/gamma-bot.yaml" in dry.stdout
    assert git(git_repo, "status", "--porcelain") == ""  # a dry run writes nothing

    first = reconciler("import")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "- file exists" in first.stdout and "accounts/data/beta-bot.yaml exists" in first.stdout
    assert (git_repo / "accounts" / "data" / "beta-bot.yaml").read_text() == "# a draft someone keeps here\n"
    assert not (git_repo / "reconciler.yaml").read_text().count("import")  # the configuration is left alone
    assert sorted(yaml_files(git_repo)) == [
        "accounts/data/alpha-bot.yaml", "accounts/data/beta-bot.yaml", "accounts/sre/gamma-bot.yaml",
        "reconciler.yaml",
    ]  # fmt: skip
    commit_all(git_repo, "imported")
    again = reconciler("import")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "wrote 0 file(s)" in again.stdout and again.stdout.count("- in Git") == 2  # alpha and gamma
    (git_repo / "accounts" / "data" / "beta-bot.yaml").unlink()  # the draft goes: beta-bot may come in now
    last = reconciler("import")
    assert (
        "wrote 1 file(s)" in last.stdout
        and "name: beta-bot\n" in (git_repo / "accounts/data/beta-bot.yaml").read_text()
    )


def test_selection_scope_and_an_identity_that_cannot_adopt(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    for name, team in (("ci-one", "platform"), ("ci-two", "data"), ("ml-one", "platform")):
        manifest = {"type": "virtual-account", "name": name, "ownedBy": {"team": team}}
        emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": manifest}).raise_for_status()
    put_binding(emulator, "shared-grant", "ci-one", "workspace-viewer")
    write(git_repo / "reconciler.yaml", "version: 1\npaths: [accounts]\n")  # no tag_value, and no remote
    refused = reconciler("import")
    assert refused.returncode == 1 and "set ownership.tag_value in reconciler.yaml" in refused.stderr
    assert not (git_repo / "accounts").exists()

    (git_repo / "reconciler.yaml").unlink()
    report = tmp_path / "import.json"
    selected = reconciler("import", "--select", "ci-*", "--team", "platform", "--out", str(report))
    assert selected.returncode == 0, selected.stdout + selected.stderr
    assert sorted(yaml_files(git_repo)) == ["accounts/platform/ci-one.yaml", "reconciler.yaml"]
    assert "scope:\n  include:\n  - ci-*\n  teams:\n  - platform\n" in (git_repo / "reconciler.yaml").read_text()
    data = json.loads(report.read_text())
    jsonschema.validate(data, packaged_schema("import-report.schema.json"))
    assert data["excluded"] == 2 and data["files"][0]["role_bindings"] == ["shared-grant"]
    commit_all(git_repo, "the platform team's ci accounts")
    planned = reconciler("plan", "--detailed-exitcode")
    assert planned.returncode == 2 and "1 to adopt, 0 to create" in planned.stdout, planned.stdout
    assert "ml-one" not in planned.stdout and "ci-two" not in planned.stdout  # out of this repository's scope
    assert reconciler("apply").returncode == 0
    assert_converged(reconciler)


def test_a_clash_with_a_manifest_in_git_names_the_line_of_the_value_it_shares(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    store = {"type": "secret-store", "integration_fqn": "acme:aws:parameter-store:prod", "secret_path": "ci/shared"}
    manifest = {
        "type": "virtual-account",
        "name": "delta-bot",
        "ownedBy": {"team": "data"},
        "secret_store_config": store,
    }
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": manifest}).raise_for_status()
    write(git_repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nownership: {tag_value: va-reconciler:t/x}\n")
    write(
        git_repo / "accounts" / "alpha-bot.yaml",
        "type: virtual-account\nname: alpha-bot\nsecret_store_config:\n  type: secret-store\n"
        "  integration_fqn: acme:aws:parameter-store:prod\n  secret_path: ci/shared\n",
    )
    commit_all(git_repo, "alpha-bot holds ci/shared")
    result = reconciler("import")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "accounts/data/delta-bot.yaml:8:16: error: its token syncs to secret store acme:aws:parameter-store:prod "
        "at ci/shared, as alpha-bot's does: each rotation of one overwrites the other's token "
        "(accounts/alpha-bot.yaml:6:16); give each account its own secret ($.secret_store_config.secret_path)"
    ) in result.stdout
