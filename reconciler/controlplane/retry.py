"""Pure retry arithmetic (reference/security-and-reliability.md §5.2): full-jitter exponential backoff, and
`Retry-After` as delta-seconds or an HTTP date, capped. Time and randomness are parameters, so tests need
no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5  # seconds
    backoff_cap: float = 20.0
    retry_after_cap: float = 120.0
    deadline: float = 900.0  # seconds for the whole run


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """Seconds to wait per a `Retry-After` header, or None when it is absent or garbage."""
    if header is None:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def backoff_seconds(
    attempt: int, retry_after: str | None, policy: RetryPolicy, now: datetime, random_unit: float
) -> float:
    """How long to wait before attempt `attempt + 1` (attempts count from 1). The server's Retry-After wins,
    capped; otherwise a full-jitter exponential backoff: random(0, min(cap, base * 2^(attempt-1)))."""
    told = retry_after_seconds(retry_after, now)
    if told is not None:
        return min(told, policy.retry_after_cap)
    return float(random_unit * min(policy.backoff_cap, policy.backoff_base * 2.0 ** (attempt - 1)))
