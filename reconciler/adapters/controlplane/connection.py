"""Which control plane a command talks to: TrueFoundry's (TFY_HOST + TFY_API_KEY, its own convention) or,
with no TFY_HOST, the embedded one in-process, with its state in <manifests>/.reconciler/control-plane.db."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.adapters.controlplane.client import Connection
from reconciler.domain.errors import ConfigError

EMBEDDED_DB = Path(".reconciler") / "control-plane.db"


def connect(manifests_root: Path, environ: Mapping[str, str]) -> Connection:
    host = environ.get("TFY_HOST", "").strip()
    if not host:
        return _embedded(manifests_root / EMBEDDED_DB)
    key = environ.get("TFY_API_KEY", "").strip()
    if not key:
        raise ConfigError("TFY_HOST is set but TFY_API_KEY is not: set both to use a real control plane")
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"TFY_HOST must be a URL like https://your-org.truefoundry.cloud, not {host!r}")
    root = f"{parts.scheme}://{parts.netloc}"  # like tfy: a path in TFY_HOST is replaced, not appended
    return Connection(base_url=root, api_key=key, description=root)


def _embedded(db: Path) -> Connection:
    import httpx

    from reconciler.emulator.http.app import create_app  # heavy: only without TFY_HOST

    app = create_app(db)
    token: str = app.state.emulator.backend.admin_token
    return Connection(
        base_url="http://embedded.control-plane",
        api_key=token,
        description=f"embedded control plane ({db})",
        transport=httpx.ASGITransport(app=app),
    )
