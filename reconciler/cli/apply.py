"""`reconciler apply`: parse options, call the use case, print a view of the report."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from reconciler.cli.options import (
    CONTROL_PLANE_ENV,
    environment_option,
    guard_embedded,
    in_actions,
    mass_delete_option,
    notice,
    output_options,
    plan_request,
    read_plan_file,
    reporter_for,
    say,
    show,
    source_options,
    token_dir_option,
)
from reconciler.domain.errors import ExitCode
from reconciler.domain.reports import Outcome


@click.command(epilog=CONTROL_PLANE_ENV)
@source_options
@token_dir_option
@mass_delete_option
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="Apply only what this reviewed plan approved; refuse accounts changed since.")  # fmt: skip
@click.option("--force", is_flag=True, help="With --plan: apply the fresh plan even where it differs.")
@output_options("apply report")
@click.option("--github-report", is_flag=True, help="Comment the report on the merged pull request.")
@environment_option
@click.option("--skip-ref-check", is_flag=True,
              help="Apply whatever is checked out, even another branch than apply.branch (default: the default "
                   "branch) or a commit that is no longer its tip. Never in a pull-request event.")  # fmt: skip
def apply(path: str, ref: str | None, today: date | None, token_dir: Path | None, allow_mass_delete: bool,
          plan_file: Path | None, force: bool, output_format: str | None, out: Path | None, github_report: bool,
          environment: str, skip_ref_check: bool) -> int:  # fmt: skip
    """Converge the control plane to the manifests under PATH: re-plan against live state, then create,
    update and (with prune) delete, each account on its own, and plan again: exit 0 only when that plan
    finds nothing left to do. Refuses in a pull-request event, on another branch than the one it deploys,
    and (in GitHub Actions) on a commit that is no longer that branch's tip."""
    from reconciler.app.apply import apply as run_apply
    from reconciler.app.gate import Where
    from reconciler.domain.plan import Plan
    from reconciler.render.reporters import JsonReporter

    if github_report:
        from reconciler.app.github import check_flags, github_context

        check_flags(github_context(os.environ), report=True)
    reviewed = Plan.from_json(read_plan_file(plan_file)) if plan_file else None
    request = plan_request(path, ref, today, token_dir, allow_mass_delete)
    guard_embedded(request, "apply")
    where = Where(path, ref, os.environ, skip_ref_check)
    report = run_apply(request, reviewed, force, where, ApplyProgress())
    show(reporter_for(output_format).apply(report), lambda: JsonReporter().apply(report), out, output_format)
    if github_report or in_actions():
        from reconciler.app.github import github_context, publish_apply

        context = github_context(os.environ)
        for message in publish_apply(report, context, environment, github_report, Path(path)).messages:
            notice(message)
    return ExitCode.OK if report.converged else ExitCode.INVALID


class ApplyProgress:
    """Progress of a running apply, on stderr (stdout keeps the data): on a terminal one live line rewritten
    as each change finishes; elsewhere (CI logs) a plain line at the first change and at every tenth of
    the way, and at least every 10 seconds."""

    def __init__(self) -> None:
        import sys
        import time

        self._live = sys.stderr.isatty()
        self._clock = time.monotonic
        self._last = self._clock()
        self._shown_step = -1
        self._counts: dict[str, int] = {}

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        self._counts[str(outcome.status)] = self._counts.get(str(outcome.status), 0) + 1
        tally = ", ".join(f"{n} {status}" for status, n in sorted(self._counts.items()))
        line = f"apply: {done}/{total} changes done ({tally})"
        if self._live:
            click.echo("\r\x1b[2K" + line + ("\n" if done == total else ""), err=True, nl=False)
            return
        step = done * 10 // total
        if step != self._shown_step or done == total or self._clock() - self._last >= 10:
            self._shown_step, self._last = step, self._clock()
            say(line, err=True)
