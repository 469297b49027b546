"""`reconciler validate`: parse options, call the use case, print a view of the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from reconciler.cli.options import in_actions, output_options, reporter_for, show, source_options, today_utc
from reconciler.domain.errors import ExitCode


@click.command()
@source_options
@output_options("validation report", default_format="text (github when GITHUB_ACTIONS=true)")
def validate(path: str, ref: str | None, today: date | None, output_format: str | None, out: Path | None) -> int:
    """Validate every virtual-account manifest under PATH (default: the current folder).

    Reads reconciler.yaml in PATH for the manifest paths, loads every *.yaml/*.yml strictly, validates it
    against the generated JSON Schema, and reports every problem as file:line:col.
    """
    from reconciler.adapters.git_source import open_source
    from reconciler.app.validate import load_repository
    from reconciler.render.reporters import JsonReporter

    loaded = load_repository(open_source(path, ref), today or today_utc())
    report = loaded.report
    shown = reporter_for(output_format, "github" if in_actions() else "text")
    data = JsonReporter().validation(report, loaded.description, loaded.revision)
    show(shown.validation(report, loaded.description, loaded.revision), data, out, output_format)
    return ExitCode.OK if report.valid else ExitCode.INVALID
