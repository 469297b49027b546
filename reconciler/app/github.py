"""Use cases: publish a plan, an apply report or drift to GitHub (comment, issue, job summary, outputs)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.app.plan import ApplyReport
from reconciler.drift import DriftReport
from reconciler.errors import ConfigError
from reconciler.github.actions import append_summary, set_outputs
from reconciler.github.api import GitHub
from reconciler.github.context import GitHubContext, context_from_env
from reconciler.plan.plan import Plan
from reconciler.render.views import Links, apply_comment, drift_issue, marker, plan_comment, plan_summary

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


def _client(context: GitHubContext) -> GitHub:
    context.require_token()
    return GitHub(context.api_url, context.token, context.repository, login=context.login)


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
        plan_summary(plan, links),
        {
            "has_changes": str(plan.has_changes).lower(),
            "has_errors": str(plan.has_errors).lower(),
            "checksum": plan.checksum,
        },
    )
    if comment:
        if context.pull_request is None:
            raise ConfigError("--github-comment needs a pull_request event (GITHUB_EVENT_PATH with pull_request)")
        github = _client(context)
        try:
            action, _ = github.upsert_comment(
                context.pull_request, str(marker("plan", environment)), plan_comment(plan, links)
            )
        finally:
            github.close()
        messages.append(f"Plan comment {action} on pull request #{context.pull_request}.")
    return Published(tuple(messages))


def publish_apply(report: ApplyReport, context: GitHubContext, environment: str, comment: bool) -> Published:
    sha = report.plan.revision or context.sha
    links = _links(context, environment, sha)
    body = apply_comment(report, links)
    messages = write_step_outputs(context, body, {"converged": str(report.converged).lower()})
    if comment:
        github = _client(context)
        try:
            number = github.pull_request_of(sha)
            if number is None:
                messages.append(f"No pull request found for {sha[:12]}; the report is in the job summary only.")
            else:
                action, _ = github.upsert_comment(number, str(marker("apply", environment)), body)
                messages.append(f"Apply report {action} on pull request #{number}.")
        finally:
            github.close()
    return Published(tuple(messages))


def publish_drift(report: DriftReport, context: GitHubContext, environment: str, issue: bool) -> Published:
    links = _links(context, environment)
    body = drift_issue(report, links)
    messages = write_step_outputs(
        context, body, {"drift": str(report.has_drift).lower(), "fingerprint": report.fingerprint}
    )
    if issue:
        github = _client(context)
        try:
            messages.append(_sync_drift_issue(github, report, body, str(marker("drift", environment))))
        finally:
            github.close()
    return Published(tuple(messages))


def _sync_drift_issue(github: GitHub, report: DriftReport, body: str, issue_marker: str) -> str:
    """One open issue while drift lasts: created on new drift, edited only when the findings change, closed
    when drift clears."""
    existing = github.find_issue(DRIFT_LABEL, issue_marker)
    if existing is None:
        if not report.has_drift:
            return "No drift, and no open drift issue."
        number = github.create_issue(DRIFT_TITLE, body, DRIFT_LABEL)
        return f"Drift issue #{number} opened."
    number = int(existing["number"])
    if not report.has_drift:
        github.comment(number, "Drift cleared: the control plane matches Git again. Closing.")
        github.edit_issue(number, state="closed", state_reason="completed")
        return f"Drift cleared; issue #{number} closed."
    if report.fingerprint in (existing.get("body") or ""):
        return f"Drift unchanged; issue #{number} left as it is."
    github.edit_issue(number, body=body)
    return f"Drift changed; issue #{number} updated."
