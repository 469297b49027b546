"""Checks across files and fields that a JSON Schema cannot express."""

from __future__ import annotations

from datetime import timedelta

from reconciler.domain.checks import check_resources, rotation_settings
from reconciler.domain.values import Position
from tests.unit.domain.builders import TODAY, config, desired


def messages(*resources: object) -> list[tuple[str, str]]:
    return [(str(p.position), p.message) for p in check_resources(resources, TODAY, config())]  # type: ignore[arg-type]


def test_a_name_defined_twice_is_reported_at_both_places() -> None:
    first, second = desired("twin", line=3), desired("twin", line=9)
    assert sorted(messages(first, second)) == [
        (
            "accounts/twin.yaml:3:1",
            "account 'twin' is defined more than once (also at accounts/twin.yaml:9:1); keep one",
        ),
        (
            "accounts/twin.yaml:9:1",
            "account 'twin' is defined more than once (also at accounts/twin.yaml:3:1); keep one",
        ),
    ]
    assert messages(desired("one"), desired("two")) == []


def test_the_grace_period_must_be_shorter_than_the_interval() -> None:
    assert messages(desired("a", auto_rotate={"auto_rotate_interval": 30, "grace_period": 29})) == []
    [(_, equal)] = messages(desired("a", auto_rotate={"auto_rotate_interval": 30, "grace_period": 30}))
    assert equal.startswith("Grace Period in days (30) must be shorter than the Rotation Interval in days (30)")
    [(_, default)] = messages(desired("a", auto_rotate={"auto_rotate_interval": 30}))
    assert "Grace Period in days (30)" in default  # the server's default grace (30) against 30
    assert messages(desired("a", auto_rotate={"grace_period": 359})) == []  # the default interval is 360
    assert messages(desired("a", auto_rotate={"grace_period": 360})) != []


def test_rotation_settings_with_defaults() -> None:
    assert rotation_settings({}) is None
    assert rotation_settings({"auto_rotate": {}}) == (360, 30)
    assert rotation_settings({"auto_rotate": {"auto_rotate_interval": "x"}}) is None


def test_an_expiry_in_the_past_is_a_warning_today_is_not() -> None:
    """validate does not read the control plane, so it cannot tell a new past date (plan refuses it) from an
    account that has simply expired (plan warns, drift reports it): a warning, never an error."""
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    [problem] = check_resources([desired("old", expiration_date=yesterday)], TODAY, config())
    assert problem.severity == "warning"
    assert problem.message.startswith(
        f"Expiration date of the virtual account {yesterday} is in the past (today is {TODAY} UTC): plan refuses "
        "to set it on a new account or as a new date"
    )
    assert str(problem.position) == str(Position("accounts/old.yaml", 1, 1))
    assert messages(desired("now", expiration_date=TODAY.isoformat())) == []
    assert messages(desired("bad", expiration_date="2026-13-45")) == []  # the schema reports the format


def test_problems_point_at_the_value_with_its_json_path() -> None:
    from reconciler.domain.resources import DesiredResource

    def at(name: str, positions: dict[tuple[str, ...], tuple[int, int]], **fields: object) -> DesiredResource:
        resource = desired(name, **fields)
        return DesiredResource(resource.kind, name, resource.manifest, resource.position, positions)  # type: ignore[arg-type]

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    twins = [at("twin", {("name",): (2, 7)}), at("twin", {("name",): (5, 7)}), at("solo", {("name",): (9, 7)})]
    problems = check_resources(
        [*twins, at("late", {("expiration_date",): (4, 18)}, expiration_date=yesterday),
         at("tight", {("auto_rotate", "grace_period"): (6, 19)}, auto_rotate={"auto_rotate_interval": 30,
                                                                             "grace_period": 40})],
        TODAY,
        config(),
    )  # fmt: skip
    assert sorted((str(p.position), p.json_path) for p in problems) == [
        ("accounts/late.yaml:4:18", "$.expiration_date"),
        ("accounts/tight.yaml:6:19", "$.auto_rotate.grace_period"),
        ("accounts/twin.yaml:2:7", "$.name"),
        ("accounts/twin.yaml:5:7", "$.name"),
    ]
    duplicates = sorted(p.message for p in problems if p.json_path == "$.name")
    assert duplicates == [
        "account 'twin' is defined more than once (also at accounts/twin.yaml:2:7); keep one",
        "account 'twin' is defined more than once (also at accounts/twin.yaml:5:7); keep one",
    ]


def test_a_name_defined_three_times_names_the_two_others() -> None:
    found = messages(desired("a"), desired("b", line=2), desired("b", line=4), desired("b", line=6))
    also = "also at accounts/b.yaml:4:1, accounts/b.yaml:6:1"
    assert ("accounts/b.yaml:2:1", f"account 'b' is defined more than once ({also}); keep one") in found
    assert len(found) == 3


def test_bindings_keep_the_shape_rule_and_name_only_virtual_accounts() -> None:
    from tests.unit.domain.builders import ADMIN, VIEWER, desired_binding

    many_of_both = desired_binding("both", ["a", "b"], [VIEWER, ADMIN])
    with_team = desired_binding("team", ["a"], [VIEWER], extra_subjects=[("team", "platform")])
    fine = [desired_binding("one-subject", ["a"], [VIEWER, ADMIN]), desired_binding("one-grant", ["a", "b"], [VIEWER])]
    found = messages(many_of_both, with_team, *fine)
    assert found == [
        ("rb/both.yaml:1:1", "Use either one subject and many permissions, or many subjects and one permission. "
                             "A binding cannot have many of both. (this one has 2 subjects and 2 permissions)"),
        ("rb/team.yaml:1:1", "subject team:platform is not a virtual account: va-reconciler manages the access of "
                             "virtual accounts; grant users, teams and agents in TrueFoundry's Access Control or "
                             "another repository"),
    ]  # fmt: skip
    twins = messages(desired_binding("twin", ["a"], [VIEWER]), desired_binding("twin", ["b"], [VIEWER]))
    assert twins[0][1] == "role binding 'twin' is defined more than once (also at rb/twin.yaml:1:1); keep one"


def test_permissions_are_deprecated_and_policy_is_checked_where_it_stands() -> None:
    from reconciler.domain.resources import DesiredResource
    from reconciler.domain.vocabulary import Severity
    from tests.unit.domain.builders import desired_binding

    perms = [{"resource_fqn": "acme", "resource_type": "tenant", "role_id": "tenant-admin"}]
    plain = desired("legacy", permissions=perms)
    account = DesiredResource(
        plain.kind, plain.name, plain.manifest, plain.position, {("permissions", 0, "role_id"): (5, 16)}
    )
    problems = check_resources(
        [account, desired_binding("admin", ["legacy"], [("tenant-admin", "tenant", "acme")])],
        TODAY,
        config(allowed_resources=("c:*",)),
    )
    found = sorted((p.severity, p.json_path, p.message) for p in problems)
    outside = "grants access to acme, which policy.allowed_resources does not list"
    denied = "grants role tenant-admin on acme, which policy.denied_roles forbids"
    deprecated = "permissions is deprecated (TrueFoundry grants access with role bindings); run `reconciler migrate`"
    assert found == [
        (Severity.ERROR, "$.permissions[0].resourceFqn", outside),
        (Severity.ERROR, "$.permissions[0].resource_fqn", outside),
        (Severity.ERROR, "$.permissions[0].role", denied),
        (Severity.ERROR, "$.permissions[0].role_id", denied),
        (Severity.WARNING, "$.permissions", deprecated),
    ]
    assert [str(p.position) for p in problems if p.json_path.endswith("_id")] == ["accounts/legacy.yaml:5:16"]
    assert check_resources([account], TODAY, config(), policy=False) == [
        p for p in check_resources([account], TODAY, config()) if p.severity == Severity.WARNING
    ]


def test_binding_problems_point_at_their_field() -> None:
    from reconciler.domain.resources import DesiredResource
    from tests.unit.domain.builders import ADMIN, VIEWER, desired_binding

    base = desired_binding("both", ["a", "b"], [VIEWER, ADMIN], extra_subjects=[("user", "u@x.y")])
    placed = DesiredResource(base.kind, base.name, base.manifest, base.position,
                             {("subjects",): (3, 3), ("subjects", 2, "type"): (6, 13)})  # fmt: skip
    found = sorted((str(p.position), p.json_path) for p in check_resources([placed], TODAY, config()))
    assert found == [("rb/both.yaml:3:3", "$.subjects"), ("rb/both.yaml:6:13", "$.subjects[2].type")]


def test_an_account_and_a_binding_may_share_a_name_and_warnings_point_at_permissions() -> None:
    from reconciler.domain.resources import DesiredResource
    from tests.unit.domain.builders import VIEWER, desired_binding

    assert messages(desired("same"), desired_binding("same", ["same"], [VIEWER])) == []
    account = desired("old", permissions=[{"resource_fqn": "a", "resource_type": "b", "role_id": "c"}])
    placed = DesiredResource(account.kind, account.name, account.manifest, account.position, {("permissions",): (4, 3)})
    [warning] = check_resources([placed], TODAY, config())
    assert (str(warning.position), warning.json_path) == ("accounts/old.yaml:4:3", "$.permissions")
