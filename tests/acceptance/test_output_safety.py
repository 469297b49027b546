"""Every printed byte is safe: validate, plan, apply and drift on hostile manifests in GitHub Actions
(GITHUB_ACTIONS=true), the real CLI as a subprocess against the served emulator. No output line starts with
`::` unless the tool wrote it as a workflow command, and no ESC, bidirectional control or other raw control
character reaches stdout or stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.acceptance.test_hostile import unsafe_characters
from tests.conftest import TODAY, commit_all, write
from tests.emulator_process import API, ServedEmulator

CONFIG = """version: 1
paths: [accounts]
ownership: {tag_key: managed-by, tag_value: "va-reconciler:acme/hostile"}
prune: {enabled: true}
"""
ACCOUNT = """type: virtual-account
name: %s
secret_store_config: {type: secret-store, integration_fqn: "acme:aws:secrets-manager", secret_path: "ci/%s"}
"""
# what the tool itself writes in Actions: annotations and notices it produces on purpose
OURS = ("::error file=", "::warning file=", "::notice title=va-reconciler::", "::warning title=va-reconciler::")


def run(repo: Path, emulator: ServedEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **emulator.env, "GITHUB_ACTIONS": "true", "CI": "true"}
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_BASE_REF"):
        env.pop(name, None)
    command = [sys.executable, "-m", "reconciler", *args, str(repo), "--today", TODAY]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def assert_safe(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1, 2), output
    assert "Traceback" not in output
    forged = [line for line in output.splitlines() if line.startswith("::") and not line.startswith(OURS)]
    assert forged == [], output
    for line in output.splitlines():  # our annotations: the message part carries no raw command of its own
        assert "\n" not in line and not line.startswith("::add-mask::"), line
    assert unsafe_characters(output) == [], output


def test_hostile_values_never_reach_an_actions_log_raw(git_repo: Path, emulator: ServedEmulator) -> None:
    # live accounts with hostile values the control plane holds (it does not refuse them): names are
    # checked by the server, tags and secret paths less so
    for name, tags in (
        ("drifted-bot", {"managed-by": "va-reconciler:acme/hostile", "note": "x\n::error::forged\u202e\x1b[31m"}),
        ("gone-bot", {"managed-by": "va-reconciler:acme/hostile", "k\n::add-mask::x": "\x07\x1b]8;;http://e\x1b\\"}),
        ("other-bot", {"managed-by": "someone-else\n::warning::forged"}),
    ):
        manifest = {"type": "virtual-account", "name": name, "tags": tags}
        emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": manifest, "dryRun": False})
    write(git_repo / "reconciler.yaml", CONFIG)
    write(git_repo / "accounts" / "drifted.yaml", ACCOUNT % ("drifted-bot", "drifted-bot"))
    write(git_repo / "accounts" / "new.yaml", ACCOUNT % ("new-bot", "new-bot"))
    commit_all(git_repo, "good manifests")
    drifted = run(git_repo, emulator, "drift")  # before apply overwrites the drift
    assert_safe(drifted)
    assert "\\u202e" in drifted.stdout and "\\u001b" in drifted.stdout and "other-bot" in drifted.stdout
    for command in ("validate", "plan", "apply", "drift"):
        assert_safe(run(git_repo, emulator, command))

    # then hostile manifests: injection through keys, escapes in values, file names
    write(git_repo / "accounts" / "evil.yaml", ACCOUNT % ("evil-bot", "evil-bot") + '"x\\n::error file=a::p": 1\n')
    write(git_repo / "accounts" / "esc.yaml", ACCOUNT % ("esc-bot", "esc-bot") + 'tags: {a: "\\e[31m\\u202e"}\n')
    write(git_repo / "accounts" / "x\n::error file=b::pwned.yaml", "a: [\n")
    commit_all(git_repo, "hostile manifests")
    for command in ("validate", "plan", "apply", "drift"):
        result = run(git_repo, emulator, command)
        assert result.returncode == 1, result.stdout + result.stderr
        assert_safe(result)
    validated = run(git_repo, emulator, "validate")
    assert "::error file=accounts/evil.yaml,line=4,col=1,title=va-reconciler::unknown field 'x\\n::error" in (
        validated.stdout
    )
