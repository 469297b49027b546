"""Emulated time: wall time plus an offset kept in the database, so tests can move time and a restart keeps it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.emulator.store import Store


def iso(moment: datetime) -> str:
    """The API's timestamp format: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    def __init__(self, store: Store) -> None:
        self._store = store

    def offset(self) -> float:
        return float(self._store.meta("clock_offset_seconds") or 0)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset())

    def advance(self, seconds: float) -> None:
        self._store.set_meta("clock_offset_seconds", str(self.offset() + seconds))

    def set(self, moment: datetime) -> None:
        self._store.set_meta("clock_offset_seconds", str((moment - datetime.now(UTC)).total_seconds()))
