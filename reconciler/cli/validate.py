"""`reconciler validate`: parse options, call the use case, print a view of the report."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from reconciler.cli.options import (
    VALIDATE_ENV,
    in_actions,
    notice,
    output_options,
    policy_ref_option,
    policy_source,
    reporter_for,
    show,
    sources_options,
    today_utc,
)
from reconciler.domain.errors import ExitCode


@click.command(epilog=VALIDATE_ENV)
@sources_options
@output_options("validation report", default_format="text (github when GITHUB_ACTIONS=true)")
@policy_ref_option
def validate(
    paths: tuple[str, ...],
    ref: str | None,
    today: date | None,
    output_format: str | None,
    out: Path | None,
    policy_ref: str | None,
) -> int:
    """Validate the manifests in PATHS: a folder (default: the current one), or files and folders, as
    pre-commit passes them.

    A folder is read as plan reads it: reconciler.yaml in it names the manifest paths; every *.yaml/*.yml is
    loaded strictly, validated against the generated JSON Schema, and every problem reported as
    file:line:col. For files, the repository each belongs to (the nearest folder up holding reconciler.yaml,
    else the Git work tree) is read whole, so checks across files (a name defined twice) see every manifest,
    and problems are reported for the given files only. YAML that is not a manifest (no type of a managed
    kind, or outside the configured paths) is listed as skipped, never an error.
    """
    from reconciler.app.validate import validate_paths
    from reconciler.render.reporters import JsonReporter

    done = validate_paths(paths or (".",), ref, today or today_utc(), lambda folder: policy_source(folder, policy_ref))
    report = done.report
    for said in done.notices:
        notice(f"notice: {said}")
    shown = reporter_for(output_format, "github" if in_actions() else "text")
    view = shown.validation(report, done.description, done.revision)
    show(view, lambda: JsonReporter().validation(report, done.description, done.revision), out, output_format)
    if in_actions():
        from reconciler.app.github import github_context, publish_validation

        for message in publish_validation(report, done.description, github_context(os.environ)).messages:
            notice(message)
    return ExitCode.OK if report.valid else ExitCode.INVALID
