"""`reconciler emulator serve` in a subprocess on an ephemeral 127.0.0.1 port, for contract and end-to-end
tests, plus a small admin client for setting up and inspecting its state."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

ADMIN = "tfy_admin-token-for-tests"  # `tfy_` keys make TrueFoundry's CLI ask /session instead of decoding a JWT
API = "/api/svc/v1"


class ServedEmulator:
    """`reconciler emulator serve` in a subprocess on an ephemeral loopback port."""

    def __init__(self, db: Path, *extra: str, test_controls: bool = True) -> None:
        self.db = db
        self.log = db.with_suffix(".log")
        db.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "emulator",
                "serve",
                "--port",
                "0",
                "--db",
                str(db),
                "--admin-token",
                ADMIN,
                *(["--test-controls"] if test_controls else []),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if "listening on" not in first:
            self.stop()
            raise RuntimeError(f"emulator did not start: {first}{self.log.read_text()}")
        self.url = first.split("listening on ")[1].split()[0]
        self.banner = first

    def stop(self) -> int:
        """Ctrl-C, as a user would; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            assert self.process.stdout is not None
            self.process.stdout.close()
            self._log_file.close()

    def kill(self) -> None:
        """SIGKILL, for tests that throw the server away (its database survives: SQLite's journal)."""
        self.process.kill()
        self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._log_file.close()

    @property
    def env(self) -> dict[str, str]:
        """The environment that points the reconciler (or tfy) at this emulator."""
        return {"TFY_HOST": self.url, "TFY_API_KEY": ADMIN}

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {ADMIN}"},
                             timeout=30, **kwargs)  # fmt: skip

    def fault(self, **fault: Any) -> None:
        self.admin("POST", "/_emulator/faults", json=fault).raise_for_status()

    def clear_faults(self) -> None:
        self.admin("DELETE", "/_emulator/faults").raise_for_status()

    def requests(self) -> dict[str, int]:
        by_route: dict[str, int] = self.admin("GET", "/_emulator/stats").json()["byRoute"]
        return by_route

    def accounts(self) -> dict[str, dict[str, Any]]:
        data = self.admin("GET", f"{API}/virtual-accounts", params={"limit": 1000}).json()["data"]
        return {a["name"]: a for a in data}

    def all_tokens(self) -> list[str]:
        """Every token the emulator holds (read from its database): the canaries."""
        connection = sqlite3.connect(self.db)
        try:
            return [row[0] for row in connection.execute("SELECT token FROM jwts")]
        finally:
            connection.close()
