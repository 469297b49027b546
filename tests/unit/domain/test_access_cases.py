"""Effective access at its edges: accounts outside Git, a binding naming an account that no longer exists, and
the accounts a binding named before the plan."""

from __future__ import annotations

from reconciler.domain.access import access_changes, undeclared_grants
from reconciler.domain.config import Policy
from reconciler.domain.grants import AccessChange, Sourced
from reconciler.domain.plan import Change
from reconciler.domain.planner import access_of, make_changes
from reconciler.domain.vocabulary import Action
from tests.unit.domain.builders import (
    RB,
    VIEWER,
    binding_manifest,
    config,
    desired,
    desired_binding,
    live,
    live_binding,
    options,
)
from tests.unit.domain.test_access import PERMS, VIEWER_GRANT


def test_every_grant_of_an_account_git_does_not_hold_is_undeclared() -> None:
    held = [live("clicked", owner=None, permissions=PERMS)]
    assert undeclared_grants([], held, "clicked", Policy()) == (Sourced(VIEWER_GRANT, "permissions"),)
    assert undeclared_grants([], [live("bare", owner=None)], "bare", Policy()) == ()


def test_deleting_a_binding_that_names_a_vanished_account_shows_that_account_losing_its_grant() -> None:
    held = [live_binding("rb", ["ghost"], [VIEWER])]
    deleting = Change(RB, "rb", Action.DELETE, resource_id="rb-rb")
    via_rb = (Sourced(VIEWER_GRANT, "role-binding rb"),)
    assert access_changes([], held, [deleting], frozenset(), Policy()) == (
        AccessChange("ghost", via_rb, (), undeclared=via_rb),
    )


def test_a_binding_update_touches_the_accounts_it_named_before() -> None:
    held = [live("a"), live("b", permissions=PERMS), live_binding("rb", ["a", "b"], [VIEWER])]
    narrowed = Change(RB, "rb", Action.UPDATE, resource_id="rb-rb", desired=binding_manifest("rb", ["a"], [VIEWER]))
    found = {a.account: a for a in access_changes([], held, [narrowed], frozenset(), Policy())}
    assert sorted(found) == ["a", "b"]
    before = (Sourced(VIEWER_GRANT, "permissions"), Sourced(VIEWER_GRANT, "role-binding rb"))
    assert found["b"] == AccessChange(
        "b", before, (Sourced(VIEWER_GRANT, "permissions"),), undeclared=before
    )  # the grant stays through permissions: b is listed because the write touched it, not for a change


def test_an_account_update_does_not_hide_the_binding_writes_after_it() -> None:
    wanted = [desired("x", tags={"env": "b"}), desired("y"), desired("z"), desired_binding("rb", ["y", "z"], [VIEWER])]
    held = [live("x", tags={"env": "a"}), live("y"), live("z"), live_binding("rb", ["y"], [VIEWER])]
    settings = config()
    changes = make_changes(wanted, held, settings, options())
    assert [a.account for a in access_of(wanted, held, changes, settings)] == ["x", "y", "z"]
