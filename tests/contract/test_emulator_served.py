"""What only a real server process can show: restart persistence, a response lost after commit, Ctrl-C,
and test controls being off unless asked for."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.contract.conftest import ADMIN, API, ServedEmulator
from tests.contract.test_emulator_contract import manifest

AUTH = {"Authorization": f"Bearer {ADMIN}"}


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "cp.db"
    first = ServedEmulator(db)
    try:
        created = httpx.put(
            f"{first.url}{API}/virtual-accounts", json={"manifest": manifest("durable-bot")}, headers=AUTH
        )
        token = created.json()["token"]
        httpx.post(f"{first.url}/_emulator/clock", json={"advanceSeconds": 86400}, headers=AUTH)
        clock_before = httpx.get(f"{first.url}/_emulator/clock", headers=AUTH).json()["now"]
    finally:
        assert first.stop() == 0
    second = ServedEmulator(db)
    try:
        listed = httpx.get(f"{second.url}{API}/virtual-accounts", headers=AUTH).json()
        assert [a["name"] for a in listed["data"]] == ["durable-bot"]
        assert listed["data"][0]["id"] == created.json()["data"]["id"]
        assert httpx.get(f"{second.url}{API}/session", headers={"Authorization": f"Bearer {token}"}).is_success
        assert httpx.get(f"{second.url}/_emulator/clock", headers=AUTH).json()["now"] >= clock_before
    finally:
        assert second.stop() == 0


def test_a_response_dropped_after_commit_leaves_the_write_done(served: ServedEmulator) -> None:
    fault = {"method": "PUT", "path": "/virtual-accounts$", "dropResponse": True, "times": 1}
    httpx.post(f"{served.url}/_emulator/faults", json=fault, headers=AUTH).raise_for_status()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.put(f"{served.url}{API}/virtual-accounts", json={"manifest": manifest("lost-bot")}, headers=AUTH)
    exists = httpx.get(f"{served.url}{API}/virtual-accounts/exists", params={"name": "lost-bot"}, headers=AUTH)
    assert exists.json() == {"exists": True}
    recovered = httpx.get(
        f"{served.url}{API}/virtual-accounts", params={"nameSearchQuery": "lost-bot"}, headers=AUTH
    ).json()["data"][0]
    token = httpx.get(f"{served.url}{API}/virtual-accounts/{recovered['id']}/token", headers=AUTH).json()["token"]
    assert httpx.get(f"{served.url}{API}/session", headers={"Authorization": f"Bearer {token}"}).is_success


def test_banner_says_where_and_how_to_authenticate(served: ServedEmulator) -> None:
    assert served.banner.startswith("Embedded control plane listening on http://127.0.0.1:")
    rest = served.process.stdout.readline() + served.process.stdout.readline() + served.process.stdout.readline()  # type: ignore[union-attr]
    assert f"export TFY_HOST={served.url}" in rest
    assert f"export TFY_API_KEY={ADMIN}" in rest


def test_test_controls_are_off_by_default(tmp_path: Path) -> None:
    server = ServedEmulator(tmp_path / "x.db", test_controls=False)
    try:
        clock = server.admin("POST", "/_emulator/clock", json={"advanceSeconds": 5})
        assert clock.status_code == 404 and "--test-controls" in clock.json()["message"]
        assert server.admin("POST", "/_emulator/faults", json={"status": 503}).status_code == 404
        assert server.admin("GET", "/_emulator/outbox").status_code == 200  # inspection stays available
    finally:
        assert server.stop() == 0
