"""Values: positions, problems, JSON paths, and the token that cannot be printed."""

from __future__ import annotations

from reconciler.domain.values import Position, Problem, Token, canonical_json, format_json_path, mapping, sha256_hex
from reconciler.domain.vocabulary import Action, Severity


def test_positions_and_paths_print_as_editors_expect() -> None:
    assert str(Position("a/b.yaml", 3, 7)) == "a/b.yaml:3:7"
    assert format_json_path(("permissions", 0, "role_id")) == "$.permissions[0].role_id"
    assert format_json_path(()) == "$"


def test_problems_sort_by_place_and_survive_their_data() -> None:
    late, early = Problem(Position("a", 9, 1), "x"), Problem(Position("a", 2, 5), "y", "$.a", Severity.WARNING)
    assert sorted([late, early]) == [early, late]
    assert early.to_data() == {"file": "a", "line": 2, "col": 5, "severity": "warning", "message": "y", "path": "$.a"}
    assert Problem.from_data(early.to_data()) == early


def test_canonical_json_is_stable_and_unicode_as_is() -> None:
    assert canonical_json({"b": 1, "a": ["é"]}) == '{"a":["é"],"b":1}'
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_a_token_never_prints_its_value() -> None:
    token = Token("eyJ.secret.value")
    assert "secret" not in str(token) and "secret" not in repr(token) and "secret" not in f"{token}"
    assert token.reveal() == "eyJ.secret.value"
    assert token == Token("eyJ.secret.value") and token != Token("other") and token != "eyJ.secret.value"
    assert hash(token) == hash(Token("eyJ.secret.value"))


def test_mapping_and_vocabulary() -> None:
    assert mapping({"a": 1}) == {"a": 1} and mapping(None) == {} and mapping([1]) == {}
    writes = {Action.CREATE, Action.UPDATE, Action.ADOPT, Action.DELETE, Action.RECOVER_TOKEN}
    assert {a for a in Action if a.writes} == writes
    assert {a for a in Action if a.unresolved} == {Action.CONFLICT, Action.BLOCKED}


def test_the_token_says_what_it_hides_and_a_bad_problem_is_refused() -> None:
    import pytest

    assert repr(Token("x")) == str(Token("x")) == "Token(<redacted>)"
    for data in ({"line": "2", "col": 1}, {"line": 2, "col": "1"}):
        with pytest.raises(ValueError, match="^a problem's line and col are whole numbers$"):
            Problem.from_data({"file": "f", "message": "m", "path": "", "severity": "error", **data})
