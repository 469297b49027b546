"""scope: in reconciler.yaml: which accounts (and role bindings) plan, drift and prune consider."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.domain.checks import check_resources
from reconciler.domain.config import RepoConfig, config_from_data
from reconciler.domain.drift import detect_drift
from reconciler.domain.kinds import in_scope
from reconciler.domain.planner import make_changes
from reconciler.domain.scope import Scope
from reconciler.domain.vocabulary import Action, DriftKind, Kind
from tests.unit.domain.builders import (
    TODAY,
    config,
    desired,
    desired_binding,
    live,
    options,
)


@pytest.mark.parametrize(
    ("scope", "name", "team", "expected"),
    [
        (Scope(), "any-bot", None, True),
        (Scope(include=("ci-*",)), "ci-bot", None, True),
        (Scope(include=("ci-*",)), "data-bot", None, False),
        (Scope(include=("ci-*", "data-*")), "data-bot", None, True),
        (Scope(include=("ci-*",)), "CI-bot", None, False),  # case-sensitive
        (Scope(exclude=("legacy-*",)), "legacy-bot", None, False),
        (Scope(exclude=("legacy-*",)), "new-bot", None, True),
        (Scope(include=("ci-*",), exclude=("ci-legacy-*",)), "ci-legacy-one", None, False),
        (Scope(include=("ci-*",), exclude=("ci-legacy-*",)), "ci-one", None, True),
        (Scope(teams=("platform",)), "ci-bot", "platform", True),
        (Scope(teams=("platform",)), "ci-bot", "data", False),
        (Scope(teams=("platform",)), "ci-bot", None, False),  # no ownedBy: not in a team scope
        (Scope(include=("ci-?ot",)), "ci-bot", None, True),
        (Scope(include=("ci-[ab]*",)), "ci-cat", None, False),
        (Scope(include=("ci-*",), teams=("platform", "data")), "ci-bot", "data", True),
        (Scope(include=("ci-*",), teams=("platform",)), "x-bot", "platform", False),
    ],
)
def test_includes(scope: Scope, name: str, team: str | None, expected: bool) -> None:
    assert scope.includes(name, team) is expected


def test_the_default_scope_holds_everything_and_reads_from_reconciler_yaml() -> None:
    assert config_from_data(None, "github.com/acme/a").scope == Scope()
    assert Scope().everything and Scope().describe() == "everything"
    settings = config_from_data(
        {"scope": {"include": ["ci-*"], "exclude": ["ci-old-*"], "teams": ["platform"]}}, "github.com/acme/a"
    )
    assert settings.scope == Scope(("ci-*",), ("ci-old-*",), ("platform",))
    assert settings.scope.describe() == "include ci-*; exclude ci-old-*; teams platform"


def scoped(scope: Scope, prune: bool = False) -> RepoConfig:
    return replace(config(prune=prune), scope=scope)


def test_plan_and_prune_leave_accounts_out_of_scope_alone() -> None:
    settings = scoped(Scope(include=("ci-*",)), prune=True)
    wanted = [desired("ci-new"), desired("data-new"), desired("ci-kept", tags={"a": "b"})]
    held = [live("ci-kept"), live("ci-gone"), live("data-gone"), live("data-unowned", owner=None)]
    changes = {c.name: c for c in make_changes(wanted, held, settings, options())}
    assert set(changes) == {"ci-new", "ci-kept", "ci-gone"}
    assert changes["ci-new"].action == Action.CREATE
    assert changes["ci-kept"].action == Action.UPDATE
    assert changes["ci-gone"].action == Action.DELETE


def test_a_team_change_in_git_never_reads_as_a_delete() -> None:
    """Git moves ci-bot from platform to data; the platform-scoped repository must not prune the live one."""
    settings = scoped(Scope(teams=("platform",)), prune=True)
    wanted = [desired("ci-bot", ownedBy={"team": "data"}), desired("keeper", ownedBy={"team": "platform"})]
    held = [live("ci-bot", ownedBy={"team": "platform"}), live("keeper", ownedBy={"team": "platform"})]
    changes = {c.name: c for c in make_changes(wanted, held, settings, options())}
    assert set(changes) == {"keeper"} and changes["keeper"].action == Action.NO_OP


def test_the_mass_delete_guard_counts_owned_accounts_in_scope_only() -> None:
    settings = replace(scoped(Scope(include=("ci-*",)), prune=True), prune=config(prune=True, max_deletes=1).prune)
    wanted = [desired("ci-keep")]
    held = [live("ci-keep"), live("ci-gone"), *(live(f"other-{i}") for i in range(20))]
    changes = {c.name: c for c in make_changes(wanted, held, settings, options())}
    assert changes["ci-gone"].action == Action.DELETE  # one delete of two owned in scope: within max_deletes


def test_role_bindings_are_in_scope_when_every_account_they_name_is() -> None:
    grant = [("workspace-viewer", "workspace", "c:w")]
    wanted = [
        desired("ci-bot"),
        desired("data-bot"),
        desired_binding("rb-ci", ["ci-bot"], grant),
        desired_binding("rb-both", ["ci-bot", "data-bot"], grant),
        desired_binding("rb-data", ["data-bot"], grant),
    ]
    selected = in_scope(wanted, (), Scope(include=("ci-*",)))
    assert [(r.kind, r.name) for r in selected.desired] == [
        (Kind.VIRTUAL_ACCOUNT, "ci-bot"),
        (Kind.ROLE_BINDING, "rb-ci"),
    ]
    assert selected.desired_out == 3


def test_an_account_only_live_is_judged_by_its_live_manifest() -> None:
    held = [live("x-bot", ownedBy={"team": "platform"}), live("y-bot", ownedBy={"team": "data"})]
    selected = in_scope((), held, Scope(teams=("platform",)))
    assert [r.name for r in selected.live] == ["x-bot"] and selected.live_out == 1


def test_drift_reports_nothing_out_of_scope() -> None:
    settings = scoped(Scope(exclude=("legacy-*",)))
    wanted = [desired("ci-bot"), desired("legacy-missing")]
    held = [live("ci-bot", tags={"x": "y"}), live("legacy-orphan"), live("legacy-unmanaged", owner=None)]
    findings = detect_drift(wanted, held, settings, TODAY)
    assert [(f.name, f.kind) for f in findings] == [("ci-bot", DriftKind.MODIFIED)]


def test_validate_warns_at_a_manifest_outside_the_scope() -> None:
    settings = scoped(Scope(teams=("platform",)))
    problems = check_resources(
        [desired("ci-bot", line=3), desired("ok", ownedBy={"team": "platform"})], TODAY, settings
    )
    [warning] = [p for p in problems if "scope" in p.message]
    assert str(warning.position) == "accounts/ci-bot.yaml:3:1" and warning.severity == "warning"
    assert warning.message.startswith("ci-bot is outside this repository's scope (teams platform)")
