"""Token life at its edges: instants read as UTC whatever the machine's zone, a rotation due at the very
expiry, and extensions that are no extension."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from reconciler.domain.resources import LiveResource
from reconciler.domain.token_life import RENEW, extension_warning, parse_instant, token_last_day
from tests.unit.domain.builders import live


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local zone is Tokyo (UTC+9, no daylight saving)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_a_naive_instant_is_read_as_utc_whatever_the_local_zone() -> None:
    assert parse_instant("2026-11-22T10:00:00") == datetime(2026, 11, 22, 10, tzinfo=UTC)


@pytest.mark.usefixtures("far_from_utc")
def test_an_instant_with_an_offset_comes_back_in_utc_whatever_the_local_zone() -> None:
    at = parse_instant("2026-11-22T20:00:00+02:00")
    assert at is not None and (at.tzinfo, at.hour, at.day) == (UTC, 18, 22)


def test_a_naive_instant_comes_back_aware() -> None:
    at = parse_instant("2026-11-22T10:00:00")
    assert at is not None and at.tzinfo is UTC


def with_token(expiry: str, rotation: str | None = None, expiration_date: str | None = None) -> LiveResource:
    return replace(live("bot", expiration_date=expiration_date), token_expiry=expiry, next_rotation=rotation)


def test_a_rotation_due_exactly_at_the_expiry_does_not_save_the_token() -> None:
    expiry = "2026-12-01T00:00:00Z"
    assert token_last_day(with_token(expiry, rotation=expiry)) == date(2026, 11, 30)


def test_a_token_expiring_a_microsecond_after_midnight_works_that_day() -> None:
    assert token_last_day(with_token("2026-12-01T00:00:00.000001+00:00")) == date(2026, 12, 1)


def test_keeping_the_same_expiration_date_is_no_extension() -> None:
    held = replace(live("bot", expiration_date="2026-12-01"), token_invalid=True)
    assert extension_warning({"expiration_date": "2026-12-01"}, held) is None


def test_removing_the_expiration_date_of_an_account_whose_token_is_gone_is_warned() -> None:
    held = replace(live("bot", expiration_date="2026-12-01"), token_invalid=True)
    assert extension_warning({"name": "bot"}, held) == (
        f"extends expiration_date (removes it), but the active token no longer works (expired or revoked): {RENEW}"
    )


def test_a_token_working_through_the_new_date_needs_no_warning() -> None:
    held = with_token("2027-01-02T00:00:00Z", expiration_date="2026-12-01")  # works through 2027-01-01
    assert extension_warning({"expiration_date": "2027-01-01"}, held) is None
    warned = extension_warning({"expiration_date": "2027-01-02"}, held)
    assert warned is not None and warned.startswith(
        "extends expiration_date to 2027-01-02, but the active token keeps its own expiry, 2027-01-01:"
    )
