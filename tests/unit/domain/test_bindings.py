"""Role bindings as a resource kind: ownership by subjects, normalisation, planning, undeclared access."""

from __future__ import annotations

from reconciler.domain.diff import FieldDiff
from reconciler.domain.grants import Grant, Subject, accounts_named, grants_of, subjects_of, via_binding
from reconciler.domain.kinds import ROLE_BINDINGS, OwnershipContext, context_for
from reconciler.domain.ownership import Holder
from reconciler.domain.plan import Change
from reconciler.domain.planner import make_changes
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.vocabulary import Action, DiffKind, Kind
from tests.unit.domain.builders import (
    ADMIN,
    RB,
    TAG,
    VA,
    VIEWER,
    binding_manifest,
    config,
    desired,
    desired_binding,
    live,
    live_binding,
    options,
)

CONTEXT = OwnershipContext(TAG, frozenset({"ours-a", "ours-b"}))


def plan(
    wanted: list[DesiredResource], held: list[LiveResource], prune: bool = False, **kw: object
) -> dict[tuple[Kind, str], Change]:
    changes = make_changes(wanted, held, config(prune=prune, **kw), options())  # type: ignore[arg-type]
    return {c.key: c for c in changes}


def test_grants_and_subjects_of_both_kinds() -> None:
    account = {"permissions": [{"role_id": "r", "resource_type": "t", "resource_fqn": "f"}]}
    assert grants_of(VA, account) == [Grant("r", "t", "f")]
    bound = binding_manifest("b", ["x"], [("r2", "t2", "f2")], extra_subjects=[("team", "platform")])
    assert grants_of(RB, bound) == [Grant("r2", "t2", "f2")]
    assert subjects_of(bound) == [Subject("virtualaccount", "x"), Subject("team", "platform")]
    assert accounts_named(bound) == ["x"]
    assert str(Grant("workspace-admin", "workspace", "c:w")) == "workspace-admin on c:w"
    assert via_binding("va-x") == "role-binding va-x"
    assert grants_of(VA, {}) == [] and subjects_of({"subjects": "nope"}) == []


def test_ownership_follows_the_subjects() -> None:
    assert ROLE_BINDINGS.ownership(live_binding("b", ["ours-a", "ours-b"], [VIEWER]), CONTEXT).holder == Holder.OURS
    shared = ROLE_BINDINGS.ownership(live_binding("b", ["ours-a", "theirs"], [VIEWER]), CONTEXT)
    assert (shared.holder, shared.other) == (Holder.SHARED, "virtualaccount:theirs")
    with_team = live_binding("b", ["ours-a", "x"], [VIEWER], extra_subjects=[("team", "platform")])
    assert ROLE_BINDINGS.ownership(with_team, CONTEXT).other == "virtualaccount:x, team:platform"
    assert ROLE_BINDINGS.ownership(live_binding("b", ["theirs"], [VIEWER]), CONTEXT).holder == Holder.NOBODY
    assert ROLE_BINDINGS.ownership(live_binding("b", [], [VIEWER]), CONTEXT).holder == Holder.NOBODY
    assert not ROLE_BINDINGS.claims(binding_manifest("b", ["ours-a"], [VIEWER]), CONTEXT)
    sent = ROLE_BINDINGS.as_sent(binding_manifest("b", ["ours-a"], [VIEWER]), CONTEXT)
    assert sent == binding_manifest("b", ["ours-a"], [VIEWER])


def test_normalisation_ignores_order_and_type() -> None:
    one = binding_manifest("b", ["y", "x"], [VIEWER])
    two = binding_manifest("b", ["x", "y"], [VIEWER])
    assert ROLE_BINDINGS.normalize(one) == ROLE_BINDINGS.normalize(two)
    assert "type" not in ROLE_BINDINGS.normalize(one)
    many = binding_manifest("b", ["x"], [ADMIN, VIEWER])
    assert ROLE_BINDINGS.comparable(many, binding_manifest("b", ["x"], [VIEWER, ADMIN])) == (
        ROLE_BINDINGS.normalize(many),
        ROLE_BINDINGS.normalize(many),
    )


def test_a_binding_may_name_only_accounts_this_repository_owns() -> None:
    assert ROLE_BINDINGS.blockers(binding_manifest("b", ["ours-a"], [VIEWER]), CONTEXT) == []
    assert ROLE_BINDINGS.blockers(binding_manifest("b", ["ours-a", "else"], [VIEWER]), CONTEXT) == [
        "grants access to virtual account else, which this repository does not own or define"
    ]


def test_the_ownership_context_of_a_plan() -> None:
    held = [live("mine"), live("clicked", owner=None), live("theirs", owner="x"), live("claimed", owner=None)]
    wanted = [desired("new"), desired("clicked"), desired("claimed", tags={TAG.key: TAG.value}), desired("adopted")]
    held.append(live("adopted", owner=None))
    context = context_for([desired_binding("first", ["new"], [VIEWER]), *wanted], held, TAG, frozenset({"adopted"}))
    assert context.owned_accounts == {"mine", "new", "claimed", "adopted"}
    assert context.tag == TAG


def test_bindings_are_created_after_their_accounts_and_blocked_on_foreign_subjects() -> None:
    changes = plan(
        [desired("new-bot"), desired_binding("va-new-bot", ["new-bot"], [VIEWER]),
         desired_binding("va-foreign", ["theirs"], [VIEWER])],
        [live("theirs", owner=None)],
    )  # fmt: skip
    assert list(changes) == [(VA, "new-bot"), (RB, "va-foreign"), (RB, "va-new-bot")]
    assert changes[RB, "va-new-bot"].action == Action.CREATE
    assert changes[RB, "va-new-bot"].desired == binding_manifest("va-new-bot", ["new-bot"], [VIEWER])
    assert changes[RB, "va-new-bot"].token_destination is None
    blocked = changes[RB, "va-foreign"]
    assert blocked.action == Action.BLOCKED
    assert blocked.reason == "grants access to virtual account theirs, which this repository does not own or define"


def test_owned_bindings_update_and_no_op() -> None:
    held = [live("ours-a"), live_binding("same", ["ours-a"], [VIEWER]), live_binding("grows", ["ours-a"], [VIEWER])]
    changes = plan(
        [desired("ours-a"), desired_binding("same", ["ours-a"], [VIEWER]),
         desired_binding("grows", ["ours-a"], [VIEWER, ADMIN])], held
    )  # fmt: skip
    assert changes[RB, "same"].action == Action.NO_OP
    grows = changes[RB, "grows"]
    assert grows.action == Action.UPDATE and grows.resource_id == "rb-grows"
    assert grows.diffs == (
        FieldDiff(
            "permissions",
            DiffKind.CHANGE,
            [{"resourceFqn": "c:w", "resourceType": "workspace", "role": "workspace-viewer"}],
            [
                {"resourceFqn": "c:w", "resourceType": "workspace", "role": "workspace-admin"},
                {"resourceFqn": "c:w", "resourceType": "workspace", "role": "workspace-viewer"},
            ],
        ),
    )


def test_a_binding_name_held_by_someone_else_is_a_conflict_until_adopted() -> None:
    held = [live("ours-a"), live_binding("taken", ["ours-a", "theirs"], [VIEWER])]
    wanted = [desired("ours-a"), desired_binding("taken", ["ours-a"], [VIEWER])]
    conflict = plan(wanted, held)[RB, "taken"]
    assert conflict.action == Action.CONFLICT and not conflict.writes
    assert conflict.reason == (
        "a role binding named taken already exists and grants access to subjects this repository does not own "
        "(it names virtualaccount:theirs); list it under adopt: in reconciler.yaml to take it over, or rename yours"
    )
    unrelated = plan(wanted, [live("ours-a"), live_binding("taken", ["theirs"], [VIEWER])])[RB, "taken"]
    assert unrelated.reason == (
        "a role binding named taken already exists and grants access to subjects this repository does not own; "
        "list it under adopt: in reconciler.yaml to take it over, or rename yours"
    )
    adopted = plan(wanted, held, adopt=["taken"])[RB, "taken"]
    assert adopted.action == Action.UPDATE
    assert adopted.warnings == ("adopts a role binding this repository did not create (adopt: in reconciler.yaml)",)


def test_undeclared_bindings_are_pruned_shared_ones_only_shown() -> None:
    held = [
        live("ours-a"),
        live_binding("sneaky", ["ours-a"], [ADMIN]),
        live_binding("shared", ["ours-a", "theirs"], [VIEWER]),
        live_binding("unrelated", ["theirs"], [ADMIN]),
    ]
    kept = plan([desired("ours-a")], held)
    assert set(kept) == {(VA, "ours-a"), (RB, "sneaky"), (RB, "shared")}
    assert kept[RB, "sneaky"].action == Action.NO_OP
    assert kept[RB, "sneaky"].reason == (
        "undeclared access: grants access to accounts this repository owns, and is not in Git; prune is off, so it "
        "stays"
    )
    assert kept[RB, "shared"].action == Action.NO_OP and kept[RB, "shared"].resource_id == "rb-shared"
    assert kept[RB, "shared"].reason == (
        "undeclared access to owned accounts, shared with virtualaccount:theirs: not changed; declare it in Git or "
        "remove the owned accounts from it in TrueFoundry's Access Control"
    )
    pruned = plan([desired("ours-a")], held, prune=True)
    assert pruned[RB, "sneaky"].action == Action.DELETE
    assert pruned[RB, "sneaky"].reason == (
        "undeclared access: grants access to accounts this repository owns, and is not in Git"
    )
    assert pruned[RB, "shared"].action == Action.NO_OP


def test_the_prune_guard_names_role_bindings() -> None:
    held = [live("ours-a"), *[live_binding(f"b{i}", ["ours-a"], [VIEWER]) for i in range(3)]]
    changes = plan([desired("ours-a"), desired_binding("kept", ["ours-a"], [VIEWER])], held, prune=True, max_deletes=2)
    assert {c.reason for c in changes.values() if c.kind == RB and c.action == Action.BLOCKED} == {
        "would delete 3 role bindings, more than prune.max_deletes=2 (pass --allow-mass-delete)"
    }
    only_bindings = plan([desired_binding("kept", ["ours-a"], [VIEWER])], held[:2], prune=True)
    assert only_bindings[RB, "b0"].reason == (
        "Git holds no account at all: refusing to prune every owned role binding (pass --allow-mass-delete)"
    )


def _legacy(*grants: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"role_id": r, "resource_type": t, "resource_fqn": f} for r, t, f in grants]


def test_a_new_binding_for_grants_already_held_through_permissions_is_adopted() -> None:
    """A binding as `migrate` and `import` write it: its account holds every grant through `permissions` already,
    so creating it changes no access; the plan adopts it (the executor still creates it)."""
    held = [live("ours-a", permissions=_legacy(VIEWER, ADMIN)), live("ours-b", permissions=_legacy(VIEWER))]
    wanted = [desired("ours-a"), desired("ours-b"), desired_binding("va-ours-a", ["ours-a"], [VIEWER, ADMIN])]
    change = plan(wanted, held)[RB, "va-ours-a"]
    assert change.action == Action.ADOPT and change.writes and change.resource_id is None
    assert change.warnings == (
        "takes over grants ours-a already holds through deprecated permissions: the binding is created, no access "
        "changes",
    )
    many = plan([*wanted[:2], desired_binding("both", ["ours-a", "ours-b"], [VIEWER])], held)[RB, "both"]
    assert many.action == Action.ADOPT
    assert many.warnings[0].startswith("takes over grants ours-a, ours-b already hold through")


def test_a_new_binding_that_adds_any_grant_is_a_create() -> None:
    held = [live("ours-a", permissions=_legacy(VIEWER)), live("ours-b")]
    more = plan([desired("ours-a"), desired_binding("va", ["ours-a"], [VIEWER, ADMIN])], held)[RB, "va"]
    assert more.action == Action.CREATE  # ADMIN is new access
    other = plan([desired("ours-b"), desired_binding("vb", ["ours-b"], [VIEWER])], held)[RB, "vb"]
    assert other.action == Action.CREATE  # ours-b holds nothing through permissions
    both = plan([desired("ours-a"), desired("ours-b"), desired_binding("ab", ["ours-a", "ours-b"], [VIEWER])], held)
    assert both[RB, "ab"].action == Action.CREATE  # ours-b gains the grant
    new_account = plan([desired("new-bot"), desired_binding("vn", ["new-bot"], [VIEWER])], held)[RB, "vn"]
    assert new_account.action == Action.CREATE
