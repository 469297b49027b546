"""Effective access: legacy permissions and role bindings together, before and after a plan."""

from __future__ import annotations

from reconciler.domain.config import Policy
from reconciler.domain.grants import AccessChange, Grant, Sourced
from reconciler.domain.planner import access_of, make_changes
from reconciler.domain.resources import DesiredResource, LiveResource
from tests.unit.domain.builders import (
    ADMIN,
    VIEWER,
    config,
    desired,
    desired_binding,
    live,
    live_binding,
    options,
)

PERMS = [{"resource_fqn": "c:w", "resource_type": "workspace", "role_id": "workspace-viewer"}]
VIEWER_GRANT = Grant("workspace-viewer", "workspace", "c:w")
ADMIN_GRANT = Grant("workspace-admin", "workspace", "c:w")


def access(wanted: list[DesiredResource], held: list[LiveResource], prune: bool = False) -> dict[str, AccessChange]:
    settings = config(prune=prune)
    changes = make_changes(wanted, held, settings, options())
    return {a.account: a for a in access_of(wanted, held, changes, settings)}


def test_a_new_account_shows_its_full_access_from_both_sources() -> None:
    found = access([desired("new", permissions=PERMS), desired_binding("va-new", ["new"], [ADMIN])], [])
    change = found["new"]
    assert change.new and not change.gone and change.before == ()
    assert change.added == (
        Sourced(ADMIN_GRANT, "role-binding va-new", high_privilege=True),
        Sourced(VIEWER_GRANT, "permissions"),
    )
    assert change.removed == () and change.changes_access and change.escalates


def test_moving_a_grant_from_permissions_into_a_binding_changes_no_access() -> None:
    held = [live("bot", permissions=PERMS)]
    found = access([desired("bot"), desired_binding("va-bot", ["bot"], [VIEWER])], held)
    change = found["bot"]  # touched: a binding naming it is created
    assert not change.changes_access and change.added == () and change.removed == ()
    assert change.undeclared == ()
    assert {s.via for s in change.after} == {"permissions", "role-binding va-bot"}


def test_omitting_permissions_keeps_them_and_grants_outside_git_are_undeclared() -> None:
    held = [live("bot", permissions=PERMS), live_binding("sneaky", ["bot"], [ADMIN])]
    found = access([desired("bot")], held)
    change = found["bot"]  # nothing written: listed because it holds grants Git does not declare
    assert not change.changes_access
    assert change.undeclared == (
        Sourced(ADMIN_GRANT, "role-binding sneaky", True),
        Sourced(VIEWER_GRANT, "permissions"),
    )
    pruned = access([desired("bot")], held, prune=True)["bot"]
    assert pruned.removed == (Sourced(ADMIN_GRANT, "role-binding sneaky", True),)
    assert pruned.after == (Sourced(VIEWER_GRANT, "permissions"),)


def test_declared_permissions_replace_the_live_ones() -> None:
    held = [live("bot", permissions=PERMS)]
    admin_perms = [{"resource_fqn": "c:w", "resource_type": "workspace", "role_id": "workspace-admin"}]
    change = access([desired("bot", permissions=admin_perms)], held)["bot"]
    assert change.added == (Sourced(ADMIN_GRANT, "permissions", True),)
    assert change.removed == (Sourced(VIEWER_GRANT, "permissions"),)


def test_a_deleted_account_loses_everything_and_untouched_accounts_are_not_listed() -> None:
    held = [live("gone", permissions=PERMS), live("still", permissions=PERMS), live("quiet")]
    found = access([desired("still", permissions=PERMS), desired("quiet")], held, prune=True)
    assert set(found) == {"gone"}
    assert (
        found["gone"].gone
        and found["gone"].after == ()
        and found["gone"].removed == (Sourced(VIEWER_GRANT, "permissions"),)
    )


def test_a_binding_deleted_by_prune_removes_its_grants_from_every_subject() -> None:
    held = [live("a"), live("b"), live_binding("both", ["a", "b"], [VIEWER])]
    found = access([desired("a"), desired("b")], held, prune=True)
    assert {name: change.removed for name, change in found.items()} == {
        "a": (Sourced(VIEWER_GRANT, "role-binding both"),),
        "b": (Sourced(VIEWER_GRANT, "role-binding both"),),
    }


def test_high_privilege_follows_policy_patterns() -> None:
    from reconciler.domain.policy import is_high_privilege

    assert is_high_privilege("workspace-admin", Policy()) and is_high_privilege("tenant-admin", Policy())
    assert not is_high_privilege("workspace-viewer", Policy())
    assert is_high_privilege("workspace-editor", Policy(high_privilege_roles=("*-editor",)))
    assert not is_high_privilege("workspace-admin", Policy(high_privilege_roles=()))


def test_access_as_data_round_trips() -> None:
    change = access([desired("new", permissions=PERMS)], [])["new"]
    data = change.to_data()
    assert data["added"] == [
        {"role": "workspace-viewer", "resource_type": "workspace", "resource_fqn": "c:w", "via": "permissions",
         "high_privilege": False}
    ]  # fmt: skip
    assert AccessChange.from_data(data) == change
    assert str(Sourced(ADMIN_GRANT, "role-binding x", True)) == "workspace-admin on c:w (role-binding x)"


def test_an_update_that_omits_permissions_keeps_them_after() -> None:
    held = [live("bot", permissions=PERMS, tags={"env": "a"})]
    change = access([desired("bot", tags={"env": "b"})], held)["bot"]  # an update: touched
    assert change.after == change.before == (Sourced(VIEWER_GRANT, "permissions"),)
    assert not change.changes_access


def test_blocked_and_foreign_bindings_grant_nothing_after() -> None:
    from tests.unit.domain.builders import RB

    held = [live("bot"), live("theirs", owner=None)]
    wanted = [desired("bot"), desired_binding("to-theirs", ["theirs"], [ADMIN])]  # blocked: not our account
    settings = config()
    changes = make_changes(wanted, held, settings, options())
    assert {c.name: c.action.value for c in changes if c.kind == RB} == {"to-theirs": "blocked"}
    assert {a.account for a in access_of(wanted, held, changes, settings)} == set()


def test_a_binding_losing_a_subject_touches_the_account_it_leaves() -> None:
    held = [live("a"), live("b"), live_binding("pair", ["a", "b"], [VIEWER])]
    found = access([desired("a"), desired("b"), desired_binding("pair", ["a"], [VIEWER])], held)
    assert found["b"].removed == (Sourced(VIEWER_GRANT, "role-binding pair"),)
    assert found["a"].added == found["a"].removed == ()  # touched, unchanged


def test_which_accounts_are_listed() -> None:
    held = [
        live("owned-quiet", permissions=PERMS),  # undeclared legacy grant on an owned account: listed
        live("theirs", owner=None, permissions=PERMS),  # someone else's: never listed
        live_binding("foreign", ["theirs"], [ADMIN]),
    ]
    found = access([desired("new"), desired_binding("va-new", ["new"], [VIEWER])], held)
    assert set(found) == {"new", "owned-quiet"}
    assert found["owned-quiet"].undeclared == (Sourced(VIEWER_GRANT, "permissions"),)


def test_a_binding_in_git_declares_only_itself() -> None:
    held = [live("bot"), live_binding("declared", ["bot"], [VIEWER]), live_binding("copy", ["bot"], [VIEWER])]
    change = access([desired("bot"), desired_binding("declared", ["bot"], [VIEWER])], held)["bot"]
    assert change.undeclared == (Sourced(VIEWER_GRANT, "role-binding copy"),)


def test_a_deleted_account_has_no_access_after_even_if_a_binding_still_names_it() -> None:
    held = [live("gone"), live("kept"), live_binding("shared", ["gone", "kept", "theirs"], [VIEWER])]
    change = access([desired("kept")], held, prune=True)["gone"]
    assert change.gone and change.after == () and change.removed == (Sourced(VIEWER_GRANT, "role-binding shared"),)


def test_access_changes_as_data_every_key() -> None:
    change = AccessChange("a", before=(Sourced(VIEWER_GRANT, "permissions"),), after=(), new=False, gone=True)
    data = change.to_data()
    assert set(data) == {"account", "new", "gone", "before", "after", "added", "removed", "undeclared"}
    assert data["gone"] is True and data["removed"] == data["before"] and data["added"] == []
    assert AccessChange.from_data(data) == change
    assert AccessChange.from_data({"account": "a", "before": "oops"}) == AccessChange("a", (), ())


def test_grants_and_subjects_with_missing_keys() -> None:
    from reconciler.domain.grants import Subject, grants_of, subjects_of
    from reconciler.domain.vocabulary import Kind

    assert grants_of(Kind.ROLE_BINDING, {"permissions": [{"role": "r"}]}) == [Grant("r", "", "")]
    assert subjects_of({"subjects": [{"name": "x"}, {"type": "team"}]}) == [Subject("", "x"), Subject("team", "")]
