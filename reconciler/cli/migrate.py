"""`reconciler migrate`: move deprecated `permissions` into role bindings; print the diff."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from reconciler.cli.options import DateParam, debug_option, say, today_utc
from reconciler.domain.errors import ExitCode


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when something is left to migrate.")
@click.option("--today", type=DateParam(), default=None, help="Treat this date (UTC) as today.  [default: today]")
@debug_option
def migrate(path: Path, check: bool, today: date | None) -> int:
    """Rewrite every virtual account's deprecated `permissions` under PATH into a role-binding document placed
    right after it, named va-<account> (stable across runs), keeping comments, key order and layout. Prints
    the diff. Access stays the same: a plan after it shows no access change."""
    from reconciler.app.migrate import migrate as run

    migrations = run(path, today or today_utc(), write=not check)
    for migration in migrations:
        say(migration.diff, nl=False)
    bindings = sum(len(m.bindings) for m in migrations)
    if not migrations:
        say("Nothing to migrate: no manifest uses permissions.", err=True)
        return ExitCode.OK
    verb = "would move" if check else "moved"
    say(f"{verb} the permissions of {bindings} account(s) into role bindings, in {len(migrations)} file(s).", err=True)
    return ExitCode.INVALID if check else ExitCode.OK
