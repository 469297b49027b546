"""Drift findings in full: each names its resource kind, shared destinations list every other holder, and a
token dying today is expiring, not expired."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from reconciler.domain.drift import Finding, detect_drift
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.token_life import RENEW
from reconciler.domain.vocabulary import DriftKind
from tests.unit.domain.builders import RB, STORE, TODAY, VA, config, desired, live

SHARED = {**STORE, "secret_path": "ci/shared"}
TAIL = "; give each account its own, or delete the one no longer used"


def drift(wanted: list[DesiredResource], held: list[LiveResource]) -> tuple[Finding, ...]:
    return detect_drift(wanted, held, config(expiry_warning_days=30), TODAY)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def test_a_findings_identity_names_its_resource_kind() -> None:
    assert Finding(DriftKind.MISSING, RB, "va-a", "x").identity() == ["missing", "role-binding", "va-a", []]
    assert Finding(DriftKind.MISSING, VA, "a", "x").identity() == ["missing", "virtual-account", "a", []]


def test_an_account_managed_elsewhere_is_an_account_finding() -> None:
    assert drift([], [live("theirs", owner="va-reconciler:acme/other")]) == (
        Finding(DriftKind.MANAGED_ELSEWHERE, VA, "theirs",
                "managed elsewhere (managed-by=va-reconciler:acme/other); for information, not drift"),
    )  # fmt: skip


def test_a_shared_secret_is_reported_for_an_account_in_git_that_is_not_owned_here() -> None:
    held = [
        live("wanted", owner="va-reconciler:acme/other", secret_store_config=SHARED),
        live("else", owner="va-reconciler:acme/other", secret_store_config=SHARED),
    ]
    shared = [f for f in drift([desired("wanted", secret_store_config=SHARED)], held)
              if f.kind == DriftKind.SHARED_DESTINATION]  # fmt: skip
    assert shared == [
        Finding(DriftKind.SHARED_DESTINATION, VA, "wanted",
                "its token syncs to secret store acme:aws:secrets-manager at ci/shared, as else's does: each "
                f"rotation of one overwrites the other's token{TAIL}"),
    ]  # fmt: skip


def test_a_secret_shared_by_three_accounts_names_the_two_others() -> None:
    held = [live("a", secret_store_config=SHARED), live("b", owner=None, secret_store_config=SHARED),
            live("c", owner=None, secret_store_config=SHARED)]  # fmt: skip
    shared = [f.detail for f in drift([desired("a", secret_store_config=SHARED)], held)
              if f.kind == DriftKind.SHARED_DESTINATION]  # fmt: skip
    assert shared == [
        "its token syncs to secret store acme:aws:secrets-manager at ci/shared, as b, c's does: each rotation of one "
        f"overwrites the other's token{TAIL}"
    ]


def test_a_revoked_token_is_an_expired_account_finding() -> None:
    held = replace(live("bot", expiration_date=day(300)), token_invalid=True)
    assert drift([desired("bot", expiration_date=day(300))], [held]) == (
        Finding(DriftKind.EXPIRED, VA, "bot",
                f"the active token no longer works (expired or revoked) while the account runs to {day(300)}: {RENEW}"),
    )  # fmt: skip


def token_until(offset: int) -> tuple[Finding, ...]:
    """An account running to day(300) whose active token works through day(offset)."""
    held = replace(live("bot", expiration_date=day(300)), token_expiry=f"{day(offset + 1)}T00:00:00Z")
    return drift([desired("bot", expiration_date=day(300))], [held])


def test_a_token_working_through_today_is_expiring_in_zero_days() -> None:
    assert token_until(0) == (
        Finding(DriftKind.EXPIRING, VA, "bot",
                f"the active token expires in 0 days ({day(0)}), before the account ({day(300)}): {RENEW}"),
    )  # fmt: skip


def test_a_token_that_stopped_yesterday_is_an_expired_account_finding() -> None:
    assert token_until(-1) == (
        Finding(DriftKind.EXPIRED, VA, "bot",
                f"the active token expired on {day(-1)}, before the account ({day(300)}): {RENEW}"),
    )  # fmt: skip
