"""Executing a plan through the control-plane port: every write re-checks what it read, failures are per
resource, and a created token reaches its sink exactly once (or is recovered on the next run).

Order: creates, updates, adoptions and token recoveries kind by kind (accounts before what names them), deletes last in
the reverse order. Within a step, writes run concurrently; one failure never stops the others.

Token delivery to a token directory is write-ahead (`ownership.py`): the account is created with the tag
`va-reconciler-token-delivery: pending`, the token is written, then the tag is removed. A run that dies in
between leaves `pending` in the control plane, and the next plan recovers the token with GET .../token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from reconciler.domain.config import DEFAULT_CONCURRENCY
from reconciler.domain.errors import AppearedSincePlan, OutOfBand, ReconcilerError, TokenSinkError
from reconciler.domain.kinds import KINDS, rules_for
from reconciler.domain.ownership import carries_tags, synced_by_control_plane, with_pending_token
from reconciler.domain.plan import Change
from reconciler.domain.ports import ControlPlane, Created, TokenSink
from reconciler.domain.reports import Outcome
from reconciler.domain.resources import LiveResource
from reconciler.domain.values import Manifest, Token
from reconciler.domain.vocabulary import Action, OutcomeStatus

T = TypeVar("T")
R = TypeVar("R")
Applier = Callable[[Change, ControlPlane, TokenSink | None], Awaitable[str]]


def steps(changes: Sequence[Change]) -> list[list[Change]]:
    """The writing changes in the order they may run: writes kind by kind in the kinds' order, then deletes
    in the reverse order. Changes within one step are independent."""
    writes = [c for c in changes if c.writes]
    ordered = sorted(KINDS, key=lambda r: r.order)
    batches = [[c for c in writes if c.kind == r.kind and c.action != Action.DELETE] for r in ordered]
    batches += [[c for c in writes if c.kind == r.kind and c.action == Action.DELETE] for r in reversed(ordered)]
    return [batch for batch in batches if batch]


Progress = Callable[[int, int, Outcome], None]
"""`(done, total, outcome)`, called as each change finishes (the command line shows it; tests record it)."""


async def execute(
    changes: Sequence[Change],
    client: ControlPlane,
    sink: TokenSink | None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Apply every writing change, step by step, at most `concurrency` at a time; the outcome of every one is
    reported, in plan order, and to `progress` as it finishes."""
    results: dict[tuple[object, str], Outcome] = {}
    total = sum(len(batch) for batch in steps(changes))

    async def tracked(change: Change) -> Outcome:
        outcome = await apply_one(change, client, sink)
        results[outcome.kind, outcome.name] = outcome
        if progress is not None:
            progress(len(results), total, outcome)
        return outcome

    for batch in steps(changes):
        await bounded(batch, tracked, concurrency)
    return [results[c.key] for c in changes if c.key in results]


async def bounded(items: Sequence[T], work: Callable[[T], Awaitable[R]], limit: int) -> list[R]:
    """`[await work(item) for item in items]` with at most `limit` running at once, results in the order of
    `items`. `limit` tasks share one iterator, where one task per item would start all of them at once: at
    100,000 creates that was about 5 s of CPU (py-spy) spent creating tasks and retry state that then waited
    on the client's semaphore."""
    done: dict[int, R] = {}
    todo = iter(enumerate(items))

    async def worker() -> None:
        for index, item in todo:
            done[index] = await work(item)

    await asyncio.gather(*(worker() for _ in range(min(limit, len(items)))))
    return [done[index] for index in range(len(items))]


async def apply_one(change: Change, client: ControlPlane, sink: TokenSink | None) -> Outcome:
    """One change, never raising for a user-facing failure: applied, failed (with why) or skipped."""
    try:
        detail = await _APPLIERS[change.action](change, client, sink)
    except OutOfBand as exc:
        return Outcome.of(change, OutcomeStatus.SKIPPED, str(exc))
    except ReconcilerError as exc:
        return Outcome.of(change, OutcomeStatus.FAILED, str(exc))
    return Outcome.of(change, OutcomeStatus.APPLIED, detail)


async def _create(change: Change, client: ControlPlane, sink: TokenSink | None) -> str:
    """Create only what is still absent: the API's PUT is an upsert, so a name taken since the plan (by a
    person, or another run) would otherwise be overwritten and its token handed out as ours."""
    assert change.desired is not None
    rules = rules_for(change.kind)
    to_sink = rules.issues_tokens and not synced_by_control_plane(change.desired)
    if to_sink and sink is None:
        raise TokenSinkError("no token destination: the plan was made with --token-dir; pass it to apply too")
    if await client.exists(change.kind, change.name):
        raise AppearedSincePlan(
            f"the name {change.name} was taken after the plan was made (created out of band, or by another run); "
            "nothing was written to it: re-plan and review"
        )
    sent = with_pending_token(change.desired) if to_sink else change.desired
    created = await client.create(change.kind, sent)
    token = await _created_token(change, created, sent, client, to_sink)
    how = " (response lost; found by name)" if created.recovered else ""
    if not to_sink or sink is None:
        where = f"; token -> {change.token_destination}" if change.token_destination else ""
        return f"created{how}{where}"
    assert token is not None
    where = sink.deliver(change.name, token)
    await client.update(change.kind, change.desired)
    how = " (response lost; token recovered by GET .../token)" if created.recovered else ""
    return f"created{how}; token written to {where}"


async def _created_token(
    change: Change, created: Created, sent: Manifest, client: ControlPlane, wanted: bool
) -> Token | None:
    """Makes sure this run created the account, and returns its one-time token when `wanted` (else None: the
    control plane syncs it, and we never hold it). A lost response counts as ours only for an account carrying
    every tag this run sent."""
    if not rules_for(change.kind).issues_tokens:
        return None
    if created.recovered:
        if not carries_tags(created.resource.manifest, sent):
            raise AppearedSincePlan(
                "the create's response was lost, and the account now holding the name is not the one this run "
                "sent (its tags differ): not ours, nothing delivered; re-plan and review"
            )
        return await client.token(created.resource.id) if wanted else None
    if created.token is None:
        raise AppearedSincePlan(
            "an account with this name was created by someone else between the check and the create, so the "
            "PUT updated it (it now carries this repository's tags and settings); nothing delivered: review it "
            "and re-plan"
        )
    return created.token if wanted else None


async def _reread(change: Change, client: ControlPlane) -> LiveResource:
    """Re-read just before writing: refuse when anyone changed the resource since it was planned."""
    assert change.resource_id is not None
    current = await client.get(change.kind, change.resource_id)
    if current.fingerprint != change.live_fingerprint:
        raise OutOfBand("changed in the control plane since it was read for the plan; re-plan to include it")
    return current


async def _update(change: Change, client: ControlPlane, sink: TokenSink | None) -> str:
    assert change.desired is not None
    await _reread(change, client)
    detail = f"updated {len(change.diffs)} field(s)"
    if change.deliver_token:
        detail += "; " + await _deliver_recovered(change, client, sink)
    await client.update(change.kind, change.desired)
    return detail


async def _recover(change: Change, client: ControlPlane, sink: TokenSink | None) -> str:
    assert change.desired is not None
    await _reread(change, client)
    detail = await _deliver_recovered(change, client, sink)
    await client.update(change.kind, change.desired)
    return detail


async def _deliver_recovered(change: Change, client: ControlPlane, sink: TokenSink | None) -> str:
    if sink is None:
        raise TokenSinkError("a pending token needs --token-dir")
    assert change.resource_id is not None
    where = sink.deliver(change.name, await client.token(change.resource_id))
    return f"pending token recovered and written to {where}"


async def _adopt(change: Change, client: ControlPlane, sink: TokenSink | None) -> str:
    """Take over what exists: an account is updated (the ownership tag added), a role binding for grants its
    accounts already hold is created."""
    if change.resource_id is None:
        return await _create(change, client, sink)
    await _update(change, client, sink)
    return "adopted: ownership tag added"


async def _delete(change: Change, client: ControlPlane, sink: TokenSink | None) -> str:
    """Delete, then remove the account's token file from --token-dir: a dead credential left there would
    only block a future account of the same name (the plan refuses to overwrite it)."""
    assert change.resource_id is not None
    await _reread(change, client)
    await client.delete(change.kind, change.resource_id)
    removed = sink.discard(change.name) if sink is not None and rules_for(change.kind).issues_tokens else None
    return f"deleted; its token file {removed} removed" if removed else "deleted"


_APPLIERS: dict[Action, Applier] = {
    Action.CREATE: _create,
    Action.UPDATE: _update,
    Action.ADOPT: _adopt,
    Action.RECOVER_TOKEN: _recover,
    Action.DELETE: _delete,
}
