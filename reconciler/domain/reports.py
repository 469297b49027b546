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
    converged: Annotated[
        bool,
        "True only when a plan made after the writes (re-reading the control plane) has no changes and "
        "nothing unresolved: measured, not assumed.",
    ]
    summary: Annotated[
        dict[str, int],
        "How many outcomes of each status (applied, failed, skipped), and how many changes stayed unresolved: "
        "conflict, blocked, error (rejected by the control plane).",
    ]
    outcomes: list[OutcomeData]
    unresolved: list[UnresolvedData]
    still_differs: Annotated[
        list[UnresolvedData],
        "What the plan made after the writes would still change (someone else's write, a "
        "concurrent apply, a failure), with why when it says.",
    ]


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
    """The fresh plan apply acted on, the outcome of every write it tried, the requests it sent, and `after`:
    the plan made once the writes were done (None when apply wrote nothing, so `plan` is still the truth)."""

    plan: Plan
    outcomes: tuple[Outcome, ...]
    requests_sent: int
    after: Plan | None = None

    @property
    def unresolved(self) -> tuple[Change, ...]:
        """Changes nobody may write until a person acts: conflicts, blocks, server rejections."""
        return tuple(c for c in self.plan.changes if c.unresolved)

    @property
    def final(self) -> Plan:
        """The control plane as it stands after apply: the plan made after the writes, else the plan itself."""
        return self.after if self.after is not None else self.plan

    @property
    def still_differs(self) -> tuple[Change, ...]:
        """What the plan made after the writes would still change (empty when apply wrote nothing: the
        unresolved and refused changes say it then)."""
        return tuple(c for c in self.after.changes if c.writes) if self.after is not None else ()

    @property
    def converged(self) -> bool:
        """Measured: the control plane as it stands has nothing left to change and nothing unresolved. A
        failed write whose result someone else achieved (a concurrent apply of the same commit) still
        converges; anything still to write, refused or skipped does not."""
        return not self.final.has_errors and not self.final.has_changes

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
            "unresolved": [_unresolved(c) for c in self.unresolved],
            "still_differs": [_unresolved(c) for c in self.still_differs],
        }


def _unresolved(change: Change) -> UnresolvedData:
    return {
        "kind": str(change.kind),
        "name": change.name,
        "action": str(change.action),
        "reason": change.why_unresolved,
    }
