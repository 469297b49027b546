"""Policy: what reconciler.yaml forbids or warns about in one manifest."""

from __future__ import annotations

from datetime import date, timedelta

from reconciler.domain.policy import policy_findings
from tests.unit.domain.builders import TAG, TODAY, config, desired


def findings(**fields: object) -> tuple[list[str], list[str]]:
    return policy_findings(desired("bot", **fields), config(max_expiry_days=730, expiry_warning_days=30), TODAY)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def test_a_clean_manifest_has_no_findings() -> None:
    assert findings() == ([], [])


def test_denied_roles_are_blocked_one_reason_each() -> None:
    grants = [
        {"resource_fqn": "acme", "resource_type": "tenant", "role_id": "tenant-admin"},
        {"resource_fqn": "c:w", "resource_type": "workspace", "role_id": "workspace-viewer"},
    ]
    blocked, _ = findings(permissions=grants)
    assert blocked == ["grants role tenant-admin on acme, which policy.denied_roles forbids"]


def test_another_repositorys_ownership_tag_is_blocked() -> None:
    blocked, _ = findings(tags={TAG.key: "va-reconciler:acme/other"})
    assert blocked == [
        f"the manifest sets the ownership tag {TAG.key}=va-reconciler:acme/other; this repository's is {TAG.value}"
    ]
    assert findings(tags={TAG.key: TAG.value}) == ([], [])


def test_the_expiry_horizon_and_the_warning_window() -> None:
    assert findings(expiration_date=day(730)) == ([], [])
    blocked, warnings = findings(expiration_date=day(731))
    assert blocked == [f"expires on {day(731)}, 731 days ahead; policy.max_expiry_days allows 730"] and not warnings
    assert findings(expiration_date=day(31)) == ([], [])
    assert findings(expiration_date=day(30)) == ([], [f"the token expires in 30 days ({day(30)})"])
    assert findings(expiration_date=day(0)) == ([], [f"the token expires in 0 days ({day(0)})"])
    assert findings(expiration_date=day(-1)) == ([], [])  # in the past: validation's business, not policy's


def test_no_horizon_means_any_expiry() -> None:
    far = (TODAY + timedelta(days=5000)).isoformat()
    assert policy_findings(desired("bot", expiration_date=far), config(), date(2026, 11, 22)) == ([], [])


def test_violations_point_at_their_field() -> None:
    from reconciler.domain.config import Policy
    from reconciler.domain.policy import violations

    resource = desired("bot", tags={TAG.key: "other"}, expiration_date=day(40))
    found = [(v.path, v.message) for v in violations(resource, Policy(max_expiry_days=30), TAG, TODAY)]
    assert found == [
        (("tags", TAG.key), f"the manifest sets the ownership tag {TAG.key}=other; this repository's is {TAG.value}"),
        (("expiration_date",), f"expires on {day(40)}, 40 days ahead; policy.max_expiry_days allows 30"),
    ]


def test_an_expiry_warning_is_kept_at_the_horizon_and_dropped_beyond_it() -> None:
    settings = config(max_expiry_days=10, expiry_warning_days=30)
    assert policy_findings(desired("bot", expiration_date=day(10)), settings, TODAY) == (
        [],
        [f"the token expires in 10 days ({day(10)})"],
    )
    blocked, warnings = policy_findings(desired("bot", expiration_date=day(20)), settings, TODAY)
    assert blocked and warnings == []  # blocked: a warning would only repeat it
