"""The executor's edges: progress as each change finishes, no token fetched for an account the control plane
syncs, and deletes without a token directory."""

from __future__ import annotations

import asyncio

from reconciler.domain.executor import execute
from reconciler.domain.reports import Outcome
from reconciler.domain.vocabulary import Action, OutcomeStatus
from tests.unit.domain.builders import desired
from tests.unit.domain.fakes import Fault, InMemoryControlPlane, MemorySink
from tests.unit.domain.test_executor import plan_now, run


def test_progress_reports_each_finished_change_with_the_count_done_and_the_total() -> None:
    control = InMemoryControlPlane()
    changes = plan_now(control, [desired("a"), desired("b")])
    seen: list[tuple[int, int, Outcome]] = []
    outcomes = asyncio.run(execute(changes, control, MemorySink(), progress=lambda *done: seen.append(done)))
    assert [(done, total) for done, total, _ in seen] == [(1, 2), (2, 2)]
    assert sorted(o.name for _, _, o in seen) == ["a", "b"]
    assert {o for _, _, o in seen} == set(outcomes)


def test_a_lost_create_of_an_account_synced_by_the_control_plane_never_fetches_its_token() -> None:
    control = InMemoryControlPlane(faults={4: Fault.RECOVERED})  # 1, 2: listings; 3: exists; 4: the PUT
    [outcome] = run(control, [desired("stored")], MemorySink())
    assert outcome.status == OutcomeStatus.APPLIED
    assert control.requests_sent == 4  # no GET .../token: that token is never ours to hold


def test_a_delete_without_a_token_dir_just_deletes() -> None:
    control = InMemoryControlPlane()
    run(control, [desired("kept"), desired("gone")], None)
    [outcome] = run(control, [desired("kept")], None, prune=True)
    assert (outcome.name, outcome.action, outcome.status, outcome.detail) == (
        "gone", Action.DELETE, OutcomeStatus.APPLIED, "deleted"
    )  # fmt: skip
    assert sorted(control.records) == ["kept"]
