"""`reconciler plan` and `reconciler apply`: parse options, call the use case, print a view."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.validate_cmd import source_options, today_utc
from reconciler.errors import ExitCode

if TYPE_CHECKING:
    from reconciler.app.plan import PlanRequest


def _request(
    path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool
) -> PlanRequest:
    from reconciler.app.controlplane import connect
    from reconciler.app.plan import PlanRequest
    from reconciler.manifests.source import open_source

    return PlanRequest(
        source=open_source(path, ref),
        connection=connect(Path(path), os.environ),
        today=today or today_utc(),
        token_dir=token_dir,
        allow_mass_delete=allow_mass_delete,
    )


def _in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("CI") != "true"


token_dir_option = click.option(
    "--token-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where created accounts without secret_store_config get their one-time token (files, mode 0600).",
)  # fmt: skip
environment_option = click.option(
    "--environment", default="", metavar="NAME",
    help="Name of the target environment: one sticky comment (and one drift issue) per environment.",
)  # fmt: skip
mass_delete_option = click.option(
    "--allow-mass-delete", is_flag=True, help="Allow a prune above the thresholds in reconciler.yaml."
)


@click.command()
@source_options
@token_dir_option
@mass_delete_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the plan as JSON here.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--show-unchanged", is_flag=True, help="List unchanged accounts too.")
@click.option("--github-comment", is_flag=True, help="Post or update the plan as one sticky pull-request comment.")
@environment_option
def plan(path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool,
         out: Path | None, detailed_exitcode: bool, show_unchanged: bool, github_comment: bool,
         environment: str) -> int:  # fmt: skip
    """Compare the manifests under PATH with the control plane and show what apply would do. Writes nothing;
    every create and update is dry-run by the control plane."""
    from reconciler.app.plan import plan as make_plan
    from reconciler.render.plan_text import plan_text

    result = make_plan(_request(path, ref, today, token_dir, allow_mass_delete))
    if out is not None:
        out.write_text(result.to_json(), encoding="utf-8")
    click.echo(plan_text(result, color=_color(), show_unchanged=show_unchanged))
    if out is not None:
        click.echo(f"Plan written to {out} (checksum {result.checksum[:16]}).")
    if github_comment or _in_actions():
        from reconciler.app.github import github_context, publish_plan

        for message in publish_plan(result, github_context(os.environ), environment, github_comment).messages:
            click.echo(message)
    if result.has_errors:
        return ExitCode.INVALID
    if detailed_exitcode and result.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


@click.command()
@source_options
@token_dir_option
@mass_delete_option
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Apply only what this reviewed plan approved; refuse accounts changed since.")  # fmt: skip
@click.option("--force", is_flag=True, help="With --plan: apply the fresh plan even where it differs.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the apply report as JSON.")
@click.option("--github-report", is_flag=True, help="Comment the report on the merged pull request.")
@environment_option
def apply(path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool,
          plan_file: Path | None, force: bool, out: Path | None, github_report: bool,
          environment: str) -> int:  # fmt: skip
    """Converge the control plane to the manifests under PATH: re-plan against live state, then create,
    update and (with prune) delete, each account on its own; exit 0 only when everything converged."""
    from reconciler.app.plan import apply as run_apply
    from reconciler.plan.plan import Plan
    from reconciler.render.plan_text import apply_text

    reviewed = Plan.from_json(plan_file.read_text(encoding="utf-8")) if plan_file else None
    report = run_apply(_request(path, ref, today, token_dir, allow_mass_delete), reviewed, force)
    if out is not None:
        import json

        out.write_text(json.dumps(report.to_data(), indent=2) + "\n", encoding="utf-8")
    click.echo(apply_text(report, color=_color()))
    if github_report or _in_actions():
        from reconciler.app.github import github_context, publish_apply

        for message in publish_apply(report, github_context(os.environ), environment, github_report).messages:
            click.echo(message)
    return ExitCode.OK if report.converged else ExitCode.INVALID


@click.command()
@source_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the findings as JSON.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 without drift, 2 with drift, 1 on error.")
@click.option("--github-issue", is_flag=True, help="Keep one open issue labelled drift up to date.")
@environment_option
def drift(path: str, ref: str | None, today: date | None, out: Path | None, detailed_exitcode: bool,
          github_issue: bool, environment: str) -> int:  # fmt: skip
    """Report how the control plane differs from the manifests under PATH: accounts modified or deleted out of
    band, unmanaged accounts, expired or expiring tokens. Read-only: it never writes to the control plane."""
    import json

    from reconciler.app.drift import drift as detect
    from reconciler.render.plan_text import drift_text

    report = detect(_request(path, ref, today, None, False))
    if out is not None:
        out.write_text(json.dumps(report.to_data(), indent=2) + "\n", encoding="utf-8")
    click.echo(drift_text(report))
    if github_issue or _in_actions():
        from reconciler.app.github import github_context, publish_drift

        for message in publish_drift(report, github_context(os.environ), environment, github_issue).messages:
            click.echo(message)
    return ExitCode.CHANGES if detailed_exitcode and report.has_drift else ExitCode.OK
