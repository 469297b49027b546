"""Use cases: publish a plan (or its failure), an apply report, drift or a validation report to GitHub:
comment, issue, commit status, job summary, step outputs. What each does when GitHub or the control plane
fails is in README ("GitHub", "When something fails")."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from reconciler.adapters.git_history import GitHistory
from reconciler.adapters.github.actions import SUMMARY_LIMIT, append_summary, set_outputs
from reconciler.adapters.github.api import POLICY, GitHub, GitHubError
from reconciler.adapters.github.context import GitHubContext, context_from_env
from reconciler.app.applied import MAX_COMMITS, applied_range, pull_request_scopes, status_context
from reconciler.domain.drift import DriftReport
from reconciler.domain.errors import ConfigError
from reconciler.domain.plan import Plan
from reconciler.domain.ports import History, Publisher
from reconciler.domain.reports import ApplyReport
from reconciler.domain.resources import ValidationReport
from reconciler.render.views import (
    SUMMARY_BUDGET,
    Links,
    apply_comment,
    drift_issue,
    marker,
    plan_comment,
    plan_failed,
    plan_job_summary,
    summary_bytes,
    validation_job_summary,
)

DRIFT_LABEL = "drift"
DRIFT_TITLE = "Drift: the control plane differs from Git"


T = TypeVar("T")


@dataclass(frozen=True)
class Published:
    messages: tuple[str, ...]


def github_context(environ: Mapping[str, str]) -> GitHubContext:
    event_path = environ.get("GITHUB_EVENT_PATH")
    event = None
    if event_path and Path(event_path).is_file():
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise ConfigError(f"GITHUB_EVENT_PATH {event_path}: not a readable JSON event ({exc})") from exc
        event = event if isinstance(event, dict) else None
    return context_from_env(environ, event)


def check_flags(context: GitHubContext, comment: bool = False, report: bool = False, issue: bool = False) -> None:
    """The GitHub flags' context, checked before the command reads or writes anything (an apply must not
    converge the control plane and then fail for want of a token): each needs GITHUB_TOKEN and
    GITHUB_REPOSITORY; --github-comment a pull_request event too."""
    if comment or report or issue:
        context.require_token()
    if comment:
        _pull_request(context, "--github-comment")


def _links(context: GitHubContext, environment: str, sha: str | None = None) -> Links:
    return Links(
        context.server_url,
        context.repository,
        sha or context.head_sha or context.sha,
        context.run_url,
        environment,
    )


def _with_github(context: GitHubContext, use: Callable[[GitHub], T]) -> T:
    """Run `use` with a GitHub client for this context (its time budget too), closed afterwards."""
    context.require_token()
    budget = context.budget
    policy = POLICY if budget is None else replace(POLICY, deadline=budget, retry_after_cap=budget)
    with GitHub(context.api_url, context.token, context.repository, login=context.login, policy=policy) as github:
        return use(github)


def branch_tip(context: GitHubContext, branch: str) -> str | None:
    """The commit `branch` points at on GitHub now (None: GitHub does not say; a warning is printed)."""
    return _with_github(context, lambda github: github.branch_tip(branch))


def summary_room(context: GitHubContext) -> int:
    """Bytes the job summary of this step may still take: GitHub's 1 MiB per step, less what is written."""
    path = context.step_summary
    used = os.path.getsize(path) if path and os.path.isfile(path) else 0
    return max(0, min(SUMMARY_BUDGET, SUMMARY_LIMIT - used - 1024))


def write_step_outputs(context: GitHubContext, summary: str | None, outputs: dict[str, str]) -> list[str]:
    """The job summary and step outputs, when running in Actions; returns warnings to print."""
    warnings = []
    if context.step_summary and summary is not None:
        warning = append_summary(context.step_summary, summary)
        if warning:
            warnings.append(warning)
    if context.output:
        set_outputs(context.output, outputs)
    return warnings


def _pull_request(context: GitHubContext, flag: str) -> int:
    if context.pull_request is None:
        raise ConfigError(f"{flag} needs a pull_request event (GITHUB_EVENT_PATH with pull_request)")
    return context.pull_request


# -- plan ---------------------------------------------------------------------------------------------------


def publish_plan(plan: Plan, context: GitHubContext, environment: str, comment: bool) -> Published:
    links = _links(context, environment)
    messages = write_step_outputs(
        context,
        plan_job_summary(plan, links, summary_room(context)),
        {
            "has_changes": str(plan.has_changes).lower(),
            "has_errors": str(plan.has_errors).lower(),
            "checksum": plan.checksum,
        },
    )
    if comment:
        number = _pull_request(context, "--github-comment")
        body = plan_comment(plan, links)
        messages.append(_with_github(context, lambda github: _post_plan(github, number, body, context, environment)))
    return Published(tuple(messages))


def _post_plan(github: Publisher, number: int, body: str, context: GitHubContext, environment: str) -> str:
    """The plan as the sticky comment; if GitHub refuses it, the comment still stops showing an older plan."""
    plan_marker = str(marker("plan", environment))
    try:
        posted = github.upsert_comment(number, plan_marker, body)
    except GitHubError as refused:
        note = plan_failed(context.head_sha or context.sha, refused, _links(context, environment), context.secrets)
        try:
            github.upsert_comment(number, plan_marker, note)
        except GitHubError:
            pass  # GitHub refuses us altogether: the first refusal is the one to report
        raise
    return f"Plan comment {posted.action} on pull request #{number}."


def publish_plan_failure(error: object, context: GitHubContext, environment: str, comment: bool) -> Published:
    """A plan that failed after the pull request was known: the sticky comment is replaced by a short note
    naming the head commit and the error, and the job summary says the same. Never raises: the original
    error is what the user must see; a failure here becomes a message."""
    links = _links(context, environment)
    head = context.head_sha or context.sha
    messages = write_step_outputs(context, plan_failed(head, error, links, context.secrets, summary_room(context)), {})
    if comment and context.pull_request is not None:
        number = context.pull_request
        note = plan_failed(head, error, links, context.secrets)
        try:
            posted = _with_github(
                context, lambda github: github.upsert_comment(number, str(marker("plan", environment)), note).action
            )
            messages.append(f"Plan comment on pull request #{number} {posted}: the plan failed.")
        except (GitHubError, ConfigError) as unposted:
            messages.append(f"warning: could not replace the plan comment on pull request #{number}: {unposted}")
    return Published(tuple(messages))


# -- apply --------------------------------------------------------------------------------------------------


def publish_apply(
    report: ApplyReport, context: GitHubContext, environment: str, comment: bool, root: Path = Path(".")
) -> Published:
    """The apply report: the job summary (everything), then, with `comment`, one report on every pull request
    merged since the last applied revision (its own accounts' rows) and the applied revision recorded as a
    commit status. The footer names the revision applied, which may be newer than the one that started
    the run."""
    history = GitHistory(root)
    applied = report.plan.revision or history.head() or context.sha
    links = _links(context, environment, applied)
    summary = apply_comment(
        report, links, summary_room(context), applied=applied, triggered_by=context.sha, measure=summary_bytes
    )
    messages = write_step_outputs(
        context, summary, {"converged": str(report.converged).lower(), "applied_revision": applied}
    )
    if comment:
        messages.append(
            _with_github(context, lambda github: _report_apply(github, history, report, context, environment, applied))
        )
    return Published(tuple(messages))


def _report_apply(
    github: Publisher, history: History, report: ApplyReport, context: GitHubContext, environment: str, applied: str
) -> str:
    links = _links(context, environment, applied)
    commits = history.first_parents(applied, MAX_COMMITS) or [applied]
    context_name = status_context(environment)
    found = applied_range(commits, github.last_applied(context_name, commits[1:]), context.before, context.sha)
    lines = []
    for scope in pull_request_scopes(github, history, found.commits):
        body = apply_comment(report, links, scope=scope, applied=applied, triggered_by=context.sha)
        posted = github.upsert_comment(scope.pull_request, str(marker("apply", environment)), body)
        lines.append(f"Apply report {posted.action} on pull request #{scope.pull_request}.")
    if not lines:
        lines.append(
            f"No merged pull request in the {len(found.commits)} commit(s) since {found.since}; "
            "the report is in the job summary only."
        )
    verdict = "converged" if report.converged else "did not converge"
    try:
        github.mark_applied(applied, context_name, report.converged, f"va-reconciler apply {verdict}", context.run_url)
    except GitHubError as error:
        lines.append(f"warning: the applied revision was not recorded as a commit status ({error})")
    return "\n".join(lines)


# -- drift --------------------------------------------------------------------------------------------------


def publish_drift(report: DriftReport, context: GitHubContext, environment: str, issue: bool) -> Published:
    links = _links(context, environment)
    summary = drift_issue(report, links, summary_room(context), summary_bytes)
    messages = write_step_outputs(
        context, summary, {"drift": str(report.has_drift).lower(), "fingerprint": report.fingerprint}
    )
    if issue:
        body = drift_issue(report, links)
        markers = (str(marker("drift", environment)), str(marker("drift-cleared", environment)))
        messages.append(_with_github(context, lambda github: sync_drift_issue(github, report, body, *markers)))
    return Published(tuple(messages))


def sync_drift_issue(github: Publisher, report: DriftReport, body: str, issue_marker: str, cleared_marker: str) -> str:
    """One open issue while drift lasts: created on new drift, edited only when the findings change, closed
    (with a comment carrying `cleared_marker`) when drift clears."""
    existing = github.find_issue(DRIFT_LABEL, issue_marker)
    if existing is None:
        if not report.has_drift:
            return "No drift, and no open drift issue."
        number = github.create_issue(DRIFT_TITLE, body, DRIFT_LABEL, issue_marker)
        return f"Drift issue #{number} opened."
    if not report.has_drift:
        closing = f"{cleared_marker}\nDrift cleared: the control plane matches Git again. Closing."
        github.comment(existing.number, cleared_marker, closing)
        github.edit_issue(existing.number, state="closed")
        return f"Drift cleared; issue #{existing.number} closed."
    if report.fingerprint in existing.body:
        return f"Drift unchanged; issue #{existing.number} left as it is."
    github.edit_issue(existing.number, body=body)
    return f"Drift changed; issue #{existing.number} updated."


# -- validate -----------------------------------------------------------------------------------------------


def publish_validation(report: ValidationReport, description: str, context: GitHubContext) -> Published:
    """Every problem as a row of the job summary (the log has them as `file:line:col`, annotations the first
    ten)."""
    summary = validation_job_summary(report, description, _links(context, ""), summary_room(context))
    return Published(tuple(write_step_outputs(context, summary, {"valid": str(report.valid).lower()})))
