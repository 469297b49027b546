"""Use case: apply. Re-plan against live state, keep only what a reviewed plan approved (when one is given),
execute through the control plane, then plan again to measure whether it converged, and report every
resource."""

from __future__ import annotations

from reconciler.adapters.token_dir import TokenDir
from reconciler.app.gate import Where
from reconciler.app.plan import PlanRequest, client_for, fresh_plan
from reconciler.app.running import run
from reconciler.app.validate import LoadedRepository, load_repository
from reconciler.domain.executor import Progress, execute
from reconciler.domain.plan import Plan
from reconciler.domain.reports import ApplyReport
from reconciler.domain.review import dry_run_needed, match_reviewed, no_change, verify_origin


def apply(
    request: PlanRequest,
    reviewed: Plan | None,
    force: bool,
    where: Where | None = None,
    progress: Progress | None = None,
) -> ApplyReport:
    """Raises ApplyRefused before anything is read from the control plane when `where` says apply may not
    run there (`app/gate.py`)."""
    repository = load_repository(request.source, request.today)  # read before any event loop
    if where is not None:
        where.check(repository.config.apply_branch)
    return run(_apply(request, repository, reviewed, force, progress))


async def _apply(
    request: PlanRequest, repository: LoadedRepository, reviewed: Plan | None, force: bool, progress: Progress | None
) -> ApplyReport:
    async with client_for(request.connection, repository) as client:
        fresh = await fresh_plan(request, repository, client, dry_run_needed(reviewed, force))
        if reviewed is not None and not force:
            verify_origin(fresh, reviewed)  # before any write
        to_apply, refused = match_reviewed(fresh, reviewed, force)
        sink = TokenDir(request.token_dir) if request.token_dir is not None else None
        # reports every resource; never raises for one
        outcomes = await execute(to_apply, client, sink, repository.config.concurrency, progress)
        ordered = tuple(sorted([*outcomes, *refused], key=lambda o: (o.name, o.kind)))
        # converged is measured: what the control plane holds now, read again (a concurrent apply, a failure)
        after = await fresh_plan(request, repository, client, no_change) if outcomes else None
        return ApplyReport(fresh, ordered, client.requests_sent, after)
