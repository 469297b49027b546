"""Safety under races and in CI, against the served emulator: no write the plan did not show, apply only where
it may run, and "converged" only when a plan made afterwards says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.test_plan_apply import Reconciler, bare, configure, stored, token_of
from tests.conftest import TODAY, commit_all, git, write
from tests.emulator_process import ADMIN, API, ServedEmulator
from tests.fake_github import ACTIONS_TOKEN, FakeGitHub, serve

FOREIGN = {"owner": "someone-else"}


def _put_many(emulator: ServedEmulator, manifests: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30) as client:
        for manifest in manifests:
            client.put(f"{API}/virtual-accounts", json={"manifest": manifest}).raise_for_status()


def _account(name: str, team: str = "data", **fields: Any) -> dict[str, Any]:
    return {"type": "virtual-account", "name": name, "ownedBy": {"team": team}, **fields}


# -- 1 and 2: a create never writes to an account it did not plan; listings are proven ----------------------


def test_an_account_hidden_by_a_listing_race_is_never_written(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    """1,001 accounts; between the two pages of the listing one is deleted and one created, so the count still
    adds up while `race-bot` (someone else's, untagged, named like a manifest) slides out of the first reading.
    The second reading disagrees, the plan reads again, sees `race-bot`, and calls it a conflict."""
    configure(git_repo)
    write(git_repo / "accounts" / "race.yaml", bare("race-bot"))
    commit_all(git_repo, "race-bot")
    _put_many(emulator, [_account(f"filler-{i:04d}") for i in range(1000)] + [_account("race-bot", tags=FOREIGN)])
    race = {"offset": 1000, "delete": "filler-0000", "create": _account("zulu-bot")}
    emulator.admin("POST", "/_emulator/listing-race", json=race).raise_for_status()
    applied = reconciler("apply")
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "conflict" in applied.stdout and "race-bot" in applied.stdout
    held = emulator.accounts()["race-bot"]["manifest"]
    assert held["tags"] == FOREIGN and "permissions" not in held  # untouched
    assert not reconciler.token_dir.exists() or list(reconciler.token_dir.iterdir()) == []
    assert emulator.requests()["GET /virtual-accounts"] >= 6  # the raced reading, then two more that agree


def test_an_account_created_between_plan_and_apply_is_left_alone(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", bare("late-bot"))
    write(git_repo / "accounts" / "b.yaml", stored("late-stored-bot"))
    commit_all(git_repo, "two")
    plan_file = tmp_path / "plan.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0
    _put_many(emulator, [_account("late-bot", tags=FOREIGN), _account("late-stored-bot", tags=FOREIGN)])
    applied = reconciler("apply", "--plan", str(plan_file))
    assert applied.returncode == 1
    live = emulator.accounts()
    assert live["late-bot"]["manifest"]["tags"] == FOREIGN == live["late-stored-bot"]["manifest"]["tags"]
    assert not (reconciler.token_dir / "late-bot.token").exists()
    forced = reconciler("apply")  # without the reviewed plan: a fresh plan sees them, as conflicts
    assert forced.returncode == 1 and forced.stdout.count("conflict") >= 2
    assert emulator.accounts()["late-bot"]["manifest"]["tags"] == FOREIGN


# -- 3: visibility ----------------------------------------------------------------------------------------------


def test_a_name_this_credential_cannot_see_is_a_conflict_not_a_create(
    git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    """The plan credential (a non-admin account of team platform) sees its team's accounts only (the emulator's
    [I] rule); `hidden-bot` of team data exists. Planning a create of it would upsert an account nobody saw."""
    created = emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": _account("planner", "platform")})
    planner_token = created.json()["token"]
    _put_many(emulator, [_account("hidden-bot", "data")])
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", bare("hidden-bot"))
    commit_all(git_repo, "hidden-bot")
    env = {**os.environ, "TFY_HOST": emulator.url, "TFY_API_KEY": planner_token}
    command = [sys.executable, "-m", "reconciler", "plan", str(git_repo), "--today", TODAY,
               "--token-dir", str(tmp_path / "tokens")]  # fmt: skip
    planned = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "! conflict      hidden-bot" in planned.stdout
    assert "the name hidden-bot is taken by a virtual account this credential cannot see" in planned.stdout
    assert planner_token not in planned.stdout + planned.stderr


def test_a_read_only_credential_plans_without_dry_runs(
    git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    created = emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": _account("reader", "data")})
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("fresh-bot"))
    commit_all(git_repo, "fresh-bot")
    env = {**os.environ, "TFY_HOST": emulator.url, "TFY_API_KEY": created.json()["token"]}
    command = [sys.executable, "-m", "reconciler", "plan", str(git_repo), "--today", TODAY]
    planned = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "+ create        fresh-bot" in planned.stdout
    assert "not dry-run: this credential may not write (403)" in planned.stdout


# -- 4: apply is gated by where it runs ------------------------------------------------------------------------


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


def _actions(github: FakeGitHub, tmp_path: Path, event_name: str, event: dict[str, Any], ref: str) -> dict[str, str]:
    path = tmp_path / f"{event_name}.json"
    path.write_text(json.dumps(event))
    return {"GITHUB_ACTIONS": "true", "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": "acme/accounts",
            "GITHUB_TOKEN": ACTIONS_TOKEN, "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(path),
            "GITHUB_REF": ref, "GITHUB_SHA": "e" * 40, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output")}  # fmt: skip


def _run(reconciler: Reconciler, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reconciler", *args, str(reconciler.repo), "--today", TODAY,
               "--token-dir", str(reconciler.token_dir)]  # fmt: skip
    full = {**os.environ, **reconciler.emulator.env, **env}
    return subprocess.run(command, capture_output=True, text=True, env=full, timeout=120)


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_apply_refuses_a_pull_request_event(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, github: FakeGitHub, tmp_path: Path,
    event_name: str,
) -> None:  # fmt: skip
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("pr-bot"))
    commit_all(git_repo, "pr-bot")
    env = _actions(github, tmp_path, event_name, {"pull_request": {"number": 3}}, "refs/pull/3/merge")
    refused = _run(reconciler, env, "apply", "--skip-ref-check")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"apply refuses to run in a {event_name} event" in refused.stderr
    assert emulator.requests().get("GET /virtual-accounts") is None  # refused before reading anything
    assert "pr-bot" not in emulator.accounts()


def test_apply_refuses_another_branch_than_the_default(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("main-bot"))
    commit_all(git_repo, "main-bot")
    git(git_repo, "remote", "add", "origin", str(origin))
    git(git_repo, "push", "-q", "origin", "main")
    git(git_repo, "remote", "set-head", "origin", "main")
    git(git_repo, "checkout", "-q", "-b", "feature")
    write(git_repo / "accounts" / "b.yaml", stored("feature-bot"))
    commit_all(git_repo, "feature-bot")
    refused = reconciler("apply")
    assert refused.returncode == 1
    assert "apply converges the control plane to main, but this run applies feature" in refused.stderr
    assert emulator.accounts() == {}
    assert reconciler("apply", "--ref", "main").returncode == 0  # the default branch, named
    assert set(emulator.accounts()) == {"main-bot"}
    told = reconciler("apply", "--skip-ref-check")
    assert told.returncode == 0, told.stdout + told.stderr
    assert set(emulator.accounts()) == {"main-bot", "feature-bot"}
    write(git_repo / "reconciler.yaml", (git_repo / "reconciler.yaml").read_text() + "apply: {branch: feature}\n")
    commit_all(git_repo, "this repository deploys from feature")
    assert reconciler("apply").returncode == 0  # apply.branch names the branch


def test_in_actions_an_older_commit_never_applies_over_the_tip(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("tip-bot", interval=90))
    older = commit_all(git_repo, "older")
    push = {"ref": "refs/heads/main", "repository": {"full_name": "acme/accounts", "default_branch": "main"}}
    env = _actions(github, tmp_path, "push", push, "refs/heads/main")
    github.branches["main"] = "f" * 40  # main has moved on since this run's commit
    stale = _run(reconciler, env, "apply")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert f"main has moved on to ffffffffffff since this run's commit {older[:12]}" in stale.stderr
    assert emulator.accounts() == {}
    github.branches["main"] = older
    assert _run(reconciler, env, "apply").returncode == 0
    assert set(emulator.accounts()) == {"tip-bot"}
    elsewhere = _actions(github, tmp_path, "push", {**push, "ref": "refs/heads/hotfix"}, "refs/heads/hotfix")
    refused = _run(reconciler, elsewhere, "apply")
    assert refused.returncode == 1 and "but this run applies hotfix" in refused.stderr


# -- 5: converged is measured; two applies at once --------------------------------------------------------------


def _clone_with(tmp_path: Path, source: Path, name: str, interval: int) -> Path:
    target = tmp_path / name
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    for index in range(12):
        write(target / "accounts" / f"c{index}.yaml", stored(f"race-{index:02d}", interval=interval))
    git(target, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", name)
    return target


def test_two_applies_at_once_never_both_claim_convergence_on_different_states(
    git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    configure(git_repo)  # one ownership tag value: both clones own the same accounts
    for index in range(12):
        write(git_repo / "accounts" / f"c{index}.yaml", stored(f"race-{index:02d}", interval=60))
    commit_all(git_repo, "base")
    assert Reconciler(git_repo, emulator, tmp_path / "t0")("apply").returncode == 0
    ninety, one_twenty = (
        _clone_with(tmp_path, git_repo, "ninety", 90),
        _clone_with(tmp_path, git_repo, "one-twenty", 120),
    )
    emulator.admin("POST", "/_emulator/faults", json={"method": "*", "path": ".*", "latencyMs": 30, "times": 100_000})
    runs = [Reconciler(repo, emulator, tmp_path / f"t-{repo.name}").popen("apply") for repo in (ninety, one_twenty)]
    outputs = [run.communicate(timeout=240)[0] for run in runs]
    codes = [run.returncode for run in runs]
    emulator.clear_faults()
    intervals = {a["manifest"]["auto_rotate"]["auto_rotate_interval"] for a in emulator.accounts().values()}
    assert codes != [0, 0] or len(intervals) == 1, (codes, intervals, outputs)
    for code, wanted, output in zip(codes, (90, 120), outputs, strict=True):
        if code == 0:  # a run that claims convergence is right about the state it leaves
            assert intervals == {wanted}, output
        else:
            assert "NOT converged" in output
    assert codes != [0, 0]  # the two wanted different states: at most one can have converged


def test_two_identical_applies_at_once_leave_nothing_pending(
    git_repo: Path, emulator: ServedEmulator, tmp_path: Path
) -> None:
    configure(git_repo)
    for index in range(8):
        write(git_repo / "accounts" / f"b{index}.yaml", bare(f"twin-{index}"))
    commit_all(git_repo, "eight token-dir accounts")
    emulator.admin("POST", "/_emulator/faults", json={"method": "*", "path": ".*", "latencyMs": 30, "times": 100_000})
    runs = [Reconciler(git_repo, emulator, tmp_path / f"tokens-{i}").popen("apply") for i in (1, 2)]
    codes = [(run.communicate(timeout=240), run.returncode)[1] for run in runs]
    emulator.clear_faults()
    live = emulator.accounts()
    assert sorted(live) == [f"twin-{i}" for i in range(8)]
    delivered = {p.stem: p.read_text() for i in (1, 2) for p in (tmp_path / f"tokens-{i}").glob("*.token")}
    rerun = [Reconciler(git_repo, emulator, tmp_path / f"tokens-{i}")("apply") for i in (1, 2)]
    assert [r.returncode for r in rerun] == [0, 0], [r.stdout for r in rerun]
    for name in live:  # every token reached one of the two folders, and is the account's own
        found = [(tmp_path / f"tokens-{i}" / f"{name}.token") for i in (1, 2)]
        tokens = {path.read_text() for path in found if path.exists()}
        assert tokens == {token_of(emulator, name)}, (name, codes, delivered.get(name))
    assert all("va-reconciler-token-delivery" not in (a["manifest"].get("tags") or {}) for a in live.values())


# -- 7: token directory hygiene ------------------------------------------------------------------------------


def test_a_token_file_left_by_an_earlier_account_blocks_the_create(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", bare("reused-name"))
    commit_all(git_repo, "reused-name")
    reconciler.token_dir.mkdir(parents=True)
    (reconciler.token_dir / "reused-name.token").write_text("the token of an account deleted long ago")
    planned = reconciler("plan")
    assert planned.returncode == 1
    assert "x blocked       reused-name" in planned.stdout
    assert "--token-dir already holds reused-name.token, left by an earlier account of this name" in planned.stdout
    assert reconciler("apply").returncode == 1 and emulator.accounts() == {}
    (reconciler.token_dir / "reused-name.token").unlink()
    assert reconciler("apply").returncode == 0
    assert (reconciler.token_dir / "reused-name.token").read_text() == token_of(emulator, "reused-name")


def test_a_token_dir_inside_the_work_tree_is_refused_unless_git_ignores_it(
    git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", bare("tree-bot"))
    commit_all(git_repo, "tree-bot")
    inside = Reconciler(git_repo, emulator, git_repo / "tokens")
    refused = inside("apply")
    assert refused.returncode == 1
    assert f"--token-dir {git_repo / 'tokens'} is inside the Git work tree" in refused.stdout
    assert emulator.accounts() == {} and not (git_repo / "tokens").exists()
    write(git_repo / ".gitignore", "tokens/\n")
    commit_all(git_repo, "ignore the token folder")
    assert inside("apply").returncode == 0
    assert git(git_repo, "status", "--porcelain") == ""  # nothing a `git add -A` would pick up


def test_prune_removes_the_token_file_of_a_deleted_account(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo, prune=True)
    write(git_repo / "accounts" / "a.yaml", bare("short-lived"))
    write(git_repo / "accounts" / "b.yaml", bare("long-lived"))
    commit_all(git_repo, "two")
    assert reconciler("apply").returncode == 0
    (git_repo / "accounts" / "a.yaml").unlink()
    commit_all(git_repo, "one left")
    pruned = reconciler("apply")
    assert pruned.returncode == 0, pruned.stdout
    assert f"deleted; its token file {reconciler.token_dir / 'short-lived.token'} removed" in pruned.stdout
    assert sorted(p.name for p in reconciler.token_dir.iterdir()) == ["long-lived.token"]
