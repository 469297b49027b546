"""The README's promises: its two set-up commands are what CI runs, and the main command works as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)


def test_readme_holds_the_two_setup_commands() -> None:
    blocks = _bash_blocks()
    main_job = next(b for b in blocks if "reconciler" in b and "pytest" not in b)
    tests = next(b for b in blocks if "pytest" in b)
    assert main_job.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert tests.startswith("python3 -m venv .venv && .venv/bin/pip install")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/pytest" in ci and "-e '.[dev]'" in ci


def test_main_command_runs_as_the_installed_console_script() -> None:
    command = _bash_blocks()[0].split("&& ")[-1].split()
    executable = Path(sys.executable).parent / "reconciler"
    result = subprocess.run(
        [str(executable), *command[1:]], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: 11 files, 12 accounts, 2 skipped, 0 errors" in result.stdout
