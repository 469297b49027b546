"""What apply reports: the outcome of every change it tried, and whether the control plane converged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypedDict

from reconciler.domain.plan import Change, Plan
from reconciler.domain.vocabulary import Action, Kind, OutcomeStatus

REPORT_VERSION = 1


class OutcomeData(TypedDict):
    """How applying one change ended."""

    kind: Annotated[str, Kind]
    name: str
    action: Annotated[str, Action]
    status: Annotated[str, OutcomeStatus]
    detail: Annotated[str, "In a few words: what was done, or why it failed or was skipped."]


class UnresolvedData(TypedDict):
    """A change nobody may write until a person acts: a conflict, a block, a server rejection."""

    kind: Annotated[str, Kind]
    name: str
    action: Annotated[str, Action]
    reason: str


class ApplyReportData(TypedDict):
    """The apply report (`reconciler apply --out`): every outcome, and whether the control plane converged."""

    version: int
    revision: Annotated[str | None, "The Git commit applied; null for a working tree."]
    control_plane: str
    plan_checksum: Annotated[str, "The checksum of the fresh plan apply acted on."]
    converged: Annotated[bool, "True only when every change applied and nothing is unresolved."]
    summary: Annotated[
        dict[str, int],
        "How many outcomes of each status (applied, failed, skipped), and how many changes stayed unresolved: "
        "conflict, blocked, error (rejected by the control plane).",
    ]
    outcomes: list[OutcomeData]
    unresolved: list[UnresolvedData]


@dataclass(frozen=True)
class Outcome:
    """How applying one change ended, and in a few words why."""

    kind: Kind
    name: str
    action: Action
    status: OutcomeStatus
    detail: str

    @classmethod
    def of(cls, change: Change, status: OutcomeStatus, detail: str) -> Outcome:
        return cls(change.kind, change.name, change.action, status, detail)

    def to_data(self) -> OutcomeData:
        return {
            "kind": str(self.kind),
            "name": self.name,
            "action": str(self.action),
            "status": str(self.status),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ApplyReport:
    """The fresh plan apply acted on, the outcome of every write it tried, and the requests it sent."""

    plan: Plan
    outcomes: tuple[Outcome, ...]
    requests_sent: int

    @property
    def unresolved(self) -> tuple[Change, ...]:
        """Changes nobody may write until a person acts: conflicts, blocks, server rejections."""
        return tuple(c for c in self.plan.changes if c.unresolved)

    @property
    def converged(self) -> bool:
        return not self.plan.has_errors and all(o.status == OutcomeStatus.APPLIED for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        """Outcomes by status, then what stayed unresolved: conflicts, blocked changes and changes the server
        rejected ("error"), so that a run that did nothing never reads "0 applied, 0 failed, 0 skipped"."""
        counts = {str(s): sum(o.status == s for o in self.outcomes) for s in OutcomeStatus}
        unresolved = self.unresolved
        counts["conflict"] = sum(c.action == Action.CONFLICT for c in unresolved)
        counts["blocked"] = sum(c.action == Action.BLOCKED for c in unresolved)
        counts["error"] = sum(c.action not in (Action.CONFLICT, Action.BLOCKED) for c in unresolved)
        return counts

    def to_data(self) -> ApplyReportData:
        return {
            "version": REPORT_VERSION,
            "revision": self.plan.revision,
            "control_plane": self.plan.control_plane,
            "plan_checksum": self.plan.checksum,
            "converged": self.converged,
            "summary": dict(self.counts()),
            "outcomes": [o.to_data() for o in self.outcomes],
            "unresolved": [
                {"kind": str(c.kind), "name": c.name, "action": str(c.action), "reason": c.why_unresolved}
                for c in self.unresolved
            ],
        }
