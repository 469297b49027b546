"""Faults injected by the served emulator: transient errors, Retry-After, lost responses, a crash after every
request, listing failures; and the canary: no token value ever shows up in anything we print or write."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from reconciler.domain.ownership import TOKEN_DELIVERY_TAG
from tests.acceptance.test_plan_apply import (
    Reconciler,
    assert_converged,
    bare,
    configure,
    stored,
    token_of,
)
from tests.conftest import commit_all, write
from tests.emulator_process import API, ServedEmulator


def test_consecutive_503s_then_success_converge(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("flaky-bot"))
    commit_all(git_repo, "a")
    emulator.fault(method="GET", path="/virtual-accounts$", status=503, times=3)
    emulator.fault(method="PUT", path="/virtual-accounts$", status=502, times=2)  # the dry run
    applied = reconciler("apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert list(emulator.accounts()) == ["flaky-bot"]
    assert_converged(reconciler)


def test_persistent_503s_fail_clearly_without_claiming_success(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("down-bot"))
    commit_all(git_repo, "a")
    emulator.fault(method="GET", path="/virtual-accounts$", status=503, retryAfter="0", times=100)
    applied = reconciler("apply")
    assert applied.returncode == 1
    assert "error: GET /virtual-accounts: 503 injected fault" in applied.stderr
    assert "applied" not in applied.stdout and "converged" not in applied.stdout
    assert "Traceback" not in applied.stderr


def test_retry_after_is_honoured(reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "empty.yaml", "# no accounts yet\n")
    commit_all(git_repo, "empty")
    emulator.fault(method="GET", path="/virtual-accounts$", status=429, retryAfter="2", times=1)
    started = time.monotonic()
    planned = reconciler("plan")
    assert planned.returncode == 0, planned.stderr
    assert time.monotonic() - started >= 2.0  # waited as told before the retry
    assert emulator.requests()["GET /virtual-accounts"] == 3  # the refused one, then two readings that agree


@pytest.mark.parametrize("destination", ["token-dir", "secret-store"])
def test_a_create_whose_response_is_lost_yields_one_account_and_a_delivered_token(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, destination: str
) -> None:
    configure(git_repo)
    manifest = bare("lost-bot") if destination == "token-dir" else stored("lost-bot")
    write(git_repo / "accounts" / "a.yaml", manifest)
    commit_all(git_repo, "a")
    # The dry run goes through; the real create commits and its response is dropped.
    emulator.fault(method="PUT", path="/virtual-accounts$", dropResponse=True, skip=1, times=1)
    applied = reconciler("apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "response lost" in applied.stdout
    assert list(emulator.accounts()) == ["lost-bot"]
    if destination == "token-dir":
        assert (reconciler.token_dir / "lost-bot.token").read_text() == token_of(emulator, "lost-bot")
    else:
        [entry] = emulator.admin("GET", "/_emulator/secret-store").json()
        assert entry["account"] == "lost-bot"
    assert_converged(reconciler)


def _base_state(tmp_path: Path, repo: Path) -> tuple[Path, Path]:
    """A control plane holding `updated-bot` and `removed-bot`, and the database files it lives in."""
    db = tmp_path / "base" / "cp.db"
    server = ServedEmulator(db)
    try:
        configure(repo, prune=True)
        write(repo / "accounts" / "u.yaml", stored("updated-bot"))
        write(repo / "accounts" / "d.yaml", stored("removed-bot"))
        commit_all(repo, "base")
        base = Reconciler(repo, server, tmp_path / "base-tokens")
        assert base("apply").returncode == 0
    finally:
        server.stop()
    write(repo / "accounts" / "u.yaml", stored("updated-bot", interval=150))
    (repo / "accounts" / "d.yaml").unlink()
    write(repo / "accounts" / "x.yaml", bare("created-to-dir"))
    write(repo / "accounts" / "y.yaml", stored("created-to-store"))
    commit_all(repo, "next")
    return db, repo


def _copy_database(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", target / f"cp.db{suffix}")
    return target / "cp.db"


def _requests_of_a_clean_apply(base_db: Path, repo: Path, tmp_path: Path) -> int:
    server = ServedEmulator(_copy_database(base_db, tmp_path / "clean"))
    try:
        assert Reconciler(repo, server, tmp_path / "tokens-clean")("apply").returncode == 0
        return sum(server.requests().values())
    finally:
        server.stop()


def _tokens_per_account(db: Path) -> dict[str, int]:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT a.name, COUNT(j.id) FROM accounts a JOIN jwts j ON j.account_id = a.id "
                                  "GROUP BY a.name").fetchall()  # fmt: skip
    finally:
        connection.close()
    return {str(name): int(count) for name, count in rows}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["before-processing", "after-processing"])
def test_an_apply_killed_at_any_request_converges_on_rerun(git_repo: Path, tmp_path: Path, mode: str) -> None:
    """Kill the apply at every request of a small scenario (an update, a delete, a create whose token goes to
    --token-dir, one synced by the control plane): while the request hangs unprocessed, or once the server has
    done the work and before the client hears of it (between a create and its token's delivery, among others).
    The next run delivers every token exactly once, creates nothing twice and converges."""
    base_db, repo = _base_state(tmp_path, git_repo)
    total = _requests_of_a_clean_apply(base_db, repo, tmp_path)
    assert 10 < total < 40, total
    with ThreadPoolExecutor(max_workers=4) as pool:  # each step has its own control plane and token folder
        list(pool.map(lambda k: _kill_at(k, mode, base_db, repo, tmp_path), range(total)))


def _kill_at(k: int, mode: str, base_db: Path, repo: Path, tmp_path: Path) -> None:
    db = _copy_database(base_db, tmp_path / f"{mode}-{k}")
    server = ServedEmulator(db)
    try:
        reconciler = Reconciler(repo, server, tmp_path / f"tokens-{mode}-{k}")
        if mode == "after-processing":
            server.fault(method="*", path=".*", skip=k, times=1, holdResponse=True)
        else:
            server.fault(method="*", path=".*", skip=k, times=1000, latencyMs=20_000, status=503)
        process = reconciler.popen("apply")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            stats = server.admin("GET", "/_emulator/stats").json()
            if stats["held"] or (mode == "before-processing" and stats["requests"] > k):
                break
            time.sleep(0.05)
        assert process.poll() is None, f"{mode} k={k}: the apply ended before request {k + 1}"
        process.kill()  # SIGKILL: nothing of the run's own cleanup happens
        process.communicate(timeout=30)
        server.clear_faults()
        rerun = reconciler("apply")
        assert rerun.returncode == 0, f"{mode} k={k}:\n{rerun.stdout}{rerun.stderr}"
        assert_converged(reconciler)
        assert set(server.accounts()) == {"updated-bot", "created-to-dir", "created-to-store"}, f"k={k}"
        token_file = reconciler.token_dir / "created-to-dir.token"
        assert token_file.read_text() == token_of(server, "created-to-dir"), f"{mode} k={k}"
        assert sorted(p.name for p in reconciler.token_dir.iterdir()) == ["created-to-dir.token"], f"k={k}"
        assert "created-to-store" in {e["account"] for e in server.admin("GET", "/_emulator/secret-store").json()}
    finally:
        server.kill()  # thrown away: no graceful wait for the held request
    issued = _tokens_per_account(db)
    assert issued["created-to-dir"] == 1 and issued["created-to-store"] == 1, f"{mode} k={k}: {issued}"


def test_prune_is_off_by_default(reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("kept-bot"))
    commit_all(git_repo, "a")
    assert reconciler("apply").returncode == 0
    (git_repo / "accounts" / "a.yaml").unlink()
    commit_all(git_repo, "removed from git")
    planned = reconciler("plan", "--detailed-exitcode")
    assert planned.returncode == 0
    assert "owned by this repository but no longer in Git; prune is off, so it stays" in planned.stdout
    assert reconciler("apply").returncode == 0
    assert list(emulator.accounts()) == ["kept-bot"]


def test_mass_delete_is_refused_without_the_flag(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo, prune=True, max_deletes=1)
    for name in ("one-bot", "two-bot", "three-bot"):
        write(git_repo / "accounts" / f"{name}.yaml", stored(name))
    commit_all(git_repo, "three")
    assert reconciler("apply").returncode == 0
    (git_repo / "accounts" / "one-bot.yaml").unlink()
    (git_repo / "accounts" / "two-bot.yaml").unlink()
    commit_all(git_repo, "remove two")
    refused = reconciler("apply")
    assert refused.returncode == 1
    assert "would delete 2 accounts, more than prune.max_deletes=1 (pass --allow-mass-delete)" in refused.stdout
    assert set(emulator.accounts()) == {"one-bot", "two-bot", "three-bot"}
    allowed = reconciler("apply", "--allow-mass-delete")
    assert allowed.returncode == 0
    assert set(emulator.accounts()) == {"three-bot"}


def test_emptied_repository_never_prunes_everything(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo, prune=True, max_deletes=10)
    write(git_repo / "accounts" / "a.yaml", stored("last-bot"))
    commit_all(git_repo, "a")
    assert reconciler("apply").returncode == 0
    (git_repo / "accounts" / "a.yaml").unlink()
    write(git_repo / "accounts" / "README.yaml", "# nothing here\n")
    commit_all(git_repo, "empty")
    refused = reconciler("apply")
    assert refused.returncode == 1 and "Git holds no account at all" in refused.stdout
    assert list(emulator.accounts()) == ["last-bot"]


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "times": 100},
        {"status": 200, "body": {"data": [], "pagination": {"total": 2}}, "times": 100},
    ],
    ids=["listing-fails", "listing-partial"],
)
def test_a_failed_or_partial_listing_deletes_nothing(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, fault: dict[str, object]
) -> None:
    configure(git_repo, prune=True)
    write(git_repo / "accounts" / "a.yaml", stored("safe-bot"))
    write(git_repo / "accounts" / "b.yaml", stored("also-safe-bot"))
    commit_all(git_repo, "two")
    assert reconciler("apply").returncode == 0
    emulator.admin("DELETE", "/_emulator/stats")
    emulator.fault(method="GET", path="/virtual-accounts$", retryAfter="0", **fault)
    applied = reconciler("apply")
    assert applied.returncode == 1
    assert "DELETE /virtual-accounts/{id}" not in emulator.requests()
    emulator.clear_faults()
    assert set(emulator.accounts()) == {"safe-bot", "also-safe-bot"}


def test_canary_tokens_never_appear_in_output_files_or_logs(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator
) -> None:
    configure(git_repo, prune=True)
    write(git_repo / "accounts" / "a.yaml", bare("canary-dir"))
    write(git_repo / "accounts" / "b.yaml", stored("canary-store"))
    write(git_repo / "accounts" / "c.yaml", bare("canary-lost"))
    commit_all(git_repo, "canaries")
    outputs: list[str] = []
    plan_file, report = git_repo.parent / "plan.json", git_repo.parent / "report.json"
    planned = reconciler("--debug", "plan", "--out", str(plan_file))
    outputs += [planned.stdout, planned.stderr, plan_file.read_text()]
    emulator.fault(method="PUT", path="/virtual-accounts$", dropResponse=True, skip=3, times=1)
    applied = reconciler("--debug", "apply", "--plan", str(plan_file), "--out", str(report))
    outputs += [applied.stdout, applied.stderr, report.read_text()]
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # A failing delivery: a run crashed before delivering canary-refused's token (it is still pending), and the
    # token file holds something else; recovering it fails, and the error must not quote the token.
    write(git_repo / "accounts" / "d.yaml", bare("canary-refused"))
    commit_all(git_repo, "one more")
    crashed = {**yaml.safe_load(bare("canary-refused")),
               "tags": {"managed-by": "va-reconciler:acme/test", TOKEN_DELIVERY_TAG: "pending"}}  # fmt: skip
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": crashed}).raise_for_status()
    (reconciler.token_dir / "canary-refused.token").write_text("someone else's token")
    rerun = reconciler("--debug", "apply")
    outputs += [rerun.stdout, rerun.stderr]
    assert rerun.returncode == 1 and "already holds a different token" in rerun.stdout
    tokens = emulator.all_tokens()
    assert len(tokens) == 4
    assert "DEBUG" in "".join(outputs)  # debug logging was really on
    for token in tokens:
        for text in outputs:
            assert token not in text
    assert json.loads(plan_file.read_text())["changes"]
