"""The name and layout of the role binding an account's deprecated `permissions` become."""

from __future__ import annotations

from reconciler.domain.legacy import binding_name, legacy_binding
from reconciler.domain.values import JsonValue


def test_a_binding_is_named_after_its_account_in_lower_case_with_dashes() -> None:
    assert binding_name("CI Bot", set()) == "va-ci-bot"
    assert binding_name("data_team.loader", set()) == "va-data-team-loader"


def test_a_binding_name_never_ends_with_a_dash() -> None:
    assert binding_name("bot!", set()) == "va-bot"
    assert binding_name("bot --", set()) == "va-bot"


def test_a_taken_name_gets_the_next_free_number() -> None:
    assert binding_name("x", {"va-x"}) == "va-x-2"
    assert binding_name("x", {"va-x", "va-x-2"}) == "va-x-3"
    assert binding_name("x", {"va-x", "va-x-2", "va-x-3"}) == "va-x-4"


def test_a_long_name_is_cut_to_66_characters_even_with_its_number() -> None:
    account = "a" * 70
    assert binding_name(account, set()) == "va-" + "a" * 63
    numbered = binding_name(account, {"va-" + "a" * 63})
    assert numbered == "va-" + "a" * 61 + "-2"
    assert len(numbered) == 66


def test_the_legacy_binding_grants_the_account_its_permissions_renamed() -> None:
    permissions: list[JsonValue] = [
        {"resource_type": "workspace", "resource_fqn": "acme:platform", "role_id": "workspace-member"},
        "not a mapping",
        {"resource_type": "cluster", "resource_fqn": "acme", "role_id": 7},
    ]
    assert legacy_binding("va-ci-bot", "ci-bot", permissions) == {
        "type": "role-binding",
        "name": "va-ci-bot",
        "subjects": [{"type": "virtualaccount", "name": "ci-bot"}],
        "permissions": [
            {"resourceType": "workspace", "resourceFqn": "acme:platform", "role": "workspace-member"},
            {"resourceType": "cluster", "resourceFqn": "acme", "role": "7"},
        ],
    }
