"""The composite action's own script, run as GitHub runs it (GITHUB_ACTIONS=true, GITHUB_OUTPUT, a served
control plane): every value the reconciler reports to the step is an output of the action, and apply can
apply a reviewed plan artifact (`plan-file`), skipping what changed since."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, copy_example
from tests.emulator_process import ServedEmulator

ACTION = REPO_ROOT / ".github" / "actions" / "reconcile" / "action.yml"
OUTPUT_KEY = re.compile(r"^([A-Za-z_][\w-]*)(?:=|<<)", re.M)


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


class ActionRun:
    """The action's `run` step in a workspace, against a served emulator, as a job on a runner would."""

    def __init__(self, workspace: Path, emulator: ServedEmulator) -> None:
        self.workspace = workspace
        self.emulator = emulator
        self.script = action()["runs"]["steps"][-1]["run"]

    def __call__(self, command: str, plan_file: str = "") -> tuple[subprocess.CompletedProcess[str], set[str]]:
        output = self.workspace / f"output-{command}"
        output.write_text("")
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "COMMAND": command,
            "MANIFESTS": "accounts-repo",
            "ENVIRONMENT": "",
            "PLAN_FILE": plan_file,
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.workspace / "summary.md"),
            "GITHUB_REPOSITORY": "acme/accounts",
            "HOME": str(self.workspace),
            **self.emulator.env,
        }
        done = subprocess.run(["bash", "-c", self.script], cwd=self.workspace, env=env, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        return done, set(OUTPUT_KEY.findall(output.read_text()))


@pytest.fixture
def run(tmp_path: Path) -> Any:
    workspace = tmp_path / "workspace"
    copy_example(workspace / "accounts-repo")
    emulator = ServedEmulator(tmp_path / "cp.db")
    try:
        yield ActionRun(workspace, emulator)
    finally:
        emulator.stop()


def test_every_output_the_reconciler_writes_is_an_action_output(run: ActionRun) -> None:
    written: set[str] = set()
    for command in ("validate", "plan", "apply", "drift"):
        done, keys = run(command)
        assert done.returncode == 0, done.stdout + done.stderr
        written |= keys
    outputs = action()["outputs"]
    assert (
        written
        == set(outputs)
        == {"valid", "has_changes", "has_errors", "checksum", "converged", "applied_revision", "drift", "fingerprint"}
    )
    for name, declared in outputs.items():
        assert declared["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


def test_apply_applies_a_reviewed_plan_artifact_only(run: ActionRun) -> None:
    planned, _ = run("plan")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    reviewed = run.workspace / "reviewed-plan.json"
    (run.workspace / "plan.json").rename(reviewed)  # as downloaded from the plan job's artifact
    pager = run.workspace / "accounts-repo" / "accounts" / "sre" / "oncall-pager.yaml"
    pager.write_text(pager.read_text("utf-8").replace("env: prod", "env: staging"), encoding="utf-8")
    applied, _ = run("apply", plan_file=str(reviewed))
    assert applied.returncode == 1, applied.stdout + applied.stderr  # not converged: one account skipped
    assert "oncall-pager" in applied.stdout and "differs from the reviewed plan" in applied.stdout
    assert "applied, 0 failed, 1 skipped, 0 conflict(s), 0 blocked, 0 error(s); NOT converged." in applied.stdout
    assert set(run.emulator.accounts()) >= {"ci-release-bot", "gateway-service"}
    assert "oncall-pager" not in run.emulator.accounts()
    again, _ = run("apply")  # without a reviewed plan: re-plan and apply what Git holds now
    assert again.returncode == 0, again.stdout + again.stderr
    assert run.emulator.accounts()["oncall-pager"]["manifest"]["tags"]["env"] == "staging"
