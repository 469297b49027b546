"""Nothing read wrongly, nothing owned twice: the real CLI on real Git repositories (submodules, shallow clones,
remotes in sibling subgroups) against the served emulator."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TODAY, CliRunner, commit_all, git, write
from tests.emulator_process import API, ServedEmulator

ACCOUNT = """type: virtual-account
name: {name}
secret_store_config:
  type: secret-store
  integration_fqn: acme:aws:parameter-store:prod
  secret_path: ci/{name}
"""
PRUNE = "version: 1\npaths: [accounts]\nprune: {enabled: true}\n"


def _repo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.email", "test@example.com")
    git(folder, "config", "user.name", "Test")
    write(folder / ".gitignore", ".reconciler/\n")
    return folder


def _put(emulator: ServedEmulator, name: str, tags: dict[str, str]) -> None:
    store = {"type": "secret-store", "integration_fqn": "acme:aws:parameter-store:prod", "secret_path": f"ci/{name}"}
    manifest = {"type": "virtual-account", "name": name, "tags": tags, "secret_store_config": store}
    body = {"manifest": manifest, "dryRun": False}
    emulator.admin("PUT", f"{API}/virtual-accounts", json=body).raise_for_status()


def test_a_submodule_in_a_plain_clone_stops_apply_and_its_accounts_survive(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    shared = _repo(tmp_path / "shared")
    write(shared / "one.yaml", ACCOUNT.format(name="sub-one"))
    commit_all(shared, "shared accounts")
    upstream = _repo(tmp_path / "upstream")
    write(upstream / "accounts" / "alpha.yaml", ACCOUNT.format(name="sup-alpha"))
    write(upstream / "reconciler.yaml", PRUNE + "ownership: {tag_value: va-reconciler:acme/submodules}\n")
    git(upstream, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(shared), "accounts/shared")
    commit_all(upstream, "with a submodule")
    # what the submodule defined, applied earlier by this repository
    _put(emulator, "sub-one", {"managed-by": "va-reconciler:acme/submodules"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(upstream), str(clone)], check=True)  # no --recurse-submodules
    assert list((clone / "accounts" / "shared").iterdir()) == []

    result = cli("apply", str(clone), "--today", TODAY, env=emulator.env)
    assert result.code == 1, result.out + result.err
    assert "accounts/shared:1:1: error: a Git submodule" in result.out
    assert "sub-one" in emulator.accounts()
    assert "sup-alpha" not in emulator.accounts()  # nothing is applied from a partial read
    at_ref = cli("validate", str(clone), "--ref", "HEAD", "--today", TODAY)
    assert at_ref.code == 1 and "accounts/shared:1:1: error: a Git submodule" in at_ref.out
    initialised = cli("validate", str(upstream), "--today", TODAY)  # checked out, with its own .git
    assert initialised.code == 1 and "accounts/shared:1:1: error: a Git submodule" in initialised.out


def test_a_ref_a_shallow_clone_lacks_is_a_usage_error_that_says_how_to_fetch(tmp_path: Path, cli: CliRunner) -> None:
    source = _repo(tmp_path / "source")
    for step in ("one", "two", "three"):
        write(source / "a.yaml", ACCOUNT.format(name="sh-bot") + f"tags: {{step: {step}}}\n")
        commit_all(source, step)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{source}", str(shallow)], check=True)
    for ref in ("HEAD~1", "HEAD^1"):
        result = cli("validate", str(shallow), "--ref", ref)
        assert result.code == 2, result.err  # a usage error (no --detailed-exitcode here)
        assert result.code not in (0, 3)
        assert f"Git ref '{ref}' names commit" in result.err and "this clone is shallow" in result.err
        assert "git fetch --deepen" in result.err and "fetch-depth: 0" in result.err
        assert "Traceback" not in result.err
    assert cli("validate", str(shallow), "--ref", "HEAD").code == 0


def test_repositories_in_sibling_subgroups_never_touch_each_others_accounts(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repos = {}
    for team in ("teama", "teamb"):
        repo = _repo(tmp_path / team)
        write(repo / "accounts" / "a.yaml", ACCOUNT.format(name=f"{team}-bot"))
        write(repo / "reconciler.yaml", PRUNE)
        commit_all(repo, "accounts")
        git(repo, "remote", "add", "origin", f"https://gitlab.example.com/{team}/infra/accounts.git")
        repos[team] = repo
    for team in ("teama", "teamb", "teama"):
        result = cli("apply", str(repos[team]), "--today", TODAY, env=emulator.env)
        assert result.code == 0, result.out + result.err
    live = emulator.accounts()
    assert (
        live["teama-bot"]["manifest"]["tags"]["managed-by"] == "va-reconciler:gitlab.example.com/teama/infra/accounts"
    )
    assert (
        live["teamb-bot"]["manifest"]["tags"]["managed-by"] == "va-reconciler:gitlab.example.com/teamb/infra/accounts"
    )
    plan = cli("plan", str(repos["teamb"]), "--today", TODAY, "--format", "json", env=emulator.env)
    assert [c["name"] for c in json.loads(plan.out)["changes"]] == ["teamb-bot"]


def test_one_repository_under_two_spellings_of_its_remote_is_one_owner(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repo = _repo(tmp_path / "accounts")
    write(repo / "accounts" / "a.yaml", ACCOUNT.format(name="spelled-bot"))
    write(repo / "reconciler.yaml", PRUNE)
    commit_all(repo, "accounts")
    git(repo, "remote", "add", "origin", "git@github.com:Acme/Accounts.git")
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0
    git(repo, "remote", "set-url", "origin", "https://ci-token@github.com/acme/accounts")
    again = cli("plan", str(repo), "--today", TODAY, "--detailed-exitcode", env=emulator.env)
    assert again.code == 0, again.out
    tag = emulator.accounts()["spelled-bot"]["manifest"]["tags"]["managed-by"]
    assert tag == "va-reconciler:github.com/acme/accounts"
    in_actions = cli("plan", str(repo), "--today", TODAY, "--detailed-exitcode", env={
        **emulator.env, "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "ACME/accounts",
        "GITHUB_SERVER_URL": "https://github.com"})  # fmt: skip
    assert in_actions.code == 0, in_actions.out


def test_a_changed_identity_is_named_with_its_migration_step(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repo = _repo(tmp_path / "accounts")
    write(repo / "accounts" / "a.yaml", ACCOUNT.format(name="old-tag-bot"))
    write(repo / "reconciler.yaml", PRUNE)
    commit_all(repo, "accounts")
    git(repo, "remote", "add", "origin", "https://github.com/acme/accounts.git")
    _put(emulator, "old-tag-bot", {"managed-by": "va-reconciler:acme/accounts"})  # the default before
    _put(emulator, "old-gone-bot", {"managed-by": "va-reconciler:acme/accounts"})  # left Git under the old tag
    result = cli("plan", str(repo), "--today", TODAY, env=emulator.env)
    assert result.code == 1
    assert (
        "an account named old-tag-bot carries managed-by=va-reconciler:acme/accounts, this repository's ownership "
        "identity before it became va-reconciler:github.com/acme/accounts" in " ".join(result.out.split())
    )
    assert "set ownership.tag_value: va-reconciler:acme/accounts in reconciler.yaml" in " ".join(result.out.split())
    assert "old-gone-bot" not in result.out  # never a delete
    assert sorted(emulator.accounts()) == ["old-gone-bot", "old-tag-bot"]


def test_without_a_remote_prune_and_adoption_wait_for_an_explicit_tag_value(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repo = _repo(tmp_path / "local")
    write(repo / "accounts" / "a.yaml", ACCOUNT.format(name="kept-bot"))
    write(repo / "accounts" / "b.yaml", ACCOUNT.format(name="gone-bot"))
    write(repo / "reconciler.yaml", PRUNE)
    commit_all(repo, "two")
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0  # creates need no identity
    (repo / "accounts" / "b.yaml").unlink()
    result = cli("apply", str(repo), "--today", TODAY, env=emulator.env)
    assert result.code == 1
    assert "not deleted: this repository has no remote, so it has no unique ownership identity" in " ".join(
        result.out.split()
    )
    assert "gone-bot" in emulator.accounts()


def test_an_unwritable_token_dir_creates_nothing_and_still_writes_the_report(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repo = _repo(tmp_path / "tokens")
    write(repo / "a.yaml", "type: virtual-account\nname: td-bot\nownedBy: {team: platform}\n")
    commit_all(repo, "bare")
    (tmp_path / "afile").write_text("a regular file\n")
    out = tmp_path / "report.json"
    result = cli("apply", str(repo), "--token-dir", str(tmp_path / "afile" / "tokens"), "--out", str(out),
                 "--today", TODAY, env=emulator.env)  # fmt: skip
    assert result.code == 1 and "Traceback" not in result.err
    assert "cannot be written (Not a directory)" in result.out
    assert "td-bot" not in emulator.accounts()
    report = json.loads(out.read_text())
    assert report["converged"] is False
    plan = cli("plan", str(repo), "--token-dir", str(tmp_path / "afile" / "tokens"), "--today", TODAY,
               env=emulator.env)  # fmt: skip
    assert plan.code == 1 and "blocked" in plan.out


def test_a_live_value_with_a_zero_width_space_is_shown_escaped(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repo = _repo(tmp_path / "zw")
    write(repo / "a.yaml", ACCOUNT.format(name="zw-bot") + "tags: {env: prod}\n")
    write(repo / "reconciler.yaml", "ownership: {tag_value: va-reconciler:acme/zw}\n")
    commit_all(repo, "zw")
    _put(emulator, "zw-bot", {"env": "prod\u200b", "managed-by": "va-reconciler:acme/zw"})
    result = cli("plan", str(repo), "--today", TODAY, env=emulator.env)
    assert '~ tags.env: "prod\\u200b" -> "prod"' in result.out
    write(repo / "a.yaml", ACCOUNT.format(name="zw-bot") + "tags: {env: prod\u200b}\n")
    refused = cli("validate", str(repo), "--today", TODAY)
    assert refused.code == 1
    assert "a.yaml:7:17: error: forbidden character U+200B (invisible format character zero width space)" in (
        refused.out
    )


@pytest.mark.parametrize("value", ["20261122", "2026-W47-7", "2026-11-22T00:00", "2026-02-30"])
def test_today_accepts_only_yyyy_mm_dd(tmp_path: Path, cli: CliRunner, value: str) -> None:
    result = cli("validate", str(tmp_path), "--today", value)
    assert result.code not in (0, 3)
    assert f"'{value}' is not a date in the format yyyy-mm-dd" in result.err


def _shared_path(name: str, path: str = "ci/shared-token") -> str:
    return ACCOUNT.format(name=name).replace(f"secret_path: ci/{name}", f"secret_path: {path}")


def test_two_accounts_syncing_to_one_secret_fail_validation_naming_both_places(tmp_path: Path, cli: CliRunner) -> None:
    repo = _repo(tmp_path / "repo")
    write(repo / "a.yaml", _shared_path("sp-one"))
    write(repo / "b.yaml", _shared_path("sp-two", "/ci/shared-token"))  # one path, spelled with a leading slash
    commit_all(repo, "two writers")
    result = cli("validate", str(repo), "--today", TODAY)
    assert result.code == 1, result.out
    assert (
        "b.yaml:6:16: error: its token syncs to secret store acme:aws:parameter-store:prod at ci/shared-token, as "
        "sp-one's does: each rotation of one overwrites the other's token (a.yaml:6:16)"
    ) in result.out


def test_a_rename_never_leaves_two_accounts_on_one_secret(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    repo = _repo(tmp_path / "repo")
    write(repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nownership: {tag_value: va-reconciler:acme/rn}\n")
    write(repo / "accounts" / "a.yaml", _shared_path("old-bot"))
    commit_all(repo, "old-bot")
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0
    write(repo / "accounts" / "a.yaml", _shared_path("new-bot"))
    commit_all(repo, "rename, prune off")
    kept = cli("apply", str(repo), "--today", TODAY, env=emulator.env)
    assert kept.code == 1, kept.out + kept.err
    assert "blocked       new-bot" in kept.out and "as old-bot's does" in kept.out
    assert set(emulator.accounts()) == {"old-bot"}

    write(repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nownership: {tag_value: va-reconciler:acme/rn}\n"
          "prune: {enabled: true}\n")  # fmt: skip
    commit_all(repo, "prune on: the rename hands the secret over")
    plan = cli("plan", str(repo), "--today", TODAY, env=emulator.env)
    assert "takes over secret store acme:aws:parameter-store:prod at ci/shared-token from old-bot" in plan.out
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0
    assert set(emulator.accounts()) == {"new-bot"}


def test_drift_reports_an_account_sharing_our_secret(tmp_path: Path, emulator: ServedEmulator, cli: CliRunner) -> None:
    repo = _repo(tmp_path / "repo")
    write(repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nownership: {tag_value: va-reconciler:acme/dr}\n")
    write(repo / "accounts" / "a.yaml", _shared_path("ours-bot"))
    commit_all(repo, "ours-bot")
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0
    store = {
        "type": "secret-store",
        "integration_fqn": "acme:aws:parameter-store:prod",
        "secret_path": "ci/shared-token",
    }
    clicked = {"type": "virtual-account", "name": "clicked-bot", "secret_store_config": store}
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": clicked}).raise_for_status()
    drift = cli("drift", str(repo), "--today", TODAY, "--detailed-exitcode", env=emulator.env)
    assert drift.code == 2
    assert "ours-bot" in drift.out and "as clicked-bot's does" in drift.out


def test_an_extended_date_does_not_keep_the_active_token_alive(
    tmp_path: Path, emulator: ServedEmulator, cli: CliRunner
) -> None:
    """The account's date moves to 2027-10-01, the token issued for 2027-01-20 stays as it was: plan says so,
    and once that day has passed drift reports the dead token although the account runs on."""
    repo = _repo(tmp_path / "repo")
    write(repo / "reconciler.yaml", "version: 1\npaths: [accounts]\nownership: {tag_value: va-reconciler:acme/ex}\n")
    write(repo / "accounts" / "a.yaml", ACCOUNT.format(name="exp-bot") + 'expiration_date: "2027-01-20"\n')
    commit_all(repo, "exp-bot")
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0
    write(repo / "accounts" / "a.yaml", ACCOUNT.format(name="exp-bot") + 'expiration_date: "2027-10-01"\n')
    commit_all(repo, "extend")
    plan = cli("plan", str(repo), "--today", TODAY, env=emulator.env)
    assert "extends expiration_date to 2027-10-01, but the active token keeps its own expiry, 2027-01-20" in plan.out
    assert cli("apply", str(repo), "--today", TODAY, env=emulator.env).code == 0
    early = cli("drift", str(repo), "--today", "2026-12-01", "--detailed-exitcode", env=emulator.env)
    assert early.code == 0, early.out  # 50 days ahead: beyond the 30-day warning
    soon = cli("drift", str(repo), "--today", "2027-01-10", "--detailed-exitcode", env=emulator.env)
    assert soon.code == 2 and "the active token expires in 10 days (2027-01-20)" in soon.out
    emulator.admin("POST", "/_emulator/clock", json={"now": "2027-01-25T12:00:00Z"}).raise_for_status()
    dead = cli("drift", str(repo), "--today", "2027-01-25", "--detailed-exitcode", env=emulator.env)
    assert dead.code == 2, dead.out
    assert "exp-bot" in dead.out and "the active token no longer works (expired or revoked)" in dead.out
