"""Options every command shares, in one place: where the manifests are (PATH, --ref, --today), what to print
(--format, --out), and --debug, accepted before or after the subcommand."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.domain.errors import UsageError

if TYPE_CHECKING:
    from reconciler.app.plan import PlanRequest
    from reconciler.domain.ports import ManifestSource
    from reconciler.domain.values import Problem
    from reconciler.render.reporters import Reporter

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "markdown", "github")
_YYYY_MM_DD = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today_utc() -> date:
    return datetime.now(UTC).date()


class DateParam(click.ParamType):  # type: ignore[type-arg]
    name = "yyyy-mm-dd"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:  # fromisoformat alone also takes 20261122 and 2026-W47-7
            if _YYYY_MM_DD.fullmatch(str(value)) is None:
                raise ValueError(value)
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date in the format yyyy-mm-dd", param, ctx)


def enable_debug(_ctx: click.Context | None = None, _param: click.Parameter | None = None, value: bool = True) -> None:
    if value or os.environ.get("RECONCILER_DEBUG") == "1":
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


def debug_option(command: F) -> F:
    """--debug after the subcommand too (the internal-error message tells users to re-run with it)."""
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=enable_debug,
        help="Debug logging (HTTP requests included, tokens never) and tracebacks for internal errors.",
    )(command)


def source_options(command: F) -> F:
    """PATH, --ref and --today, shared by every command that reads manifests."""
    command = click.option(
        "--today",
        type=DateParam(),
        default=None,
        help="Treat this date (UTC) as today when checking expiry; for reproducible runs.  [default: today, UTC]",
    )(command)
    command = click.option(
        "--ref",
        default=None,
        metavar="REF",
        help="Read the manifests at this Git ref (branch, tag, SHA) instead of the working tree.",
    )(command)
    command = click.argument("path", default=".", type=click.Path(file_okay=False))(command)
    return debug_option(command)


def output_options(what: str, default_format: str = "text") -> Callable[[F], F]:
    """--format (what stdout shows) and --out (the JSON data, to a file), the same on every command."""

    def decorate(command: F) -> F:
        command = click.option(
            "--out",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help=f"Also write the {what} as JSON to this file.",
        )(command)
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(FORMATS),
            default=None,
            help=f"What to print: text, json, markdown or github (annotations).  [default: {default_format}]",
        )(command)

    return decorate


token_dir_option = click.option(
    "--token-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where created accounts without secret_store_config get their one-time token (files, mode 0600).",
)  # fmt: skip
environment_option = click.option(
    "--environment", default="", metavar="NAME",
    help="Name of the target environment: one sticky comment (and one drift issue) per environment.",
)  # fmt: skip
mass_delete_option = click.option(
    "--allow-mass-delete", is_flag=True, help="Allow a prune above the thresholds in reconciler.yaml."
)


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("CI") != "true"


def reporter_for(output_format: str | None, default: str = "text", show_unchanged: bool = False) -> Reporter:
    from reconciler.render.reporters import reporter

    return reporter(output_format or default, color=color(), show_unchanged=show_unchanged)


def write_out(out: Path | None, render: Callable[[], str]) -> None:
    """Write `render()` to `out`; without --out nothing is rendered (a plan's JSON at 100,000 accounts is
    seconds of work)."""
    if out is not None:
        text = render()
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


policy_ref_option = click.option(
    "--policy-ref",
    default=None,
    metavar="REF",
    help="Read the policy of reconciler.yaml at this Git ref (the base branch), so the change under review cannot "
    "relax it.  [default: in a GitHub pull request, the base branch (GITHUB_BASE_REF)]",
)


def policy_source(path: str, policy_ref: str | None) -> tuple[ManifestSource | None, Problem | None]:
    """Where policy comes from: `--policy-ref`, else a pull request's base branch in GitHub Actions, else the
    manifests' own reconciler.yaml (None). When a pull request's base is not in the clone: no source and an
    error saying how to fetch it, so that the run still reports everything else and still fails. A
    `--policy-ref` that does not exist is a usage error (UsageError)."""
    from reconciler.adapters.git_source import open_base_source, open_source
    from reconciler.domain.config import CONFIG_FILE
    from reconciler.domain.values import Position, Problem

    if policy_ref is not None:
        return open_source(path, policy_ref), None
    base = os.environ.get("GITHUB_BASE_REF", "")
    if not (in_actions() and base and os.environ.get("GITHUB_EVENT_NAME", "").startswith("pull_request")):
        return None, None
    try:
        return open_base_source(path, base), None
    except UsageError as missing:
        return None, Problem(Position(CONFIG_FILE, 1, 1), f"policy not checked: {missing}")


def plan_request(
    path: str,
    ref: str | None,
    today: date | None,
    token_dir: Path | None = None,
    allow_mass_delete: bool = False,
    policy_ref: str | None = None,
) -> PlanRequest:
    from reconciler.adapters.controlplane.connection import connect
    from reconciler.adapters.git_source import open_source
    from reconciler.app.plan import PlanRequest

    base, unchecked = policy_source(path, policy_ref)
    return PlanRequest(
        source=open_source(path, ref),
        connection=connect(Path(path), os.environ),
        today=today or today_utc(),
        token_dir=token_dir,
        allow_mass_delete=allow_mass_delete,
        policy_source=base,
        policy_unchecked=unchecked,
    )
