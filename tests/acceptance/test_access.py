"""Access as code, end to end: the real CLI, real Git repositories, the served emulator, and TrueFoundry's own
CLI and SDK (`peers`). Role bindings are planned, applied and pruned; access granted outside Git is drift;
`tfy migrate-gitops` and `reconciler migrate` both lead to repositories that converge with no access change;
a pull request cannot relax the policy that judges it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.acceptance.test_plan_apply import Reconciler, assert_converged, configure, stored
from tests.conftest import TODAY, commit_all, copy_example, git, write
from tests.emulator_process import API, ServedEmulator

BINDING = """type: role-binding
name: %(name)s
subjects:
  - {type: virtualaccount, name: %(account)s}
permissions:
  - {resourceType: workspace, resourceFqn: "acme-prod-cluster:%(workspace)s", role: %(role)s}
"""


def binding(name: str, account: str, role: str = "workspace-viewer", workspace: str = "data") -> str:
    return BINDING % {"name": name, "account": account, "role": role, "workspace": workspace}


def put_binding(emulator: ServedEmulator, name: str, account: str, role: str, workspace: str = "platform") -> None:
    manifest = {
        "type": "role-binding",
        "name": name,
        "subjects": [{"type": "virtualaccount", "name": account}],
        "permissions": [{"resourceType": "workspace", "resourceFqn": f"acme-prod-cluster:{workspace}", "role": role}],
    }
    emulator.admin("PUT", f"{API}/role-bindings", json={"manifest": manifest, "dryRun": False}).raise_for_status()


def live_bindings(emulator: ServedEmulator) -> dict[str, dict[str, object]]:
    data = emulator.admin("GET", f"{API}/role-bindings", params={"limit": 1000}).json()["data"]
    return {b["name"]: b["manifest"] for b in data}


def test_bindings_are_planned_applied_and_shown_as_access(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("reader-bot") + "---\n" + binding("va-reader-bot", "reader-bot"))
    commit_all(git_repo, "an account and its access")
    planned = reconciler("plan", "--detailed-exitcode", "--out", str(git_repo.parent / "plan.json"))
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "+ workspace-viewer on acme-prod-cluster:data (permissions)" in planned.stdout
    assert "+ workspace-viewer on acme-prod-cluster:data (role-binding va-reader-bot)" in planned.stdout  # 2 sources
    assert "+ create        va-reader-bot" in planned.stdout
    data = json.loads((git_repo.parent / "plan.json").read_text())
    assert [(c["kind"], c["name"], c["action"]) for c in data["changes"]] == [
        ("virtual-account", "reader-bot", "create"),
        ("role-binding", "va-reader-bot", "create"),
    ]
    assert data["access"][0]["account"] == "reader-bot" and data["access"][0]["new"] is True
    assert reconciler("apply").returncode == 0
    assert set(live_bindings(emulator)) == {"va-reader-bot"}
    assert_converged(reconciler)

    # an escalation through Git: one line per grant, marked
    escalated = binding("va-reader-bot", "reader-bot", "workspace-admin", "platform")
    write(git_repo / "accounts" / "a.yaml", stored("reader-bot") + "---\n" + escalated)
    commit_all(git_repo, "more access")
    planned = reconciler("plan")
    assert (
        "+ workspace-admin on acme-prod-cluster:platform (role-binding va-reader-bot)  [high privilege]"
        in planned.stdout
    )
    assert '- permissions[]: {"resourceFqn": "acme-prod-cluster:data"' in planned.stdout
    assert reconciler("apply").returncode == 0
    assert_converged(reconciler)


def test_access_granted_outside_git_is_drift_and_prune_removes_only_ours(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo, prune=True)
    write(git_repo / "accounts" / "a.yaml", stored("owned-bot"))
    commit_all(git_repo, "one account")
    assert reconciler("apply").returncode == 0
    clicked = {"type": "virtual-account", "name": "someone-elses", "ownedBy": {"team": "data"}}
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": clicked}).raise_for_status()
    put_binding(emulator, "sneaky-admin-grant", "owned-bot", "workspace-admin")
    put_binding(emulator, "not-our-business", "someone-elses", "workspace-admin")

    drift = reconciler("drift", "--detailed-exitcode")
    assert drift.returncode == 2
    assert "sneaky-admin-grant" in drift.stdout and "workspace-admin on acme-prod-cluster:platform" in drift.stdout
    assert "not-our-business" not in drift.stdout

    planned = reconciler("plan")
    assert "- delete        sneaky-admin-grant" in planned.stdout
    assert "- workspace-admin on acme-prod-cluster:platform (role-binding sneaky-admin-grant)" in planned.stdout
    applied = reconciler("apply")
    assert applied.returncode == 0, applied.stdout
    assert set(live_bindings(emulator)) == {"not-our-business"}
    after = reconciler("drift")
    assert "undeclared-access" not in after.stdout and "sneaky" not in after.stdout
    assert "unmanaged    someone-elses" in after.stdout  # an account nobody manages stays a finding of its own


def test_a_pull_request_cannot_relax_the_policy_that_judges_it(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("steady-bot"))
    commit_all(git_repo, "main")
    git(git_repo, "checkout", "-q", "-b", "feature")
    config = (git_repo / "reconciler.yaml").read_text() + "policy: {denied_roles: []}\n"
    write(git_repo / "reconciler.yaml", config)
    write(git_repo / "accounts" / "root.yaml", stored("root-bot") + "---\n" + binding("root-grant", "root-bot").replace(
        "{resourceType: workspace, resourceFqn: \"acme-prod-cluster:data\", role: workspace-viewer}",
        "{resourceType: tenant, resourceFqn: acme, role: tenant-admin}"))  # fmt: skip
    commit_all(git_repo, "relax the policy and grant tenant-admin")

    alone = reconciler("plan")  # judged by its own, relaxed policy: nothing stops it
    assert alone.returncode == 0, alone.stdout
    for run in (
        reconciler("plan", "--policy-ref", "main"),
        _in_pull_request(reconciler, "main"),
    ):
        assert run.returncode == 1, run.stdout + run.stderr
        assert "x blocked       root-grant" in run.stdout
        assert "grants role tenant-admin on acme, which policy.denied_roles forbids" in run.stdout
        assert "this change edits the policy in reconciler.yaml: it takes effect after merge" in run.stdout
    validate = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(git_repo), "--today", TODAY, "--policy-ref", "main"],
        capture_output=True, text=True, env={**os.environ, **emulator.env},
    )  # fmt: skip
    assert validate.returncode == 1
    # 8 lines of the account, `---`, then the binding: its role is on line 15
    assert "accounts/root.yaml:15:" in validate.stdout and "which policy.denied_roles forbids" in validate.stdout
    assert emulator.accounts() == {}  # plans write nothing


def test_a_pull_request_whose_base_is_not_fetched_shows_its_plan_and_fails(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    """Without the base branch the policy cannot be read from it: reviewers still see every change, but the
    plan fails and says how to fetch the base, rather than judging the change by its own policy."""
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("fresh-bot"))
    commit_all(git_repo, "add fresh-bot")
    run = _in_pull_request(reconciler, "release")  # no such branch in the clone
    assert run.returncode == 1, run.stdout + run.stderr
    assert "+ create        fresh-bot" in run.stdout
    assert "reconciler.yaml:1:1: error: policy not checked: the policy must come from the base branch 'release'" in (
        run.stdout
    )
    assert "git fetch origin release" in run.stdout
    assert emulator.accounts() == {}


def _in_pull_request(reconciler: Reconciler, base: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **reconciler.emulator.env, "CI": "true", "GITHUB_ACTIONS": "true",
           "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": base}  # fmt: skip
    for key in ("GITHUB_EVENT_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_TOKEN"):
        env.pop(key, None)
    command = [sys.executable, "-m", "reconciler", "plan", str(reconciler.repo), "--today", TODAY]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def _example_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "example"
    copy_example(repo)
    git(repo, "init", "-q", "-b", "main")
    commit_all_as(repo, "the example")
    return repo


def commit_all_as(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", message)


def _run(repo: Path, emulator: ServedEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reconciler", *args, str(repo), "--today", TODAY]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **emulator.env}, timeout=180)


def test_reconciler_migrate_keeps_comments_and_changes_no_access(tmp_path: Path, emulator: ServedEmulator) -> None:
    repo = _example_repo(tmp_path)
    assert _run(repo, emulator, "apply").returncode == 0
    before = _run(repo, emulator, "migrate", "--check")
    assert before.returncode == 1 and "+type: role-binding" in before.stdout and "-permissions:" in before.stdout
    assert git(repo, "status", "--porcelain") == ""  # --check writes nothing
    migrated = _run(repo, emulator, "migrate")
    assert migrated.returncode == 0
    text = (repo / "accounts" / "platform" / "ci-github-actions.yaml").read_text()
    assert text.startswith("# yaml-language-server:") and "# Deploys services from GitHub Actions." in text
    assert "permissions:\n  - resourceType: workspace" in text and "name: va-ci-github-actions\n" in text
    assert _run(repo, emulator, "migrate", "--check").returncode == 0
    commit_all_as(repo, "migrated")
    validated = _run(repo, emulator, "validate")
    assert validated.returncode == 0 and "0 warnings" in validated.stdout  # the deprecation warnings are gone
    planned = _run(repo, emulator, "plan", "--out", str(tmp_path / "plan.json"))
    assert planned.returncode == 0 and "Access changes:" not in planned.stdout
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert all(not a["added"] and not a["removed"] for a in plan["access"])
    assert not [c["name"] for c in plan["changes"] if c["action"] == "create"]
    created = {c["name"] for c in plan["changes"] if c["action"] == "adopt"}  # created for grants already held
    accounts = ["ci-github-actions", "ci-release-bot", "data-ingest-pipeline", "feature-store-reader", "fraud-scorer",
                "gateway-service", "metrics-exporter", "model-registry-bot", "oncall-pager", "terraform-runner",
                "warehouse-sync"]  # fmt: skip
    assert created == {f"va-{name}" for name in accounts}  # stable names: the account's, prefixed
    assert _run(repo, emulator, "apply").returncode == 0
    assert "No changes" in _run(repo, emulator, "plan").stdout


def test_a_repository_migrated_by_tfy_converges(tmp_path: Path, emulator: ServedEmulator, peers: Path) -> None:
    repo = _example_repo(tmp_path)
    assert _run(repo, emulator, "apply").returncode == 0
    tfy = subprocess.run([str(peers / "bin" / "tfy"), "migrate-gitops", "-d", str(repo)], capture_output=True,
                         text=True, env={**os.environ, **emulator.env}, timeout=300)  # fmt: skip
    assert tfy.returncode == 0, tfy.stdout + tfy.stderr
    commit_all_as(repo, "tfy migrate-gitops")
    in_git = {
        doc.split("\nname: ")[1].split("\n")[0]
        for path in repo.rglob("*.yaml")
        for doc in path.read_text().split("---")
        if "type: role-binding" in doc
    }
    assert len(in_git) == 12  # 11 accounts had permissions; one binding was there already
    validated = _run(repo, emulator, "validate", "--format", "json")
    report = json.loads(validated.stdout)
    assert validated.returncode == 0 and [s["type"] for s in report["skipped"]] == ["team"]  # no binding skipped
    assert set(report["role_bindings"]) == in_git
    planned = _run(repo, emulator, "plan", "--detailed-exitcode", "--out", str(tmp_path / "plan.json"))
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Access changes:" not in planned.stdout  # the grants only moved
    plan = json.loads((tmp_path / "plan.json").read_text())
    created = {c["name"] for c in plan["changes"] if c["kind"] == "role-binding" and c["action"] == "adopt"}
    assert created == in_git - {"va-ml-training-runner-x7"}  # applied before the migration
    assert _run(repo, emulator, "apply").returncode == 0
    assert _run(repo, emulator, "plan", "--detailed-exitcode").returncode == 0
    assert set(live_bindings(emulator)) == in_git
    migrated_file = str(repo / "accounts" / "platform" / "ci-github-actions.yaml")
    dry = subprocess.run([str(peers / "bin" / "tfy"), "apply", "-f", migrated_file, "--dry-run"],
                         capture_output=True, text=True, env={**os.environ, **emulator.env}, timeout=300)  # fmt: skip
    assert dry.returncode == 0, dry.stdout + dry.stderr


SDK_WALK = """
import sys
from truefoundry_sdk import RoleBindingManifest, RoleBindingPermission, RoleBindingSubject, TrueFoundry
url, token = sys.argv[1], sys.argv[2]
client = TrueFoundry(base_url=url, api_key=token)
manifest = RoleBindingManifest(
    name="sdk-grant",
    subjects=[RoleBindingSubject(type="virtualaccount", name="sdk-bot")],
    permissions=[RoleBindingPermission(resource_type="workspace", resource_fqn="acme-prod-cluster:data",
                                       role="workspace-viewer")],
)
applied = client.apply(manifest=manifest)
print("applied", applied.action)
listed = client._client_wrapper.httpx_client.request("api/svc/v1/role-bindings", method="GET").json()
print("listed", sorted(b["name"] for b in listed["data"]))
client.delete(manifest=manifest)
after = client._client_wrapper.httpx_client.request("api/svc/v1/role-bindings", method="GET").json()
print("after", sorted(b["name"] for b in after["data"]))
"""


def test_truefoundrys_sdk_applies_lists_and_deletes_a_binding(emulator: ServedEmulator, peers: Path) -> None:
    sdk_bot = {"type": "virtual-account", "name": "sdk-bot", "ownedBy": {"team": "data"}}
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": sdk_bot}).raise_for_status()
    walk = subprocess.run([str(peers / "bin" / "python"), "-c", SDK_WALK, emulator.url, emulator.env["TFY_API_KEY"]],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert walk.returncode == 0, walk.stdout + walk.stderr
    assert walk.stdout.splitlines() == ["applied CREATE", "listed ['sdk-grant']", "after []"]
