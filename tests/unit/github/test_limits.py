"""GitHub's documented rate-limit rules ("Rate limits for the REST API"), and the shared retry policy's floor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.adapters.github.limits import Failure, FailureKind, classify, error_message
from reconciler.adapters.retry import RetryPolicy, backoff_seconds

NOW = 1_700_000_000.0
SECONDARY = "You have exceeded a secondary rate limit and have been temporarily blocked from content creation."


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected"),
    [
        (403, {"retry-after": "30"}, SECONDARY, Failure(FailureKind.SECONDARY_LIMIT, "30")),
        (429, {"retry-after": "7"}, "", Failure(FailureKind.PRIMARY_LIMIT, "7")),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 120)}, "API rate limit exceeded",
         Failure(FailureKind.PRIMARY_LIMIT, "121")),
        (403, {"x-ratelimit-remaining": "0"}, "API rate limit exceeded",
         Failure(FailureKind.PRIMARY_LIMIT, None, 60.0)),
        (403, {"x-ratelimit-remaining": "4999"}, SECONDARY, Failure(FailureKind.SECONDARY_LIMIT, None, 60.0)),
        (429, {}, "Too many requests", Failure(FailureKind.SECONDARY_LIMIT, None, 60.0)),
        (403, {}, "Resource not accessible by integration", Failure(FailureKind.REFUSED)),
        (422, {}, "Validation Failed", Failure(FailureKind.REFUSED)),
        (502, {}, "Server Error", Failure(FailureKind.SERVER)),
    ],
)  # fmt: skip
def test_each_documented_case(status: int, headers: dict[str, str], message: str, expected: Failure) -> None:
    assert classify(status, headers, message, NOW) == expected


def test_a_reset_in_the_past_means_retry_at_once_plus_a_second() -> None:
    failure = classify(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 50)}, "", NOW)
    assert failure.retry_after == "1"


def test_only_refusals_are_final() -> None:
    assert [k for k in FailureKind if not Failure(k).transient] == [FailureKind.REFUSED]


def test_githubs_words_are_kept_with_each_error_detail() -> None:
    body = {"message": "Validation Failed", "errors": [{"message": "Body is too long (maximum is 65536 characters)"},
                                                       {"field": "title", "code": "missing_field"}, "odd"]}  # fmt: skip
    assert error_message(body, "Unprocessable") == (
        "Validation Failed Body is too long (maximum is 65536 characters); title missing_field; odd"
    )
    assert error_message(None, "Bad Gateway") == "Bad Gateway"
    assert len(error_message({"message": "x" * 2000}, "")) == 500


def test_a_documented_floor_doubles_with_each_attempt_and_beats_the_jitter() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=20.0)
    now = datetime.now(UTC)
    assert [backoff_seconds(n, None, policy, now, 1.0, floor=60.0) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]
    assert backoff_seconds(1, None, policy, now, 1.0) == 0.5
    assert backoff_seconds(3, "5", policy, now, 1.0, floor=60.0) == 5.0  # the server's own wait wins
