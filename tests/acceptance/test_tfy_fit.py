"""Fit with TrueFoundry's own CLI (`tfy`, truefoundry 0.17.5): validate warns where `tfy apply` reads a manifest
differently, commands use `tfy login`'s saved credentials and say so, and `emulator serve` hands out admin
tokens tfy can use (or says why not). The slow test runs the real `tfy apply --dry-run` against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TODAY, CliRunner, copy_example, write
from tests.emulator_process import ADMIN, ServedEmulator

TFY_VENV = Path(os.environ.get("RECONCILER_TFY_VENV", "/tmp/checks-tfy-venv"))
TFY_VERSION = "0.17.5"
MANIFEST = """type: virtual-account
name: {name}
permissions:
  - resource_fqn: acme-prod-cluster:platform
    resource_type: workspace
    role_id: workspace-viewer
{extra}
"""
CASES = {  # file -> (what it holds; does tfy apply fail on it)
    "quoted-date": ('expiration_date: "2028-06-30"', False),
    "unquoted-date": ("expiration_date: 2028-06-30", True),
    "boolean-channel": (
        "notification_target:\n  type: slack-bot\n  notification_channel: acme:notification-channel:slack-platform\n"
        "  channels: [on]",
        True,
    ),
    "quoted-channel": (
        "notification_target:\n  type: slack-bot\n  notification_channel: acme:notification-channel:slack-platform\n"
        '  channels: ["on"]',
        False,
    ),
}


def warnings_of(cli: CliRunner, *paths: str) -> list[dict[str, object]]:
    """The warnings about how `tfy apply` reads the files (other warnings, such as deprecations, left out)."""
    result = cli("validate", *paths, "--format", "json", "--today", TODAY)
    assert result.code == 0, result.out + result.err
    problems = json.loads(result.out)["problems"]
    return [p for p in problems if p["severity"] == "warning" and str(p["message"]).startswith("tfy apply reads")]


def test_the_shipped_example_passes_tfy_as_is(cli: CliRunner) -> None:
    assert warnings_of(cli, str(REPO_ROOT / "manifests-example")) == []


def test_an_unquoted_date_is_a_warning_naming_the_fix(tmp_path: Path, cli: CliRunner) -> None:
    copy_example(tmp_path / "repo")
    bot = tmp_path / "repo" / "accounts" / "platform" / "ci-release-bot.yaml"
    bot.write_text(bot.read_text("utf-8").replace('"2028-06-30"', "2028-06-30"), encoding="utf-8")
    (warning,) = warnings_of(cli, str(tmp_path / "repo"))
    assert (warning["file"], warning["line"], warning["path"]) == (
        "accounts/platform/ci-release-bot.yaml",
        9,
        "$.expiration_date",
    )
    assert warning["message"] == (
        'tfy apply reads the unquoted 2028-06-30 as a date (YAML 1.1) and fails ("Object of type date is not JSON '
        'serializable"); quote it: "2028-06-30"'
    )


def test_the_live_line_says_whose_credentials(tmp_path: Path, cli: CliRunner) -> None:
    repo = tmp_path / "repo"
    write(repo / "reconciler.yaml", "version: 1\nownership: {tag_value: 'va-reconciler:acme/x'}\n")
    write(repo / "a.yaml", MANIFEST.format(name="live-bot", extra=""))
    emulator = ServedEmulator(tmp_path / "cp.db")
    try:
        home = Path(os.environ["HOME"])
        write(home / ".truefoundry" / "credentials.json", json.dumps({"access_token": ADMIN, "host": emulator.url}))
        try:
            from_login = cli("plan", str(repo), "--today", TODAY)
        finally:
            (home / ".truefoundry" / "credentials.json").unlink()
        assert from_login.code == 1, from_login.err  # the create has no token destination: blocked
        assert (
            f"Live:    {emulator.url} (credentials from `tfy login` (~/.truefoundry/credentials.json))"
            in from_login.out
        )
        from_env = cli("plan", str(repo), "--today", TODAY, env=emulator.env)
        assert f"Live:    {emulator.url} (TFY_API_KEY from the environment)" in from_env.out
        for result in (from_login, from_env):
            assert ADMIN not in result.out + result.err
    finally:
        emulator.stop()
    embedded = cli("plan", str(repo), "--today", TODAY, env={"TFY_HOST": "", "TFY_API_KEY": ""})
    assert "Live:    embedded control plane" in embedded.out


def serve_banner(tmp_path: Path, *token: str) -> tuple[str, str]:
    """Start `emulator serve` (with `--admin-token` when given), read its banner, stop it: (stdout, stderr)."""
    args = [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", "--db", str(tmp_path / "t.db")]
    if token:
        args += ["--admin-token", token[0]]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        out = "".join(process.stdout.readline() for _ in range(4))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    return out, err


def test_serve_warns_when_the_admin_token_is_no_key_tfy_can_use(tmp_path: Path) -> None:
    out, err = serve_banner(tmp_path / "plain", "checks-admin-123")
    assert "listening on" in out
    assert "warning: the admin token is neither a tfy_ key nor a JWT" in err and "tfy" in err
    out, err = serve_banner(tmp_path / "tfy", "tfy_emulator-admin")
    assert "listening on" in out and "warning" not in err
    out, err = serve_banner(tmp_path / "default")
    key = re.search(r"TFY_API_KEY=(\S+)", out)
    assert key is not None and key.group(1).count(".") == 2  # a generated JWT
    assert "warning" not in err


def tfy_executable() -> Path:
    """TrueFoundry's CLI from PyPI in its own virtual environment, installed once; skip when unavailable."""
    tfy = TFY_VENV / "bin" / "tfy"
    if not tfy.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(TFY_VENV)], check=True, capture_output=True, timeout=120)
            subprocess.run([str(TFY_VENV / "bin" / "pip"), "install", "--quiet", f"truefoundry=={TFY_VERSION}"],
                           check=True, capture_output=True, timeout=900)  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            pytest.skip(f"truefoundry=={TFY_VERSION} could not be installed (offline?)")
    version = subprocess.run([str(tfy), "--version"], capture_output=True, text=True, timeout=120)
    if TFY_VERSION not in version.stdout:
        pytest.skip(f"{tfy} is not truefoundry {TFY_VERSION}")
    return tfy


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_validate_warns_exactly_where_tfy_apply_dry_run_fails(tmp_path: Path, cli: CliRunner) -> None:
    tfy = tfy_executable()
    folder = tmp_path / "manifests"
    for name, (extra, _) in CASES.items():
        write(folder / f"{name}.yaml", MANIFEST.format(name=name, extra=extra))
    process = subprocess.Popen(  # no --admin-token: the generated admin JWT must work for tfy as is
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", "--db", str(tmp_path / "cp.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(4))
        url = re.search(r"listening on (\S+)", banner)
        key = re.search(r"TFY_API_KEY=(\S+)", banner)
        assert url is not None and key is not None, banner
        env = {**os.environ, "TFY_HOST": url.group(1), "TFY_API_KEY": key.group(1), "HOME": str(tmp_path / "home")}
        for name, (_, fails) in CASES.items():
            warned = warnings_of(cli, str(folder / f"{name}.yaml"))
            applied = subprocess.run([str(tfy), "apply", "-f", str(folder / f"{name}.yaml"), "--dry-run"],
                                     env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
            assert (applied.returncode != 0) is fails, (name, applied.stdout[-2000:], applied.stderr[-2000:])
            assert bool(warned) is fails, (name, warned)
            if fails:
                assert "quote it" in str(warned[0]["message"])
    finally:
        process.terminate()
        process.communicate(timeout=30)
