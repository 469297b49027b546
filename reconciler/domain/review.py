"""Pure: match a fresh plan against the plan a person reviewed (`apply --plan`): apply only what it approved,
as it approved it. Terraform refuses a stale saved plan whole; we refuse per resource, so one account changed
out of band does not hold back the others."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.domain.errors import PlanFileError
from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import Outcome
from reconciler.domain.vocabulary import OutcomeStatus

NOT_REVIEWED = "not in the reviewed plan"
CHANGED_LIVE = "changed in the control plane since the reviewed plan (out-of-band change); re-plan"
CHANGED_DESIRED = "the desired state differs from the reviewed plan; re-plan"


def match_reviewed(fresh: Plan, reviewed: Plan | None, force: bool) -> tuple[list[Change], list[Outcome]]:
    """(changes to apply, skipped outcomes). Without a reviewed plan, or with `force`, every write of the
    fresh plan is applied. Otherwise a write is applied only if the reviewed plan has the same write of the
    same resource, with the same live fingerprint and the same desired manifest."""
    writes = [c for c in fresh.changes if c.writes]
    if reviewed is None or force:
        return writes, []
    approved = reviewed.by_key()
    accepted: list[Change] = []
    refused: list[Outcome] = []
    for change in writes:
        reason = _refusal(change, approved.get(change.key))
        if reason is None:
            accepted.append(change)
        else:
            refused.append(Outcome.of(change, OutcomeStatus.SKIPPED, reason))
    return accepted, refused


def _refusal(change: Change, old: Change | None) -> str | None:
    if old is None or not old.action.writes:
        return NOT_REVIEWED
    if old.live_fingerprint != change.live_fingerprint:
        return CHANGED_LIVE
    if old.desired_hash != change.desired_hash or old.action != change.action:
        return CHANGED_DESIRED
    return None


NOT_DRY_RUN = "not dry-run: "  # how a plan's warning starts when the server did not dry-run that write


def every_change(_change: Change) -> bool:
    """For a plan shown for review: the server dry-runs every write."""
    return True


def no_change(_change: Change) -> bool:
    """For a plan only measured, never shown for review (apply's check that it converged)."""
    return False


def dry_run_needed(reviewed: Plan | None, force: bool) -> Callable[[Change], bool]:
    """Which writes of a fresh plan the server must still dry-run when applying `reviewed`:
    - none that the reviewed plan already dry-ran and the server accepted, for the same write of the same
      resource, from the same live state (fingerprint) to the same desired manifest (hash);
    - without `force`, none that `match_reviewed` refuses: they are skipped, never written;
    - every other one (no reviewed plan; one the server rejected then, or never dry-ran: a read-only plan
      credential, a binding naming an account the plan created; with `force`, one that differs)."""
    if reviewed is None:
        return every_change
    approved = reviewed.by_key()

    def needed(change: Change) -> bool:
        old = approved.get(change.key)
        refusal = _refusal(change, old)
        if refusal is None:
            return old is None or bool(old.errors) or any(w.startswith(NOT_DRY_RUN) for w in old.warnings)
        return force

    return needed


EMBEDDED = "embedded control plane"


def control_plane_identity(description: str) -> str:
    """Which control plane a plan's `control_plane` line names: the host URL (`https://x.truefoundry.cloud`),
    without where its credentials came from; every embedded control plane is `embedded control plane` (its
    database path depends on the folder a command was run from)."""
    if description.startswith(EMBEDDED):
        return EMBEDDED
    return description.split(" (", 1)[0]


def desired_state(plan: Plan) -> frozenset[tuple[str, str, str]]:
    """What a plan read from Git: every resource in scope with a manifest, as (kind, name, manifest hash)."""
    return frozenset((str(c.kind), c.name, c.desired_hash or "") for c in plan.changes if c.desired is not None)


def verify_origin(fresh: Plan, reviewed: Plan) -> None:
    """Refuse (PlanFileError) a reviewed plan made against another control plane, or from other manifests: a
    different commit is accepted only when the manifests read are the same (a pull request's plan applied
    after its merge: the merge commit differs, the content does not)."""
    made, here = control_plane_identity(reviewed.control_plane), control_plane_identity(fresh.control_plane)
    if made != here:
        raise PlanFileError(
            f"the plan was made against {made}, but this run talks to {here}: plan again against this control "
            "plane (or pass --force to apply the fresh plan anyway)"
        )
    if reviewed.revision == fresh.revision or desired_state(reviewed) == desired_state(fresh):
        return
    made_at = reviewed.revision or "a working tree"
    read_at = fresh.revision or "a working tree"
    raise PlanFileError(
        f"the plan was made from {made_at} ({reviewed.source}), but this run reads {read_at} ({fresh.source}) "
        "and the manifests differ: plan again from this revision (or pass --force to apply the fresh plan anyway)"
    )
