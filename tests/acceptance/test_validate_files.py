"""`reconciler validate FILE...`, as pre-commit calls it: the given files' problems only, checks across files
over the whole repository, YAML that is not a manifest skipped by a documented rule, several repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TODAY, CliRunner, commit_all, write

GOOD = "type: virtual-account\nname: {name}\nownedBy: {{team: platform}}\n"
CONFIG = "version: 1\npaths: [accounts]\n"


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(git_repo / "reconciler.yaml", CONFIG)
    write(git_repo / "accounts" / "good.yaml", GOOD.format(name="good-bot"))
    write(git_repo / "accounts" / "bad.yaml", GOOD.format(name="Bad_Name"))
    commit_all(git_repo, "accounts")
    monkeypatch.chdir(git_repo)
    return git_repo


def validate(cli: CliRunner, *paths: str) -> tuple[int, dict[str, object], str]:
    result = cli("validate", *paths, "--today", TODAY, "--format", "json")
    return result.code, json.loads(result.out), result.err


def test_only_the_given_files_are_reported(repo: Path, cli: CliRunner) -> None:
    code, report, _ = validate(cli, "accounts/good.yaml")
    assert code == 0 and report["problems"] == [] and report["accounts"] == ["good-bot"] and report["files"] == 1
    code, report, _ = validate(cli, "accounts/bad.yaml")
    assert code == 1
    assert {p["file"] for p in report["problems"]} == {"accounts/bad.yaml"}  # type: ignore[index,union-attr]


def test_a_name_defined_twice_is_found_from_one_of_the_files(repo: Path, cli: CliRunner) -> None:
    write(repo / "accounts" / "copy.yaml", GOOD.format(name="good-bot"))
    code, report, _ = validate(cli, "accounts/copy.yaml")
    assert code == 1
    (problem,) = report["problems"]  # type: ignore[misc]
    assert problem["file"] == "accounts/copy.yaml"
    assert "defined more than once (also at accounts/good.yaml:2:7)" in problem["message"]


def test_yaml_that_is_not_a_manifest_is_skipped(repo: Path, cli: CliRunner) -> None:
    write(repo / "docker-compose.yml", "services: {web: {image: nginx, ports: ['8080:80']}}\n")
    write(repo / "accounts" / "notes.yaml", "foo: bar\n")
    write(repo / "accounts" / "team.yaml", "type: team\nname: platform\n")
    code, report, _ = validate(cli, "docker-compose.yml", "accounts/notes.yaml", "accounts/team.yaml")
    assert code == 0, report
    reasons = {(s["file"], s["reason"]) for s in report["skipped"]}  # type: ignore[index,union-attr]
    assert reasons == {
        ("docker-compose.yml", "outside-paths"),
        ("accounts/notes.yaml", "not-a-manifest"),
        ("accounts/team.yaml", "other-type"),
    }
    assert report["files"] == 2  # the two under the manifest paths


def test_a_manifest_that_forgot_its_type_is_still_an_error(repo: Path, cli: CliRunner) -> None:
    write(repo / "accounts" / "untyped.yaml", "name: lost-bot\nexpiration_date: '2030-01-01'\n")
    code, report, _ = validate(cli, "accounts/untyped.yaml")
    assert code == 1
    messages = [p["message"] for p in report["problems"]]  # type: ignore[index,union-attr]
    assert "missing required field 'type'" in messages


def test_config_problems_are_reported_whatever_the_files(repo: Path, cli: CliRunner) -> None:
    write(repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nconcurrency: 0\n")
    code, report, _ = validate(cli, "accounts/good.yaml")
    assert code == 1
    assert {p["file"] for p in report["problems"]} == {"reconciler.yaml"}  # type: ignore[index,union-attr]
    write(repo / "reconciler.yaml", CONFIG)
    code, report, _ = validate(cli, "reconciler.yaml")
    assert code == 0 and report["skipped"] == [] and report["files"] == 0


def test_files_of_two_repositories_in_one_git_tree(
    git_repo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tenant in ("prod", "staging"):
        write(git_repo / "tenants" / tenant / "reconciler.yaml", CONFIG)
        write(git_repo / "tenants" / tenant / "accounts" / "a.yaml", GOOD.format(name=f"{tenant}-Bot"))
        write(git_repo / "tenants" / tenant / "accounts" / "b.yaml", GOOD.format(name="same-name"))
    monkeypatch.chdir(git_repo)
    code, report, _ = validate(cli, "tenants/prod/accounts/a.yaml", "tenants/staging/accounts/a.yaml")
    assert code == 1
    files = {p["file"] for p in report["problems"]}  # type: ignore[index,union-attr]
    # each tenant is its own repository: the same name in both is no duplicate
    assert files == {"tenants/prod/accounts/a.yaml", "tenants/staging/accounts/a.yaml"}


def test_a_folder_among_the_paths_selects_its_manifests(repo: Path, cli: CliRunner) -> None:
    write(repo / "accounts" / "more" / "x.yaml", GOOD.format(name="x-bot"))
    code, report, _ = validate(cli, "accounts/more", "accounts/good.yaml")
    assert code == 0 and report["accounts"] == ["good-bot", "x-bot"]


def test_without_reconciler_yaml_the_git_work_tree_is_the_repository(
    git_repo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(git_repo / "a" / "one.yaml", GOOD.format(name="twice-bot"))
    write(git_repo / "b" / "two.yaml", GOOD.format(name="twice-bot"))
    monkeypatch.chdir(git_repo / "a")
    code, report, _ = validate(cli, "one.yaml")
    assert code == 1
    assert [p["file"] for p in report["problems"]] == ["a/one.yaml"]  # type: ignore[index,union-attr]


def test_the_config_file_is_never_read_as_a_manifest(repo: Path, cli: CliRunner) -> None:
    write(repo / "reconciler.yaml", "version: 1\nconcurrency: 4\n")  # default paths: the whole folder
    write(repo / "accounts" / "bad.yaml", GOOD.format(name="fixed-bot"))
    code, report, _ = validate(cli, ".")
    assert code == 0, report
    assert report["files"] == 2 and report["skipped"] == []


def test_missing_files_and_ref_with_files_are_errors(repo: Path, cli: CliRunner) -> None:
    missing = cli("validate", "accounts/nope.yaml")
    assert missing.code == 2 and "no such file or directory" in missing.err
    with_ref = cli("validate", "accounts/good.yaml", "accounts/bad.yaml", "--ref", "HEAD")
    assert with_ref.code == 2 and "--ref reads one folder" in with_ref.err


@pytest.mark.slow
def test_pre_commit_try_repo_validates_only_the_passed_files(tmp_path: Path) -> None:
    """The published hook (.pre-commit-hooks.yaml) in a fresh manifests repository, installed by pre-commit
    itself into its own environment: the passed files are validated, the others are not."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (it is a dev extra)")
    repo = tmp_path / "accounts-repo"
    write(repo / "reconciler.yaml", CONFIG)
    write(repo / "accounts" / "good.yaml", GOOD.format(name="good-bot"))
    write(repo / "accounts" / "bad.yaml", GOOD.format(name="Bad_Name"))
    write(repo / "compose.yml", "services: {web: {image: nginx}}\n")
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    env = {**os.environ, **identity, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "accounts"]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True, capture_output=True)

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        command = [str(pre_commit), "try-repo", str(REPO_ROOT), "reconciler-validate", "--verbose", "--files", *files]
        return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)

    passed = try_repo("accounts/good.yaml", "compose.yml")
    assert passed.returncode == 0, passed.stdout[-3000:] + passed.stderr[-3000:]
    assert "bad.yaml" not in passed.stdout
    assert "compose.yml:1:1: skipped" in passed.stdout
    failed = try_repo("accounts/bad.yaml")
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "accounts/bad.yaml:2:7: error: 3 to 36 lower case" in failed.stdout
    assert "good.yaml" not in failed.stdout


def test_a_repository_read_in_chunks_reports_as_one(git_repo: Path, cli: CliRunner) -> None:
    """600 files: validate reads them in three chunks of 250, keeping only what checks across files need. A
    name defined in two chunks is found from both, and every problem keeps its file and line."""
    write(git_repo / "reconciler.yaml", CONFIG)
    for index in range(600):
        name = "twice-bot" if index in (10, 300) else "Bad_Name" if index in (299, 550) else f"bot-{index:03d}"
        write(git_repo / "accounts" / f"a-{index:03d}.yaml", GOOD.format(name=name))
    commit_all(git_repo, "600 accounts")
    code, report, _ = validate(cli, str(git_repo))
    assert code == 1 and report["files"] == 600
    found = [(p["file"], p["line"], p["message"].split(";")[0]) for p in report["problems"]]  # type: ignore[index,union-attr]
    assert [(file, line) for file, line, _ in found] == [
        ("accounts/a-010.yaml", 2),
        ("accounts/a-299.yaml", 2),
        ("accounts/a-300.yaml", 2),
        ("accounts/a-550.yaml", 2),
    ]
    assert found[0][2] == "account 'twice-bot' is defined more than once (also at accounts/a-300.yaml:2:7)"
    assert found[2][2] == "account 'twice-bot' is defined more than once (also at accounts/a-010.yaml:2:7)"
    documented = (
        "3 to 36 lower case characters long alphanumeric word, may contain - in between, cannot start with a number"
    )
    assert found[1][2] == found[3][2] == documented
    assert len(report["accounts"]) == 598  # type: ignore[arg-type]
