"""Plan and apply end to end: the real CLI (a subprocess), a real Git repository, the emulator served over
HTTP on 127.0.0.1. After any apply, a second plan is empty."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import TODAY, commit_all, write
from tests.emulator_process import API, ServedEmulator

CONFIG = """version: 1
paths: [accounts]
ownership: {tag_key: managed-by, tag_value: "va-reconciler:acme/test"}
prune: {enabled: %(prune)s, max_deletes: %(max_deletes)d}
"""
STORED = """type: virtual-account
name: %(name)s
permissions:
  - {resource_fqn: "acme-prod-cluster:data", resource_type: workspace, role_id: workspace-viewer}
auto_rotate: {auto_rotate_interval: %(interval)d, grace_period: 3}
secret_store_config:
  {type: secret-store, integration_fqn: "acme:aws:secrets-manager", secret_path: "ci/%(name)s"}
ownedBy: {team: data}
"""
BARE = """type: virtual-account
name: %(name)s
permissions:
  - {resource_fqn: "acme-prod-cluster:sre", resource_type: workspace, role_id: workspace-member}
ownedBy: {team: sre}
"""


def stored(name: str, interval: int = 90) -> str:
    return STORED % {"name": name, "interval": interval}


def bare(name: str) -> str:
    return BARE % {"name": name}


class Reconciler:
    """Runs `python -m reconciler ...` against the served emulator, from the repository's folder."""

    def __init__(self, repo: Path, emulator: ServedEmulator, token_dir: Path) -> None:
        self.repo = repo
        self.emulator = emulator
        self.token_dir = token_dir

    def __call__(self, *args: str, token_dir: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        extra = ["--token-dir", str(self.token_dir)] if token_dir and {"plan", "apply"} & set(args) else []
        command = [sys.executable, "-m", "reconciler", *args, str(self.repo), "--today", TODAY, *extra]
        env = {**os.environ, **self.emulator.env, "CI": "true"}
        env.pop("GITHUB_ACTIONS", None)
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "reconciler", *args, str(self.repo), "--today", TODAY,
                   "--token-dir", str(self.token_dir)]  # fmt: skip
        env = {**os.environ, **self.emulator.env, "CI": "true"}
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def configure(repo: Path, prune: bool = False, max_deletes: int = 5) -> None:
    write(repo / "reconciler.yaml", CONFIG % {"prune": str(prune).lower(), "max_deletes": max_deletes})


def assert_converged(reconciler: Reconciler) -> None:
    second = reconciler("plan", "--detailed-exitcode")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No changes: the control plane matches Git." in second.stdout


def token_of(emulator: ServedEmulator, name: str) -> str:
    account = emulator.accounts()[name]
    return str(emulator.admin("GET", f"{API}/virtual-accounts/{account['id']}/token").json()["token"])


def test_create_update_prune_and_no_op(reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator) -> None:
    configure(git_repo, prune=True)
    write(git_repo / "accounts" / "steady.yaml", stored("steady-bot"))
    write(git_repo / "accounts" / "changing.yaml", stored("changing-bot"))
    write(git_repo / "accounts" / "leaving.yaml", bare("leaving-bot"))
    commit_all(git_repo, "three accounts")

    planned = reconciler("plan", "--detailed-exitcode", "--out", str(git_repo.parent / "plan.json"))
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Plan: 3 to create, 0 to update, 0 to delete" in planned.stdout
    assert "token -> --token-dir, file leaving-bot.token (mode 0600)" in planned.stdout
    assert emulator.accounts() == {}  # plan writes nothing

    applied = reconciler("apply", "--plan", str(git_repo.parent / "plan.json"))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply: 3 applied, 0 failed, 0 skipped, 0 conflict(s), 0 blocked, 0 error(s); converged." in applied.stdout
    token_file = reconciler.token_dir / "leaving-bot.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text() == token_of(emulator, "leaving-bot")
    live = emulator.accounts()
    assert live["steady-bot"]["manifest"]["tags"] == {"managed-by": "va-reconciler:acme/test"}
    assert "va-reconciler-token-delivery" not in live["leaving-bot"]["manifest"]["tags"]
    stores = {e["path"] for e in emulator.admin("GET", "/_emulator/secret-store").json()}
    assert stores == {"ci/steady-bot", "ci/changing-bot"}
    assert_converged(reconciler)

    write(git_repo / "accounts" / "changing.yaml", stored("changing-bot", interval=120))
    (git_repo / "accounts" / "leaving.yaml").unlink()
    commit_all(git_repo, "change one, remove one")
    planned = reconciler("plan", "--detailed-exitcode")
    assert planned.returncode == 2
    assert "~ auto_rotate.auto_rotate_interval: 90 -> 120" in planned.stdout
    assert "changes auto_rotate on an existing account" in planned.stdout
    assert "- delete        leaving-bot" in planned.stdout
    applied = reconciler("apply")
    assert applied.returncode == 0, applied.stdout
    live = emulator.accounts()
    assert set(live) == {"steady-bot", "changing-bot"}
    assert live["changing-bot"]["manifest"]["auto_rotate"]["auto_rotate_interval"] == 120
    assert_converged(reconciler)


def test_ref_is_planned_without_checkout(reconciler: Reconciler, git_repo: Path) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("ref-bot"))
    commit_all(git_repo, "a")
    write(git_repo / "accounts" / "a.yaml", stored("ref-bot", interval=200))  # uncommitted
    planned = reconciler("plan", "--ref", "main")
    assert planned.returncode == 0
    assert "Git ref main" in planned.stdout and "1 to create" in planned.stdout


def test_out_of_band_change_is_detected_and_not_overwritten(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("edited-bot"))
    write(git_repo / "accounts" / "b.yaml", stored("other-bot"))
    commit_all(git_repo, "two")
    assert reconciler("apply").returncode == 0
    write(git_repo / "accounts" / "a.yaml", stored("edited-bot", interval=100))
    write(git_repo / "accounts" / "b.yaml", stored("other-bot", interval=100))
    commit_all(git_repo, "change both")
    plan_file = git_repo.parent / "reviewed.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0

    # Someone edits edited-bot in the UI between plan and apply.
    live = emulator.accounts()["edited-bot"]["manifest"]
    ui_edit = {**live, "auto_rotate": {"auto_rotate_interval": 45, "grace_period": 3}}
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": ui_edit}).raise_for_status()

    applied = reconciler("apply", "--plan", str(plan_file))
    assert applied.returncode == 1
    assert "skipped  update        edited-bot  changed in the control plane since the reviewed plan" in applied.stdout
    assert "ok       update        other-bot" in applied.stdout
    after = emulator.accounts()
    assert after["edited-bot"]["manifest"]["auto_rotate"]["auto_rotate_interval"] == 45  # not overwritten
    assert after["other-bot"]["manifest"]["auto_rotate"]["auto_rotate_interval"] == 100

    tampered = json.loads(plan_file.read_text())
    tampered["changes"][0]["desired"]["tags"]["managed-by"] = "someone-else"
    plan_file.write_text(json.dumps(tampered))
    refused = reconciler("apply", "--plan", str(plan_file))
    assert refused.returncode == 1 and "checksum does not match" in refused.stderr

    forced = reconciler("apply")  # without a reviewed plan, the merge job converges to Git
    assert forced.returncode == 0
    assert_converged(reconciler)


def test_conflicting_account_receives_zero_writes_until_adopted(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "legacy.yaml", stored("legacy-bot", interval=60))
    commit_all(git_repo, "legacy")
    clicked = {"type": "virtual-account", "name": "legacy-bot", "ownedBy": {"team": "data"}}
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": clicked}).raise_for_status()
    before = emulator.accounts()["legacy-bot"]
    emulator.admin("DELETE", "/_emulator/stats")

    planned = reconciler("plan", "--detailed-exitcode")
    assert planned.returncode == 1
    assert "! conflict      legacy-bot" in planned.stdout
    assert "already exists without the ownership tag managed-by" in planned.stdout
    applied = reconciler("apply")
    assert applied.returncode == 1 and "NOT converged" in applied.stdout
    assert emulator.accounts()["legacy-bot"] == before
    assert emulator.requests().get("PUT /virtual-accounts", 0) == 0  # not even a dry run

    write(git_repo / "reconciler.yaml", (git_repo / "reconciler.yaml").read_text() + "adopt: [legacy-bot]\n")
    commit_all(git_repo, "adopt")
    adopted = reconciler("apply")
    assert adopted.returncode == 0, adopted.stdout
    assert emulator.accounts()["legacy-bot"]["manifest"]["tags"]["managed-by"] == "va-reconciler:acme/test"
    assert_converged(reconciler)


def test_create_without_a_token_destination_is_blocked_at_plan_time(reconciler: Reconciler, git_repo: Path) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", bare("homeless-bot"))
    commit_all(git_repo, "a")
    planned = reconciler("plan", "--detailed-exitcode", token_dir=False)
    assert planned.returncode == 1
    assert "x blocked       homeless-bot" in planned.stdout
    assert "the one-time token has nowhere safe to go" in planned.stdout


def test_server_rejection_becomes_a_positioned_plan_error(reconciler: Reconciler, git_repo: Path) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("rejected-bot").replace("team: data", "team: nobody"))
    commit_all(git_repo, "a")
    planned = reconciler("plan", "--out", str(git_repo.parent / "p.json"))
    assert planned.returncode == 1
    assert "+ create        rejected-bot  (accounts/a.yaml:1:1)" in planned.stdout
    assert "error: the control plane rejects it: PUT /virtual-accounts: 422 manifest.ownedBy.team" in planned.stdout
    data = json.loads((git_repo.parent / "p.json").read_text())
    assert data["changes"][0]["errors"] and data["summary"]["errors"] == 1


def test_denied_roles_and_expiry_horizon_are_policy(reconciler: Reconciler, git_repo: Path) -> None:
    configure(git_repo)
    write(
        git_repo / "reconciler.yaml",
        (git_repo / "reconciler.yaml").read_text() + "policy: {max_expiry_days: 30}\n",
    )
    admin = stored("root-bot").replace(
        '{resource_fqn: "acme-prod-cluster:data", resource_type: workspace, role_id: workspace-viewer}',
        "{resource_fqn: acme, resource_type: tenant, role_id: tenant-admin}",
    )
    write(git_repo / "accounts" / "a.yaml", admin)
    write(git_repo / "accounts" / "b.yaml", stored("far-bot") + 'expiration_date: "2027-06-01"\n')
    write(git_repo / "accounts" / "c.yaml", stored("soon-bot") + 'expiration_date: "2026-12-01"\n')
    commit_all(git_repo, "policy")
    planned = reconciler("plan")
    assert planned.returncode == 1
    assert "grants role tenant-admin on acme, which policy.denied_roles forbids" in planned.stdout
    assert "expires on 2027-06-01, 191 days ahead; policy.max_expiry_days allows 30" in planned.stdout
    assert "warning: the token expires in 9 days (2026-12-01)" in planned.stdout


def test_applying_a_reviewed_plan_sends_no_dry_run_the_plan_made(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    for index in range(3):
        write(git_repo / "accounts" / f"r{index}.yaml", stored(f"reviewed-{index}"))
    commit_all(git_repo, "three")
    plan_file = git_repo.parent / "reviewed.json"
    emulator.admin("DELETE", "/_emulator/stats")
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0
    # each listing read twice (issue 12: a confirming reading), each planned create confirmed absent, 3 dry runs
    assert emulator.requests() == {
        "GET /virtual-accounts": 2,
        "GET /role-bindings": 2,
        "GET /virtual-accounts/exists": 3,
        "PUT /virtual-accounts": 3,
    }

    emulator.admin("DELETE", "/_emulator/stats")
    applied = reconciler("apply", "--plan", str(plan_file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # the fresh plan (listings twice, creates confirmed absent) and the plan measuring convergence (listings
    # twice); each create confirms the name is free right before its PUT; no dry run: the reviewed plan made them
    assert emulator.requests() == {
        "GET /virtual-accounts": 4,
        "GET /role-bindings": 4,
        "GET /virtual-accounts/exists": 3 + 3,
        "PUT /virtual-accounts": 3,
    }
    assert set(emulator.accounts()) == {"reviewed-0", "reviewed-1", "reviewed-2"}
    assert_converged(reconciler)


def test_plan_and_apply_converge_at_concurrency_64(git_repo: Path, tmp_path: Path) -> None:
    """The widest concurrency the config allows, with more accounts than connections: every create lands
    once, every token reaches its destination, and the next plan is empty."""
    configure(git_repo)
    with (git_repo / "reconciler.yaml").open("a") as config:
        config.write("concurrency: 64\n")
    names = [f"wide-{index:03d}" for index in range(150)]
    for index, name in enumerate(names):
        write(git_repo / "accounts" / f"{name}.yaml", bare(name) if index % 3 == 0 else stored(name))
    commit_all(git_repo, "150 accounts")
    emulator = ServedEmulator(tmp_path / "wide.db", "--latency-ms", "5")
    try:
        reconciler = Reconciler(git_repo, emulator, tmp_path / "tokens")
        planned = reconciler("plan", "--detailed-exitcode")
        assert planned.returncode == 2, planned.stdout + planned.stderr
        assert "Plan: 150 to create, 0 to update, 0 to delete" in planned.stdout
        applied = reconciler("apply")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert (
            "Apply: 150 applied, 0 failed, 0 skipped, 0 conflict(s), 0 blocked, 0 error(s); converged."
            in applied.stdout
        )
        assert sorted(emulator.accounts()) == names
        delivered = sorted(path.stem for path in (tmp_path / "tokens").iterdir())
        assert delivered == names[::3]
        assert all((tmp_path / "tokens" / f"{n}.token").read_text() == token_of(emulator, n) for n in names[::3])
        assert_converged(reconciler)
    finally:
        emulator.stop()
