"""Data-driven: every file under fixtures/manifests/valid passes; every file under invalid/ produces exactly
the problems its `# expect:` lines name (position, message, JSON path), all in one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, TODAY, CliRunner, problem_lines

VALID = sorted((FIXTURES / "manifests" / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "manifests" / "invalid").glob("*.yaml"))


def _alone(fixture: Path, tmp_path: Path) -> Path:
    root = tmp_path / "manifests"
    root.mkdir()
    shutil.copy(fixture, root / fixture.name)
    return root


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.name)
def test_valid_fixture_passes(fixture: Path, tmp_path: Path, cli: CliRunner) -> None:
    root = _alone(fixture, tmp_path)
    result = cli("validate", str(root), "--today", TODAY)
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[-1].startswith("valid: 1 files")


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_reports_exactly_its_expectations(fixture: Path, tmp_path: Path, cli: CliRunner) -> None:
    root = _alone(fixture, tmp_path)
    expected = sorted(
        line.removeprefix("# expect: ").replace("FILE", fixture.name)
        for line in fixture.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    )
    assert expected, f"{fixture.name} names no expectation"
    result = cli("validate", str(root), "--today", TODAY)
    assert result.code == 1
    assert problem_lines(result.out, f"{fixture.name}:") == expected


def test_every_schema_keyword_is_exercised_by_an_invalid_fixture() -> None:
    """Guards the guard: the invalid fixtures cover each kind of constraint the schema declares."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in INVALID)
    for phrase in (
        "3 to 36 lower case",  # name pattern / type
        "missing required field",  # required
        "unknown field",  # additionalProperties
        "must not be empty",  # minItems / minLength
        "must be at least 30",  # auto_rotate_interval minimum
        "must be at least 1",  # grace_period minimum
        "must be one of",  # enum
        "should be a date",  # expiration_date pattern and format
        "must be at most 36500",  # auto_rotate maximum (ours: a date the control plane can compute)
        "whole number out of range",  # integers JSON carries exactly (I-JSON)
        "must be shorter than",  # semantic
        "defined more than once",  # cross-file
        "The path should only contain",  # secret_path pattern
        "must be a mapping",  # type object
        "must be a whole number",  # type integer
    ):
        assert phrase in text, phrase


def test_json_format_lists_accounts_skipped_and_problems(tmp_path: Path, cli: CliRunner) -> None:
    root = tmp_path / "m"
    shutil.copytree(FIXTURES / "manifests" / "valid", root)
    shutil.copy(FIXTURES / "manifests" / "invalid" / "auto-rotate.yaml", root / "auto-rotate.yaml")
    result = cli("validate", str(root), "--format", "json", "--today", TODAY)
    data = json.loads(result.out)
    assert result.code == 1
    assert data["valid"] is False
    assert "every-field-bot-0123456789-abcdefg" in data["accounts"]
    assert {(s["type"], s["reason"]) for s in data["skipped"]} == {("team", "other-type"), (None, "not-a-manifest")}
    first = data["problems"][0]
    assert set(first) == {"file", "line", "col", "severity", "message", "path"}
    assert first["file"] == "auto-rotate.yaml" and first["path"].startswith("$.auto_rotate")
