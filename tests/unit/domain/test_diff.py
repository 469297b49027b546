"""diff: every field that differs, by dotted path, sorted; objects recurse, everything else compares whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.domain.diff import FieldDiff, diff
from reconciler.domain.vocabulary import DiffKind

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(st.text(max_size=4), json_values, max_size=4)


def test_added_removed_and_changed_fields_with_their_sides() -> None:
    before = {"kept": 1, "gone": "x", "changed": [1, 2]}
    after = {"kept": 1, "new": {"a": 1}, "changed": [2, 1]}
    assert diff(before, after) == [
        FieldDiff("changed", DiffKind.CHANGE, [1, 2], [2, 1]),
        FieldDiff("gone", DiffKind.REMOVE, "x", None),
        FieldDiff("new", DiffKind.ADD, None, {"a": 1}),
    ]


def test_objects_recurse_into_dotted_paths() -> None:
    before = {"auto_rotate": {"auto_rotate_interval": 90, "grace_period": 7}}
    after = {"auto_rotate": {"auto_rotate_interval": 120, "grace_period": 7, "extra": True}}
    assert diff(before, after) == [
        FieldDiff("auto_rotate.auto_rotate_interval", DiffKind.CHANGE, 90, 120),
        FieldDiff("auto_rotate.extra", DiffKind.ADD, None, True),
    ]


def test_an_object_replaced_by_a_scalar_is_one_change() -> None:
    assert diff({"a": {"b": 1}}, {"a": "b"}) == [FieldDiff("a", DiffKind.CHANGE, {"b": 1}, "b")]


def test_equal_values_of_different_types_differ() -> None:
    """Python says 1 == True == 1.0; a manifest does not."""
    assert diff({"a": 1, "b": 1, "c": 0}, {"a": True, "b": 1.0, "c": False}) == [
        FieldDiff("a", DiffKind.CHANGE, 1, True),
        FieldDiff("b", DiffKind.CHANGE, 1, 1.0),
        FieldDiff("c", DiffKind.CHANGE, 0, False),
    ]


def test_a_null_value_is_not_an_absent_one() -> None:
    assert diff({"a": None}, {}) == [FieldDiff("a", DiffKind.REMOVE, None, None)]
    assert diff({}, {"a": None}) == [FieldDiff("a", DiffKind.ADD, None, None)]


def test_field_diffs_survive_serialisation() -> None:
    change = FieldDiff("tags.env", DiffKind.CHANGE, "a", "b")
    assert change.to_data() == {"path": "tags.env", "kind": "change", "before": "a", "after": "b"}
    assert FieldDiff.from_data(change.to_data()) == change


@given(objects)
def test_nothing_differs_from_itself(value: dict[str, object]) -> None:
    assert diff(value, value) == []  # type: ignore[arg-type]


@given(objects, objects)
def test_a_diff_is_empty_exactly_when_the_values_are_equal(a: dict[str, object], b: dict[str, object]) -> None:
    found = diff(a, b)  # type: ignore[arg-type]
    assert (found == []) == (_strict(a) == _strict(b))


def test_fields_come_in_key_order_depth_first() -> None:
    before = {"b": {"z": 1, "a": 1}, "a": 1, "c": 1}
    after = {"b": {"z": 2, "a": 2}, "a": 2, "c": 2}
    assert [d.path for d in diff(before, after)] == ["a", "b.a", "b.z", "c"]


def _strict(value: object) -> object:
    """Equality that tells 1, 1.0 and True apart, as the diff does."""
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict(v) for v in value]
    return (type(value).__name__, value)
