"""Use case: apply. Re-plan against live state, keep only what a reviewed plan approved (when one is given),
execute through the control plane, and report every resource."""

from __future__ import annotations

from reconciler.adapters.token_dir import TokenDir
from reconciler.app.plan import PlanRequest, client_for, fresh_plan
from reconciler.app.running import run
from reconciler.app.validate import LoadedRepository, load_repository
from reconciler.domain.executor import execute
from reconciler.domain.plan import Plan
from reconciler.domain.reports import ApplyReport
from reconciler.domain.review import dry_run_needed, match_reviewed


def apply(request: PlanRequest, reviewed: Plan | None, force: bool) -> ApplyReport:
    repository = load_repository(request.source, request.today)  # read before any event loop
    return run(_apply(request, repository, reviewed, force))


async def _apply(request: PlanRequest, repository: LoadedRepository, reviewed: Plan | None, force: bool) -> ApplyReport:
    async with client_for(request.connection, repository) as client:
        fresh = await fresh_plan(request, repository, client, dry_run_needed(reviewed, force))
        to_apply, refused = match_reviewed(fresh, reviewed, force)
        sink = TokenDir(request.token_dir) if request.token_dir is not None else None
        outcomes = await execute(to_apply, client, sink, repository.config.concurrency)  # never raises for one
        ordered = tuple(sorted([*outcomes, *refused], key=lambda o: (o.name, o.kind)))
        return ApplyReport(fresh, ordered, client.requests_sent)
