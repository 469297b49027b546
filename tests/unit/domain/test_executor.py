"""The executor against an in-memory control plane: order, re-reads, write-ahead token delivery, per-resource
failures; and, as a property, the plan-apply loop under random fault schedules converges with every token
delivered exactly once and no account created twice."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.domain.errors import OutOfBand, ReconcilerError, TokenSinkError
from reconciler.domain.executor import bounded, execute, steps
from reconciler.domain.ownership import TOKEN_DELIVERY_TAG
from reconciler.domain.plan import Change
from reconciler.domain.planner import make_changes
from reconciler.domain.reports import Outcome
from reconciler.domain.resources import DesiredResource
from reconciler.domain.vocabulary import Action, OutcomeStatus
from tests.unit.domain.builders import RB, TAG, VA, VIEWER, config, desired, desired_binding, options
from tests.unit.domain.fakes import FOREIGN, RUN_FAULTS, Crash, Fault, InMemoryControlPlane, MemorySink

BARE = {"secret_store_config": None}  # a token-dir account: its token is ours to deliver


def run(
    control: InMemoryControlPlane, wanted: list[DesiredResource], sink: MemorySink | None, prune: bool = False
) -> list[Outcome]:
    """One plan-and-apply run: list (accounts: request 1, bindings: request 2), plan, execute (a create: `exists`,
    then the PUT)."""

    async def once() -> list[Outcome]:
        live = [*await control.list_all(VA), *await control.list_all(RB)]
        changes = make_changes(wanted, live, config(prune=prune), options(token_dir=sink is not None))
        return await execute(changes, control, sink)

    return asyncio.run(once())


def plan_now(control: InMemoryControlPlane, wanted: list[DesiredResource]) -> tuple[Change, ...]:
    """The plan a run would make now (read without a request, so no fault fires)."""
    return make_changes(wanted, control.snapshot(), config(prune=True), options(token_dir=True))


def test_creates_updates_and_deletes_in_order_each_reported() -> None:
    control, sink = InMemoryControlPlane(), MemorySink()
    run(control, [desired("a"), desired("b", **BARE), desired("c")], sink)
    control.writes.clear()
    outcomes = run(control, [desired("a", tags={"env": "x"}), desired("d")], sink, prune=True)
    assert [(o.name, o.action, o.status, o.detail) for o in outcomes] == [
        ("a", Action.UPDATE, OutcomeStatus.APPLIED, "updated 1 field(s)"),
        ("b", Action.DELETE, OutcomeStatus.APPLIED, "deleted; its token file memory:b removed"),  # its token died
        ("c", Action.DELETE, OutcomeStatus.APPLIED, "deleted"),  # synced to a secret store: nothing of ours
        ("d", Action.CREATE, OutcomeStatus.APPLIED,
         "created; token -> secret store acme:aws:secrets-manager at ci/d (synced by the control plane)"),
    ]  # fmt: skip
    first_delete = next(i for i, (op, _) in enumerate(control.writes) if op == "delete")
    assert all(op == "put" for op, _ in control.writes[:first_delete])  # deletes last
    assert sorted(control.records) == ["a", "d"]
    assert sink.tokens == {}


def test_steps_put_every_write_before_any_delete() -> None:
    changes = [Change(VA, n, a) for n, a in [("z", Action.DELETE), ("a", Action.CREATE), ("m", Action.NO_OP)]]
    assert [[c.name for c in step] for step in steps(changes)] == [["a"], ["z"]]


def test_a_token_dir_create_is_write_ahead() -> None:
    control, sink = InMemoryControlPlane(), MemorySink()
    [outcome] = run(control, [desired("bare", **BARE)], sink)
    assert outcome.status == OutcomeStatus.APPLIED and outcome.detail == "created; token written to memory:bare"
    assert sink.tokens == {"bare": control.records["bare"].token}
    assert control.writes == [("put", "bare"), ("put", "bare")]  # created pending, then the tag removed
    assert TOKEN_DELIVERY_TAG not in control.records["bare"].manifest.get("tags", {})  # type: ignore[operator]


def test_a_crash_between_create_and_delivery_is_recovered_by_the_next_run() -> None:
    control, sink = InMemoryControlPlane(faults={4: Fault.CRASH_AFTER}), MemorySink()
    with pytest.raises(Crash):
        run(control, [desired("bare", **BARE)], sink)
    assert sink.tokens == {} and control.records["bare"].manifest["tags"][TOKEN_DELIVERY_TAG] == "pending"  # type: ignore[index]
    [outcome] = run(control, [desired("bare", **BARE)], sink)
    assert (outcome.action, outcome.status) == (Action.RECOVER_TOKEN, OutcomeStatus.APPLIED)
    assert outcome.detail == "pending token recovered and written to memory:bare"
    assert sink.tokens == {"bare": control.records["bare"].token} and control.creates["bare"] == 1
    assert [c.action for c in plan_now(control, [desired("bare", **BARE)])] == [Action.NO_OP]


def test_without_a_sink_a_token_dir_create_fails_and_writes_nothing() -> None:
    control = InMemoryControlPlane()
    change = Change(VA, "bare", Action.CREATE, desired={"name": "bare"})
    [outcome] = asyncio.run(execute([change], control, None))
    assert outcome.status == OutcomeStatus.FAILED
    assert outcome.detail == "no token destination: the plan was made with --token-dir; pass it to apply too"
    assert control.records == {}


def test_an_account_changed_since_the_plan_is_skipped_not_overwritten() -> None:
    control, sink = InMemoryControlPlane(), MemorySink()
    run(control, [desired("a")], sink)
    changes = plan_now(control, [desired("a", tags={"env": "x"})])
    control.records["a"].updated += 100  # someone edits it between plan and apply
    before = dict(control.records["a"].manifest)
    [outcome] = asyncio.run(execute(changes, control, sink))
    assert outcome.status == OutcomeStatus.SKIPPED and outcome.detail == str(
        OutOfBand("changed in the control plane since it was read for the plan; re-plan to include it")
    )
    assert control.records["a"].manifest == before


def test_a_create_whose_name_was_taken_since_the_plan_writes_nothing() -> None:
    control, sink = InMemoryControlPlane(), MemorySink()
    changes = plan_now(control, [desired("raced", **BARE), desired("stored")])
    for name in ("raced", "stored"):
        control.seed(name, {"type": "virtual-account", "name": name, "tags": dict(FOREIGN)})  # clicked meanwhile
    outcomes = asyncio.run(execute(changes, control, sink))
    appeared = ("the name {} was taken after the plan was made (created out of band, or by another run); nothing "
                "was written to it: re-plan and review")  # fmt: skip
    assert {(o.name, o.status, o.detail) for o in outcomes} == {
        ("raced", OutcomeStatus.FAILED, appeared.format("raced")),
        ("stored", OutcomeStatus.FAILED, appeared.format("stored")),
    }
    assert control.writes == [] and sink.tokens == {}
    assert all(r.manifest["tags"] == FOREIGN for r in control.records.values())


def test_a_name_taken_between_the_check_and_the_create_is_reported_never_delivered() -> None:
    """The last moment (after `exists`, before the PUT): the PUT updates someone else's account; that is said
    plainly, and no token of that account is fetched or delivered."""
    control, sink = InMemoryControlPlane(faults={4: Fault.TAKEN_FIRST}), MemorySink()
    [outcome] = run(control, [desired("raced", **BARE)], sink)
    assert outcome.status == OutcomeStatus.FAILED
    assert outcome.detail == (
        "an account with this name was created by someone else between the check and the create, so the PUT "
        "updated it (it now carries this repository's tags and settings); nothing delivered: review it and re-plan"
    )
    assert sink.tokens == {} and control.creates["raced"] == 0


def test_a_lost_response_whose_name_now_holds_someone_elses_account_is_not_ours() -> None:
    control, sink = InMemoryControlPlane(faults={4: Fault.LOST_TO_OTHER}), MemorySink()
    [outcome] = run(control, [desired("raced", **BARE)], sink)
    assert outcome.status == OutcomeStatus.FAILED
    assert outcome.detail == (
        "the create's response was lost, and the account now holding the name is not the one this run sent "
        "(its tags differ): not ours, nothing delivered; re-plan and review"
    )
    assert sink.tokens == {} and control.records["raced"].manifest["tags"] == FOREIGN
    assert control.requests_sent == 4  # no GET .../token of an account that is not ours


def test_one_failure_never_stops_the_others() -> None:
    control, sink = InMemoryControlPlane(faults={3: Fault.UNAVAILABLE}), MemorySink()
    outcomes = run(control, [desired("a"), desired("b"), desired("c")], sink)
    assert sorted(o.status for o in outcomes) == [OutcomeStatus.APPLIED, OutcomeStatus.APPLIED, OutcomeStatus.FAILED]
    assert len(control.records) == 2


def test_a_sink_refusing_a_different_token_fails_that_account_only() -> None:
    control, sink = InMemoryControlPlane(), MemorySink(tokens={"bare": "someone-elses"})
    outcomes = run(control, [desired("bare", **BARE), desired("other", **BARE)], sink)
    assert {o.name: o.status for o in outcomes} == {"bare": OutcomeStatus.FAILED, "other": OutcomeStatus.APPLIED}
    assert [o.detail for o in outcomes if o.name == "bare"] == [
        str(TokenSinkError("bare already holds a different token"))
    ]


def test_recovering_a_token_without_a_sink_fails() -> None:
    control = InMemoryControlPlane()
    run(control, [desired("bare", **BARE)], MemorySink())
    recover = Change(VA, "bare", Action.RECOVER_TOKEN, resource_id=control.records["bare"].id,
                     live_fingerprint=asyncio.run(control.get(VA, control.records["bare"].id)).fingerprint,
                     desired={"name": "bare"}, deliver_token=True)  # fmt: skip
    [outcome] = asyncio.run(execute([recover], control, None))
    assert outcome.status == OutcomeStatus.FAILED and outcome.detail == "a pending token needs --token-dir"


def test_a_lost_create_response_is_recovered_by_name() -> None:
    # requests 3 and 4: both accounts' `exists`; 5: bare's PUT
    control, sink = InMemoryControlPlane(faults={5: Fault.RECOVERED}), MemorySink()
    outcomes = run(control, [desired("bare", **BARE), desired("stored")], sink)
    assert {(o.name, o.status, o.detail) for o in outcomes} == {
        ("bare", OutcomeStatus.APPLIED, "created (response lost; token recovered by GET .../token); token written to "
         "memory:bare"),
        ("stored", OutcomeStatus.APPLIED,
         "created; token -> secret store acme:aws:secrets-manager at ci/stored (synced by the control plane)"),
    }  # fmt: skip
    assert sink.tokens["bare"] == control.records["bare"].token
    again = InMemoryControlPlane(faults={4: Fault.RECOVERED})
    [stored] = run(again, [desired("stored")], MemorySink())
    assert stored.detail.startswith("created (response lost; found by name); token -> secret store")


# -- the property --------------------------------------------------------------------------------------------

NAMES = ["alpha", "bravo", "charlie", "delta"]
accounts = st.lists(st.tuples(st.sampled_from(NAMES), st.booleans()), min_size=1, max_size=4, unique_by=lambda t: t[0])
schedules = st.dictionaries(st.integers(min_value=1, max_value=40), st.sampled_from(RUN_FAULTS), max_size=8)


@settings(max_examples=80, deadline=None)
@given(accounts, schedules)
def test_the_loop_converges_under_any_fault_schedule(chosen: list[tuple[str, bool]], faults: dict[int, Fault]) -> None:
    """Re-running plan and apply after crashes, lost responses and 503s always ends with every account created
    exactly once, every token-dir token delivered (and never replaced by another), and an empty plan."""
    wanted = [desired(name, **(BARE if bare else {})) for name, bare in chosen]
    control, sink = InMemoryControlPlane(faults=faults), MemorySink()
    for _ in range(20):
        try:
            run(control, wanted, sink)
        except (Crash, ReconcilerError):  # the process died, or the listing failed: the next run starts over
            continue
        if not any(c.writes for c in plan_now(control, wanted)) and control.requests_sent > max(faults, default=0):
            break
    assert not [c for c in plan_now(control, wanted) if c.writes or c.unresolved]
    assert set(control.records) == {name for name, _ in chosen}
    assert all(count == 1 for count in control.creates.values())
    bare = {name for name, is_bare in chosen if is_bare}
    assert sink.tokens == {name: control.records[name].token for name in bare}
    for record in control.records.values():
        assert record.manifest["tags"] == {TAG.key: TAG.value}  # no pending tag left behind


def test_an_update_of_a_pending_account_delivers_its_token_too() -> None:
    control, sink = InMemoryControlPlane(faults={4: Fault.CRASH_AFTER}), MemorySink()
    with pytest.raises(Crash):
        run(control, [desired("bare", **BARE)], sink)
    [outcome] = run(control, [desired("bare", expiration_date="2027-01-01", **BARE)], sink)
    assert (outcome.action, outcome.status) == (Action.UPDATE, OutcomeStatus.APPLIED)
    assert outcome.detail == "updated 1 field(s); pending token recovered and written to memory:bare"
    assert sink.tokens == {"bare": control.records["bare"].token}
    assert control.records["bare"].manifest["tags"] == {TAG.key: TAG.value}
    assert control.records["bare"].manifest["expiration_date"] == "2027-01-01"


def test_bindings_are_written_after_their_accounts_and_deleted_before_them() -> None:
    control, sink = InMemoryControlPlane(), MemorySink()
    run(control, [desired("a"), desired_binding("va-a", ["a"], [VIEWER])], sink)
    assert control.writes == [("put", "a"), ("put", "va-a")]
    assert control.bindings["va-a"].manifest == {
        "type": "role-binding", "name": "va-a", "subjects": [{"type": "virtualaccount", "name": "a"}],
        "permissions": [{"resourceType": "workspace", "resourceFqn": "c:w", "role": "workspace-viewer"}],
    }  # fmt: skip
    control.writes.clear()
    outcomes = run(control, [desired("kept")], sink, prune=True)
    assert control.writes == [("put", "kept"), ("delete", "va-a"), ("delete", "a")]
    assert {(o.kind, o.name, o.action) for o in outcomes} == {
        (VA, "kept", Action.CREATE), (RB, "va-a", Action.DELETE), (VA, "a", Action.DELETE)
    }  # fmt: skip
    later = plan_now(control, [desired("x"), desired_binding("b", ["x"], [VIEWER])])  # "kept" goes: prune is on
    assert [[(c.kind, c.action) for c in step] for step in steps(later)] == [
        [(VA, Action.CREATE)],
        [(RB, Action.CREATE)],
        [(VA, Action.DELETE)],
    ]


def test_bounded_work_runs_at_most_the_limit_at_once_and_keeps_the_order() -> None:
    running, most = 0, 0

    async def work(item: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (item % 3))  # finish out of order
        running -= 1
        return item * 10

    assert asyncio.run(bounded(list(range(20)), work, 3)) == [i * 10 for i in range(20)]
    assert most == 3
    assert asyncio.run(bounded([], work, 3)) == []


def test_adoption_tags_an_account_and_creates_a_binding_for_its_legacy_grants() -> None:
    control = InMemoryControlPlane()
    legacy = [{"role_id": VIEWER[0], "resource_type": VIEWER[1], "resource_fqn": VIEWER[2]}]
    control._write("old-bot", {"type": "virtual-account", "name": "old-bot", "permissions": legacy})
    wanted = [desired("old-bot", secret_store_config=None, tags={TAG.key: TAG.value}),
              desired_binding("va-old-bot", ["old-bot"], [VIEWER])]  # fmt: skip
    control.writes.clear()
    outcomes = run(control, wanted, None)
    assert [(o.name, o.action, o.status, o.detail) for o in outcomes] == [
        ("old-bot", Action.ADOPT, OutcomeStatus.APPLIED, "adopted: ownership tag added"),
        ("va-old-bot", Action.ADOPT, OutcomeStatus.APPLIED, "created"),
    ]
    assert control.writes == [("put", "old-bot"), ("put", "va-old-bot")]  # the account first, no token asked
    assert control.records["old-bot"].manifest["tags"] == {TAG.key: TAG.value}
    assert control.creates["old-bot"] == 1 and control.creates["va-old-bot"] == 1
    assert all(c.action == Action.NO_OP for c in plan_now(control, wanted))
