"""The apply report as data lists what the plan made after the writes would still change."""

from __future__ import annotations

from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import ApplyReport, Outcome
from reconciler.domain.vocabulary import Action, Kind, OutcomeStatus

VA = Kind.VIRTUAL_ACCOUNT


def test_what_still_differs_after_the_writes_is_in_the_report_data() -> None:
    planned = Plan(changes=(Change(VA, "a", Action.CREATE),))
    after = Plan(changes=(Change(VA, "a", Action.UPDATE), Change(VA, "b", Action.NO_OP)))
    report = ApplyReport(planned, (Outcome(VA, "a", Action.CREATE, OutcomeStatus.APPLIED, "created"),), 3, after)
    assert report.to_data()["still_differs"] == [
        {"kind": "virtual-account", "name": "a", "action": "update", "reason": ""}
    ]
