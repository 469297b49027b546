"""The plan is data: immutable, deterministically ordered, JSON with a schema version and a sha256 checksum.
The terminal text, `--out plan.json`, the pull-request comment and `apply --plan` all read this one value.

A token is unrepresentable here: changes carry manifests (which hold no secrets), fingerprints and where a
created token will go, never a token.

The plan also carries its own safety rule (octoDNS's `Plan.raise_if_unsafe`): a prune larger than the
thresholds in reconciler.yaml turns its deletes into blocked changes unless mass deletes are allowed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Annotated, TypedDict

from reconciler.domain.config import OwnershipTag, PrunePolicy
from reconciler.domain.diff import FieldDiff, FieldDiffData
from reconciler.domain.errors import PlanFileError
from reconciler.domain.grants import AccessChange, AccessChangeData
from reconciler.domain.values import JsonValue, Manifest, Position, Problem, ProblemData, canonical_json, sha256_hex
from reconciler.domain.vocabulary import Action, Kind

PLAN_VERSION = 3  # 3: the `adopt` action
MIN_OWNED_FOR_PERCENT_GUARD = 10  # octoDNS: a share of a handful of resources is too noisy to guard on


class ChangeData(TypedDict):
    """What the plan does with one resource."""

    kind: Annotated[str, Kind]
    name: str
    action: Annotated[str, Action]
    file: Annotated[str | None, "Where the manifest is (relative to the repository root); null for a delete."]
    line: int | None
    col: int | None
    id: Annotated[str | None, "The control plane's id of the live resource; null for a create."]
    desired: Annotated[dict[str, JsonValue] | None, "The manifest apply sends, ownership tag included."]
    desired_hash: Annotated[str | None, "sha256 of `desired` as canonical JSON: apply --plan compares it."]
    live_fingerprint: Annotated[str | None, "sha256 of the live resource as read (id, manifest, updatedAt)."]
    diffs: list[FieldDiffData]
    warnings: list[str]
    errors: Annotated[list[str], "The control plane's dry-run rejections."]
    reason: Annotated[str, "Why a conflict, a block or a no-op worth mentioning; else empty."]
    token_destination: Annotated[str | None, "Where a created account's one-time token goes (never the token)."]
    deliver_token: Annotated[bool, "A created token never reached its destination: apply recovers it."]


class OwnershipData(TypedDict):
    """The tag marking the accounts this repository owns."""

    key: str
    value: str


class PlanData(TypedDict):
    """A plan: what apply would do, as data (everything the checksum covers)."""

    version: int
    revision: Annotated[str | None, "The Git commit the manifests were read at; null for a working tree."]
    source: Annotated[str, "Where the manifests were read, in words."]
    control_plane: Annotated[str, "The control plane planned against, and whose credentials, in words."]
    ownership: OwnershipData
    prune: bool
    live_count: int
    desired_count: int
    summary: Annotated[dict[str, int], "How many changes of each action, and `errors`."]
    notices: Annotated[list[str], "What a reviewer must know about the run (a policy edit takes effect after merge)."]
    problems: Annotated[list[ProblemData], "Invalid manifests: a plan with problems has no changes."]
    access: Annotated[list[AccessChangeData], "Effective access before and after, per account touched."]
    changes: list[ChangeData]


class PlanFileData(PlanData):
    """plan.json (`reconciler plan --out`): the plan and its checksum, which `apply --plan` verifies."""

    checksum: Annotated[str, "sha256 over the canonical JSON of every other field."]


@dataclass(frozen=True)
class Change:
    """What the plan does with one resource."""

    kind: Kind
    name: str
    action: Action
    position: Position | None = None
    resource_id: str | None = None
    desired: Manifest | None = None  # the manifest apply sends (ownership tag included)
    live_fingerprint: str | None = None
    diffs: tuple[FieldDiff, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # server dry-run rejections
    reason: str = ""  # why a conflict, a block or a no-op worth mentioning
    token_destination: str | None = None
    deliver_token: bool = False  # a created token never reached its sink: apply recovers it

    @property
    def key(self) -> tuple[Kind, str]:
        return self.kind, self.name

    @cached_property
    def desired_hash(self) -> str | None:
        """sha256 of the canonical JSON of `desired`; computed once per change (the plan file, its checksum
        and the review each read it)."""
        return None if self.desired is None else sha256_hex(canonical_json(self.desired))

    @property
    def unresolved(self) -> bool:
        """Something a person must act on: a conflict, a block, or a server rejection."""
        return self.action.unresolved or bool(self.errors)

    @property
    def why_unresolved(self) -> str:
        return self.reason or "; ".join(self.errors)

    @property
    def writes(self) -> bool:
        return self.action.writes and not self.errors

    @property
    def creates(self) -> bool:
        """Apply creates the resource: a create, or an adoption of grants by a new role binding."""
        return self.action == Action.CREATE or (self.action == Action.ADOPT and self.resource_id is None)

    def with_errors(self, *errors: str) -> Change:
        return replace(self, errors=self.errors + errors)

    def to_data(self) -> ChangeData:
        where = self.position
        return {
            "kind": str(self.kind),
            "name": self.name,
            "action": str(self.action),
            "file": where.file if where else None,
            "line": where.line if where else None,
            "col": where.col if where else None,
            "id": self.resource_id,
            "desired": dict(self.desired) if self.desired is not None else None,
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
    def from_data(cls, data: Mapping[str, JsonValue]) -> Change:
        file, line, col = data.get("file"), data.get("line"), data.get("col")
        position = (
            Position(file, line, col)
            if isinstance(file, str) and isinstance(line, int) and isinstance(col, int)
            else None
        )
        desired = data.get("desired")
        return cls(
            kind=Kind(str(data["kind"])),
            name=str(data["name"]),
            action=Action(str(data["action"])),
            position=position,
            resource_id=_optional_str(data.get("id")),
            desired=desired if isinstance(desired, dict) else None,
            live_fingerprint=_optional_str(data.get("live_fingerprint")),
            diffs=tuple(FieldDiff.from_data(d) for d in _objects(data.get("diffs"))),
            warnings=tuple(str(w) for w in _list(data.get("warnings"))),
            errors=tuple(str(e) for e in _list(data.get("errors"))),
            reason=str(data.get("reason") or ""),
            token_destination=_optional_str(data.get("token_destination")),
            deliver_token=data.get("deliver_token") is True,
        )


def _optional_str(value: JsonValue) -> str | None:
    return None if value is None else str(value)


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _objects(value: JsonValue) -> list[dict[str, JsonValue]]:
    return [item for item in _list(value) if isinstance(item, dict)]


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
    access: tuple[AccessChange, ...] = ()  # effective access before and after, per account touched
    notices: tuple[str, ...] = ()  # what a reviewer must know about the run itself (e.g. a policy change)

    def counts(self) -> dict[str, int]:
        """How many changes of each action, plus `errors` (invalid manifests and server rejections)."""
        counts = {str(action): 0 for action in Action}
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

    @property
    def access_changes(self) -> tuple[AccessChange, ...]:
        """The accounts whose effective access the plan changes (new accounts included)."""
        return tuple(a for a in self.access if a.changes_access)

    @property
    def escalations(self) -> tuple[AccessChange, ...]:
        return tuple(a for a in self.access if a.escalates)

    def by_key(self) -> dict[tuple[Kind, str], Change]:
        return {c.key: c for c in self.changes}

    def to_data(self) -> PlanData:
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
            "summary": dict(self.counts()),
            "notices": list(self.notices),
            "problems": [p.to_data() for p in self.problems],
            "access": [a.to_data() for a in self.access],
            "changes": [c.to_data() for c in self.changes],
        }

    @cached_property
    def _data(self) -> PlanData:
        return self.to_data()

    @cached_property
    def checksum(self) -> str:
        """sha256 of the canonical JSON of `to_data()`; the data is built once for the checksum and the file."""
        return sha256_hex(canonical_json(self._data))

    def to_json(self) -> str:
        document: PlanFileData = {**self._data, "checksum": self.checksum}
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a plan file; refuses one that is not JSON, of another version, incomplete or altered."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise PlanFileError("the plan file is not JSON") from exc
        if not isinstance(data, dict) or data.get("version") != PLAN_VERSION:
            raise PlanFileError(f"the plan file is not a version {PLAN_VERSION} plan")
        claimed = data.pop("checksum", None)
        try:
            plan = _plan_from_data(data)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise PlanFileError(f"the plan file is incomplete or malformed ({type(exc).__name__}: {exc})") from exc
        if claimed != plan.checksum:
            raise PlanFileError("the plan file's checksum does not match its content: it was altered")
        return plan


def _plan_from_data(data: Mapping[str, JsonValue]) -> Plan:
    ownership = data["ownership"]
    if not isinstance(ownership, dict):
        raise TypeError("ownership must be an object")
    live_count, desired_count = data["live_count"], data["desired_count"]
    if not isinstance(live_count, int) or not isinstance(desired_count, int):
        raise TypeError("the counts must be whole numbers")
    return Plan(
        changes=tuple(Change.from_data(c) for c in _objects(data["changes"])),
        problems=tuple(Problem.from_data(p) for p in _objects(data["problems"])),
        revision=_optional_str(data["revision"]),
        source=str(data["source"]),
        control_plane=str(data["control_plane"]),
        ownership=OwnershipTag(str(ownership["key"]), str(ownership["value"])),
        prune=data["prune"] is True,
        live_count=live_count,
        desired_count=desired_count,
        access=tuple(AccessChange.from_data(a) for a in _objects(data["access"])),
        notices=tuple(str(n) for n in _list(data["notices"])),
    )


def guard_mass_delete(
    changes: Sequence[Change],
    owned: int,
    desired: int,
    limits: PrunePolicy,
    allow_mass_delete: bool,
    noun: str = "accounts",
) -> tuple[Change, ...]:
    """Every delete, blocked with the reason when the prune is unsafe: Git holds nothing at all, or the run
    deletes more than `max_deletes`, or more than `max_delete_percent` of the `owned` resources (from 10 up)."""
    deletes = sum(c.action == Action.DELETE for c in changes)
    reason = None if allow_mass_delete else unsafe_prune(deletes, owned, desired, limits, noun)
    if reason is None:
        return tuple(changes)
    return tuple(replace(c, action=Action.BLOCKED, reason=reason) if c.action == Action.DELETE else c for c in changes)


def unsafe_prune(deletes: int, owned: int, desired: int, limits: PrunePolicy, noun: str = "accounts") -> str | None:
    """Why deleting `deletes` of `owned` resources, with `desired` accounts left in Git, is unsafe; None when it
    is not. `noun` names the kind in the message ("accounts", "role bindings")."""
    if not deletes:
        return None
    if desired == 0:
        one = noun.removesuffix("s")
        return f"Git holds no account at all: refusing to prune every owned {one} (pass --allow-mass-delete)"
    if deletes > limits.max_deletes:
        return (
            f"would delete {deletes} {noun}, more than prune.max_deletes={limits.max_deletes} "
            "(pass --allow-mass-delete)"
        )
    if owned >= MIN_OWNED_FOR_PERCENT_GUARD and deletes * 100 > limits.max_delete_percent * owned:
        return (
            f"would delete {deletes} of {owned} owned {noun}, more than prune.max_delete_percent="
            f"{limits.max_delete_percent}% (pass --allow-mass-delete)"
        )
    return None
