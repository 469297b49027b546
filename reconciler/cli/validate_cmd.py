"""`reconciler validate`: parse options, call the use case, print a view of the report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click

from reconciler.errors import ExitCode

FORMATS = ("human", "json", "github")


def today_utc() -> date:
    return datetime.now(UTC).date()


class DateParam(click.ParamType):  # type: ignore[type-arg]
    name = "yyyy-mm-dd"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date in the format yyyy-mm-dd", param, ctx)


def source_options(command: click.decorators.FC) -> click.decorators.FC:
    """PATH, --ref and --today, shared by every command that reads manifests."""
    command = click.option(
        "--today",
        type=DateParam(),
        default=None,
        help="Treat this date (UTC) as today when checking expiry; for reproducible runs.",
    )(command)
    command = click.option(
        "--ref",
        default=None,
        metavar="REF",
        help="Read the manifests at this Git ref (branch, tag, SHA) instead of the working tree.",
    )(command)
    return click.argument("path", default=".", type=click.Path(file_okay=False))(command)


@click.command()
@source_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format. Default: github when GITHUB_ACTIONS=true, else human.",
)
def validate(path: str, ref: str | None, today: date | None, output_format: str | None) -> int:
    """Validate every virtual-account manifest under PATH (default: the current folder).

    Reads reconciler.yaml in PATH for the manifest paths, loads every *.yaml/*.yml strictly, validates it
    against the generated JSON Schema, and reports every problem as file:line:col.
    """
    from reconciler.app.validate import load_repository
    from reconciler.github.actions import running_in_actions
    from reconciler.manifests.source import open_source
    from reconciler.render.validation import as_github, as_json, as_text

    loaded = load_repository(open_source(path, ref), today or today_utc())
    report = loaded.report
    chosen = output_format or ("github" if running_in_actions() else "human")
    if chosen == "json":
        click.echo(as_json(report, loaded.description, loaded.revision))
    elif chosen == "github":
        click.echo(as_github(report, loaded.description))
    else:
        click.echo(as_text(report, loaded.description))
    return ExitCode.OK if report.valid else ExitCode.INVALID
