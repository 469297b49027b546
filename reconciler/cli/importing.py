"""`reconciler import`: parse options, call the use case, print what was (or would be) written."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import click

from reconciler.cli.options import (
    DateParam,
    color_option,
    debug_option,
    notice,
    output_options,
    reporter_for,
    show,
    today_utc,
)
from reconciler.domain.errors import ExitCode


@click.command("import")
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--select",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Import only accounts whose name matches this shell pattern (ci-*); repeat for more.  [default: every name]",
)
@click.option(
    "--team",
    "teams",
    multiple=True,
    metavar="TEAM",
    help="Import only accounts whose ownedBy.team is TEAM; repeat for more.  [default: any team]",
)
@click.option("--dry-run", is_flag=True, help="Write nothing; list the files import would write.")
@click.option(
    "--today",
    type=DateParam(),
    default=None,
    help="Treat this date (UTC) as today when checking the imported files.  [default: today, UTC]",
)
@output_options("import report")
@color_option
@debug_option
def import_(path: Path, patterns: tuple[str, ...], teams: tuple[str, ...], dry_run: bool, today: date | None,
            output_format: str | None, out: Path | None) -> int:  # fmt: skip
    """Write the live accounts of the control plane (TFY_HOST and TFY_API_KEY, or your `tfy login`), and the role
    bindings naming them, into the repository at PATH as manifests: one file per account under a folder per
    owning team, its bindings after it. Each account carries this repository's ownership tag, so the first plan
    only adopts it. Never overwrites a file; accounts another repository owns, or Git already defines, are left
    out. Deprecated permissions become role bindings. Reads no token."""
    from reconciler.adapters.controlplane.connection import connect
    from reconciler.app.importing import ImportRequest, import_tenant
    from reconciler.domain.scope import Scope

    connection = connect(path, os.environ)
    if connection.embedded:
        notice(f"Importing from the {connection.description}: set TFY_HOST and TFY_API_KEY (or `tfy login`) to "
               "import from TrueFoundry.")  # fmt: skip
    request = ImportRequest(
        root=path,
        connection=connection,
        today=today or today_utc(),
        now=datetime.now(UTC),
        selection=Scope(include=patterns, teams=teams),
        dry_run=dry_run,
    )
    report = import_tenant(request)
    show(
        reporter_for(output_format).importing(report),
        lambda: reporter_for("json").importing(report),
        out,
        output_format,
    )
    if report.config is not None:
        verb = "would pin" if report.dry_run else "pins"
        notice(
            f"{report.shown_path(report.config)} {verb} ownership.tag_value {report.ownership.value}: every imported "
            "account carries it, so keep it, also when the repository's remote changes."
        )
    return ExitCode.INVALID if report.errors else ExitCode.OK
