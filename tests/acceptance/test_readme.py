"""The README's promises: its two set-up commands are what CI runs, and the main command works as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, copy_example

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)


def test_readme_holds_the_two_setup_commands() -> None:
    blocks = _bash_blocks()
    main_job = next(b for b in blocks if "reconciler" in b and "pytest" not in b)
    tests = next(b for b in blocks if "pytest" in b)
    assert main_job.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert tests.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert "-e '.[dev]'" in tests  # the package with its dev extras, whatever is newest today
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI runs the same tests over the same package and extras, pinned: requirements/dev.lock is resolved from
    # pyproject.toml's dependencies plus the dev extra (tests/unit/test_workflows.py checks it covers them)
    assert ".venv/bin/pytest" in ci and "-r requirements/dev.lock" in ci and " -e ." in ci


def test_main_job_plans_applies_and_then_has_nothing_to_do(tmp_path: Path) -> None:
    """Runs the README's main command after its install step, in a copy of the example repository, with the
    installed console script and the embedded control plane (no TFY_HOST)."""
    copy_example(tmp_path / "manifests-example")
    steps = [s.strip().split() for s in _bash_blocks()[0].split("&&") if "bin/reconciler" in s]
    assert [s[1] for s in steps] == ["plan", "apply", "plan"]
    env = {k: v for k, v in os.environ.items() if k not in ("TFY_HOST", "TFY_API_KEY", "GITHUB_ACTIONS")}
    outputs = []
    for step in steps:
        executable = Path(sys.executable).parent / "reconciler"
        result = subprocess.run(
            [str(executable), *step[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env
        )
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    assert "embedded control plane" in outputs[0]
    assert "Plan: 13 to create, 0 to update, 0 to delete" in outputs[0]  # 12 accounts and a role binding
    assert "Apply: 13 applied, 0 failed, 0 skipped, 0 conflict(s), 0 blocked, 0 error(s); converged." in outputs[1]
    assert "No changes: the control plane matches Git." in outputs[2]


def _samples() -> list[tuple[list[str], list[str]]]:
    """Each ```text block starting with `$ reconciler ...` run on manifests-example: (command, sample lines)."""
    found = []
    for block in re.findall(r"```text\n(\$ reconciler [^\n]*manifests-example[^\n]*)\n(.*?)\n```", README, flags=re.S):
        command, body = block
        found.append((command.removeprefix("$ ").split(), body.split("\n")))
    return found


def test_readme_samples_are_the_shipped_examples_real_output(tmp_path: Path) -> None:
    """The README's sample outputs come from the shipped example: each sample's lines appear in the command's
    real output in the same order, runs between `...` lines contiguous (a fresh embedded control plane)."""
    samples = _samples()
    assert [c[1] for c, _ in samples] == ["validate", "plan"]
    copy_example(tmp_path / "manifests-example")
    env = {k: v for k, v in os.environ.items() if k not in ("TFY_HOST", "TFY_API_KEY", "GITHUB_ACTIONS")}
    executable = Path(sys.executable).parent / "reconciler"
    for command, sample in samples:
        result = subprocess.run([str(executable), *command[1:]], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120, env=env)  # fmt: skip
        lines = result.stdout.rstrip("\n").split("\n")
        runs = "\n".join(sample).split("\n...\n")
        at = 0
        for run in runs:
            chunk = run.split("\n")
            starts = [i for i in range(at, len(lines) - len(chunk) + 1) if lines[i : i + len(chunk)] == chunk]
            assert starts, f"{' '.join(command)}: README sample lines not in the real output:\n{run}"
            at = starts[0] + len(chunk)
        assert runs[-1].split("\n")[-1] == lines[-1]  # the verdict line closes both
