"""Use cases: plan (desired vs live, every write dry-run by the server) and apply (re-plan, check against the
reviewed plan, execute)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from reconciler.app.validate import LoadedRepository, load_repository
from reconciler.apply import Outcome, TokenDir, execute
from reconciler.controlplane.client import Connection, ControlPlaneClient
from reconciler.controlplane.errors import Rejected
from reconciler.manifests.source import ManifestSource
from reconciler.plan.plan import WRITES, Change, Plan
from reconciler.plan.planner import PlanOptions, make_changes


@dataclass(frozen=True)
class PlanRequest:
    source: ManifestSource
    connection: Connection
    today: date
    token_dir: Path | None = None
    allow_mass_delete: bool = False


@dataclass(frozen=True)
class ApplyReport:
    plan: Plan
    outcomes: tuple[Outcome, ...]
    requests_sent: int

    @property
    def converged(self) -> bool:
        return not self.plan.has_errors and all(o.status == "applied" for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        return {s: sum(o.status == s for o in self.outcomes) for s in ("applied", "failed", "skipped")}

    def to_data(self) -> dict[str, object]:
        return {
            "version": 1,
            "revision": self.plan.revision,
            "control_plane": self.plan.control_plane,
            "plan_checksum": self.plan.checksum,
            "converged": self.converged,
            "summary": self.counts(),
            "outcomes": [o.to_data() for o in self.outcomes],
            "unresolved": [
                {"name": c.name, "action": c.action, "reason": c.why_unresolved}
                for c in self.plan.changes
                if c.unresolved
            ],
        }


def plan(request: PlanRequest) -> Plan:
    return asyncio.run(_plan(request))


async def _plan(request: PlanRequest) -> Plan:
    repository = load_repository(request.source, request.today)
    async with _client(request.connection, repository) as client:
        return await _fresh_plan(request, repository, client)


def _client(connection: Connection, repository: LoadedRepository) -> ControlPlaneClient:
    return ControlPlaneClient(connection, concurrency=repository.config.concurrency)


async def _fresh_plan(request: PlanRequest, repository: LoadedRepository, client: ControlPlaneClient) -> Plan:
    report, config = repository.report, repository.config
    header = Plan(
        changes=(),
        problems=report.errors,
        revision=repository.revision,
        source=repository.description,
        control_plane=request.connection.description,
        ownership=config.ownership,
        prune=config.prune.enabled,
        desired_count=len(report.accounts),
    )
    if report.errors:
        return header  # never plan from a partly invalid repository: a missing manifest could read as a delete
    live = await client.list_accounts()
    options = PlanOptions(request.today, request.token_dir is not None, request.allow_mass_delete)
    changes = make_changes(report.accounts, live, config, options)
    checked = await _dry_run(changes, client)
    return replace(header, changes=checked, live_count=len(live))


async def _dry_run(changes: Sequence[Change], client: ControlPlaneClient) -> tuple[Change, ...]:
    """Ask the server to validate every create and update; a rejection becomes the change's error."""

    async def check(change: Change) -> Change:
        if change.action not in ("create", "update") or change.desired is None:
            return change
        try:
            await client.dry_run(change.desired)
        except Rejected as exc:
            return change.with_errors(f"the control plane rejects it: {exc}")
        return change

    return tuple(await asyncio.gather(*(check(c) for c in changes)))


def apply(request: PlanRequest, reviewed: Plan | None, force: bool) -> ApplyReport:
    return asyncio.run(_apply(request, reviewed, force))


async def _apply(request: PlanRequest, reviewed: Plan | None, force: bool) -> ApplyReport:
    repository = load_repository(request.source, request.today)
    async with _client(request.connection, repository) as client:
        fresh = await _fresh_plan(request, repository, client)
        to_apply, refused = _match_reviewed(fresh, reviewed, force)
        sink = TokenDir(request.token_dir) if request.token_dir is not None else None
        outcomes = await execute(to_apply, client, sink)  # reports every account; never raises for one
        return ApplyReport(fresh, tuple(sorted([*outcomes, *refused], key=lambda o: o.name)), client.requests_sent)


def _match_reviewed(fresh: Plan, reviewed: Plan | None, force: bool) -> tuple[list[Change], list[Outcome]]:
    """With a reviewed plan, apply only what it approved, as it approved it: an account whose live
    fingerprint or desired manifest changed since is refused (reported, not written) unless --force."""
    writes = [c for c in fresh.changes if c.writes]
    if reviewed is None or force:
        return writes, []
    approved = reviewed.by_name()
    accepted, refused = [], []
    for change in writes:
        old = approved.get(change.name)
        if old is None or old.action not in WRITES:
            reason = "not in the reviewed plan"
        elif old.live_fingerprint != change.live_fingerprint:
            reason = "changed in the control plane since the reviewed plan (out-of-band change); re-plan"
        elif old.desired_hash != change.desired_hash or old.action != change.action:
            reason = "the desired state differs from the reviewed plan; re-plan"
        else:
            accepted.append(change)
            continue
        refused.append(Outcome(change.name, change.action, "skipped", reason))
    return accepted, refused
