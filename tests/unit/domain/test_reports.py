"""The apply report: converged only when the plan made after the writes has nothing left to do."""

from __future__ import annotations

from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import ApplyReport, Outcome
from reconciler.domain.vocabulary import Action, Kind, OutcomeStatus

VA = Kind.VIRTUAL_ACCOUNT


def outcome(name: str, status: OutcomeStatus) -> Outcome:
    return Outcome(VA, name, Action.CREATE, status, "d")


def test_converged_is_what_the_plan_after_the_writes_says() -> None:
    planned = Plan(changes=(Change(VA, "a", Action.CREATE),))
    empty, settled = Plan(changes=()), Plan(changes=(Change(VA, "a", Action.NO_OP),))
    assert ApplyReport(planned, (outcome("a", OutcomeStatus.APPLIED),), 3, after=settled).converged
    assert ApplyReport(empty, (), 0).converged  # nothing to do, nothing written: the plan itself is the truth
    # a write that failed, whose result a concurrent run of the same commit achieved: the state converged
    assert ApplyReport(planned, (outcome("a", OutcomeStatus.FAILED),), 3, after=settled).converged
    assert not ApplyReport(planned, (outcome("a", OutcomeStatus.APPLIED),), 3, after=planned).converged
    assert not ApplyReport(planned, (outcome("a", OutcomeStatus.SKIPPED),), 3).converged  # not written, not read
    assert not ApplyReport(planned, (outcome("a", OutcomeStatus.APPLIED),), 3).converged  # written, never measured
    conflict = Plan(changes=(Change(VA, "b", Action.CONFLICT, reason="taken"),))
    report = ApplyReport(conflict, (), 1)
    assert not report.converged
    assert report.unresolved == conflict.changes and report.still_differs == ()
    raced = ApplyReport(planned, (outcome("a", OutcomeStatus.APPLIED),), 3, after=Plan(
        changes=(Change(VA, "a", Action.UPDATE), Change(VA, "b", Action.CONFLICT, reason="taken"))))  # fmt: skip
    assert [c.name for c in raced.still_differs] == ["a"] and not raced.converged
    assert not ApplyReport(planned, (), 3, after=Plan(changes=(conflict.changes[0],))).converged


def test_counts_and_data() -> None:
    plan = Plan(changes=(Change(VA, "c", Action.BLOCKED, reason="policy"),))
    report = ApplyReport(plan, (outcome("a", OutcomeStatus.APPLIED), outcome("b", OutcomeStatus.FAILED)), 7)
    # the blocked change counts too: a run that wrote nothing never reads "0 applied, 0 failed, 0 skipped"
    assert report.counts() == {"applied": 1, "failed": 1, "skipped": 0, "conflict": 0, "blocked": 1, "error": 0}
    rejected = Plan(changes=(Change(VA, "d", Action.CREATE, errors=("422",)), Change(VA, "e", Action.CONFLICT)))
    assert ApplyReport(rejected, (), 1).counts() == {
        "applied": 0, "failed": 0, "skipped": 0, "conflict": 1, "blocked": 0, "error": 1,
    }  # fmt: skip
    data = report.to_data()
    assert data["converged"] is False and data["plan_checksum"] == plan.checksum
    assert data["unresolved"] == [{"kind": "virtual-account", "name": "c", "action": "blocked", "reason": "policy"}]
    assert data["outcomes"][1] == {  # type: ignore[index]
        "kind": "virtual-account",
        "name": "b",
        "action": "create",
        "status": "failed",
        "detail": "d",
    }
    assert Outcome.of(plan.changes[0], OutcomeStatus.SKIPPED, "x") == Outcome(
        VA, "c", Action.BLOCKED, OutcomeStatus.SKIPPED, "x"
    )


def test_the_report_as_data_every_key() -> None:
    plan = Plan(changes=(), revision="r" * 40, control_plane="https://tfy.example")
    report = ApplyReport(plan, (outcome("a", OutcomeStatus.APPLIED),), 2, after=Plan(changes=()))
    assert report.to_data() == {
        "version": 1,
        "revision": "r" * 40,
        "control_plane": "https://tfy.example",
        "plan_checksum": plan.checksum,
        "converged": True,
        "summary": {"applied": 1, "failed": 0, "skipped": 0, "conflict": 0, "blocked": 0, "error": 0},
        "outcomes": [{"kind": "virtual-account", "name": "a", "action": "create", "status": "applied", "detail": "d"}],
        "unresolved": [],
        "still_differs": [],
    }
