"""`reconciler schema generate`: regenerate the JSON Schemas from the documented manifest."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.domain.errors import ExitCode


@click.group()
def schema() -> None:
    """The JSON Schemas generated from the documented manifest."""


@schema.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a generated file is stale.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="The va-reconciler checkout (default: the current folder).",
)
def generate(check: bool, project: Path) -> int:
    """Generate schemas/virtual-account.schema.json (and the packaged copies) from
    schemas/virtual-account.manifest.yaml."""
    from reconciler.app.schema import stale_artifacts, write_artifacts

    if check:
        stale = stale_artifacts(project)
        for path in stale:
            click.echo(f"stale: {path} (run `reconciler schema generate`)")
        return ExitCode.INVALID if stale else ExitCode.OK
    for path in write_artifacts(project):
        click.echo(f"wrote {path}")
    return ExitCode.OK
