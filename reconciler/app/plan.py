"""Use case: plan. Desired (Git) against live (the control plane), every create and update dry-run by the
server. Writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from reconciler.adapters.controlplane.client import Connection, ControlPlaneClient
from reconciler.adapters.controlplane.errors import Rejected
from reconciler.app.running import run
from reconciler.app.validate import LoadedRepository, load_repository
from reconciler.domain.executor import bounded
from reconciler.domain.kinds import KINDS
from reconciler.domain.plan import Change, Plan
from reconciler.domain.planner import Planner, PlanOptions
from reconciler.domain.ports import ControlPlane, ManifestSource
from reconciler.domain.resources import LiveResource
from reconciler.domain.vocabulary import Action, Kind


@dataclass(frozen=True)
class PlanRequest:
    """What plan, apply and drift are asked to do: which manifests, which control plane, which day."""

    source: ManifestSource
    connection: Connection
    today: date
    token_dir: Path | None = None
    allow_mass_delete: bool = False


def plan(request: PlanRequest) -> Plan:
    return run(_plan(request, load_repository(request.source, request.today)))  # read before any event loop


async def _plan(request: PlanRequest, repository: LoadedRepository) -> Plan:
    async with client_for(request.connection, repository) as client:
        return await fresh_plan(request, repository, client)


def client_for(connection: Connection, repository: LoadedRepository, read_only: bool = False) -> ControlPlaneClient:
    return ControlPlaneClient(connection, concurrency=repository.config.concurrency, read_only=read_only)


async def list_live(client: ControlPlane) -> list[LiveResource]:
    """Every live resource of every kind."""
    listings = await asyncio.gather(*(client.list_all(rules.kind) for rules in KINDS))
    return [resource for listing in listings for resource in listing]


async def fresh_plan(
    request: PlanRequest,
    repository: LoadedRepository,
    client: ControlPlane,
    dry_run_needed: Callable[[Change], bool] = lambda _change: True,
) -> Plan:
    """The plan from Git and live state; every create and update for which `dry_run_needed` holds is
    dry-run by the server (apply of a reviewed plan skips what that plan already checked: `review.py`)."""
    report, config = repository.report, repository.config
    header = Plan(
        changes=(),
        problems=report.errors,
        revision=repository.revision,
        source=repository.description,
        control_plane=request.connection.description,
        ownership=config.ownership,
        prune=config.prune.enabled,
        desired_count=len(report.resources),
    )
    if report.errors:
        return header  # never plan from a partly invalid repository: a missing manifest could read as a delete
    options = PlanOptions(request.today, request.token_dir is not None, request.allow_mass_delete)
    planner = Planner(report.resources, config, options)
    live_count = 0
    for rules in KINDS:
        async for page in client.pages(rules.kind):  # planned page by page; decided only once all are read
            planner.add(page)
            live_count += len(page)
    changes = planner.changes()
    checked = await _dry_run([c for c in changes if _dry_runs(c) and dry_run_needed(c)], client, config.concurrency)
    if checked:
        changes = tuple(checked.get(c.key, c) for c in changes)
    return replace(header, changes=changes, live_count=live_count)


async def _dry_run(changes: Sequence[Change], client: ControlPlane, concurrency: int) -> dict[tuple[Kind, str], Change]:
    """Ask the server to validate each of `changes`, `concurrency` at a time; a rejection becomes the change's
    error. Returns the checked changes by key."""

    async def check(change: Change) -> Change:
        try:
            await client.dry_run(change.kind, change.desired or {})
        except Rejected as exc:
            return change.with_errors(f"the control plane rejects it: {exc}")
        return change

    return {c.key: c for c in await bounded(changes, check, concurrency)}


def _dry_runs(change: Change) -> bool:
    return change.action in (Action.CREATE, Action.UPDATE) and change.desired is not None
