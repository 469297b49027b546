"""The shipped workflows and composite action keep their security properties
(reference/security-and-reliability.md §1 and §8, items 1-5)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = REPO_ROOT / ".github" / "actions" / "reconcile" / "action.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1), which is exactly why our loader does not.
    on = workflow.get("on", workflow.get(True))
    return on if isinstance(on, dict) else dict.fromkeys(on)


def uses(data: dict[str, Any]) -> list[str]:
    steps = [s for job in data.get("jobs", {}).values() for s in job.get("steps", [])]
    steps += data.get("runs", {}).get("steps", [])
    return [s["uses"] for s in steps if "uses" in s]


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha(path: Path) -> None:
    for reference in uses(load(path)):
        assert reference.startswith("./") or PINNED.match(reference), reference


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_no_pull_request_target(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in triggers(workflow)
    assert workflow["permissions"] == {}, "top-level permissions must be empty; jobs ask for what they need"
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        assert granted.get("contents") in (None, "read")
        assert "id-token" not in granted or name in ("apply", "drift")
        assert "pull-requests" not in granted or name in ("plan", "apply")
        assert "issues" not in granted or name == "drift"
        assert "statuses" not in granted or name == "apply"
        assert not {k for k, v in granted.items() if v == "write"} - {"pull-requests", "issues", "id-token", "statuses"}


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_no_expression_injection_in_run_steps(path: Path) -> None:
    data = load(path)
    steps = [s for job in data.get("jobs", {}).values() for s in job.get("steps", [])]
    steps += data.get("runs", {}).get("steps", [])
    for step in steps:
        assert "${{" not in step.get("run", ""), f"{path.name}: pass values through env:, not into run:"


def test_apply_is_serialised_protected_and_reconciles_main() -> None:
    workflow = load(REPO_ROOT / ".github" / "workflows" / "apply.yml")
    assert set(triggers(workflow)) == {"push", "workflow_dispatch"}
    assert triggers(workflow)["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    job = workflow["jobs"]["apply"]
    assert job["environment"] == "truefoundry-prod"
    assert job["if"] == "github.ref == 'refs/heads/main'"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "main"  # main's HEAD, not the triggering commit
    assert checkout["with"]["fetch-depth"] == 0  # the history back to the last applied revision
    assert job["permissions"]["statuses"] == "write"  # where the last applied revision is kept


def test_plan_runs_on_pull_request_with_a_read_only_credential() -> None:
    workflow = load(REPO_ROOT / ".github" / "workflows" / "plan.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    step = next(s for s in workflow["jobs"]["plan"]["steps"] if s.get("uses") == "./.github/actions/reconcile")
    assert "PLAN" in step["env"]["TFY_API_KEY"]


def test_drift_is_scheduled_and_shares_the_apply_concurrency_group() -> None:
    drift = load(REPO_ROOT / ".github" / "workflows" / "drift.yml")
    apply = load(REPO_ROOT / ".github" / "workflows" / "apply.yml")
    assert set(triggers(drift)) == {"schedule", "workflow_dispatch"}
    assert drift["concurrency"]["group"] == apply["concurrency"]["group"]


def test_the_action_validates_only_without_credentials(tmp_path: Path) -> None:
    """Runs the action's own script, as a fork's pull request would: no TFY_HOST, no TFY_API_KEY."""
    script = load(ACTION)["runs"]["steps"][-1]["run"]
    summary = tmp_path / "summary.md"
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "COMMAND": "plan",
        "MANIFESTS": str(REPO_ROOT / "manifests-example"),
        "ENVIRONMENT": "",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: 11 files, 12 accounts" in result.stdout
    assert "::notice title=va-reconciler::No control-plane credentials" in result.stdout
    assert "no live plan was made" in summary.read_text()
    assert not (tmp_path / "plan.json").exists()
    refused = subprocess.run(["bash", "-c", script], env={**env, "COMMAND": "apply"}, capture_output=True, text=True)
    assert refused.returncode == 1 and "apply needs TFY_HOST and TFY_API_KEY" in refused.stdout


def _pinned_with_hashes(lock_file: Path) -> set[str]:
    """The names pinned in a lock file, asserting each pin carries at least one sha256 hash."""
    lock = lock_file.read_text(encoding="utf-8")
    pinned = {re.sub(r"[-_.]+", "-", m.group(1).lower()) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.M)}
    blocks = re.findall(r"^[A-Za-z0-9_.-]+==\S+(?: ;[^\\\n]*)?((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", lock, re.M)
    assert len(blocks) == len(pinned), f"{lock_file}: every pin needs its hashes"
    return pinned


def _names(requirements: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", r)[0].lower()) for r in requirements}


def test_the_action_installs_hash_locked_dependencies() -> None:
    """Every runtime dependency in pyproject.toml is pinned with hashes in the action's lock file (regenerate
    with `bash .ci/lock`)."""
    import tomllib

    pinned = _pinned_with_hashes(ACTION.parent / "requirements.lock")
    wanted = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert _names(wanted) <= pinned
    install = next(s for s in load(ACTION)["runs"]["steps"] if "requirements.lock" in s.get("run", ""))
    assert "--require-hashes" in install["run"]


def test_ci_installs_the_package_and_its_tools_from_a_hashed_lock() -> None:
    """CI installs exact, hashed versions of everything (runtime, dev tools, the build backend), so a new
    upstream release cannot turn main red; `.ci/upgrade` moves the pins on purpose."""
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["dev"]]
    wanted += project["build-system"]["requires"]
    pinned = _pinned_with_hashes(REPO_ROOT / "requirements" / "dev.lock")
    assert _names(wanted) <= pinned
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r requirements/dev.lock" in script
    assert "--no-build-isolation" in script  # the package builds with the locked build backend, nothing fetched
    upgrade = (REPO_ROOT / ".ci" / "upgrade").read_text(encoding="utf-8")
    assert "bash .ci/lock --upgrade" in upgrade and "bash .ci/run" in upgrade


TENANTS = REPO_ROOT / ".github" / "workflows" / "tenants.yml"


def test_tenants_run_in_parallel_each_serialised_on_its_own_control_plane() -> None:
    workflow = load(TENANTS)
    assert set(triggers(workflow)) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    jobs = workflow["jobs"]
    for name in ("plan", "apply", "drift"):
        job = jobs[name]
        assert job["needs"] == "tenants"
        assert job["strategy"]["matrix"]["tenant"] == "${{ fromJSON(needs.tenants.outputs.names) }}"
        assert job["strategy"]["fail-fast"] is False  # one tenant's failure never cancels another's job
        step = next(s for s in job["steps"] if s.get("uses") == "./.github/actions/reconcile")
        assert step["with"]["path"] == "tenants/${{ matrix.tenant }}"
        assert step["with"]["environment"] == "${{ matrix.tenant }}"  # one sticky comment, one issue per tenant
    groups = {name: jobs[name]["concurrency"] for name in ("apply", "drift")}
    assert (
        groups["apply"]
        == groups["drift"]
        == {
            "group": "va-reconciler-control-plane-${{ matrix.tenant }}",
            "cancel-in-progress": False,
        }
    )
    assert jobs["apply"]["environment"] == "truefoundry-${{ matrix.tenant }}"  # the protected, admin key
    assert jobs["plan"]["environment"] == jobs["drift"]["environment"] == "truefoundry-${{ matrix.tenant }}-read"
    checkout = next(s for s in jobs["apply"]["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "main"


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (GitHub's runners have it)")
def test_tenants_are_the_folders_holding_a_reconciler_yaml(tmp_path: Path) -> None:
    script = next(s for s in load(TENANTS)["jobs"]["tenants"]["steps"] if s.get("id") == "list")["run"]
    output = tmp_path / "output"

    def names(folder: Path) -> str:
        output.write_text("")
        env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output)}
        done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return output.read_text().strip()

    repo = tmp_path / "repo"
    for tenant in ("prod", "staging"):
        (repo / "tenants" / tenant).mkdir(parents=True)
        (repo / "tenants" / tenant / "reconciler.yaml").write_text("version: 1\n")
    (repo / "tenants" / "notes").mkdir()
    (repo / "tenants" / "prod" / "sub").mkdir()
    (repo / "tenants" / "prod" / "sub" / "reconciler.yaml").write_text("version: 1\n")
    assert names(repo) == 'names=["prod","staging"]'
    empty = tmp_path / "empty"
    empty.mkdir()
    assert names(empty) == "names=[]"


def test_dependabot_updates_the_pinned_actions_and_the_python_dependencies() -> None:
    config = load(REPO_ROOT / ".github" / "dependabot.yml")
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates["github-actions"]["directories"]) == {"/", "/.github/actions/reconcile"}
    assert updates["pip"]["directory"] == "/"
    for update in updates.values():
        assert update["schedule"]["interval"] == "weekly"
        assert update["cooldown"]["default-days"] >= 1


def test_ci_checks_the_workflows_and_dependabot_with_zizmor_and_actionlint() -> None:
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "zizmor --offline --config .github/zizmor.yml .github/" in script  # workflows, action, dependabot
    assert "actionlint.cjs .github/workflows/*.yml" in script
