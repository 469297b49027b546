"""Retry arithmetic, with no clock: Retry-After in both forms, caps, jitter bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from reconciler.adapters.retry import RetryPolicy, backoff_seconds, retry_after_seconds

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
POLICY = RetryPolicy(backoff_base=0.5, backoff_cap=20.0, retry_after_cap=120.0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", None),
    ],
)
def test_retry_after_forms(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header, NOW) == expected


def test_retry_after_wins_and_is_capped() -> None:
    assert backoff_seconds(1, "7", POLICY, NOW, random_unit=0.9) == 7.0
    assert backoff_seconds(1, "86400", POLICY, NOW, random_unit=0.9) == 120.0


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_full_jitter_stays_within_the_exponential_bound(attempt: int) -> None:
    bound = min(20.0, 0.5 * 2 ** (attempt - 1))
    assert backoff_seconds(attempt, None, POLICY, NOW, random_unit=0.0) == 0.0
    assert backoff_seconds(attempt, "garbage", POLICY, NOW, random_unit=1.0) == bound
