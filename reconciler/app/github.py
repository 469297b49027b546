"""Use cases: publish a plan, an apply report or drift to GitHub (comment, issue, job summary, outputs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.adapters.github.actions import append_summary, set_outputs
from reconciler.adapters.github.api import GitHub
from reconciler.adapters.github.context import GitHubContext, context_from_env
from reconciler.domain.drift import DriftReport
from reconciler.domain.errors import ConfigError
from reconciler.domain.plan import Plan
from reconciler.domain.ports import Publisher
from reconciler.domain.reports import ApplyReport
from reconciler.render.views import Links, apply_comment, drift_issue, marker, plan_comment, plan_job_summary

DRIFT_LABEL = "drift"
DRIFT_TITLE = "Drift: the control plane differs from Git"


@dataclass(frozen=True)
class Published:
    messages: tuple[str, ...]


def github_context(environ: Mapping[str, str]) -> GitHubContext:
    event_path = environ.get("GITHUB_EVENT_PATH")
    event = (
        json.loads(Path(event_path).read_text(encoding="utf-8")) if event_path and Path(event_path).is_file() else None
    )
    return context_from_env(environ, event)


def _links(context: GitHubContext, environment: str, sha: str | None = None) -> Links:
    return Links(
        context.server_url,
        context.repository,
        sha or context.head_sha or context.sha,
        context.run_url,
        environment,
    )


def _with_github(context: GitHubContext, use: Callable[[Publisher], str]) -> str:
    """Run `use` with a GitHub client for this context, closed afterwards."""
    context.require_token()
    with GitHub(context.api_url, context.token, context.repository, login=context.login) as github:
        return use(github)


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


def publish_plan(plan: Plan, context: GitHubContext, environment: str, comment: bool) -> Published:
    links = _links(context, environment)
    messages = write_step_outputs(
        context,
        plan_job_summary(plan, links),
        {
            "has_changes": str(plan.has_changes).lower(),
            "has_errors": str(plan.has_errors).lower(),
            "checksum": plan.checksum,
        },
    )
    if comment:
        number = context.pull_request
        if number is None:
            raise ConfigError("--github-comment needs a pull_request event (GITHUB_EVENT_PATH with pull_request)")
        body = plan_comment(plan, links)

        def post(github: Publisher) -> str:
            action, _ = github.upsert_comment(number, str(marker("plan", environment)), body)
            return f"Plan comment {action} on pull request #{number}."

        messages.append(_with_github(context, post))
    return Published(tuple(messages))


def publish_apply(report: ApplyReport, context: GitHubContext, environment: str, comment: bool) -> Published:
    sha = report.plan.revision or context.sha
    links = _links(context, environment, sha)
    body = apply_comment(report, links)
    messages = write_step_outputs(context, body, {"converged": str(report.converged).lower()})
    if comment:

        def post(github: Publisher) -> str:
            number = github.pull_request_of(sha)
            if number is None:
                return f"No pull request found for {sha[:12]}; the report is in the job summary only."
            action, _ = github.upsert_comment(number, str(marker("apply", environment)), body)
            return f"Apply report {action} on pull request #{number}."

        messages.append(_with_github(context, post))
    return Published(tuple(messages))


def publish_drift(report: DriftReport, context: GitHubContext, environment: str, issue: bool) -> Published:
    links = _links(context, environment)
    body = drift_issue(report, links)
    messages = write_step_outputs(
        context, body, {"drift": str(report.has_drift).lower(), "fingerprint": report.fingerprint}
    )
    if issue:
        issue_marker = str(marker("drift", environment))
        messages.append(_with_github(context, lambda github: sync_drift_issue(github, report, body, issue_marker)))
    return Published(tuple(messages))


def sync_drift_issue(github: Publisher, report: DriftReport, body: str, issue_marker: str) -> str:
    """One open issue while drift lasts: created on new drift, edited only when the findings change, closed
    when drift clears."""
    existing = github.find_issue(DRIFT_LABEL, issue_marker)
    if existing is None:
        if not report.has_drift:
            return "No drift, and no open drift issue."
        number = github.create_issue(DRIFT_TITLE, body, DRIFT_LABEL)
        return f"Drift issue #{number} opened."
    if not report.has_drift:
        github.comment(existing.number, "Drift cleared: the control plane matches Git again. Closing.")
        github.edit_issue(existing.number, state="closed")
        return f"Drift cleared; issue #{existing.number} closed."
    if report.fingerprint in existing.body:
        return f"Drift unchanged; issue #{existing.number} left as it is."
    github.edit_issue(existing.number, body=body)
    return f"Drift changed; issue #{existing.number} updated."
