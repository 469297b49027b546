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


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("CI") != "true"


token_dir_option = click.option(
    "--token-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where created accounts without secret_store_config get their one-time token (files, mode 0600).",
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
def plan(path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool,
         out: Path | None, detailed_exitcode: bool, show_unchanged: bool) -> int:  # fmt: skip
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
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the apply report as JSON."
)
def apply(path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool,
          plan_file: Path | None, force: bool, out: Path | None) -> int:  # fmt: skip
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
    return ExitCode.OK if report.converged else ExitCode.INVALID
