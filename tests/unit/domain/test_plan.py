"""The plan as data: counts, verdicts, serialisation with a checksum, and its own prune guard."""

from __future__ import annotations

import json

import pytest

from reconciler.domain.config import OwnershipTag, PrunePolicy
from reconciler.domain.diff import FieldDiff
from reconciler.domain.errors import PlanFileError
from reconciler.domain.grants import AccessChange, Grant, Sourced
from reconciler.domain.plan import PLAN_VERSION, Change, Plan, guard_mass_delete, unsafe_prune
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Action, DiffKind, Kind, Severity

VA = Kind.VIRTUAL_ACCOUNT


def change(name: str, action: Action, **fields: object) -> Change:
    return Change(VA, name, action, **fields)  # type: ignore[arg-type]


def full_plan() -> Plan:
    return Plan(
        changes=(
            change(
                "a-bot",
                Action.UPDATE,
                position=Position("accounts/a.yaml", 2, 1),
                resource_id="id-a",
                desired={"name": "a-bot", "tags": {"x": "1"}},
                live_fingerprint="f" * 64,
                diffs=(FieldDiff("tags.x", DiffKind.CHANGE, "0", "1"),),
                warnings=("w",),
                errors=("e",),
                reason="r",
                token_destination="somewhere",
                deliver_token=True,
            ),
            change("b-bot", Action.NO_OP),
        ),
        problems=(Problem(Position("accounts/c.yaml", 4, 2), "bad", "$.name", Severity.ERROR),),
        revision="c" * 40,
        source="Git ref main",
        control_plane="https://tfy.example",
        ownership=OwnershipTag("managed-by", "va-reconciler:acme/x"),
        prune=True,
        live_count=3,
        desired_count=2,
        access=(
            AccessChange(
                "a-bot",
                before=(Sourced(Grant("workspace-viewer", "workspace", "c:w"), "permissions"),),
                after=(Sourced(Grant("workspace-admin", "workspace", "c:w"), "role-binding va-a-bot", True),),
                undeclared=(Sourced(Grant("workspace-viewer", "workspace", "c:w"), "permissions"),),
            ),
        ),
        notices=("this change edits the policy",),
    )


def test_a_plan_survives_its_json_unchanged() -> None:
    plan = full_plan()
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.checksum == plan.checksum
    data = json.loads(plan.to_json())
    assert data["version"] == PLAN_VERSION and data["checksum"] == plan.checksum
    assert data["changes"][0]["kind"] == "virtual-account" and data["changes"][0]["action"] == "update"
    assert data["summary"]["update"] == 1 and data["summary"]["errors"] == 2
    assert data["notices"] == ["this change edits the policy"] and data["access"][0]["account"] == "a-bot"
    assert plan.access_changes == plan.access and plan.escalations == plan.access


def test_the_checksum_covers_every_field() -> None:
    plan = full_plan()
    for key, value in [("prune", False), ("live_count", 4), ("revision", "d" * 40), ("source", "x")]:
        data = json.loads(plan.to_json())
        data[key] = value
        with pytest.raises(PlanFileError, match="altered"):
            Plan.from_json(json.dumps(data))
    data = json.loads(plan.to_json())
    data["changes"][0]["desired"]["tags"]["x"] = "2"
    with pytest.raises(PlanFileError, match="altered"):
        Plan.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 1}',
        json.dumps({"version": PLAN_VERSION}),
        json.dumps({"version": PLAN_VERSION, "changes": 3}),
    ],
)
def test_a_malformed_plan_file_is_a_plan_file_error(text: str) -> None:
    with pytest.raises(PlanFileError):
        Plan.from_json(text)


def test_an_incomplete_plan_names_what_is_wrong() -> None:
    data = json.loads(full_plan().to_json())
    del data["ownership"]
    with pytest.raises(PlanFileError, match="incomplete or malformed"):
        Plan.from_json(json.dumps(data))


def test_counts_and_verdicts() -> None:
    plan = Plan(changes=(change("a", Action.CREATE), change("b", Action.NO_OP), change("c", Action.CONFLICT)))
    counts = plan.counts()
    assert counts == {"create": 1, "update": 0, "adopt": 0, "delete": 0, "recover-token": 0, "no-op": 1, "conflict": 1,
                      "blocked": 0, "errors": 0}  # fmt: skip
    assert plan.has_changes and plan.has_errors
    quiet = Plan(changes=(change("b", Action.NO_OP, reason="kept"),))
    assert not quiet.has_changes and not quiet.has_errors
    rejected = Plan(changes=(change("a", Action.CREATE, errors=("no",)),))
    assert not rejected.has_changes and rejected.has_errors and rejected.counts()["errors"] == 1
    invalid = Plan(changes=(), problems=(Problem(Position("f", 1, 1), "x"),))
    assert invalid.has_errors and not invalid.has_changes


def test_a_change_knows_whether_it_writes_and_why_it_is_unresolved() -> None:
    assert change("a", Action.DELETE).writes and change("a", Action.RECOVER_TOKEN).writes
    assert not change("a", Action.UPDATE, errors=("x",)).writes
    assert change("a", Action.BLOCKED, reason="policy").why_unresolved == "policy"
    assert change("a", Action.UPDATE, errors=("x", "y")).why_unresolved == "x; y"
    assert change("a", Action.CREATE).with_errors("z").errors == ("z",)
    assert change("a", Action.CREATE).desired_hash is None
    assert (
        change("a", Action.CREATE, desired={"b": 1, "a": 2}).desired_hash
        == change("a", Action.CREATE, desired={"a": 2, "b": 1}).desired_hash
    )


def test_the_prune_guard() -> None:
    limits = PrunePolicy(True, max_deletes=5, max_delete_percent=30)
    assert unsafe_prune(0, 0, 0, limits) is None
    assert unsafe_prune(1, 3, 0, limits) is not None  # Git empty
    assert unsafe_prune(5, 100, 90, limits) is None
    assert (
        unsafe_prune(6, 100, 90, limits)
        == "would delete 6 accounts, more than prune.max_deletes=5 (pass --allow-mass-delete)"
    )
    assert unsafe_prune(3, 10, 7, limits) is None  # 30%
    assert unsafe_prune(4, 10, 6, limits) is not None  # 40%
    assert unsafe_prune(4, 9, 5, limits) is None  # fewer than 10 owned: no percent guard
    changes = (change("a", Action.DELETE), change("b", Action.NO_OP), change("c", Action.DELETE))
    guarded = guard_mass_delete(changes, owned=2, desired=0, limits=limits, allow_mass_delete=False)
    assert [c.action for c in guarded] == [Action.BLOCKED, Action.NO_OP, Action.BLOCKED]
    assert (
        guarded[0].reason
        == "Git holds no account at all: refusing to prune every owned account (pass --allow-mass-delete)"
    )
    assert guarded[1] == changes[1]
    assert guard_mass_delete(changes, 2, 0, limits, allow_mass_delete=True) == changes


def test_the_plan_file_is_indented_for_people() -> None:
    text = full_plan().to_json()
    assert text.startswith('{\n  "version": ') and text.endswith("}\n")


def test_every_plan_file_refusal_says_why() -> None:
    with pytest.raises(PlanFileError, match="^the plan file is not JSON$"):
        Plan.from_json("{")
    with pytest.raises(PlanFileError, match=f"^the plan file is not a version {PLAN_VERSION} plan$"):
        Plan.from_json('{"version": 1}')
    data = json.loads(full_plan().to_json())
    data["ownership"] = "x"
    with pytest.raises(
        PlanFileError, match=r"^the plan file is incomplete or malformed \(TypeError: ownership must be an object\)$"
    ):
        Plan.from_json(json.dumps(data))
    for key in ("live_count", "desired_count"):
        data = json.loads(full_plan().to_json())
        data[key] = "3"
        with pytest.raises(PlanFileError, match=r"\(TypeError: the counts must be whole numbers\)$"):
            Plan.from_json(json.dumps(data))
    data = json.loads(full_plan().to_json())
    del data["changes"]
    with pytest.raises(PlanFileError, match=r"\(KeyError: 'changes'\)$"):
        Plan.from_json(json.dumps(data))
    data = json.loads(full_plan().to_json())
    data["prune"] = False
    with pytest.raises(PlanFileError, match="^the plan file's checksum does not match its content: it was altered$"):
        Plan.from_json(json.dumps(data))


def test_a_change_as_data_every_field() -> None:
    data = full_plan().changes[0].to_data()
    assert data == {
        "kind": "virtual-account",
        "name": "a-bot",
        "action": "update",
        "file": "accounts/a.yaml",
        "line": 2,
        "col": 1,
        "id": "id-a",
        "desired": {"name": "a-bot", "tags": {"x": "1"}},
        "desired_hash": full_plan().changes[0].desired_hash,
        "live_fingerprint": "f" * 64,
        "diffs": [{"path": "tags.x", "kind": "change", "before": "0", "after": "1"}],
        "warnings": ["w"],
        "errors": ["e"],
        "reason": "r",
        "token_destination": "somewhere",
        "deliver_token": True,
    }
    assert len(str(data["desired_hash"])) == 64


def test_a_change_from_sparse_or_odd_data() -> None:
    sparse = Change.from_data({"kind": "virtual-account", "name": "a", "action": "no-op"})
    assert sparse == Change(VA, "a", Action.NO_OP)
    odd = Change.from_data(
        {
            "kind": "virtual-account",
            "name": "a",
            "action": "create",
            "file": "f.yaml",
            "line": None,
            "col": 1,
            "desired": ["not", "a", "manifest"],
            "warnings": None,
            "deliver_token": "yes",
        }  # fmt: skip
    )
    assert odd.position is None and odd.desired is None and odd.warnings == () and odd.deliver_token is False
    unlined = Change.from_data({"kind": "virtual-account", "name": "a", "action": "create", "file": "f", "line": 2})
    assert unlined.position is None


def test_counts_add_up_per_action() -> None:
    plan = Plan(changes=(change("a", Action.CREATE), change("b", Action.CREATE), change("c", Action.CREATE)))
    assert plan.counts()["create"] == 3
