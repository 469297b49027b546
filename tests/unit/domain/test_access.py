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
