"""`reconciler validate`: parse options, call the use case, print a view of the report."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from reconciler.cli.options import (
    in_actions,
    output_options,
    policy_ref_option,
    policy_source,
    reporter_for,
    source_options,
    today_utc,
    write_out,
)
from reconciler.domain.errors import ExitCode


@click.command()
@source_options
@output_options("validation report", default_format="text (github when GITHUB_ACTIONS=true)")
@policy_ref_option
def validate(
    path: str, ref: str | None, today: date | None, output_format: str | None, out: Path | None, policy_ref: str | None
) -> int:
    """Validate every virtual-account manifest under PATH (default: the current folder).

    Reads reconciler.yaml in PATH for the manifest paths, loads every *.yaml/*.yml strictly, validates it
    against the generated JSON Schema, and reports every problem as file:line:col.
    """
    from reconciler.adapters.git_source import open_source
    from reconciler.app.validate import load_repository
    from reconciler.render.reporters import JsonReporter

    base, unread = policy_source(path, policy_ref)
    loaded = load_repository(open_source(path, ref), today or today_utc(), base, True)
    report = loaded.report if unread is None else replace(loaded.report, problems=(unread, *loaded.report.problems))
    for notice in loaded.notices:
        click.echo(f"notice: {notice}", err=True)
    shown = reporter_for(output_format, "github" if in_actions() else "text")
    click.echo(shown.validation(report, loaded.description, loaded.revision))
    write_out(out, lambda: JsonReporter().validation(report, loaded.description, loaded.revision))
    if in_actions():
        from reconciler.app.github import github_context, publish_validation

        for message in publish_validation(report, loaded.description, github_context(os.environ)).messages:
            click.echo(message)
    return ExitCode.OK if report.valid else ExitCode.INVALID
