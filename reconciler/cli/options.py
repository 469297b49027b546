"""Options every command shares, in one place: where the manifests are (PATH, --ref, --today), what to print
(--format, --out, --color/--no-color), and --debug, accepted before or after the subcommand.

Streams: data goes to stdout (the --format view, or the --out - document), notices to stderr ("Plan written
to ...", what was published to GitHub), so `reconciler plan --out - > plan.json` holds the plan and nothing else."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
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
STDOUT = "-"  # `--out -`: the JSON document on stdout (the --format view moves to stderr)
ROLE_STYLES: dict[str, dict[str, Any]] = {
    "create": {"fg": "green"},
    "update": {"fg": "yellow"},
    "adopt": {"fg": "blue"},
    "delete": {"fg": "red"},
    "recover-token": {"fg": "cyan"},
    "no-op": {"dim": True},
    "conflict": {"fg": "magenta"},
    "blocked": {"fg": "red"},
    "applied": {"fg": "green"},
    "failed": {"fg": "red"},
    "skipped": {"fg": "yellow"},
    "not-done": {"fg": "magenta"},
    "warning": {"fg": "yellow"},
    "error": {"fg": "red"},
}


CONTROL_PLANE_ENV = (
    "Environment: TFY_HOST and TFY_API_KEY name the control plane and its key (else the session `tfy login` "
    "saved in ~/.truefoundry/credentials.json; with neither, the embedded control plane in "
    "PATH/.reconciler/control-plane.db, refused by apply and drift in GitHub Actions unless "
    "RECONCILER_ALLOW_EMBEDDED=1). GITHUB_ACTIONS=true adds the job summary and step outputs; the GitHub flags "
    "read GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_EVENT_PATH. NO_COLOR, FORCE_COLOR and RECONCILER_DEBUG=1 "
    "as for every command."
)
VALIDATE_ENV = (
    "Environment: GITHUB_ACTIONS=true makes github the default format and adds the job summary; in a pull "
    "request (GITHUB_BASE_REF) the policy is read from the base branch. NO_COLOR, FORCE_COLOR and "
    "RECONCILER_DEBUG=1 as for every command."
)


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


def say(text: str, err: bool = False, nl: bool = True) -> None:
    """Print to the terminal or log: everything the command line prints goes through here, and so through the
    one output sanitizer's last pass (`render.safe.terminal`)."""
    from reconciler.render.safe import terminal

    click.echo(terminal(text), err=err, nl=nl)


def enable_debug(_ctx: click.Context | None = None, _param: click.Parameter | None = None, value: bool = True) -> None:
    if value or os.environ.get("RECONCILER_DEBUG") == "1":
        from reconciler.render.safe import SafeFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
        logging.basicConfig(level=logging.DEBUG, handlers=[handler])


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


def color_from_env(environ: Mapping[str, str]) -> bool | None:
    """Colour as the environment asks: NO_COLOR (no-color.org: set and not empty) turns it off, else
    FORCE_COLOR (set, not empty and not 0) turns it on; None lets click decide (on for terminals only)."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return None


def _set_color(ctx: click.Context, _param: click.Parameter, value: bool | None) -> None:
    if value is not None:
        ctx.color = value  # click.echo reads it from the current context; subcommands inherit it


def color_option(command: F) -> F:
    """--color/--no-color, before or after the subcommand; wins over NO_COLOR and FORCE_COLOR."""
    return click.option(
        "--color/--no-color",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_set_color,
        help="Colour the text output always, or never.  [default: on a terminal, unless NO_COLOR is set; "
        "FORCE_COLOR turns it on]",
    )(command)


def terminal_style(text: str, role: str) -> str:
    """The render layer's styler: click's styles by role; click strips them where colour is off."""
    return click.style(text, **ROLE_STYLES.get(role, {}))


def source_options(command: F, many: bool = False) -> F:
    """PATH, --ref and --today, shared by every command that reads manifests (`many`: validate's PATHS...,
    files or folders)."""
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
    if many:
        command = click.argument("paths", nargs=-1, type=click.Path())(command)
    else:
        command = click.argument("path", default=".", type=click.Path(file_okay=False))(command)
    return color_option(debug_option(command))


def sources_options(command: F) -> F:
    """PATHS... (files or folders, default .), --ref and --today: what validate reads."""
    return source_options(command, many=True)


def output_options(what: str, default_format: str = "text") -> Callable[[F], F]:
    """--format (what stdout shows) and --out (the JSON data, to a file), the same on every command."""

    def decorate(command: F) -> F:
        command = click.option(
            "--out",
            type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
            default=None,
            callback=check_out,
            help=f"Also write the {what} as JSON to this file; - writes it to stdout (the view goes to stderr).",
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


def reporter_for(output_format: str | None, default: str = "text", show_unchanged: bool = False) -> Reporter:
    from reconciler.render.reporters import reporter

    return reporter(output_format or default, terminal_style, show_unchanged=show_unchanged)


def to_stdout(out: Path | None) -> bool:
    return out is not None and str(out) == STDOUT


def write_out(out: Path | None, render: Callable[[], str]) -> None:
    """The --out document: `render()` to the file, or to stdout for `-`. Without --out nothing is rendered (a
    plan's JSON at 100,000 accounts is seconds of work)."""
    if out is None:
        return
    text = render()
    text = text if text.endswith("\n") else text + "\n"
    if to_stdout(out):
        say(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        from reconciler.domain.errors import OutputError

        raise OutputError(f"--out {out}: cannot write it: {exc.strerror or exc}") from exc


def show(view: str, data: Callable[[], str], out: Path | None, output_format: str | None) -> None:
    """Print the --format `view` and write the --out `data()`. With `--out -` stdout carries the data alone:
    the view goes to stderr, or nowhere when it is that same JSON (`--format json`)."""
    if to_stdout(out):
        if output_format != "json":
            say(view, err=True)
    else:
        say(view)
    write_out(out, data)


def notice(message: str) -> None:
    """A message for the person running the command, not data: stderr, one line per message (a value in it
    cannot start a line of its own)."""
    from reconciler.render.safe import shown

    say(shown(message), err=True)


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


EMBEDDED_IN_CI = (
    "no TFY_HOST in GitHub Actions: this run would use a throwaway embedded control plane, not TrueFoundry; "
    "set TFY_HOST and TFY_API_KEY from the workflow's secrets (RECONCILER_ALLOW_EMBEDDED=1 allows it on purpose)"
)


def guard_embedded(request: PlanRequest, command: str) -> None:
    """In GitHub Actions, apply and drift refuse the embedded control plane (a missing secret would otherwise
    "converge" a throwaway database and pass); plan says loudly that it plans against no real control plane."""
    if not (in_actions() and request.connection.embedded) or os.environ.get("RECONCILER_ALLOW_EMBEDDED") == "1":
        return
    if command != "plan":
        from reconciler.domain.errors import ConfigError

        raise ConfigError(f"{command} refused: {EMBEDDED_IN_CI}")
    say(f"::warning title=va-reconciler::not planning against a real control plane: {EMBEDDED_IN_CI}", err=True)


PLAN_FILE_LIMIT = 64 * 1024 * 1024


def read_plan_file(path: Path) -> str:
    """The text of `apply --plan FILE`: a regular file (a FIFO or device would hang or never end), at most 64
    MiB, UTF-8. Anything else is a PlanFileError naming the file."""
    import stat

    from reconciler.domain.errors import PlanFileError

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise PlanFileError(f"--plan {path}: not a regular file")
        if info.st_size > PLAN_FILE_LIMIT:
            raise PlanFileError(f"--plan {path}: {info.st_size} bytes, larger than any plan file (64 MiB)")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"--plan {path}: not a plan file (not UTF-8 text)") from exc
    except OSError as exc:
        raise PlanFileError(f"--plan {path}: cannot read it: {exc.strerror or exc}") from exc


def check_out(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """`--out FILE` is checked before anything runs (an apply must not write to the control plane and then
    fail to write its report): its folder exists and is writable, and the file is not a folder."""
    if value is None or str(value) == STDOUT:
        return value
    folder = value.parent
    if not folder.is_dir():
        raise click.BadParameter(f"{value}: the folder {folder} does not exist")
    if value.is_dir():
        raise click.BadParameter(f"{value} is a folder")
    if not os.access(folder, os.W_OK) or (value.exists() and not os.access(value, os.W_OK)):
        raise click.BadParameter(f"{value}: not writable")
    return value
