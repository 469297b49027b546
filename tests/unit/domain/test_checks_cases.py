"""checks.py: the exact problems, positions and JSON paths of the checks a JSON Schema cannot express."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from reconciler.domain.checks import across_resources, check_resource, yaml11_warning
from reconciler.domain.resources import DesiredResource
from reconciler.domain.scope import Scope
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Severity
from tests.unit.domain.builders import TODAY, VIEWER, config, desired, desired_binding

EMAILS = ("notification_target", "to_emails")


def at(name: str, positions: dict[tuple[Any, ...], tuple[int, int]], **fields: Any) -> DesiredResource:
    """An account whose values stand at `positions` (line, column) in accounts/<name>.yaml."""
    resource = desired(name, **fields)
    return DesiredResource(resource.kind, name, resource.manifest, resource.position, positions)


def recipients(name: str, *emails: object) -> DesiredResource:
    """An account notifying `emails`, the entry at index i standing at line 10 + i, column 9."""
    positions = {(*EMAILS, index): (10 + index, 9) for index in range(len(emails))}
    return at(name, positions, notification_target={"type": "email", "to_emails": list(emails)})


def file_of(name: str) -> str:
    return f"accounts/{name}.yaml"


# yaml11_warning


def test_a_date_read_by_yaml_1_1_warns_that_tfy_apply_fails_on_a_date() -> None:
    assert yaml11_warning("2027-01-01", "a date", True) == (
        'tfy apply reads the unquoted 2027-01-01 as a date (YAML 1.1) and fails ("Object of type date is not JSON '
        'serializable"); quote it: "2027-01-01"'
    )


def test_a_timestamp_read_by_yaml_1_1_warns_that_tfy_apply_fails_on_a_datetime() -> None:
    assert yaml11_warning("2027-01-01 10:00", "a timestamp", True) == (
        'tfy apply reads the unquoted 2027-01-01 10:00 as a timestamp (YAML 1.1) and fails ("Object of type '
        'datetime is not JSON serializable"); quote it: "2027-01-01 10:00"'
    )


def test_an_indicator_without_a_json_value_warns_that_tfy_apply_fails_with_no_json_value() -> None:
    assert yaml11_warning("<<", "the YAML 1.1 merge indicator", True) == (
        "tfy apply reads the unquoted << as the YAML 1.1 merge indicator (YAML 1.1) and fails (no JSON value); "
        'quote it: "<<"'
    )


def test_a_boolean_read_by_yaml_1_1_warns_that_tfy_apply_sends_it_instead_of_the_string() -> None:
    assert yaml11_warning("no", "the boolean false", False) == (
        'tfy apply reads the unquoted no as the boolean false (YAML 1.1) and sends that, not the string "no"; '
        'quote it: "no"'
    )


# check_resource


def test_check_resource_reports_policy_violations_unless_told_not_to() -> None:
    binding = desired_binding("admins", ["ci-bot"], [("tenant-admin", "tenant", "acme")])
    violation = Problem(
        Position("rb/admins.yaml", 1, 1),
        "grants role tenant-admin on acme, which policy.denied_roles forbids",
        "$.permissions[0].role",
    )
    assert check_resource(binding, TODAY, config()) == [violation]
    assert check_resource(binding, TODAY, config(), policy=False) == []
    assert check_resource(desired_binding("viewers", ["ci-bot"], [VIEWER]), TODAY, config()) == []


# expiry in the past


def test_an_expiry_in_the_past_warns_with_the_whole_explanation_at_the_date() -> None:
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    account = at("old", {("expiration_date",): (4, 18)}, expiration_date=yesterday)
    assert check_resource(account, TODAY, config()) == [
        Problem(
            Position(file_of("old"), 4, 18),
            f"Expiration date of the virtual account {yesterday} is in the past (today is {TODAY} UTC): plan refuses "
            "to set it on a new account or as a new date; an account that already has it has expired (drift "
            "reports it). Move it forward or remove the account",
            "$.expiration_date",
            Severity.WARNING,
        )
    ]


# repeated recipients


def test_a_recipient_listed_twice_letter_case_ignored_is_an_error_at_each_repeat() -> None:
    account = recipients("ops", "Ops@acme.com", "dev@acme.com", "ops@acme.com", "DEV@ACME.COM", "ops@ACME.com")
    assert check_resource(account, TODAY, config()) == [
        Problem(
            Position(file_of("ops"), 12, 9),
            "To Emails lists ops@acme.com twice (also at line 10, column 9, letter case ignored); keep one",
            "$.notification_target.to_emails[2]",
        ),
        Problem(
            Position(file_of("ops"), 13, 9),
            "To Emails lists DEV@ACME.COM twice (also at line 11, column 9, letter case ignored); keep one",
            "$.notification_target.to_emails[3]",
        ),
        Problem(
            Position(file_of("ops"), 14, 9),
            "To Emails lists ops@ACME.com twice (also at line 10, column 9, letter case ignored); keep one",
            "$.notification_target.to_emails[4]",
        ),
    ]


def test_distinct_recipients_are_no_problem() -> None:
    assert check_resource(recipients("ops", "ops@acme.com", "dev@acme.com", "sec@acme.com"), TODAY, config()) == []


def test_a_recipient_that_is_not_a_string_does_not_stop_the_check() -> None:
    """The schema reports the type; the repeat after it is still found."""
    account = recipients("ops", "ops@acme.com", 7, "OPS@acme.com")
    assert check_resource(account, TODAY, config()) == [
        Problem(
            Position(file_of("ops"), 12, 9),
            "To Emails lists OPS@acme.com twice (also at line 10, column 9, letter case ignored); keep one",
            "$.notification_target.to_emails[2]",
        )
    ]


def test_a_long_repeated_recipient_is_shown_cut_to_80_characters() -> None:
    long = "a" * 80 + "@acme.com"
    [problem] = check_resource(recipients("ops", long, long), TODAY, config())
    assert problem.message == (
        f"To Emails lists {'a' * 80} twice (also at line 10, column 9, letter case ignored); keep one"
    )


def test_recipients_are_checked_only_in_a_notification_target_list() -> None:
    assert check_resource(desired("ops", notification_target={"type": "email"}), TODAY, config()) == []
    assert check_resource(desired("ops", notification_target="ops@acme.com"), TODAY, config()) == []


# out of scope


def test_a_manifest_outside_the_scope_is_a_warning_at_its_name() -> None:
    scoped = replace(config(), scope=Scope(include=("ci-*",)))
    outside = at("data-bot", {("name",): (2, 7)})
    assert across_resources([desired("ci-bot"), outside], scoped) == [
        Problem(
            Position(file_of("data-bot"), 2, 7),
            "data-bot is outside this repository's scope (include ci-*): plan, apply and drift ignore it; widen "
            "scope: in reconciler.yaml or remove the manifest",
            "$.name",
            Severity.WARNING,
        )
    ]
