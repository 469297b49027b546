"""A token keeps its own expiry: plan warns on an extension that does not renew it, drift reports it dying."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from reconciler.domain.drift import detect_drift
from reconciler.domain.planner import make_changes
from reconciler.domain.resources import LiveResource
from reconciler.domain.token_life import RENEW, parse_instant, token_last_day
from reconciler.domain.vocabulary import Action, DriftKind
from tests.unit.domain.builders import TODAY, config, desired, live, options


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def with_token(resource: LiveResource, expiry: str | None, rotation: str | None = None) -> LiveResource:
    return replace(resource, token_expiry=expiry, next_rotation=rotation)


def end_of(offset: int) -> str:
    """The instant a token issued up to day(offset) expires: the next midnight, UTC."""
    return f"{day(offset + 1)}T00:00:00.000Z"


def test_the_last_day_is_the_day_before_midnight_and_a_rotation_first_makes_it_moot() -> None:
    assert token_last_day(with_token(live("a"), end_of(5))) == TODAY + timedelta(days=5)
    assert token_last_day(with_token(live("a"), f"{day(5)}T00:00:01+00:00")) == TODAY + timedelta(days=5)
    assert token_last_day(with_token(live("a"), f"{day(5)}T02:00:00+03:00")) == TODAY + timedelta(days=4)
    assert token_last_day(with_token(live("a"), f"{day(5)}T12:00:00")) == TODAY + timedelta(days=5)  # naive: UTC
    assert token_last_day(with_token(live("a"), end_of(5), rotation=f"{day(3)}T00:00:00Z")) is None
    assert token_last_day(with_token(live("a"), end_of(5), rotation=f"{day(9)}T00:00:00Z")) == TODAY + timedelta(5)
    assert token_last_day(with_token(live("a"), None)) is None
    assert token_last_day(with_token(live("a"), "not a time")) is None
    assert parse_instant("") is None


def plan_one(wanted: str | None, held: LiveResource) -> tuple[Action, tuple[str, ...]]:
    [change] = make_changes([desired(held.name, expiration_date=wanted)], [held], config(), options())
    return change.action, change.warnings


def test_extending_the_date_past_the_active_tokens_expiry_is_warned() -> None:
    held = with_token(live("bot", expiration_date=day(60)), end_of(60))
    action, warnings = plan_one(day(300), held)
    assert action == Action.UPDATE
    assert warnings == (
        f"extends expiration_date to {day(300)}, but the active token keeps its own expiry, {day(60)}: the edit does "
        f"not re-issue it [I], so from {day(61)} its consumers are refused (401) unless you {RENEW} after apply, or "
        "turn on auto_rotate",
    )
    assert "(removes it)" in plan_one(None, held)[1][0]
    assert plan_one(day(45), held)[1] == ()  # shortening is no extension
    assert plan_one(day(60), held)[0] == Action.NO_OP
    renewed = with_token(live("bot", expiration_date=day(60)), end_of(400))
    assert plan_one(day(300), renewed)[1] == ()  # the token outlives the new date
    rotating = with_token(live("bot", expiration_date=day(60)), end_of(60), rotation=f"{day(20)}T00:00:00Z")
    assert plan_one(day(300), rotating)[1] == ()  # rotated before it expires, under the new date
    gone = replace(live("bot", expiration_date=day(60)), token_invalid=True)
    assert plan_one(day(300), gone)[1] == (
        f"extends expiration_date to {day(300)}, but the active token no longer works (expired or revoked): {RENEW}",
    )
    undated = with_token(live("bot"), end_of(60))
    assert plan_one(day(300), undated)[1] == ()  # an account without a date gains none: no extension


def expiry_findings(held: LiveResource, warning_days: int = 30) -> list[tuple[DriftKind, str]]:
    found = detect_drift([desired(held.name)], [held], config(expiry_warning_days=warning_days), TODAY)
    return [(f.kind, f.detail) for f in found if f.kind in (DriftKind.EXPIRED, DriftKind.EXPIRING)]


def test_drift_reports_a_token_dying_before_its_account() -> None:
    extended = live("bot", expiration_date=day(300))
    assert expiry_findings(with_token(extended, end_of(-2))) == [
        (DriftKind.EXPIRED, f"the active token expired on {day(-2)}, before the account ({day(300)}): {RENEW}"),
    ]
    assert expiry_findings(with_token(extended, end_of(10))) == [
        (DriftKind.EXPIRING, f"the active token expires in 10 days ({day(10)}), before the account ({day(300)}): "
                             f"{RENEW}"),
    ]  # fmt: skip
    assert expiry_findings(with_token(extended, end_of(31))) == []  # beyond the warning window
    assert expiry_findings(with_token(extended, end_of(30))) != []
    assert expiry_findings(replace(extended, token_invalid=True)) == [
        (DriftKind.EXPIRED, f"the active token no longer works (expired or revoked) while the account runs to "
                            f"{day(300)}: {RENEW}"),
    ]  # fmt: skip
    undated = with_token(live("bot"), end_of(3))
    assert expiry_findings(undated) == [
        (DriftKind.EXPIRING, f"the active token expires in 3 days ({day(3)}), before the account (no expiration "
                             f"date): {RENEW}"),
    ]  # fmt: skip


def test_a_token_ending_with_its_account_is_reported_as_the_account() -> None:
    same = with_token(live("bot", expiration_date=day(10)), end_of(10))
    assert expiry_findings(same) == [(DriftKind.EXPIRING, f"the token expires in 10 days ({day(10)})")]
    rotating = with_token(live("bot", expiration_date=day(300)), end_of(5), rotation=f"{day(2)}T00:00:00Z")
    assert expiry_findings(rotating) == []
    assert date.fromisoformat(day(0)) == TODAY
