"""Which control plane a command talks to: TrueFoundry's, with credentials resolved as `tfy` resolves them
(TFY_HOST + TFY_API_KEY, then the `tfy login` file: `credentials.py`), or, with neither, the embedded one
in-process, with its state in <manifests>/.reconciler/control-plane.db."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from reconciler.adapters.controlplane.client import Connection
from reconciler.adapters.controlplane.credentials import resolve_credentials
from reconciler.domain.errors import ConfigError

EMBEDDED_DB = Path(".reconciler") / "control-plane.db"


def connect(manifests_root: Path, environ: Mapping[str, str]) -> Connection:
    """The connection for a command reading the manifests under `manifests_root`. Its description, the
    "Live:" line, names the host and where the credentials came from (never the key)."""
    credentials = resolve_credentials(environ, Path(environ.get("HOME") or os.path.expanduser("~")))
    if credentials is None:
        return _embedded(manifests_root / EMBEDDED_DB)
    description = f"{credentials.host} ({credentials.origin})"
    return Connection(base_url=credentials.host, api_key=credentials.api_key, description=description)


def _embedded(db: Path) -> Connection:
    import httpx

    from reconciler.emulator.http.app import create_app  # heavy: only without credentials

    try:
        app = create_app(db)
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(
            f"the embedded control plane cannot open its database {db}: {exc}; move the file away to start "
            "afresh, or set TFY_HOST and TFY_API_KEY to use a real control plane"
        ) from exc
    token: str = app.state.emulator.backend.admin_token
    return Connection(
        base_url="http://embedded.control-plane",
        api_key=token,
        description=f"embedded control plane ({db})",
        transport=httpx.ASGITransport(app=app),
    )
