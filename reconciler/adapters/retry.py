"""One retry policy for both HTTP clients (the control plane's and GitHub's), on tenacity
(reference/security-and-reliability.md §5.1-5.2):
- the server's `Retry-After` (delta-seconds or an HTTP date) wins, capped; otherwise a full-jitter
  exponential backoff, random(0, min(cap, base * 2^(attempt-1))), never shorter than a documented floor
  that doubles with each attempt (GitHub's secondary rate limit: "wait for at least one minute", then
  "an exponentially increasing amount of time");
- a bounded number of attempts, and a deadline for the whole run;
- what is worth retrying is the caller's decision (`transient`), per operation.
The arithmetic is pure: time and randomness are parameters, so tests need no clock."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from reconciler.domain.errors import ReconcilerError


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5  # seconds
    backoff_cap: float = 20.0
    retry_after_cap: float = 120.0
    deadline: float = 900.0  # seconds for the whole run


class DeadlineExceeded(ReconcilerError):
    """The run's overall deadline would pass while retrying."""


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
    attempt: int,
    retry_after: str | None,
    policy: RetryPolicy,
    now: datetime,
    random_unit: float,
    floor: float = 0.0,
) -> float:
    """How long to wait before attempt `attempt + 1` (attempts count from 1). The server's Retry-After wins,
    capped; otherwise a full-jitter exponential backoff, random(0, min(cap, base * 2^(attempt-1))), and at
    least `floor * 2^(attempt-1)` seconds when the server documents a floor (0: none)."""
    told = retry_after_seconds(retry_after, now)
    if told is not None:
        return min(told, policy.retry_after_cap)
    jitter = float(random_unit * min(policy.backoff_cap, policy.backoff_base * 2.0 ** (attempt - 1)))
    return max(jitter, floor * 2.0 ** (attempt - 1))


class Retries:
    """The shared policy, bound to a run: its deadline starts when this object is made. `retry_after_of`
    reads the server's hint from an error (None when it gave none); `floor_of` the documented shortest
    wait for it, in seconds (0 when there is none); `on_wait(seconds, error)` is told before each wait."""

    def __init__(
        self,
        policy: RetryPolicy,
        retry_after_of: Callable[[BaseException], str | None],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        sleep_sync: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float, BaseException | None], None] | None = None,
        floor_of: Callable[[BaseException], float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._retry_after_of = retry_after_of
        self._floor_of = floor_of
        self._sleep = sleep
        self._sleep_sync = sleep_sync
        self._on_wait = on_wait
        self._clock = clock
        self._deadline = clock() + policy.deadline

    def remaining(self) -> float:
        """Seconds left before the run's deadline (never negative)."""
        return max(0.0, self._deadline - self._clock())

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        hint = self._retry_after_of(error) if error is not None else None
        floor = self._floor_of(error) if error is not None and self._floor_of is not None else 0.0
        seconds = backoff_seconds(state.attempt_number, hint, self.policy, datetime.now(UTC), random.random(), floor)
        if seconds > self.remaining():
            raise DeadlineExceeded(
                f"gave up: retrying would pass the {self.policy.deadline:.0f} s deadline of this run"
            ) from error
        if self._on_wait is not None:
            self._on_wait(seconds, error)
        return seconds

    def asynchronous(self, transient: Callable[[BaseException], bool]) -> AsyncRetrying:
        """Attempts for async code: `async for attempt in retries.asynchronous(...): with attempt: ...`."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(transient),
            sleep=self._sleep,
            reraise=True,
        )

    def synchronous(self, transient: Callable[[BaseException], bool]) -> Retrying:
        """Attempts for blocking code: `for attempt in retries.synchronous(...): with attempt: ...`."""
        return Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(transient),
            sleep=self._sleep_sync,
            reraise=True,
        )
