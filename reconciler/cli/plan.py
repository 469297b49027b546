"""`reconciler plan`: parse options, call the use case, print a view of the plan."""

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
    mass_delete_option,
    notice,
    output_options,
    plan_request,
    policy_ref_option,
    reporter_for,
    say,
    show,
    source_options,
    to_stdout,
    token_dir_option,
)
from reconciler.domain.errors import ExitCode


@click.command(epilog=CONTROL_PLANE_ENV)
@source_options
@token_dir_option
@mass_delete_option
@output_options("plan (plan.json, checksummed; apply --plan reads it)")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 with no changes, 2 with changes, 1 on any error (usage errors included).",
)
@click.option("--show-unchanged", is_flag=True, help="List unchanged accounts too.")
@click.option("--github-comment", is_flag=True, help="Post or update the plan as one sticky pull-request comment.")
@environment_option
@policy_ref_option
def plan(path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool,
         output_format: str | None, out: Path | None, detailed_exitcode: bool, show_unchanged: bool,
         github_comment: bool, environment: str, policy_ref: str | None) -> int:  # fmt: skip
    """Compare the manifests under PATH with the control plane and show what apply would do. Writes nothing;
    every create and update is dry-run by the control plane."""
    from reconciler.app.github import check_flags, github_context
    from reconciler.app.plan import plan as make_plan

    if github_comment:
        check_flags(github_context(os.environ), comment=True)
    publishing = github_comment or in_actions()
    try:
        request = plan_request(path, ref, today, token_dir, allow_mass_delete, policy_ref)
        guard_embedded(request, "plan")
        result = make_plan(request)
    except Exception as error:  # any failure: the pull request must not keep showing an older plan
        if publishing:
            _publish_failure(error, environment, github_comment)
        raise
    show(reporter_for(output_format, show_unchanged=show_unchanged).plan(result), result.to_json, out, output_format)
    if out is not None:
        where = "stdout" if to_stdout(out) else str(out)
        notice(f"Plan written to {where} (checksum {result.checksum[:16]}).")
    if github_comment or in_actions():
        from reconciler.app.github import github_context, publish_plan

        for message in publish_plan(result, github_context(os.environ), environment, github_comment).messages:
            notice(message)
    if result.has_errors:
        return ExitCode.INVALID
    if detailed_exitcode and result.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


def _publish_failure(error: Exception, environment: str, github_comment: bool) -> None:
    from reconciler.app.github import github_context, publish_plan_failure

    for message in publish_plan_failure(error, github_context(os.environ), environment, github_comment).messages:
        say(message, err=True)
