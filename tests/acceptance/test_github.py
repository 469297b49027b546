"""GitHub: the sticky plan comment, the apply report, the drift issue and the job summary, against a local
fake GitHub API that enforces authentication, pagination and the body limit, with the real CLI and the
served emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reconciler.adapters.github.api import GitHub, GitHubError
from reconciler.adapters.github.context import context_from_env
from reconciler.adapters.retry import RetryPolicy
from reconciler.app.github import _post_plan, publish_plan
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
from tests.fake_github import ACTIONS_TOKEN, APP_TOKEN, FakeGitHub, serve

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
    comment_posts = [path for method, path in github.log if method == "POST" and path.endswith("/comments")]
    assert len(comment_posts) == 1 and github.writes("PATCH") == 9
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
    elsewhere = (
        "see the [job summary](https://github.example/acme/accounts/actions/runs/42) and the `plan.json` artifact."
    )
    shown = body.count("<details><summary>")
    assert f"- … and {5000 - shown} more account details: {elsewhere}" in body
    changes = body.count("| \\~ | update |")
    assert f"- … and {5000 - changes} more changes: {elsewhere}" in body
    summary = Path(tmp_path / "summary.md").read_bytes()
    assert len(summary) <= 1024 * 1024


def test_an_oversized_body_is_refused_by_the_fake_like_github(github: FakeGitHub, tmp_path: Path) -> None:
    """Guards the guard: the fake really enforces GitHub's limit."""
    client = GitHub(github.url, ACTIONS_TOKEN, "acme/accounts")
    with pytest.raises(GitHubError, match="422 Validation Failed Body is too long"):
        client.upsert_comment(PR, MARKER, "x" * 70_000)
    client.close()


def test_apply_reports_on_the_merged_pull_request(
    reconciler: Reconciler, git_repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("merged-bot"))
    sha = commit_all(git_repo, "merged")
    github.merged(sha, 12)
    env = {**actions_env(github, tmp_path, {}), "GITHUB_SHA": sha}
    result = with_env(reconciler, env)("apply", "--github-report")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply report created on pull request #12." in result.stderr
    [comment] = github.comments_on(12)
    assert "Applied: all 1 change\\(s\\) of this pull request\\." in comment["body"]
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
    github.merged(sha, PR)
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


# -- issue 19: the GitHub conversation when things go wrong --------------------------------------------------


def client(github: FakeGitHub, token: str = ACTIONS_TOKEN, **options: Any) -> GitHub:
    return GitHub(github.url, token, "acme/accounts", **options)


def test_a_comment_created_but_answered_502_is_found_not_posted_again(github: FakeGitHub) -> None:
    github.lost_creates = 1
    lines: list[str] = []
    with client(github, notify=lines.append, sleep=lambda _: None) as gh:
        posted = gh.upsert_comment(PR, MARKER, f"{MARKER} the plan")
    [comment] = github.comments_on(PR)
    assert posted.id == comment["id"] and posted.author == "github-actions[bot]"
    assert comment["body"].startswith(f"{MARKER} the plan")
    assert any("it was done; not sending it again" in line for line in lines)


def test_a_lost_create_that_cannot_be_looked_up_is_not_sent_again(github: FakeGitHub) -> None:
    github.lost_creates, github.reads_fail_after_lost_create = 1, True
    with client(github, sleep=lambda _: None, notify=lambda _: None) as gh:
        with pytest.raises(GitHubError, match="looking for it afterwards failed too .* so it is not sent again"):
            gh.upsert_comment(PR, MARKER, f"{MARKER} the plan")
    posts = [p for m, p in github.log if m == "POST" and p.endswith("/comments")]
    assert len(posts) == 1 and len(github.comments_on(PR)) == 1


def test_a_lost_create_is_found_by_its_write_id_when_the_login_was_wrong(github: FakeGitHub) -> None:
    """GitHub cannot tell who the token is (no /user, no GraphQL) and the configured login is wrong: the
    comment is found again by the hidden id of that write, and the author GitHub recorded is learned."""
    github.lost_creates, github.graphql_refused = 1, True
    lines: list[str] = []
    with client(github, APP_TOKEN, login="someone-else", notify=lines.append, sleep=lambda _: None) as gh:
        first = gh.upsert_comment(PR, MARKER, f"{MARKER} one")
        second = gh.upsert_comment(PR, MARKER, f"{MARKER} two")
    assert (first.action, second.action, second.id) == ("created", "updated", first.id)
    assert [c["body"] for c in github.comments_on(PR)] == [f"{MARKER} two"]
    assert any("writes as 'acme-reconciler[bot]', not 'someone-else'" in line for line in lines)


def test_a_drift_issue_created_but_answered_502_is_found_not_opened_again(github: FakeGitHub) -> None:
    github.lost_creates = 1
    drift_marker = "<!-- va-reconciler:drift -->"
    with client(github, sleep=lambda _: None) as gh:
        number = gh.create_issue("Drift", f"{drift_marker} body", "drift", drift_marker)
    assert list(github.issues) == [number]
    assert [m for m, p in github.log if p.endswith("/issues") and m == "POST"] == ["POST"]


def test_a_refused_write_is_never_looked_up_nor_repeated(github: FakeGitHub) -> None:
    with client(github) as gh, pytest.raises(GitHubError, match="422 Validation Failed Body is too long"):
        gh.upsert_comment(PR, MARKER, "x" * 70_000)
    assert github.writes("POST") == 2  # the GraphQL identity query, and the one refused comment


def test_secondary_rate_limit_without_headers_waits_at_least_a_minute_then_longer(github: FakeGitHub) -> None:
    """GitHub's docs: no retry-after, x-ratelimit-remaining not 0: "wait for at least one minute", then an
    exponentially increasing amount of time."""
    github.secondary_limits = 2
    waited: list[float] = []
    lines: list[str] = []
    with client(github, sleep=waited.append, notify=lines.append) as gh:
        assert gh.upsert_comment(PR, MARKER, f"{MARKER} hi").action == "created"
    assert len(waited) == 2 and waited[0] >= 60 and waited[1] >= 120
    assert sum("secondary rate limit; waiting" in line for line in lines) == 2
    assert len(github.comments_on(PR)) == 1


def test_primary_rate_limit_waits_until_the_reset(github: FakeGitHub) -> None:
    github.primary_limits = 1
    waited: list[float] = []
    with client(github, sleep=waited.append, notify=lambda _: None) as gh:
        assert gh.pull_requests_of("a" * 40) == ()
    assert len(waited) == 1 and 1 <= waited[0] <= 4  # the fake resets two seconds ahead; one more for clocks


def test_rate_limits_beyond_the_budget_end_with_a_clear_error(github: FakeGitHub) -> None:
    github.secondary_limits = 10
    policy = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_cap=30.0, retry_after_cap=90.0, deadline=90.0)
    waited: list[float] = []
    with client(github, sleep=waited.append, notify=lambda _: None, policy=policy) as gh:
        with pytest.raises(GitHubError, match="gave up waiting for GitHub: the next wait would pass the 90 s budget"):
            gh.upsert_comment(PR, MARKER, f"{MARKER} hi")
    assert waited == [pytest.approx(waited[0])] and waited[0] >= 60
    assert github.comments_on(PR) == []


def test_the_identity_comes_from_github_for_every_kind_of_token(github: FakeGitHub) -> None:
    cases = {
        ACTIONS_TOKEN: ("github-actions[bot]", "GraphQL viewer"),
        APP_TOKEN: ("acme-reconciler[bot]", "GraphQL viewer"),
        "ghp_bot_pat": ("reconciler-bot", "GET /user"),
    }
    for token, expected in cases.items():
        with client(github, token) as gh:
            identity = gh.identity()
        assert (identity.login, identity.source) == expected


def test_an_app_token_finds_its_own_comment_again_on_the_next_run(github: FakeGitHub) -> None:
    github.add_comment(PR, "github-actions[bot]", f"{MARKER} someone else's plan, with our marker")
    for body in ("first", "second"):
        with client(github, APP_TOKEN) as gh:
            gh.upsert_comment(PR, MARKER, f"{MARKER} {body}")
    ours = [c for c in github.comments_on(PR) if c["user"]["login"] == "acme-reconciler[bot]"]
    assert len(ours) == 1 and ours[0]["body"].startswith(f"{MARKER} second")


def test_a_configured_login_that_github_contradicts_is_a_warning(github: FakeGitHub) -> None:
    lines: list[str] = []
    with client(github, APP_TOKEN, login="acme-reconciler", notify=lines.append) as gh:
        assert gh.identity().login == "acme-reconciler[bot]"
    assert lines == [
        "warning: RECONCILER_GITHUB_LOGIN is 'acme-reconciler', but GitHub says this token acts as "
        "'acme-reconciler[bot]' (GraphQL viewer); using 'acme-reconciler[bot]'"
    ]
    with client(github, APP_TOKEN, login="acme-reconciler[bot]", notify=lines.append) as gh:
        gh.identity()
    assert len(lines) == 1


def test_without_any_answer_about_identity_the_configured_login_is_used(github: FakeGitHub) -> None:
    github.graphql_refused = True
    github.add_comment(PR, "acme-reconciler[bot]", f"{MARKER} an earlier plan")
    with client(github, APP_TOKEN, login="acme-reconciler[bot]") as gh:
        assert gh.upsert_comment(PR, MARKER, f"{MARKER} the new plan").action == "updated"
        assert gh.identity().source == "RECONCILER_GITHUB_LOGIN"


def test_a_plan_that_fails_replaces_the_comment_with_a_note_for_the_new_head(
    reconciler: Reconciler, git_repo: Path, emulator: ServedEmulator, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("stale-bot"))
    first = commit_all(git_repo, "a")
    env = actions_env(github, tmp_path, {"pull_request": {"number": PR, "head": {"sha": first}}})
    assert with_env(reconciler, env)("plan", "--github-comment").returncode == 0
    write(git_repo / "accounts" / "a.yaml", stored("stale-bot", interval=45))
    second = commit_all(git_repo, "b")
    emulator.fault(method="GET", path="/virtual-accounts$", status=500, times=100)
    env = actions_env(github, tmp_path, {"pull_request": {"number": PR, "head": {"sha": second}}})
    failed = with_env(reconciler, {**env, "TFY_API_KEY": emulator.env["TFY_API_KEY"]})("plan", "--github-comment")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    [comment] = github.comments_on(PR)
    assert f"**Plan failed for [<code>{second[:12]}</code>]" in comment["body"]
    assert "GET /virtual\\-accounts" in comment["body"] and first[:12] not in comment["body"]
    assert emulator.env["TFY_API_KEY"] not in comment["body"]
    summary = Path(tmp_path / "summary.md").read_text()
    assert summary.rstrip().endswith(comment["body"].split("\n<!-- va-reconciler:write")[0].split("\n", 1)[1].rstrip())


def test_a_comment_github_refuses_is_replaced_by_the_failure_note(github: FakeGitHub, tmp_path: Path) -> None:
    """A 422 from GitHub (here a body forced over the limit) leaves no older plan showing."""
    github.add_comment(PR, "github-actions[bot]", f"{MARKER} the plan of an older commit")
    context = context_from_env(
        actions_env(github, tmp_path), {"pull_request": {"number": PR, "head": {"sha": "b" * 40}}}
    )
    with client(github) as gh, pytest.raises(GitHubError, match="Body is too long"):
        _post_plan(gh, PR, MARKER + "x" * 70_000, context, "")
    [comment] = github.comments_on(PR)
    assert "**Plan failed for [<code>bbbbbbbbbbbb</code>]" in comment["body"]
    assert "older commit" not in comment["body"]


def test_apply_reports_on_every_pull_request_merged_since_the_last_applied_revision(
    reconciler: Reconciler, git_repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    """Three merges; the first was applied. The run started by the second applies the third too: each of the
    two reports on its own accounts, the footer names the revision applied, and the next run starts there."""
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("first-bot"))
    s1 = commit_all(git_repo, "first")
    write(git_repo / "accounts" / "b.yaml", stored("second-bot"))
    s2 = commit_all(git_repo, "second")
    write(git_repo / "accounts" / "c.yaml", stored("third-bot"))
    s3 = commit_all(git_repo, "third")
    for sha, number in ((s1, 10), (s2, 11), (s3, 12)):
        github.merged(sha, number)
    github.statuses[s1] = [{"context": "va-reconciler/apply", "state": "success"}]
    push = {"before": s1, "after": s2, "ref": "refs/heads/main"}
    result = with_env(reconciler, {**actions_env(github, tmp_path, push), "GITHUB_SHA": s2})("apply", "--github-report")
    assert result.returncode == 0, result.stdout + result.stderr
    assert github.comments_on(10) == []
    [on11], [on12] = github.comments_on(11), github.comments_on(12)
    assert "second\\-bot" in on11["body"] and "third\\-bot" not in on11["body"]
    assert "third\\-bot" in on12["body"] and "second\\-bot" not in on12["body"]
    for body in (on11["body"], on12["body"]):
        assert f"applied revision [<code>{s3[:12]}</code>]" in body
        assert f"(the run was started by [<code>{s2[:12]}</code>]" in body
    run_url = "https://github.example/acme/accounts/actions/runs/42"
    assert github.statuses[s3][-1] == {
        "context": "va-reconciler/apply", "state": "success", "description": "va-reconciler apply converged",
        "target_url": run_url,
    }  # fmt: skip
    assert "applied_revision=" + s3 in Path(tmp_path / "output.txt").read_text()


def test_without_a_recorded_revision_apply_reports_from_the_commit_that_started_the_run(
    reconciler: Reconciler, git_repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    configure(git_repo)
    write(git_repo / "accounts" / "a.yaml", stored("early-bot"))
    s1 = commit_all(git_repo, "first")
    write(git_repo / "accounts" / "b.yaml", stored("late-bot"))
    s2 = commit_all(git_repo, "second")
    github.merged(s1, 10)
    github.merged(s2, 11)
    github.statuses_missing = True
    result = with_env(reconciler, {**actions_env(github, tmp_path, {}), "GITHUB_SHA": s1})("apply", "--github-report")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "early\\-bot" in github.comments_on(10)[0]["body"]
    assert "late\\-bot" in github.comments_on(11)[0]["body"]
    assert "warning: the applied revision was not recorded as a commit status" in result.stderr
    assert "warning: cannot read commit statuses" in result.stderr


def test_validate_in_actions_keeps_annotations_within_the_caps_and_lists_every_problem(
    cli: Any, git_repo: Path, tmp_path: Path
) -> None:
    configure(git_repo)
    for index in range(150):
        write(git_repo / "accounts" / f"bad-{index:03d}.yaml", f"type: virtual-account\nname: Bad_Name_{index}\n")
    commit_all(git_repo, "bad")
    summary = tmp_path / "summary.md"
    result = cli("validate", str(git_repo), env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 1
    lines = result.out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 10 and "bad-000.yaml" in errors[0] and "bad-009.yaml" in errors[-1]
    plain = [line for line in lines if not line.startswith("::") and ".yaml:" in line and ": error: " in line]
    problems = len(plain)
    assert problems >= 150 and all(f"bad-{i:03d}.yaml:" in result.out for i in range(150))
    [notice] = [line for line in lines if line.startswith("::notice")]
    assert f"::{problems - 10} more errors are not annotated" in notice.replace("va-reconciler::", "::")
    rows = [line for line in summary.read_text().splitlines() if line.startswith(("| [", "| accounts"))]
    assert len(rows) == problems


def test_validate_without_the_base_branch_still_lists_every_problem_and_fails(cli: Any, git_repo: Path) -> None:
    """A pull request's base branch missing from the clone: the policy cannot be read from it, which is itself
    an error, but it does not hide the manifests' own problems."""
    configure(git_repo)
    write(git_repo / "accounts" / "bad.yaml", "type: virtual-account\nname: Bad_Name\n")
    commit_all(git_repo, "bad")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "release"}
    result = cli("validate", str(git_repo), env=env)
    assert result.code == 1
    assert "accounts/bad.yaml:2:7: error: " in result.out
    assert "reconciler.yaml:1:1: error: policy not checked: the policy must come from the base branch 'release'" in (
        result.out
    )
