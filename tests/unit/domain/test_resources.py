"""Desired and live resources, and what a validation found."""

from __future__ import annotations

import pickle

from reconciler.domain.resources import DesiredResource, LiveResource, ValidationReport
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Kind, Severity

VA = Kind.VIRTUAL_ACCOUNT


def test_a_value_is_found_at_its_own_position_or_its_nearest_parents() -> None:
    resource = DesiredResource(
        VA, "a", {"name": "a"}, Position("f.yaml", 1, 1), {("auto_rotate",): (4, 3), ("auto_rotate", "grace"): (5, 12)}
    )
    assert resource.position_of(("auto_rotate", "grace")) == Position("f.yaml", 5, 12)
    assert resource.position_of(("auto_rotate", "interval")) == Position("f.yaml", 4, 3)
    assert resource.position_of(("auto_rotate", "x", "y")) == Position("f.yaml", 4, 3)
    assert resource.position_of(("tags", "env")) == Position("f.yaml", 1, 1)
    assert resource.position_of(()) == Position("f.yaml", 1, 1)


def test_the_fingerprint_moves_with_any_write() -> None:
    base = LiveResource(VA, "id", "a", {"name": "a"}, "t1")
    assert base.fingerprint == LiveResource(VA, "id", "a", {"name": "a"}, "t1", jwt_id="rotated").fingerprint
    assert base.fingerprint != LiveResource(VA, "id", "a", {"name": "a"}, "t2").fingerprint
    assert base.fingerprint != LiveResource(VA, "id", "a", {"name": "b"}, "t1").fingerprint
    assert base.fingerprint != LiveResource(VA, "id2", "a", {"name": "a"}, "t1").fingerprint


def test_errors_warnings_and_kinds_of_a_report() -> None:
    error = Problem(Position("f", 1, 1), "e")
    warning = Problem(Position("f", 2, 1), "w", severity=Severity.WARNING)
    resource = DesiredResource(VA, "a", {"name": "a"}, Position("f", 1, 1))
    report = ValidationReport(1, (resource,), (), (error, warning))
    assert report.errors == (error,) and report.warnings == (warning,) and not report.valid
    assert ValidationReport(1, (), (), (warning,)).valid
    assert report.of_kind(VA) == (resource,)


def test_a_resource_travels_between_processes_whole() -> None:
    """validate's forked workers send resources back pickled (`__reduce__` by fields): every field arrives,
    value positions included, and the copy is a resource like any other."""
    resource = DesiredResource(
        Kind.ROLE_BINDING, "b", {"name": "b", "subjects": ["x"]}, Position("r/b.yaml", 3, 2), {("subjects", 0): (5, 5)}
    )
    copy = pickle.loads(pickle.dumps(resource, pickle.HIGHEST_PROTOCOL))
    assert (copy.kind, copy.name, copy.manifest, copy.position) == (
        Kind.ROLE_BINDING, "b", {"name": "b", "subjects": ["x"]}, Position("r/b.yaml", 3, 2)
    )  # fmt: skip
    assert copy.position_of(("subjects", 0)) == Position("r/b.yaml", 5, 5)
    assert pickle.loads(pickle.dumps(Position("f.yaml", 7, 9))) == Position("f.yaml", 7, 9)
    assert str(pickle.loads(pickle.dumps(Position("f.yaml", 7, 9)))) == "f.yaml:7:9"


def test_listed_keeps_the_name_and_the_fields_asked_for_and_where_everything_stands() -> None:
    resource = DesiredResource(
        VA,
        "a",
        {"name": "a", "ownedBy": {"team": "t"}, "tags": {"x": "1"}},
        Position("f.yaml", 2, 1),
        {("tags",): (4, 1)},
    )
    listed = resource.listed(["ownedBy", "destinations"])
    assert (listed.kind, listed.name, listed.position) == (VA, "a", Position("f.yaml", 2, 1))
    assert listed.manifest == {"name": "a", "ownedBy": {"team": "t"}}
    assert listed.position_of(("tags",)) == Position("f.yaml", 4, 1)
