"""kinds.py and scope.py: which bindings a plan adopts, which live bindings a scope covers, and the scope's words."""

from __future__ import annotations

from reconciler.domain.grants import Grant
from reconciler.domain.kinds import ROLE_BINDINGS, OwnershipContext, in_scope
from reconciler.domain.scope import Scope, team_of
from tests.unit.domain.builders import TAG, VIEWER, binding_manifest, live, live_binding

HELD = OwnershipContext(TAG, frozenset({"ci-bot"}), {"ci-bot": frozenset({Grant(*VIEWER)})})


def test_a_binding_of_held_grants_is_adopted() -> None:
    assert ROLE_BINDINGS.adopts(binding_manifest("va-ci-bot", ["ci-bot"], [VIEWER]), HELD) == (
        "takes over grants ci-bot already holds through deprecated permissions: the binding is created, no access "
        "changes"
    )


def test_a_binding_that_grants_nothing_takes_nothing_over() -> None:
    assert ROLE_BINDINGS.adopts(binding_manifest("va-ci-bot", ["ci-bot"], []), HELD) is None


def test_a_binding_that_names_no_subject_takes_nothing_over() -> None:
    assert ROLE_BINDINGS.adopts(binding_manifest("nobody", [], [VIEWER]), HELD) is None


def test_a_live_binding_naming_an_account_outside_the_scope_is_left_out() -> None:
    accounts = [live("ci-bot"), live("data-bot")]
    inside, outside = live_binding("ci", ["ci-bot"], [VIEWER]), live_binding("data", ["data-bot"], [VIEWER])
    scoped = in_scope((), [*accounts, inside, outside], Scope(include=("ci-*",)))
    assert scoped.live == (accounts[0], inside)
    assert scoped.live_out == 2


def test_a_scope_lists_several_patterns_separated_by_commas() -> None:
    scope = Scope(include=("ci-*", "bot-*"), exclude=("legacy-*",), teams=("platform", "data"))
    assert scope.describe() == "include ci-*, bot-*; exclude legacy-*; teams platform, data"


def test_a_team_that_is_not_a_string_is_no_team() -> None:
    assert team_of({"ownedBy": {"team": 42}}) is None
    assert team_of({"ownedBy": {"team": "platform"}}) == "platform"
