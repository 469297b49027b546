"""Which TrueFoundry credentials a command uses, resolved as TrueFoundry's CLI resolves them (truefoundry 0.17.5,
`common/session.py`: the environment's provider first, then the file's):

1. the environment: `TFY_API_KEY` with `TFY_HOST` (both set and not empty; an empty value counts as unset, as
   an unset secret reaches a GitHub Actions step);
2. the file `tfy login` writes, `~/.truefoundry/credentials.json` (`common/constants.py`), holding
   `{"access_token", "refresh_token", "host"}` (`common/entities.py: CredentialsFileContent`);
3. neither: None, and the caller uses the embedded control plane.

`origin` says which, in words, for the "Live:" line. Tokens are never part of a message.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.domain.errors import ConfigError

TFY_CREDENTIALS_FILE = Path(".truefoundry") / "credentials.json"
TFY_KEY_PREFIX = "tfy_"  # tfy's personal access tokens; any other key is a JWT to tfy


@dataclass(frozen=True)
class Credentials:
    """A control plane's host root (`https://org.truefoundry.cloud`), its key, and where both came from."""

    host: str
    api_key: str = field(repr=False)
    origin: str


def resolve_credentials(environ: Mapping[str, str], home: Path, now: datetime | None = None) -> Credentials | None:
    """The credentials a command uses, or None for the embedded control plane. Raises ConfigError for a half
    configuration (a key without a host), an unreadable credentials file, an expired `tfy login` session, or
    TFY_HOST naming another host than the one `tfy login` saved."""
    host, key = environ.get("TFY_HOST", "").strip(), environ.get("TFY_API_KEY", "").strip()
    if key:
        if not host:
            raise ConfigError("TFY_API_KEY is set but TFY_HOST is not: set both to use a real control plane")
        return Credentials(host_root(host, "TFY_HOST"), key, "TFY_API_KEY from the environment")
    saved = home / TFY_CREDENTIALS_FILE
    if saved.is_file():
        credentials = _from_login_file(saved, now or datetime.now(UTC))
        if host and host_root(host, "TFY_HOST") != credentials.host:
            raise ConfigError(
                f"TFY_HOST is {host_root(host, 'TFY_HOST')} but `tfy login` saved credentials for "
                f"{credentials.host} (~/{TFY_CREDENTIALS_FILE}); set TFY_API_KEY too, or run `tfy login` there"
            )
        return credentials
    if host:
        raise ConfigError(
            "TFY_HOST is set but TFY_API_KEY is not, and there is no `tfy login` session "
            f"(~/{TFY_CREDENTIALS_FILE}): set both to use a real control plane"
        )
    return None


def host_root(host: str, where: str) -> str:
    """`scheme://netloc` of `host`: like tfy, a path in TFY_HOST is replaced, not appended."""
    wrong = ConfigError(f"{where} must be a URL like https://your-org.truefoundry.cloud, not {host!r}")
    try:  # urlsplit raises on a bad IPv6 literal, `.port` on a port that is not a number from 0 to 65535
        parts = urlsplit(host.strip())
        parts.port  # noqa: B018  (validates the port)
    except ValueError as exc:
        raise wrong from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in parts.netloc):
        raise wrong
    return f"{parts.scheme}://{parts.netloc}"


def _from_login_file(path: Path, now: datetime) -> Credentials:
    shown = f"~/{TFY_CREDENTIALS_FILE}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read {shown} (written by `tfy login`): {type(exc).__name__}; log in again") from exc
    token, host = (data.get("access_token"), data.get("host")) if isinstance(data, dict) else (None, None)
    if not isinstance(token, str) or not token.strip() or not isinstance(host, str):
        raise ConfigError(f"{shown} has no access_token and host (it is written by `tfy login`); log in again")
    expires = jwt_expiry(token.strip())
    if expires is not None and expires <= now:
        raise ConfigError(
            f"the `tfy login` session in {shown} expired at {expires:%Y-%m-%d %H:%M} UTC; run `tfy login` again "
            "(the reconciler does not refresh sessions), or set TFY_HOST and TFY_API_KEY"
        )
    return Credentials(host_root(host, shown), token.strip(), f"credentials from `tfy login` ({shown})")


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a JWT, read without verifying it (as tfy reads keys that do not start with `tfy_`);
    None for a `tfy_` key or anything that is not a JWT with a numeric `exp`."""
    if token.startswith(TFY_KEY_PREFIX) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(expiry, int | float) or isinstance(expiry, bool):
        return None
    return datetime.fromtimestamp(expiry, UTC)
