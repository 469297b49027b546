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
    """The offset is read from the database once, then kept: this clock is its only writer while the process
    runs (reading it on every `now()`, twice per request, was about 6% of the served emulator's time)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._offset: float | None = None

    def offset(self) -> float:
        if self._offset is None:
            self._offset = float(self._store.meta("clock_offset_seconds") or 0)
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset())

    def advance(self, seconds: float) -> None:
        self._write(self.offset() + seconds)

    def set(self, moment: datetime) -> None:
        self._write((moment - datetime.now(UTC)).total_seconds())

    def _write(self, offset: float) -> None:
        self._store.set_meta("clock_offset_seconds", str(offset))
        self._offset = offset
