"""scope: two repositories (or teams) sharing one tenant, each planning, applying, pruning and checking drift on
its own accounts only: the real CLI, real Git repositories, the served emulator."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.test_plan_apply import Reconciler, stored
from tests.conftest import commit_all, write
from tests.emulator_process import API, ServedEmulator

SCOPED = """version: 1
paths: [accounts]
ownership: {tag_key: managed-by, tag_value: "va-reconciler:acme/test"}
prune: {enabled: true}
scope:
  include: ["ci-*"]
  exclude: ["ci-legacy-*"]
"""


def put(emulator: ServedEmulator, manifest: dict[str, object]) -> None:
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": manifest, "dryRun": False}).raise_for_status()


def test_plan_apply_prune_and_drift_consider_only_accounts_in_scope(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    ours = {"managed-by": "va-reconciler:acme/test"}
    # owned by this repository's tag, but out of scope: prune must leave them, drift must not see them
    put(emulator, {"type": "virtual-account", "name": "data-old", "tags": ours})
    put(emulator, {"type": "virtual-account", "name": "ci-legacy-old", "tags": ours})
    put(emulator, {"type": "virtual-account", "name": "ci-gone", "tags": ours})  # in scope, left Git: pruned
    put(emulator, {"type": "virtual-account", "name": "untagged-elsewhere"})  # out of scope: not reported
    write(git_repo / "reconciler.yaml", SCOPED)
    write(git_repo / "accounts" / "ci.yaml", stored("ci-new-bot"))
    write(git_repo / "accounts" / "data.yaml", stored("data-new-bot"))  # in Git, out of scope: a warning only
    commit_all(git_repo, "scoped")

    validated = reconciler("validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "data-new-bot is outside this repository's scope (include ci-*; exclude ci-legacy-*)" in validated.stdout

    planned = reconciler("plan", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Plan: 1 to create, 0 to update, 1 to delete" in planned.stdout
    for absent in ("data-new-bot", "data-old", "ci-legacy-old", "untagged-elsewhere"):
        assert f" {absent} " not in planned.stdout

    applied = reconciler("apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert set(emulator.accounts()) == {"ci-new-bot", "data-old", "ci-legacy-old", "untagged-elsewhere"}

    drift = reconciler("drift", "--detailed-exitcode")
    assert drift.returncode == 0, drift.stdout + drift.stderr
