"""Where a reviewed plan came from: the control plane it names, the manifests it read, and messages that say
which commit or working tree each side read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.domain.errors import PlanFileError
from reconciler.domain.plan import Change, Plan
from reconciler.domain.review import control_plane_identity, verify_origin
from reconciler.domain.vocabulary import Action, Kind

TFY = "https://t.example"
ONE, OTHER = (
    Change(Kind.VIRTUAL_ACCOUNT, "a", Action.CREATE, desired={"name": "a"}),
    Change(Kind.VIRTUAL_ACCOUNT, "a", Action.CREATE, desired={"name": "a", "tags": {"x": "y"}}),
)
DIFFER = "and the manifests differ: plan again from this revision (or pass --force to apply the fresh plan anyway)"


def test_a_login_file_origin_with_parentheses_is_not_part_of_the_control_plane() -> None:
    described = f"{TFY} (credentials from `tfy login` (/home/ci/.truefoundry/credentials.json))"
    assert control_plane_identity(described) == TFY


def test_a_plan_without_a_recorded_control_plane_names_none() -> None:
    assert control_plane_identity("") == ""


def test_a_plan_from_another_control_plane_is_refused_with_the_whole_message() -> None:
    made = Plan(changes=(ONE,), control_plane=f"{TFY} (TFY_API_KEY from the environment)")
    here = replace(made, control_plane="https://u.example (TFY_API_KEY from the environment)")
    with pytest.raises(PlanFileError) as refused:
        verify_origin(here, made)
    assert str(refused.value) == (
        "the plan was made against https://t.example, but this run talks to https://u.example: plan again against "
        "this control plane (or pass --force to apply the fresh plan anyway)"
    )


def test_a_plan_from_a_working_tree_applied_at_a_commit_with_other_manifests_is_refused() -> None:
    made = Plan(changes=(ONE,), source="working tree /repo", control_plane=TFY)
    fresh = replace(made, changes=(OTHER,), revision="2" * 40, source="Git ref main (222222222222)")
    with pytest.raises(PlanFileError) as refused:
        verify_origin(fresh, made)
    assert str(refused.value) == (
        f"the plan was made from a working tree (working tree /repo), but this run reads {'2' * 40} "
        f"(Git ref main (222222222222)) {DIFFER}"
    )


def test_a_plan_from_a_commit_applied_to_a_working_tree_with_other_manifests_is_refused() -> None:
    made = Plan(changes=(ONE,), revision="1" * 40, source="Git ref main (111111111111)", control_plane=TFY)
    fresh = replace(made, changes=(OTHER,), revision=None, source="working tree /repo")
    with pytest.raises(PlanFileError) as refused:
        verify_origin(fresh, made)
    assert str(refused.value) == (
        f"the plan was made from {'1' * 40} (Git ref main (111111111111)), but this run reads a working tree "
        f"(working tree /repo) {DIFFER}"
    )


def test_the_same_manifest_under_another_kind_is_other_manifests() -> None:
    account = Change(Kind.VIRTUAL_ACCOUNT, "a", Action.CREATE, desired={"name": "a"})
    binding = Change(Kind.ROLE_BINDING, "a", Action.CREATE, desired={"name": "a"})
    made = Plan(changes=(account,), revision="1" * 40, control_plane=TFY)
    with pytest.raises(PlanFileError, match="the manifests differ"):
        verify_origin(replace(made, changes=(binding,), revision="2" * 40), made)
