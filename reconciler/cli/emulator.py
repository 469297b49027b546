"""`reconciler emulator serve`: run the embedded control plane as a real HTTP server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from reconciler.cli.options import say
from reconciler.domain.errors import ConfigError, ExitCode, UsageError

DEFAULT_DB = Path(".reconciler/control-plane.db")


@click.group()
def emulator() -> None:
    """The embedded control plane: an emulator of TrueFoundry's virtual-account API."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep it loopback).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port; 0 picks a free one."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite database holding the emulated state (created if missing).",
)
@click.option(
    "--admin-token",
    envvar="RECONCILER_EMULATOR_ADMIN_TOKEN",
    default=None,
    help="Bearer token with tenant-admin rights (default: a JWT generated once and kept in the database). Give "
    "a tfy_... key or a JWT with tenantName and exp if TrueFoundry's CLI (tfy) is to use it.",
)
@click.option(
    "--tenant",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Tenant description (teams, roles, resources, integrations); default: the demo tenant.",
)
@click.option(
    "--test-controls",
    is_flag=True,
    help="Enable /_emulator/clock and /_emulator/faults (clock and fault injection) for tests.",
)
@click.option("--latency-ms", type=click.IntRange(0, 10_000), default=0, help="Delay every API request.")
def serve(
    host: str,
    port: int,
    db: Path,
    admin_token: str | None,
    tenant: Path | None,
    test_controls: bool,
    latency_ms: int,
) -> int:
    """Serve the emulated control plane at http://HOST:PORT/api/svc/v1/ until Ctrl-C."""
    from reconciler.emulator.server import ServeOptions
    from reconciler.emulator.server import serve as run_server
    from reconciler.emulator.tenant import TenantError
    from reconciler.emulator.tokens import tfy_key_problem

    def announce(url: str, token: str) -> None:
        problem = tfy_key_problem(token)
        if problem is not None:
            say(
                f"warning: the admin token {problem}: TrueFoundry's CLI (tfy) decodes such keys as JWTs and fails "
                '("Not enough segments"); the reconciler and the SDK accept it. For tfy, pass a key starting with '
                "tfy_, or omit --admin-token on a new --db to get a generated JWT.",
                err=True,
            )
        say(f"Embedded control plane listening on {url} (database {db})")
        say("Point TrueFoundry tools or the reconciler at it:")
        say(f"  export TFY_HOST={url}")
        say(f"  export TFY_API_KEY={token}")
        if test_controls:
            say("Test controls enabled: /_emulator/clock, /_emulator/faults")
        say("Press Ctrl-C to stop.", nl=True)

    try:
        run_server(ServeOptions(host, port, db, admin_token, tenant, test_controls, latency_ms), announce)
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly and re-raised the Ctrl-C: stopping is the normal way out
    except TenantError as exc:
        raise ConfigError(str(exc)) from exc
    except sqlite3.Error as exc:
        raise ConfigError(f"--db {db}: cannot use it as the emulator's database: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    say("Stopped.")
    return ExitCode.OK
