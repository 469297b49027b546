"""Use case: drift. Read-only by construction: the client is made read-only before the first request, so no
write can reach the control plane from here, whatever the code below tries."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.app.plan import PlanRequest, client_for, list_live
from reconciler.app.running import run
from reconciler.app.validate import LoadedRepository, load_repository
from reconciler.domain.drift import DriftReport, detect_drift
from reconciler.domain.errors import InvalidDesiredState


def drift(request: PlanRequest) -> DriftReport:
    return run(_drift(request, load_repository(request.source, request.today)))  # read before any event loop


async def _drift(request: PlanRequest, repository: LoadedRepository) -> DriftReport:
    if repository.report.errors:
        first = repository.report.errors[0]
        raise InvalidDesiredState(
            f"the manifests are invalid ({len(repository.report.errors)} problem(s), first: {first.position}: "
            f"{first.message}); run `reconciler validate` and fix them before checking drift"
        )
    client = client_for(request.connection, repository, read_only=True)
    assert client.read_only  # checked before any network call
    async with client:
        live = await list_live(client)
    findings = detect_drift(repository.report.resources, live, repository.config, request.today)
    return DriftReport(
        findings=findings,
        revision=repository.revision,
        control_plane=request.connection.description,
        checked_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
