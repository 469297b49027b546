"""Command-line habits: data on stdout and notices on stderr, `-` as stdout for every --out, colour through
click (--color/--no-color, NO_COLOR, FORCE_COLOR), and shell completion as documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.options import ROLE_STYLES
from reconciler.render.text import ROLES
from tests.conftest import REPO_ROOT, TODAY, CliRunner

ESC = "\x1b["


@pytest.mark.parametrize(
    ("command", "marker"),
    [("plan", "changes"), ("validate", "problems"), ("drift", "findings"), ("apply", "outcomes")],
)
def test_out_dash_puts_the_json_document_alone_on_stdout(
    example: Path, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, marker: str
) -> None:
    monkeypatch.chdir(tmp_path)
    extra = ["--token-dir", str(tmp_path / "tokens")] if command in ("plan", "apply") else []
    result = cli(command, str(example), "--out", "-", "--today", TODAY, *extra)
    assert result.code in (0, 2), result.err
    document = json.loads(result.out)  # stdout is exactly one JSON document
    assert marker in document
    assert not (tmp_path / "-").exists()
    assert result.err.strip()  # the view went to stderr


def test_out_dash_with_format_json_prints_the_document_once(example: Path, cli: CliRunner) -> None:
    result = cli("validate", str(example), "--out", "-", "--format", "json", "--today", TODAY)
    assert json.loads(result.out)["valid"] is True
    assert '"valid"' not in result.err


def test_notices_go_to_stderr_and_the_plan_file_holds_the_plan(example: Path, cli: CliRunner, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    result = cli("plan", str(example), "--out", str(plan_file), "--today", TODAY, "--token-dir", str(tmp_path / "t"))
    assert "Plan written to" in result.err and "Plan written to" not in result.out
    assert result.out.startswith("Desired: ")
    assert json.loads(plan_file.read_text("utf-8"))["changes"]


@pytest.mark.parametrize(
    ("env", "flags", "coloured"),
    [
        ({}, [], False),  # not a terminal: click leaves colour out
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "0"}, [], False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
        ({"NO_COLOR": ""}, ["--color"], True),
        ({}, ["--color"], True),
        ({"FORCE_COLOR": "1"}, ["--no-color"], False),
    ],
)
def test_colour_follows_flags_then_no_color_then_force_color(
    example: Path, cli: CliRunner, env: dict[str, str], flags: list[str], coloured: bool
) -> None:
    result = cli("plan", str(example), *flags, "--today", TODAY, env=env)
    assert result.code == 0, result.err
    assert (ESC in result.out) is coloured
    assert "+ create" in result.out


def test_no_color_before_the_subcommand(example: Path, cli: CliRunner) -> None:
    result = cli("--no-color", "plan", str(example), "--today", TODAY, env={"FORCE_COLOR": "1"})
    assert ESC not in result.out and "Desired:" in result.out


def test_json_is_never_coloured(example: Path, cli: CliRunner) -> None:
    result = cli("plan", str(example), "--format", "json", "--color", "--today", TODAY)
    assert ESC not in result.out
    json.loads(result.out)


def test_every_role_of_the_views_has_a_terminal_style() -> None:
    assert set(ROLES) <= set(ROLE_STYLES)


def test_shell_completion_script_is_generated_as_documented() -> None:
    """The README's `_RECONCILER_COMPLETE=bash_source reconciler` prints click's bash completion script."""
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    assert "_RECONCILER_COMPLETE=bash_source reconciler" in readme
    env = {**os.environ, "_RECONCILER_COMPLETE": "bash_source"}
    script = Path(sys.executable).parent / "reconciler"
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "complete " in done.stdout and "_reconciler_completion" in done.stdout
