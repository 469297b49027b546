"""`reconciler validate` over real folders and real Git repositories: refs without checkout, unsafe files,
configuration, output formats and exit codes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.conftest import TODAY, CliRunner, commit_all, git, write

GOOD = "type: virtual-account\nname: {name}\nownedBy: {{team: platform}}\n"


def test_validates_two_refs_without_checking_out(git_repo: Path, cli: CliRunner) -> None:
    write(git_repo / "reconciler.yaml", "paths: [accounts]\n")
    write(git_repo / "accounts" / "a.yaml", GOOD.format(name="first-bot"))
    first = commit_all(git_repo, "first")
    write(git_repo / "accounts" / "a.yaml", GOOD.format(name="Bad_Name"))
    write(git_repo / "accounts" / "b.yaml", GOOD.format(name="second-bot"))
    second = commit_all(git_repo, "second")
    # The working tree moves on, uncommitted: refs must not read it.
    write(git_repo / "accounts" / "a.yaml", "garbage: [\n")
    head_before = git(git_repo, "rev-parse", "HEAD")

    old = cli("validate", str(git_repo), "--ref", first, "--format", "json", "--today", TODAY)
    assert old.code == 0, old.out
    assert json.loads(old.out)["accounts"] == ["first-bot"]
    assert json.loads(old.out)["revision"] == first

    new = cli("validate", str(git_repo), "--ref", "main", "--today", TODAY)
    assert new.code == 1
    assert "accounts/a.yaml:2:7: error: 3 to 36 lower case" in new.out
    assert f"Git ref main ({second[:12]})" in new.out

    tree = cli("validate", str(git_repo), "--today", TODAY)
    assert tree.code == 1
    assert "accounts/a.yaml:2:1: error: invalid YAML" in tree.out
    assert git(git_repo, "rev-parse", "HEAD") == head_before
    assert git(git_repo, "status", "--porcelain") == "M accounts/a.yaml"


def test_subfolder_of_a_repository_is_read_at_a_ref_with_repo_relative_paths(git_repo: Path, cli: CliRunner) -> None:
    write(git_repo / "infra" / "vas" / "x.yaml", GOOD.format(name="x1"))
    commit_all(git_repo, "x")
    # the working tree differs from HEAD: only a read of the ref can report the committed name
    write(git_repo / "infra" / "vas" / "x.yaml", GOOD.format(name="fixed-in-the-work-tree"))
    result = cli("validate", str(git_repo / "infra"), "--ref", "HEAD", "--today", TODAY)
    assert "infra/vas/x.yaml:2:7: error:" in result.out and result.code == 1
    assert cli("validate", str(git_repo / "infra"), "--today", TODAY).code == 0


def test_unknown_ref_and_missing_path_are_usage_errors_that_exit_2(
    git_repo: Path, tmp_path: Path, cli: CliRunner
) -> None:
    write(git_repo / "a.yaml", GOOD.format(name="abc"))
    commit_all(git_repo, "a")
    unknown = cli("validate", str(git_repo), "--ref", "no-such-branch")
    assert unknown.code == 2
    assert "unknown Git ref 'no-such-branch'" in unknown.err
    missing = cli("validate", str(tmp_path / "nowhere"))
    assert missing.code == 2
    not_git = tmp_path / "plain"
    not_git.mkdir()
    outside = cli("validate", str(not_git), "--ref", "main")
    assert outside.code == 2 and "not inside a Git repository" in outside.err
    bad_option = cli("validate", "--format", "xml")
    assert bad_option.code == 2


def test_symlinks_are_rejected_in_the_work_tree_and_at_a_ref(git_repo: Path, cli: CliRunner) -> None:
    secret = git_repo.parent / "secret.yaml"
    write(secret, "password: hunter2-CANARY\n")
    write(git_repo / "accounts" / "ok.yaml", GOOD.format(name="ok-bot"))
    os.symlink(secret, git_repo / "accounts" / "leak.yaml")
    os.symlink("/etc", git_repo / "accounts" / "etc-dir.yml")
    commit_all(git_repo, "links")
    for extra in ((), ("--ref", "HEAD")):
        result = cli("validate", str(git_repo), *extra, "--today", TODAY)
        assert result.code == 1
        assert "accounts/leak.yaml:1:1: error: symbolic links are not allowed" in result.out
        assert "accounts/etc-dir.yml:1:1: error: symbolic links are not allowed" in result.out
        assert "hunter2-CANARY" not in result.out + result.err
        assert "root:" not in result.out


def test_configured_path_outside_the_repository_is_rejected(tmp_path: Path, cli: CliRunner) -> None:
    write(tmp_path / "repo" / "reconciler.yaml", "paths: [../elsewhere, /etc]\n")
    result = cli("validate", str(tmp_path / "repo"))
    assert result.code == 1
    assert (
        "reconciler.yaml:1:9: error: a manifest path must be relative to reconciler.yaml and stay inside" in result.out
    )
    assert "reconciler.yaml:1:23: error:" in result.out


def test_oversized_files_are_rejected_before_reading(git_repo: Path, cli: CliRunner) -> None:
    write(git_repo / "big.yaml", b"a: " + b"x" * (300 * 1024))
    commit_all(git_repo, "big")
    for extra in ((), ("--ref", "HEAD")):
        result = cli("validate", str(git_repo), *extra)
        assert result.code == 1
        assert "big.yaml:1:1: error: file is 307203 bytes, larger than the 256 KiB limit" in result.out


def test_hidden_folders_are_not_read(tmp_path: Path, cli: CliRunner) -> None:
    write(tmp_path / ".github" / "workflows" / "ci.yml", "on: push\njobs: {}\n")
    write(tmp_path / "a.yaml", GOOD.format(name="abc"))
    result = cli("validate", str(tmp_path))
    assert result.code == 0, result.out
    assert "valid: 1 files, 1 accounts" in result.out


def test_duplicate_names_across_files_name_both_places(tmp_path: Path, cli: CliRunner) -> None:
    write(tmp_path / "a" / "one.yaml", GOOD.format(name="shared-bot"))
    write(tmp_path / "b" / "two.yml", "# comment\n" + GOOD.format(name="shared-bot"))
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert "a/one.yaml:2:7: error: account 'shared-bot' is defined more than once (also at b/two.yml:3:7)" in result.out
    assert "b/two.yml:3:7: error: account 'shared-bot' is defined more than once (also at a/one.yaml:2:7)" in (
        result.out
    )


def test_invalid_config_is_reported_with_positions(tmp_path: Path, cli: CliRunner) -> None:
    write(tmp_path / "reconciler.yaml", "paths: [x]\nprune:\n  enabled: yes\n  max_delets: 3\n")
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert "reconciler.yaml:3:12: error: must be true or false, not a string ($.prune.enabled)" in result.out
    assert "reconciler.yaml:4:3: error: unknown field 'max_delets'; did you mean 'max_deletes'?" in result.out


def test_github_actions_gets_annotations(tmp_path: Path, cli: CliRunner) -> None:
    write(tmp_path / "dir, with: odd" / "a.yaml", "type: virtual-account\nname: A\n")
    result = cli("validate", str(tmp_path), env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1
    line = next(x for x in result.out.splitlines() if x.startswith("::"))
    assert line.startswith("::error file=dir%2C with%3A odd/a.yaml,line=2,col=7,title=va-reconciler::3 to 36")
    assert line.endswith("($.name)")


def test_empty_repository_is_valid_and_says_so(tmp_path: Path, cli: CliRunner) -> None:
    result = cli("validate", str(tmp_path))
    assert result.code == 0
    assert "valid: 0 files, 0 accounts" in result.out


def test_internal_errors_exit_3_without_a_traceback(tmp_path: Path, cli: CliRunner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import reconciler.app.validate as use_case

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(use_case, "load_repository", broken)
    result = cli("validate", str(tmp_path))
    assert result.code == 3
    assert "internal error: RuntimeError: boom" in result.err
    assert "--debug" in result.err
    assert "Traceback" not in result.err
    debug = cli("--debug", "validate", str(tmp_path))
    assert "Traceback" in debug.err


def test_the_default_ownership_tag_names_the_origin_repository(git_repo: Path, cli: CliRunner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without ownership.tag_value, the tag is `va-reconciler:<owner/name>` of the origin remote, whether the
    manifests are read from the work tree or at a ref; without a remote, the folder's name."""
    monkeypatch.delenv("TFY_HOST", raising=False)
    write(git_repo / "reconciler.yaml", "version: 1\npaths: [accounts]\n")
    write(git_repo / "accounts" / "a.yaml", "type: virtual-account\nname: a-bot\nownedBy: {team: data}\n")
    commit_all(git_repo, "one")
    plan_file = git_repo.parent / "plan.json"

    def owner(*ref: str) -> object:
        assert cli("plan", str(git_repo), "--today", TODAY, "--out", str(plan_file), *ref).code in (0, 1)
        return json.loads(plan_file.read_text())["ownership"]["value"]

    assert owner() == f"va-reconciler:{git_repo.name}"
    git(git_repo, "remote", "add", "origin", "git@github.com:acme/platform-accounts.git")
    assert owner() == owner("--ref", "main") == "va-reconciler:github.com/acme/platform-accounts"


def _note_process(log: Path, read_chunk, wait_for_worker: bool = False):  # type: ignore[no-untyped-def]
    """`_read_chunk` that also notes which process read how many files (both processes append to one file).
    `wait_for_worker`: this process reads only once a worker has read a chunk (up to 20 s), so that a worker
    surely reads some, however loaded the machine."""
    parent = os.getpid()

    def noted(files, checks):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 20
        while wait_for_worker and os.getpid() == parent and time.monotonic() < deadline:
            if log.exists() and any(line.split()[0] != str(parent) for line in log.read_text().splitlines()):
                break
            time.sleep(0.01)
        read = read_chunk(files, checks)
        with log.open("a") as out:
            out.write(f"{os.getpid()} {len(read.candidates)}\n")
        return read

    return noted


def test_a_working_tree_read_on_two_cores_reports_exactly_what_one_process_does(
    tmp_path: Path, cli: CliRunner, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Chunks of one file, so a forked worker reads some of them: a duplicate name across chunks, a schema
    error, a syntax error, a YAML 1.1 warning, a policy warning, a symlink, a skipped document and
    reconciler.yaml under the configured path all come back, in order, as from one process."""
    import reconciler.app.validate as use_case

    repo = tmp_path / "repo"
    write(repo / "reconciler.yaml", 'paths: ["."]\n')
    write(repo / "a.yaml", "type: virtual-account\nname: bot-0\n")
    write(repo / "b.yaml", "type: virtual-account\nname: bot-0\n")
    write(repo / "c.yaml", 'type: virtual-account\nname: bot-2\nauto_rotate:\n  auto_rotate_interval: "x"\n')
    write(repo / "d.yaml", "type: virtual-account\nname: [\n")
    write(repo / "e.yaml", "type: service\nname: web\n")
    write(repo / "f.yaml", "type: virtual-account\nname: bot-5\ntags:\n  env: yes\n")
    write(
        repo / "g.yaml",
        'type: virtual-account\nname: bot-6\nexpiration_date: "2020-01-01"\n---\n' + GOOD.format(name="bot-7"),
    )
    (repo / "h.yaml").symlink_to("a.yaml")
    expected = [
        "a.yaml:2:7: error: account 'bot-0' is defined more than once (also at b.yaml:2:7); keep one ($.name)",
        "b.yaml:2:7: error: account 'bot-0' is defined more than once (also at a.yaml:2:7); keep one ($.name)",
        "c.yaml:4:25: error: Rotation Interval in days: must be a whole number, not a string "
        "($.auto_rotate.auto_rotate_interval)",
        "d.yaml:3:1: error: invalid YAML: did not find expected node content",
        "f.yaml:4:8: warning: tfy apply reads the unquoted yes as the boolean true (YAML 1.1) and sends that, not "
        'the string "yes"; quote it: "yes" ($.tags.env)',
        "g.yaml:3:18: warning: Expiration date of the virtual account 2020-01-01 is in the past",
        "h.yaml:1:1: error: symbolic links are not allowed; commit the file itself",
        "e.yaml:1:7: skipped: document of type 'service' is not managed here",
        "invalid: 8 files, 5 accounts, 0 role bindings, 1 skipped, 5 errors, 2 warnings (working tree .)",
    ]
    monkeypatch.chdir(repo)
    monkeypatch.setattr(use_case, "cores", lambda: 1)
    one = cli("validate", ".", "--today", TODAY)
    monkeypatch.setattr(use_case, "cores", lambda: 2)
    monkeypatch.setattr(use_case, "CHUNK_FILES", 1)
    monkeypatch.setattr(use_case, "SHARED_FROM", 2)
    log = tmp_path / "chunks.txt"
    monkeypatch.setattr(use_case, "_read_chunk", _note_process(log, use_case._read_chunk, wait_for_worker=True))
    two = cli("validate", ".", "--today", TODAY)

    assert (two.code, two.out, two.err) == (one.code, one.out, one.err)
    assert two.code == 1
    assert [line[: len(want)] for line, want in zip(two.out.splitlines(), expected, strict=True)] == expected
    chunks = [line.split() for line in log.read_text().splitlines()]
    assert sum(int(files) for _, files in chunks) == 8  # every file read once
    assert {pid for pid, _ in chunks} - {str(os.getpid())}  # and a forked worker read some of them


def test_a_git_ref_is_read_in_this_process_only(git_repo: Path, cli: CliRunner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Blobs come through one `git cat-file --batch` process, which a forked worker must not share."""
    import reconciler.app.validate as use_case

    for n in range(6):
        write(git_repo / f"bot-{n}.yaml", GOOD.format(name=f"bot-{n}"))
    commit_all(git_repo, "six accounts")
    monkeypatch.setattr(use_case, "cores", lambda: 2)
    monkeypatch.setattr(use_case, "CHUNK_FILES", 1)
    monkeypatch.setattr(use_case, "SHARED_FROM", 2)
    log = git_repo.parent / "chunks.txt"
    monkeypatch.setattr(use_case, "_read_chunk", _note_process(log, use_case._read_chunk))
    result = cli("validate", str(git_repo), "--ref", "HEAD")
    assert result.code == 0, result.out
    assert "valid: 6 files, 6 accounts" in result.out
    assert {pid for pid, _ in (line.split() for line in log.read_text().splitlines())} == {str(os.getpid())}
