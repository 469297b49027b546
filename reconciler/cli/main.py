"""The `reconciler` command: a click group, one short function per command, one error handler.

Heavy modules (httpx, jsonschema, gitpython, jinja2) are imported inside the commands that use them, so
`reconciler --help` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence

import click

from reconciler import __version__
from reconciler.cli.options import color_from_env, color_option, debug_option, enable_debug, say
from reconciler.domain.errors import ExitCode, ReconcilerError, UsageError, usage_exit_code
from reconciler.render.safe import masked

# command name -> "module:attribute" under reconciler.cli. Each command's module is imported only when that
# command runs (click's lazy-loading pattern): `validate` never pays for apply's, plan's or the emulator's
# imports (about 60 ms of start-up, most of a small repository's validate).
COMMANDS = {
    "validate": "validate:validate",
    "plan": "plan:plan",
    "apply": "apply:apply",
    "drift": "drift:drift",
    "migrate": "migrate:migrate",
    "import": "importing:import_",
    "schema": "schema:schema",
    "emulator": "emulator:emulator",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(f"reconciler.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100, "show_default": True},
    epilog="Environment: TFY_HOST and TFY_API_KEY (else `tfy login`'s session; with neither, the embedded control "
    "plane in PATH/.reconciler/), GITHUB_ACTIONS and the GitHub variables, NO_COLOR, FORCE_COLOR, RECONCILER_DEBUG=1 "
    "(as --debug). `reconciler COMMAND --help` says what each command reads.",
)
@debug_option
@color_option
@click.version_option(__version__)
def cli() -> None:
    """GitOps for TrueFoundry virtual accounts: validate, plan, apply and detect drift from Git.

    Exit codes: 0 success; 1 an error (invalid manifests, a failed apply); 2 with --detailed-exitcode: the
    plan has changes, or drift was found (a usage error is then 1), without it: a usage error (a bad option,
    an unknown --ref, a missing path); 3 internal error.
    """
    if os.environ.get("RECONCILER_DEBUG") == "1":
        enable_debug()


def run(args: Sequence[str], prog_name: str = "reconciler") -> int:
    """Run the CLI and map every outcome to a fixed exit code; never lets a traceback reach a user
    unless --debug (or RECONCILER_DEBUG=1) asks for one."""
    args = _debug_first(args)
    debug = "--debug" in args or os.environ.get("RECONCILER_DEBUG") == "1"
    usage_code = usage_exit_code("--detailed-exitcode" in args)
    try:
        result = cli.main(list(args), prog_name=prog_name, standalone_mode=False, color=color_from_env(os.environ))
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.Abort:
        say("Aborted.", err=True)
        return ExitCode.INVALID
    except click.ClickException as usage:
        _show_usage_error(usage)
        return usage_code
    except UsageError as error:
        say(f"error: {masked(error, limit=2000)}", err=True)
        return usage_code
    except ReconcilerError as error:
        say(f"error: {masked(error, limit=2000)}", err=True)
        return error.exit_code
    except Exception as bug:  # the one place that catches everything: report, never crash
        if debug:
            traceback.print_exc()
        say(
            f"internal error: {type(bug).__name__}: {masked(bug)}\n"
            "This is a bug in va-reconciler. Re-run with --debug for the traceback and report it.",
            err=True,
        )
        return ExitCode.INTERNAL
    return int(result) if isinstance(result, int) else ExitCode.OK


def _debug_first(args: Sequence[str]) -> list[str]:
    """`--debug` is accepted anywhere on the command line (before `--`), every subcommand included: it is
    moved to the group, where it acts before anything runs."""
    end = list(args).index("--") if "--" in args else len(args)
    head = [arg for arg in args[:end] if arg != "--debug"]
    if len(head) == end:
        return list(args)
    return ["--debug", *head, *args[end:]]


def _show_usage_error(usage: click.ClickException) -> None:
    """click's usage error, its message (which quotes the command line: paths, values) through the one
    sanitizer: the usage line and hint are ours, the quoted values are escaped."""
    context = getattr(usage, "ctx", None)
    if isinstance(usage, click.UsageError) and context is not None:
        hint = ""
        if context.command.get_help_option(context) is not None:
            hint = f"Try '{context.command_path} {context.help_option_names[0]}' for help.\n"
        say(f"{context.get_usage()}\n{hint}", err=True)
    say(f"Error: {masked(usage.format_message(), limit=2000)}", err=True)


def main() -> None:
    """The console scripts `reconciler` and `va-reconciler` (the PyPI name: `uvx va-reconciler` runs this)."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "reconciler"
    sys.exit(run(sys.argv[1:], "va-reconciler" if name.startswith("va-reconciler") else "reconciler"))
