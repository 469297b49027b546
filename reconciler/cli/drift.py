"""`reconciler drift`: parse options, call the use case, print a view of the findings."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from reconciler.cli.options import (
    CONTROL_PLANE_ENV,
    environment_option,
    guard_embedded,
    in_actions,
    notice,
    output_options,
    plan_request,
    reporter_for,
    show,
    source_options,
)
from reconciler.domain.errors import ExitCode


@click.command(epilog=CONTROL_PLANE_ENV)
@source_options
@output_options("drift report (drift.json)")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 without drift, 2 with drift, 1 on any error (usage errors included).",
)
@click.option("--github-issue", is_flag=True, help="Keep one open issue labelled drift up to date.")
@environment_option
def drift(path: str, ref: str | None, today: date | None, output_format: str | None, out: Path | None,
          detailed_exitcode: bool, github_issue: bool, environment: str) -> int:  # fmt: skip
    """Report how the control plane differs from the manifests under PATH: accounts modified or deleted out of
    band, unmanaged accounts, expired or expiring tokens. Read-only: it never writes to the control plane."""
    from reconciler.app.drift import drift as detect
    from reconciler.render.reporters import JsonReporter

    if github_issue:
        from reconciler.app.github import check_flags, github_context

        check_flags(github_context(os.environ), issue=True)
    request = plan_request(path, ref, today)
    guard_embedded(request, "drift")
    report = detect(request)
    show(reporter_for(output_format).drift(report), lambda: JsonReporter().drift(report), out, output_format)
    if github_issue or in_actions():
        from reconciler.app.github import github_context, publish_drift

        for message in publish_drift(report, github_context(os.environ), environment, github_issue).messages:
            notice(message)
    return ExitCode.CHANGES if detailed_exitcode and report.has_drift else ExitCode.OK
