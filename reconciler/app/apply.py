"""Use case: apply. Re-plan against live state, keep only what a reviewed plan approved (when one is given),
execute through the control plane, then plan again to measure whether it converged, and report every
resource."""

from __future__ import annotations

import asyncio

from reconciler.adapters.token_dir import TokenDir
from reconciler.app.plan import PlanRequest, client_for, fresh_plan
from reconciler.app.validate import load_repository
from reconciler.domain.executor import Progress, execute
from reconciler.domain.plan import Plan
from reconciler.domain.reports import ApplyReport
from reconciler.domain.review import match_reviewed, verify_origin


def apply(request: PlanRequest, reviewed: Plan | None, force: bool, progress: Progress | None = None) -> ApplyReport:
    return asyncio.run(_apply(request, reviewed, force, progress))


async def _apply(request: PlanRequest, reviewed: Plan | None, force: bool, progress: Progress | None) -> ApplyReport:
    repository = load_repository(request.source, request.today)
    async with client_for(request.connection, repository) as client:
        fresh = await fresh_plan(request, repository, client)
        if reviewed is not None and not force:
            verify_origin(fresh, reviewed)  # before any write
        to_apply, refused = match_reviewed(fresh, reviewed, force)
        sink = TokenDir(request.token_dir) if request.token_dir is not None else None
        outcomes = await execute(to_apply, client, sink, progress)  # reports every resource; never raises for one
        ordered = tuple(sorted([*outcomes, *refused], key=lambda o: (o.name, o.kind)))
        # converged is measured: what the control plane holds now, read again (a concurrent apply, a failure)
        after = await fresh_plan(request, repository, client, dry_runs=False) if outcomes else None
        return ApplyReport(fresh, ordered, client.requests_sent, after)
