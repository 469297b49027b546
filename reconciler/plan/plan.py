"""The plan is data: immutable, deterministically ordered, JSON with a schema version and a sha256 checksum.
The terminal text, `--out plan.json`, the pull-request comment and `apply --plan` all read this one value.

A token is unrepresentable here: changes carry manifests (which hold no secrets), fingerprints and where a
created token will go, never a token."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.config import OwnershipTag
from reconciler.errors import ReconcilerError
from reconciler.model import Position, Problem, canonical_json, sha256_hex
from reconciler.plan.diff import FieldDiff

PLAN_VERSION = 1
ACTIONS = ("create", "update", "delete", "recover-token", "no-op", "conflict", "blocked")
WRITES = frozenset({"create", "update", "delete", "recover-token"})


class PlanFileError(ReconcilerError):
    """A plan file that is unreadable, of another version, or altered since it was written."""


@dataclass(frozen=True)
class Change:
    name: str
    action: str
    position: Position | None = None
    account_id: str | None = None
    desired: Mapping[str, Any] | None = None  # the manifest apply sends (ownership tag included)
    live_fingerprint: str | None = None
    diffs: tuple[FieldDiff, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # server dry-run rejections
    reason: str = ""  # why a conflict, a block or a no-op worth mentioning
    token_destination: str | None = None
    deliver_token: bool = False  # a created token never reached its sink: apply recovers it

    @property
    def desired_hash(self) -> str | None:
        return None if self.desired is None else sha256_hex(canonical_json(self.desired))

    @property
    def unresolved(self) -> bool:
        """Something a person must act on: a conflict, a block, or a server rejection."""
        return self.action in ("conflict", "blocked") or bool(self.errors)

    @property
    def why_unresolved(self) -> str:
        return self.reason or "; ".join(self.errors)

    @property
    def writes(self) -> bool:
        return self.action in WRITES and not self.errors

    def with_errors(self, *errors: str) -> Change:
        return replace(self, errors=self.errors + errors)

    def to_data(self) -> dict[str, Any]:
        where = self.position
        return {
            "name": self.name,
            "action": self.action,
            "file": where.file if where else None,
            "line": where.line if where else None,
            "col": where.col if where else None,
            "account_id": self.account_id,
            "desired": self.desired,
            "desired_hash": self.desired_hash,
            "live_fingerprint": self.live_fingerprint,
            "diffs": [d.to_data() for d in self.diffs],
            "warnings": list(self.warnings),
            "errors": list(self.errors),
            "reason": self.reason,
            "token_destination": self.token_destination,
            "deliver_token": self.deliver_token,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Change:
        position = Position(data["file"], data["line"], data["col"]) if data.get("file") else None
        return cls(
            name=data["name"],
            action=data["action"],
            position=position,
            account_id=data.get("account_id"),
            desired=data.get("desired"),
            live_fingerprint=data.get("live_fingerprint"),
            diffs=tuple(FieldDiff(d["path"], d["kind"], d["before"], d["after"]) for d in data.get("diffs", [])),
            warnings=tuple(data.get("warnings", ())),
            errors=tuple(data.get("errors", ())),
            reason=data.get("reason", ""),
            token_destination=data.get("token_destination"),
            deliver_token=bool(data.get("deliver_token", False)),
        )


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...] = ()
    revision: str | None = None
    source: str = ""
    control_plane: str = ""
    ownership: OwnershipTag = field(default_factory=lambda: OwnershipTag("managed-by", "va-reconciler"))
    prune: bool = False
    live_count: int = 0
    desired_count: int = 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        counts["errors"] = len(self.problems) + sum(len(c.errors) for c in self.changes)
        return counts

    @property
    def has_changes(self) -> bool:
        return any(c.writes for c in self.changes)

    @property
    def has_errors(self) -> bool:
        """Anything a reviewer must act on: invalid manifests, server rejections, conflicts, blocks."""
        return bool(self.problems) or any(c.unresolved for c in self.changes)

    def by_name(self) -> dict[str, Change]:
        return {c.name: c for c in self.changes}

    def to_data(self) -> dict[str, Any]:
        """Everything but the checksum, in a fixed order."""
        return {
            "version": PLAN_VERSION,
            "revision": self.revision,
            "source": self.source,
            "control_plane": self.control_plane,
            "ownership": {"key": self.ownership.key, "value": self.ownership.value},
            "prune": self.prune,
            "live_count": self.live_count,
            "desired_count": self.desired_count,
            "summary": self.counts(),
            "problems": [p.to_data() for p in self.problems],
            "changes": [c.to_data() for c in self.changes],
        }

    @property
    def checksum(self) -> str:
        return sha256_hex(canonical_json(self.to_data()))

    def to_json(self) -> str:
        return json.dumps({**self.to_data(), "checksum": self.checksum}, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PlanFileError("the plan file is not JSON") from exc
        if not isinstance(data, dict) or data.get("version") != PLAN_VERSION:
            raise PlanFileError(f"the plan file is not a version {PLAN_VERSION} plan")
        claimed = data.pop("checksum", None)
        plan = cls(
            changes=tuple(Change.from_data(c) for c in data["changes"]),
            problems=tuple(Problem.from_data(p) for p in data["problems"]),
            revision=data["revision"],
            source=data["source"],
            control_plane=data["control_plane"],
            ownership=OwnershipTag(data["ownership"]["key"], data["ownership"]["value"]),
            prune=data["prune"],
            live_count=data["live_count"],
            desired_count=data["desired_count"],
        )
        if claimed != plan.checksum:
            raise PlanFileError("the plan file's checksum does not match its content: it was altered")
        return plan
