"""`reconciler schema generate` (in a checkout of this project) and `reconciler schema export` (anywhere): the
JSON Schemas of manifests, reconciler.yaml, plan.json, the apply report and drift.json."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import say
from reconciler.domain.errors import ExitCode


@click.group()
def schema() -> None:
    """The JSON Schemas: manifests and reconciler.yaml (for editors), plan.json, apply report, drift.json."""


@schema.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a generated file is stale.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="The va-reconciler checkout (default: the current folder).",
)
def generate(check: bool, project: Path) -> int:
    """Generate the schemas from their sources in a checkout of va-reconciler: schemas/*.schema.json, the
    packaged copies and the example's exported copies. In a manifests repository, use `schema export`."""
    from reconciler.app.schema import stale_artifacts, write_artifacts

    if check:
        stale = stale_artifacts(project)
        for path in stale:
            say(f"stale: {path} (run `reconciler schema generate`)")
        return ExitCode.INVALID if stale else ExitCode.OK
    for path in write_artifacts(project):
        say(f"wrote {path}")
    return ExitCode.OK


@schema.command()
@click.argument("folder", type=click.Path(path_type=Path))
def export(folder: Path) -> int:
    """Write every schema this version ships into FOLDER of your repository (e.g. `schemas`), so manifests
    can name one with a relative modeline, without network:

        # yaml-language-server: $schema=../schemas/virtual-account.schema.json

    Re-run it after upgrading va-reconciler. The same files are published at a versioned URL (README,
    "JSON Schemas for editors and tools")."""
    from reconciler.app.schema import export_schemas
    from reconciler.schema import PUBLISHED_SCHEMAS

    written = export_schemas(folder)
    for path in written:
        say(f"wrote {path}")
    if not written:
        say(f"{folder}: {len(PUBLISHED_SCHEMAS)} schemas already current")
    return ExitCode.OK
