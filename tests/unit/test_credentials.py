"""Credentials resolved as TrueFoundry's CLI resolves them: the environment, then `tfy login`'s file."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.adapters.controlplane.credentials import jwt_expiry, resolve_credentials
from reconciler.domain.errors import ConfigError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def login(home: Path, content: object) -> None:
    """What `tfy login` leaves behind: ~/.truefoundry/credentials.json (CredentialsFileContent.json())."""
    (home / ".truefoundry").mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content)
    (home / ".truefoundry" / "credentials.json").write_text(text, encoding="utf-8")


def test_nothing_configured_means_the_embedded_control_plane(tmp_path: Path) -> None:
    assert resolve_credentials({}, tmp_path, NOW) is None
    assert resolve_credentials({"TFY_HOST": "", "TFY_API_KEY": " "}, tmp_path, NOW) is None  # unset secrets


def test_the_environment_comes_first(tmp_path: Path) -> None:
    login(tmp_path, {"access_token": "tfy_from-file", "refresh_token": None, "host": "https://file.example"})
    found = resolve_credentials({"TFY_HOST": "https://env.example/some/path", "TFY_API_KEY": "tfy_env"}, tmp_path, NOW)
    assert found is not None
    assert (found.host, found.api_key, found.origin) == (
        "https://env.example",
        "tfy_env",
        "TFY_API_KEY from the environment",
    )


def test_then_the_file_tfy_login_writes(tmp_path: Path) -> None:
    token = jwt({"tenantName": "acme", "exp": int(NOW.timestamp()) + 3600, "username": "me"})
    login(tmp_path, {"access_token": token, "refresh_token": "r", "host": "https://acme.truefoundry.cloud"})
    found = resolve_credentials({}, tmp_path, NOW)
    assert found is not None
    assert (found.host, found.api_key) == ("https://acme.truefoundry.cloud", token)
    assert found.origin == "credentials from `tfy login` (~/.truefoundry/credentials.json)"
    assert token not in repr(found)
    same_host = resolve_credentials({"TFY_HOST": "https://acme.truefoundry.cloud"}, tmp_path, NOW)
    assert same_host == found


def test_a_tfy_host_naming_another_host_than_the_login_is_refused(tmp_path: Path) -> None:
    login(tmp_path, {"access_token": "tfy_k", "host": "https://acme.truefoundry.cloud"})
    with pytest.raises(ConfigError, match="saved credentials for https://acme.truefoundry.cloud"):
        resolve_credentials({"TFY_HOST": "https://other.example"}, tmp_path, NOW)


def test_an_expired_login_session_is_refused_with_the_fix(tmp_path: Path) -> None:
    token = jwt({"tenantName": "acme", "exp": int(NOW.timestamp()) - 60})
    login(tmp_path, {"access_token": token, "host": "https://acme.truefoundry.cloud"})
    with pytest.raises(ConfigError, match="expired at 2026-11-22 11:59 UTC; run `tfy login` again") as caught:
        resolve_credentials({}, tmp_path, NOW)
    assert token not in str(caught.value)


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps(["a"]), json.dumps({"host": "https://a.example"}), json.dumps({"access_token": "x"})],
)
def test_a_broken_credentials_file_is_a_config_error(tmp_path: Path, content: str) -> None:
    login(tmp_path, content)
    with pytest.raises(ConfigError, match="tfy login"):
        resolve_credentials({}, tmp_path, NOW)


def test_half_configurations_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TFY_API_KEY is set but TFY_HOST is not"):
        resolve_credentials({"TFY_API_KEY": "tfy_k"}, tmp_path, NOW)
    with pytest.raises(ConfigError, match="TFY_HOST is set but TFY_API_KEY is not"):
        resolve_credentials({"TFY_HOST": "https://a.example"}, tmp_path, NOW)
    with pytest.raises(ConfigError, match="must be a URL"):
        resolve_credentials({"TFY_HOST": "a.example", "TFY_API_KEY": "k"}, tmp_path, NOW)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (jwt({"exp": 1795000000}), datetime.fromtimestamp(1795000000, UTC)),
        (jwt({"tenantName": "acme"}), None),
        (jwt({"exp": "soon"}), None),
        ("tfy_abc.def.ghi", None),
        ("plain-token", None),
        ("a.!!!.c", None),
    ],
)
def test_jwt_expiry_reads_exp_without_verifying(token: str, expected: datetime | None) -> None:
    assert jwt_expiry(token) == expected
