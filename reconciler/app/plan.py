"""Use case: plan. Desired (Git) against live (the control plane), every create and update dry-run by the
server. Writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from reconciler.adapters.controlplane.client import Connection, ControlPlaneClient
from reconciler.adapters.controlplane.errors import ListingChanged, PermissionDenied, Rejected
from reconciler.adapters.git_source import unignored_work_tree
from reconciler.adapters.token_dir import TokenDir
from reconciler.app.running import run
from reconciler.app.validate import LoadedRepository, load_repository
from reconciler.domain.errors import TokenSinkError
from reconciler.domain.executor import bounded
from reconciler.domain.grants import accounts_named
from reconciler.domain.kinds import KINDS
from reconciler.domain.plan import Change, Plan
from reconciler.domain.planner import PlanOptions, access_of, make_changes
from reconciler.domain.ports import ControlPlane, ManifestSource
from reconciler.domain.resources import LiveResource
from reconciler.domain.review import NOT_DRY_RUN, every_change
from reconciler.domain.values import Problem
from reconciler.domain.vocabulary import Action, Kind


@dataclass(frozen=True)
class PlanRequest:
    """What plan, apply and drift are asked to do: which manifests, which control plane, which day."""

    source: ManifestSource
    connection: Connection
    today: date
    token_dir: Path | None = None
    allow_mass_delete: bool = False
    policy_source: ManifestSource | None = None  # a pull request's base branch: where policy comes from
    policy_unchecked: Problem | None = None  # why the base branch's policy could not be read: fails the plan


def plan(request: PlanRequest) -> Plan:
    repository = load_repository(request.source, request.today, request.policy_source)  # before any event loop
    return run(_plan(request, repository))


async def _plan(request: PlanRequest, repository: LoadedRepository) -> Plan:
    async with client_for(request.connection, repository) as client:
        planned = await fresh_plan(request, repository, client)
    if request.policy_unchecked is None:
        return planned
    # the whole plan is still shown, so that reviewers see it, but it fails: its policy was not the base's
    return replace(planned, problems=(request.policy_unchecked, *planned.problems))


def client_for(connection: Connection, repository: LoadedRepository, read_only: bool = False) -> ControlPlaneClient:
    return ControlPlaneClient(connection, concurrency=repository.config.concurrency, read_only=read_only)


async def list_live(client: ControlPlane) -> list[LiveResource]:
    """Every live resource of every kind."""
    listings = await asyncio.gather(*(client.list_all(rules.kind) for rules in KINDS))
    return [resource for listing in listings for resource in listing]


LISTING_ATTEMPTS = 3  # readings of the control plane before a plan gives up on a listing that keeps changing


async def fresh_plan(
    request: PlanRequest,
    repository: LoadedRepository,
    client: ControlPlane,
    dry_run_needed: Callable[[Change], bool] = every_change,
) -> Plan:
    """The plan from Git and the control plane as it stands now; every create, update and adoption for which
    `dry_run_needed` holds is dry-run by the server (apply of a reviewed plan skips what that plan already
    checked: `review.py`; apply's convergence check dry-runs nothing: `no_change`)."""
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
        notices=repository.notices,
    )
    if report.errors:
        return header  # never plan from a partly invalid repository: a missing manifest could read as a delete
    options = PlanOptions(
        request.today,
        request.token_dir is not None,
        request.allow_mass_delete,
        _unwritable(request.token_dir),
        unread=tuple(f"{p.position}: {p.message}" for p in report.errors),  # a dropped document is always an error
        token_files=TokenDir(request.token_dir).held() if request.token_dir is not None else frozenset(),
    )
    for attempt in range(1, LISTING_ATTEMPTS + 1):
        try:
            live = await list_live(client)
            changes = await confirm_absent(make_changes(report.resources, live, config, options), client)
            break
        except ListingChanged:
            if attempt == LISTING_ATTEMPTS:
                raise
    existing = {r.name for r in live if r.kind == Kind.VIRTUAL_ACCOUNT}
    checked = await _dry_run(changes, client, existing, dry_run_needed, config.concurrency)
    access = access_of(report.resources, live, checked, config)
    return replace(header, changes=checked, live_count=len(live), access=access)


async def confirm_absent(changes: Sequence[Change], client: ControlPlane) -> tuple[Change, ...]:
    """Every planned create (and adoption that creates a binding), confirmed absent with `exists` (tenant-wide).
    A name that exists although the listing did not show it was either created while the listing was read
    (found by name: ListingChanged, so the plan reads again) or is invisible to this credential (a conflict:
    creating it would overwrite an account nobody reviewed, as the API's PUT is an upsert)."""
    creates = [c for c in changes if c.creates]
    taken = [c for c, exists in zip(creates, await asyncio.gather(*(client.exists(c.kind, c.name) for c in creates)),
                                    strict=True) if exists]  # fmt: skip
    if not taken:
        return tuple(changes)
    found = await asyncio.gather(*(client.find(c.kind, c.name) for c in taken))
    missed = [c.name for c, resource in zip(taken, found, strict=True) if resource is not None]
    if missed:
        raise ListingChanged(f"the listing did not show {', '.join(missed)}, which exist: it changed while read")
    hidden = {c.key for c in taken}
    return tuple(replace(c, action=Action.CONFLICT, reason=_invisible(c)) if c.key in hidden else c for c in changes)


def _invisible(change: Change) -> str:
    return (
        f"the name {change.name} is taken by a {str(change.kind).replace('-', ' ')} this credential "
        "cannot see: creating it would overwrite that one; plan with a credential that reads every account in "
        "scope (README: what the plan credential needs), or rename yours"
    )


def _unwritable(token_dir: Path | None) -> str:
    """Why --token-dir cannot take a token ("" when it can, or is not used): checked before any write. A folder
    inside a Git work tree that Git does not ignore is refused before it is even created: a token there is one
    `git add -A` away from a commit."""
    if token_dir is None:
        return ""
    tree = unignored_work_tree(token_dir)
    if tree is not None:
        return (
            f"--token-dir {token_dir} is inside the Git work tree {tree}, and Git does not ignore it: a token "
            "written there could be committed; pass a folder outside the repository (or list it in .gitignore)"
        )
    try:
        TokenDir(token_dir).probe()
    except TokenSinkError as exc:
        return str(exc)
    return ""


async def _dry_run(
    changes: Sequence[Change],
    client: ControlPlane,
    accounts: set[str],
    needed: Callable[[Change], bool],
    concurrency: int,
) -> tuple[Change, ...]:
    """Ask the server to validate every create, update and adoption that `needed` says to, `concurrency` at a
    time (one task per worker, not per change: `executor.bounded`); a rejection becomes the change's error. A role
    binding naming an account this plan creates cannot be dry-run before that account exists (the server
    checks its subjects): it is validated at apply, after its accounts, and the plan says so."""

    async def check(change: Change) -> Change:
        try:
            await client.dry_run(change.kind, change.desired or {})
        except Rejected as exc:
            return change.with_errors(f"the control plane rejects it: {exc}")
        except PermissionDenied:  # a read-only plan credential (README): the write's own credential decides
            note = f"{NOT_DRY_RUN}this credential may not write (403); the control plane validates it at apply"
            return replace(change, warnings=(*change.warnings, note))
        return change

    deferred = {c.key for c in changes if _dry_runs(c) and not set(accounts_named(c.desired or {})) <= accounts}
    ready = [c for c in changes if _dry_runs(c) and c.key not in deferred and needed(c)]
    checked = {c.key: c for c in await bounded(ready, check, concurrency)}
    note = f"{NOT_DRY_RUN}it names accounts this plan creates; the control plane validates it at apply, after them"
    return tuple(
        replace(c, warnings=(*c.warnings, note)) if c.key in deferred else checked.get(c.key, c) for c in changes
    )


def _dry_runs(change: Change) -> bool:
    return change.action in (Action.CREATE, Action.UPDATE, Action.ADOPT) and change.desired is not None
