"""Pure: what a failed GitHub response means for the next attempt, per GitHub's documentation ("Rate limits for
the REST API", sections "Exceeding the rate limit" and "Handle rate limit errors appropriately"):

- a `retry-after` header: do not retry before that many seconds have passed (either kind of limit);
- `x-ratelimit-remaining: 0`: the primary limit; do not retry before `x-ratelimit-reset` (epoch seconds, UTC);
- otherwise a 403 or 429 whose message says "secondary rate limit" (or any 429): a secondary limit; "wait for
  at least one minute before retrying", and longer, "an exponentially increasing amount of time", while it
  continues;
- 5xx: GitHub could not answer; the request may or may not have been carried out;
- any other 4xx: a permanent refusal (a plain 403 is a missing permission), never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

SECONDARY_FLOOR = 60.0  # seconds: "wait for at least one minute before retrying"


class FailureKind(StrEnum):
    PRIMARY_LIMIT = "primary rate limit"
    SECONDARY_LIMIT = "secondary rate limit"
    SERVER = "server error"
    REFUSED = "refused"


@dataclass(frozen=True)
class Failure:
    """How to treat one failed response: its kind, the server's own wait (seconds, as text for the retry
    policy's Retry-After parser; None when it gave none) and the documented shortest wait in seconds."""

    kind: FailureKind
    retry_after: str | None = None
    floor: float = 0.0

    @property
    def transient(self) -> bool:
        return self.kind != FailureKind.REFUSED

    @property
    def rate_limited(self) -> bool:
        return self.kind in (FailureKind.PRIMARY_LIMIT, FailureKind.SECONDARY_LIMIT)


def classify(status: int, headers: Mapping[str, str], message: str, now_epoch: float) -> Failure:
    """The failure of a response with HTTP `status`, lower-case `headers` and GitHub's `message`, at
    `now_epoch` (seconds since 1970, UTC)."""
    if status >= 500:
        return Failure(FailureKind.SERVER)
    if status not in (403, 429):
        return Failure(FailureKind.REFUSED)
    secondary = "secondary rate limit" in message.lower()
    kind = FailureKind.SECONDARY_LIMIT if secondary else FailureKind.PRIMARY_LIMIT
    retry_after = headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return Failure(kind, retry_after)
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "").strip()
        if reset.isdigit():  # one second more: the reset is whole seconds, the clocks are not in step
            return Failure(FailureKind.PRIMARY_LIMIT, str(max(0, int(reset) - int(now_epoch)) + 1))
        return Failure(FailureKind.PRIMARY_LIMIT, None, SECONDARY_FLOOR)
    if secondary or status == 429:
        return Failure(FailureKind.SECONDARY_LIMIT, None, SECONDARY_FLOOR)
    return Failure(FailureKind.REFUSED)


def error_message(body: object, fallback: str) -> str:
    """GitHub's own words from an error body: `message`, then each of `errors[].message` (or `code` and
    `field`); `fallback` (e.g. the reason phrase) when the body says nothing. At most 500 characters."""
    if not isinstance(body, Mapping):
        return fallback[:500]
    message = str(body.get("message") or "")
    details = []
    for item in body.get("errors") or []:
        if isinstance(item, Mapping):
            details.append(str(item.get("message") or " ".join(str(item.get(k, "")) for k in ("field", "code"))))
        else:
            details.append(str(item))
    text = " ".join(part for part in (message, "; ".join(details).strip()) if part)
    return (text or fallback)[:500]
