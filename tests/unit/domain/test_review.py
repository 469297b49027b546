"""A reviewed plan: apply what it approved, as it approved it; skip the rest, saying why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.domain.errors import PlanFileError
from reconciler.domain.plan import Change, Plan
from reconciler.domain.review import (
    CHANGED_DESIRED,
    CHANGED_LIVE,
    NOT_REVIEWED,
    control_plane_identity,
    dry_run_needed,
    match_reviewed,
    no_change,
    verify_origin,
)
from reconciler.domain.vocabulary import Action, Kind, OutcomeStatus

VA = Kind.VIRTUAL_ACCOUNT


def change(name: str, action: Action = Action.UPDATE, fingerprint: str = "f1", desired: str = "d1") -> Change:
    return Change(VA, name, action, desired={"name": name, "v": desired}, live_fingerprint=fingerprint)


def test_without_a_reviewed_plan_or_with_force_every_write_applies() -> None:
    fresh = Plan(changes=(change("a"), change("b", Action.NO_OP), change("c", Action.CREATE)))
    assert match_reviewed(fresh, None, force=False) == ([fresh.changes[0], fresh.changes[2]], [])
    assert match_reviewed(fresh, Plan(changes=()), force=True) == ([fresh.changes[0], fresh.changes[2]], [])


def test_only_identical_approved_writes_apply() -> None:
    fresh = Plan(
        changes=(
            change("same"),
            change("new"),
            change("was-no-op"),
            change("live-moved", fingerprint="f2"),
            change("desired-moved", desired="d2"),
            change("action-moved", Action.DELETE),
        )
    )
    reviewed = Plan(
        changes=(
            change("same"),
            change("was-no-op", Action.NO_OP),
            change("live-moved"),
            change("desired-moved"),
            change("action-moved"),
        )
    )
    accepted, refused = match_reviewed(fresh, reviewed, force=False)
    assert [c.name for c in accepted] == ["same"]
    reasons = {o.name: o.detail for o in refused}
    assert reasons == {
        "new": NOT_REVIEWED,
        "was-no-op": NOT_REVIEWED,
        "live-moved": CHANGED_LIVE,
        "desired-moved": CHANGED_DESIRED,
        "action-moved": CHANGED_DESIRED,
    }
    assert {o.status for o in refused} == {OutcomeStatus.SKIPPED}
    assert {o.action for o in refused if o.name == "action-moved"} == {Action.DELETE}


def test_a_reviewed_plan_spares_the_dry_runs_it_already_made() -> None:
    reviewed = Plan(
        changes=(
            change("same"),
            change("rejected-then").with_errors("the control plane rejects it: 422"),
            change("live-moved"),
            change("desired-moved"),
        )
    )
    fresh = [
        change("same"),
        change("rejected-then"),
        change("live-moved", fingerprint="f2"),
        change("desired-moved", desired="d2"),
        change("new", Action.CREATE),
    ]
    without_force = dry_run_needed(reviewed, force=False)
    assert [c.name for c in fresh if without_force(c)] == ["rejected-then"]  # the rest is checked or skipped
    with_force = dry_run_needed(reviewed, force=True)
    assert [c.name for c in fresh if with_force(c)] == ["rejected-then", "live-moved", "desired-moved", "new"]
    assert all(dry_run_needed(None, force=False)(c) for c in fresh)
    assert not any(no_change(c) for c in fresh)  # the plan measuring convergence dry-runs nothing


def test_a_write_the_reviewed_plan_did_not_dry_run_is_dry_run_at_apply() -> None:
    read_only = "not dry-run: this credential may not write (403); the control plane validates it at apply"
    deferred = "not dry-run: it names accounts this plan creates; the control plane validates it at apply, after them"
    other = "the token expires in 9 days (2026-12-01)"
    reviewed = Plan(
        changes=(
            replace(change("forbidden-then"), warnings=(read_only,)),
            replace(change("deferred-then"), warnings=(deferred,)),
            replace(change("warned"), warnings=(other,)),
        )
    )
    fresh = [change("forbidden-then"), change("deferred-then"), change("warned")]
    needed = dry_run_needed(reviewed, force=False)
    assert [c.name for c in fresh if needed(c)] == ["forbidden-then", "deferred-then"]


def test_a_plan_from_another_control_plane_or_other_manifests_is_refused_whole() -> None:
    one = Change(VA, "a", Action.CREATE, desired={"name": "a"})
    other = Change(VA, "a", Action.CREATE, desired={"name": "a", "tags": {"x": "y"}})
    made = Plan(changes=(one,), revision="1" * 40, control_plane="embedded control plane (r/.reconciler/cp.db)")
    assert control_plane_identity("https://t.example (TFY_API_KEY from the environment)") == "https://t.example"
    assert control_plane_identity("embedded control plane (/elsewhere/cp.db)") == "embedded control plane"
    verify_origin(replace(made, control_plane="embedded control plane (/abs/cp.db)"), made)  # same: no error
    verify_origin(replace(made, revision="2" * 40), made)  # a merge commit with the same manifests
    with pytest.raises(PlanFileError, match="made against embedded control plane, but this run talks to https"):
        verify_origin(replace(made, control_plane="https://t.example (TFY_API_KEY from the environment)"), made)
    with pytest.raises(PlanFileError, match="the manifests differ"):
        verify_origin(replace(made, revision="2" * 40, changes=(other,)), made)
