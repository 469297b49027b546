"""GitHub: the sticky plan comment, the apply report, the drift issue and the job summary, against a local
fake GitHub API that enforces authentication, pagination and the body limit, with the real CLI and the
served emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from reconciler.adapters.github.api import GitHub, GitHubError
from reconciler.adapters.github.context import context_from_env
from reconciler.app.github import publish_plan
from reconciler.domain.config import OwnershipTag, RepoConfig
from reconciler.domain.plan import Plan
from reconciler.domain.planner import PlanOptions, make_changes
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.values import Position
from reconciler.domain.vocabulary import Kind
from reconciler.render.views import COMMENT_BUDGET
from tests.acceptance.test_plan_apply import Reconciler, configure, stored
from tests.conftest import commit_all, write
from tests.emulator_process import API, ServedEmulator
from tests.fake_github import ACTIONS_TOKEN, FakeGitHub, serve

PR = 7
MARKER = "<!-- va-reconciler:plan -->"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


def actions_env(github: FakeGitHub, tmp_path: Path, event: dict[str, object] | None = None) -> dict[str, str]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event or {"pull_request": {"number": PR, "head": {"sha": "f" * 40}}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/accounts",
        "GITHUB_TOKEN": ACTIONS_TOKEN,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_SHA": "e" * 40,
        "GITHUB_RUN_ID": "42",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }


def with_env(reconciler: Reconciler, env: dict[str, str]) -> Reconciler:
    class InActions(Reconciler):
        def __call__(self, *args: str, token_dir: bool = True, timeout: float = 120):  # type: ignore[no-untyped-def]
            import os
            import subprocess
            import sys

            extra = ["--token-dir", str(self.token_dir)] if token_dir and {"plan", "apply"} & set(args) else []
            command = [sys.executable, "-m", "reconciler", *args, str(self.repo), "--today", "2026-11-22", *extra]
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, **self.emulator.env, **env})  # fmt: skip

    return InActions(reconciler.repo, reconciler.emulator, reconciler.token_dir)


def test_ten_plan_runs_leave_exactly_one_comment_updated_in_place(
    reconciler: Reconciler, git_repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    for index in range(120):  # our comment lands on page 2: lookup must paginate
        github.add_comment(PR, "someone", f"review note {index}")
    github.add_comment(PR, "someone", f"{MARKER} a look-alike posted by someone else")
    configure(git_repo)
    run = with_env(reconciler, actions_env(github, tmp_path))
    for index in range(10):
        write(git_repo / "accounts" / "a.yaml", stored("commented-bot", interval=30 + index))
        commit_all(git_repo, f"run {index}")
        result = run("plan", "--github-comment")
        assert result.returncode == 0, result.stdout + result.stderr
        assert ("created" if index == 0 else "updated") in result.stderr
    ours = [c for c in github.comments_on(PR) if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1
    # the last run's plan, not the first one's: one create (nothing was applied), rotating every 39 days
    assert "**Plan: 1 to create, 0 to update" in ours[0]["body"]
    assert "<summary>+ create <code>commented-bot</code>" in ours[0]["body"]
    assert github.writes("POST") == 1 and github.writes("PATCH") == 9
    impostor = [c for c in github.comments_on(PR) if "look-alike" in c["body"]]
    assert impostor[0]["body"].endswith("posted by someone else")
    summary = Path(tmp_path / "summary.md").read_text()
    assert summary.count("## va-reconciler plan") == 10
    outputs = Path(tmp_path / "output.txt").read_text()
    assert "has_changes=true" in outputs and "checksum=" in outputs


def test_a_5000_account_plan_posts_under_the_limit_with_a_truncation_notice(github: FakeGitHub, tmp_path: Path) -> None:
    """The plan comes from the planner, as in a run: 5,000 owned accounts whose owner tag changed in Git."""
    tag = OwnershipTag("managed-by", "x")
    desired, live = [], []
    for index in range(5000):
        name = f"bulk-{index:04d}"
        manifest = {"type": "virtual-account", "name": name, "tags": {"owner": "team-b" * 10}}
        desired.append(DesiredResource(Kind.VIRTUAL_ACCOUNT, name, manifest, Position(f"accounts/{name}.yaml", 2, 7)))
        held = {**manifest, "tags": {"owner": "team-a" * 10, "managed-by": "x"}}
        live.append(LiveResource(Kind.VIRTUAL_ACCOUNT, f"id{index}", name, held, "2026-11-01T00:00:00.000Z"))
    changes = make_changes(desired, live, RepoConfig(ownership=tag), PlanOptions(date(2026, 11, 22)))
    plan = Plan(changes=changes, control_plane="https://tfy.example", ownership=tag)
    context = context_from_env(actions_env(github, tmp_path), {"pull_request": {"number": PR}})
    publish_plan(plan, context, "", comment=True)
    [comment] = github.comments_on(PR)
    body = comment["body"]
    assert len(body.encode("utf-16-le")) // 2 <= COMMENT_BUDGET
    assert "**Plan: 0 to create, 5000 to update" in body
    assert "> **Truncated:** the details of" in body and "of 5000 accounts were left out" in body
    assert "[job summary](https://github.example/acme/accounts/actions/runs/42)" in body
    assert "`plan.json` artifact" in body
    summary = Path(tmp_path / "summary.md").read_bytes()
    assert len(summary) <= 1024 * 1024


def test_an_oversized_body_is_refused_by_the_fake_like_github(github: FakeGitHub, tmp_path: Path) -> None:
    """Guards the guard: the fake really enforces GitHub's limit."""
    client = GitHub(github.url, ACTIONS_TOKEN, "acme/accounts")
    with pytest.raises(GitHubError, match="422 Validation Failed Body is too long"):
        client.upsert_comment(PR, MARKER, "x" * 70_000)
    client.close()


def test_secondary_rate_limit_is_waited_out(github: FakeGitHub) -> None:
    waited: list[float] = []
    github.secondary_limit_once = True
    client = GitHub(github.url, ACTIONS_TOKEN, "acme/accounts", sleep=waited.append)
    assert client.upsert_comment(PR, MARKER, f"{MARKER} hi")[0] == "created"
    assert waited == [1.0]
    client.close()


def test_apply_reports_on_the_merged_pull_request(
    reconciler: Reconciler, git_repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("merged-bot"))
    sha = commit_all(git_repo, "merged")
    github.commit_pulls[sha] = [{"number": 12, "merged_at": "2026-11-22T00:00:00Z"}]
    env = {**actions_env(github, tmp_path, {}), "GITHUB_SHA": sha}
    result = with_env(reconciler, env)("apply", "--github-report")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply report created on pull request #12." in result.stderr
    [comment] = github.comments_on(12)
    assert "Applied: the control plane matches main\\." in comment["body"]
    assert "merged\\-bot" in comment["body"]
    assert "va-reconciler apply" in Path(tmp_path / "summary.md").read_text()


def test_drift_issue_opens_stays_untouched_updates_and_closes(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("drifting-bot"))
    commit_all(git_repo, "a")
    assert reconciler("apply").returncode == 0
    run = with_env(reconciler, actions_env(github, tmp_path, {}))

    clean = run("drift", "--github-issue", "--detailed-exitcode")
    assert clean.returncode == 0 and "No drift, and no open drift issue." in clean.stderr
    assert github.issues == {}

    def edit(interval: int) -> None:
        manifest = emulator.accounts()["drifting-bot"]["manifest"]
        changed = {**manifest, "auto_rotate": {"auto_rotate_interval": interval, "grace_period": 3}}
        emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": changed}).raise_for_status()

    edit(45)
    emulator.admin("DELETE", "/_emulator/stats")
    opened = run("drift", "--github-issue", "--detailed-exitcode")
    assert opened.returncode == 2, opened.stdout + opened.stderr
    assert set(emulator.requests()) == {"GET /virtual-accounts", "GET /role-bindings"}  # read-only
    [issue] = github.issues.values()
    assert issue["labels"] == ["drift"] and issue["state"] == "open"
    assert "Modified out of band" in issue["body"] and "<code>drifting-bot</code>" in issue["body"]

    patches = github.writes("PATCH")
    same = run("drift", "--github-issue", "--detailed-exitcode")
    assert same.returncode == 2 and "left as it is" in same.stderr
    assert github.writes("PATCH") == patches

    edit(60)
    changed = run("drift", "--github-issue")
    assert "updated" in changed.stderr and github.writes("PATCH") == patches + 1

    assert reconciler("apply").returncode == 0
    cleared = run("drift", "--github-issue", "--detailed-exitcode")
    assert cleared.returncode == 0 and "closed" in cleared.stderr
    assert issue["state"] == "closed"


def test_drift_reports_every_kind(reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("kept-bot") + 'expiration_date: "2026-12-01"\n')
    write(git_repo / "accounts" / "b.yaml", stored("vanishing-bot"))
    commit_all(git_repo, "two")
    assert reconciler("apply").returncode == 0
    account = emulator.accounts()["vanishing-bot"]
    emulator.admin("DELETE", f"{API}/virtual-accounts/{account['id']}").raise_for_status()
    clicked = {"type": "virtual-account", "name": "clicked-bot", "ownedBy": {"team": "data"}}
    emulator.admin("PUT", f"{API}/virtual-accounts", json={"manifest": clicked}).raise_for_status()
    report = git_repo.parent / "drift.json"
    result = reconciler("drift", "--detailed-exitcode", "--out", str(report))
    assert result.returncode == 2
    kinds = {(f["kind"], f["name"]) for f in json.loads(report.read_text())["findings"]}
    assert kinds == {("expiring", "kept-bot"), ("missing", "vanishing-bot"), ("unmanaged", "clicked-bot")}


def test_canary_tokens_never_reach_github(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("canary-gh"))
    sha = commit_all(git_repo, "a")
    github.commit_pulls[sha] = [{"number": PR, "merged_at": "2026-11-22T00:00:00Z"}]
    env = {**actions_env(github, tmp_path), "GITHUB_SHA": sha}
    run = with_env(reconciler, env)
    outputs = [run("--debug", "plan", "--github-comment"), run("--debug", "apply", "--github-report"),
               run("--debug", "drift", "--github-issue")]  # fmt: skip
    texts = [r.stdout + r.stderr for r in outputs]
    texts += [c["body"] for c in github.comments.values()] + [i["body"] for i in github.issues.values()]
    texts += [Path(tmp_path / "summary.md").read_text(), Path(tmp_path / "output.txt").read_text()]
    tokens = emulator.all_tokens()
    assert tokens
    assert not [t for t in tokens for text in texts if t in text]


def test_the_comment_author_can_be_named_for_app_tokens(github: FakeGitHub) -> None:
    github.add_comment(PR, "someone", f"{MARKER} an earlier plan")
    client = GitHub(github.url, "ghp_someone", "acme/accounts", login="someone")
    assert client.upsert_comment(PR, MARKER, f"{MARKER} the new plan")[0] == "updated"
    assert [c["body"] for c in github.comments_on(PR)] == [f"{MARKER} the new plan"]
    assert ("GET", "/user") not in github.log  # the given login is trusted, not looked up
    client.close()


def test_errors_in_the_comment_link_to_the_file_and_line_at_the_head_commit(
    reconciler: Reconciler, git_repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(
        git_repo / "accounts" / "a.yaml",
        "# a comment line\n" + stored("rejected-bot").replace("team: data", "team: nobody"),
    )
    commit_all(git_repo, "a")
    result = with_env(reconciler, actions_env(github, tmp_path))("plan", "--github-comment")
    assert result.returncode == 1
    [comment] = github.comments_on(PR)
    link = f"(https://github.example/acme/accounts/blob/{'f' * 40}/accounts/a.yaml#L2)"
    assert f"[accounts/a\\.yaml:2:1]{link}: the control plane rejects it" in comment["body"]
