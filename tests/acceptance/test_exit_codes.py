"""Exit codes a CI script can branch on (Terraform's convention): under --detailed-exitcode, 2 means only
"changes" (plan) or "drift found" (drift) and every error, usage errors included, exits 1; without it a usage
error exits 2 (click's convention), other errors 1; a bug exits 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TODAY, CliRunner

USAGE_ERRORS = [
    pytest.param(["--bogus-flag"], id="unknown option"),
    pytest.param(["--format", "xml"], id="bad choice"),
    pytest.param(["--today", "tomorrow"], id="bad date"),
    pytest.param(["--ref", "no-such-branch"], id="unknown ref"),
    pytest.param(["extra-argument"], id="extra argument"),
]


@pytest.mark.parametrize("command", ["plan", "drift"])
@pytest.mark.parametrize("mistake", USAGE_ERRORS)
def test_usage_errors_exit_1_under_detailed_exitcode(
    example: Path, cli: CliRunner, command: str, mistake: list[str]
) -> None:
    result = cli(command, str(example), "--detailed-exitcode", *mistake)
    assert result.code == 1, result.out + result.err
    assert result.err  # the reason, on stderr


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_a_missing_path_exits_1_under_detailed_exitcode(tmp_path: Path, cli: CliRunner, command: str) -> None:
    result = cli(command, str(tmp_path / "missing"), "--detailed-exitcode")
    assert result.code == 1, result.out + result.err
    assert "missing" in result.err
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", ["plan", "drift", "validate", "apply"])
@pytest.mark.parametrize("mistake", [*USAGE_ERRORS, pytest.param(["missing"], id="missing path")])
def test_without_detailed_exitcode_a_usage_error_exits_2(
    example: Path, cli: CliRunner, command: str, mistake: list[str]
) -> None:
    """2 then means "the command line is wrong", apart from 1, "the manifests or the apply are"."""
    args = [str(example / "missing")] if mistake == ["missing"] else [str(example), *mistake]
    if command == "validate" and mistake == ["extra-argument"]:
        args = [str(example), str(example / "extra-argument")]  # validate takes many paths: a missing one
    result = cli(command, *args)
    assert result.code == 2, result.out + result.err
    assert result.err and "Traceback" not in result.err


def test_two_means_changes_and_zero_means_none(example: Path, cli: CliRunner, tmp_path: Path) -> None:
    changes = cli("plan", str(example), "--detailed-exitcode", "--today", TODAY, "--token-dir", str(tmp_path / "t"))
    assert changes.code == 2, changes.out + changes.err
    assert cli("apply", str(example), "--today", TODAY, "--token-dir", str(tmp_path / "t")).code == 0
    none = cli("plan", str(example), "--detailed-exitcode", "--today", TODAY)
    assert none.code == 0, none.out + none.err
    assert cli("plan", str(example), "--today", TODAY).code == 0


def test_two_means_drift_found(example: Path, cli: CliRunner) -> None:
    # nothing applied yet: every account in Git is missing from the control plane
    found = cli("drift", str(example), "--detailed-exitcode", "--today", TODAY)
    assert found.code == 2, found.out + found.err
    assert cli("drift", str(example), "--today", TODAY).code == 0


def test_help_documents_the_codes(cli: CliRunner) -> None:
    text = " ".join(cli("--help").out.split())
    assert "2 with --detailed-exitcode: the plan has changes, or drift was found (a usage error is then 1)" in text
    assert "without it: a usage error" in text
    assert cli("plan", "--help").code == 0
