"""A reviewed plan: apply what it approved, as it approved it; skip the rest, saying why."""

from __future__ import annotations

from reconciler.domain.plan import Change, Plan
from reconciler.domain.review import CHANGED_DESIRED, CHANGED_LIVE, NOT_REVIEWED, dry_run_needed, match_reviewed
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
