"""Normalisation: desired and live compare equal exactly when applying would change nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.domain.kinds import KINDS, VIRTUAL_ACCOUNTS, OwnershipContext, as_set, rules_for
from reconciler.domain.ownership import Holder
from reconciler.domain.vocabulary import Kind
from tests.unit.domain.builders import TAG, live

normalize = VIRTUAL_ACCOUNTS.normalize


def test_the_type_is_not_compared() -> None:
    assert normalize({"type": "virtual-account", "name": "a"}) == {"name": "a"}


def test_auto_rotate_gets_the_server_defaults() -> None:
    assert normalize({"auto_rotate": {}})["auto_rotate"] == {"auto_rotate_interval": 360, "grace_period": 30}
    assert normalize({"auto_rotate": {"grace_period": 3}})["auto_rotate"] == {
        "auto_rotate_interval": 360,
        "grace_period": 3,
    }
    assert normalize({"auto_rotate": {"auto_rotate_interval": 90}})["auto_rotate"] == {
        "auto_rotate_interval": 90,
        "grace_period": 30,
    }


def test_no_auto_rotate_stays_absent() -> None:
    assert "auto_rotate" not in normalize({"name": "a"})


def test_the_legacy_untyped_secret_store_is_the_typed_one() -> None:
    legacy = {"secret_store_config": {"integration_fqn": "s", "secret_path": "p"}}
    typed = {"secret_store_config": {"type": "secret-store", "integration_fqn": "s", "secret_path": "p"}}
    assert normalize(legacy) == normalize(typed) == typed
    secrets = {"secret_store_config": {"type": "tfy-secrets", "secret_group": "g", "key": "K"}}
    assert normalize(secrets) == secrets


def test_bookkeeping_tags_are_not_compared_and_empty_tags_vanish() -> None:
    assert normalize({"tags": {"va-reconciler-token-delivery": "pending"}}) == {}
    assert normalize({"tags": {"va-reconciler-token-delivery": "pending", "env": "x"}}) == {"tags": {"env": "x"}}
    assert normalize({"tags": {"env": "x"}}) == {"tags": {"env": "x"}}


def test_sets_are_ordered_and_deduplicated() -> None:
    grants = [{"role_id": "b", "resource_fqn": "x"}, {"role_id": "a", "resource_fqn": "x"}]
    result = normalize({"permissions": grants + [grants[0]], "identity_provider_mapping": [{"v": 2}, {"v": 1}]})
    assert result["permissions"] == [{"resource_fqn": "x", "role_id": "a"}, {"resource_fqn": "x", "role_id": "b"}]
    assert result["identity_provider_mapping"] == [{"v": 1}, {"v": 2}]
    target = normalize({"notification_target": {"type": "email", "to_emails": ["b@x", "a@x", "b@x"], "n": "c"}})
    assert target["notification_target"] == {"type": "email", "to_emails": ["a@x", "b@x"], "n": "c"}
    bot = normalize({"notification_target": {"type": "slack-bot", "channels": ["#b", "#a"]}})
    assert bot["notification_target"]["channels"] == ["#a", "#b"]


def test_normalize_does_not_change_its_input() -> None:
    original = {"auto_rotate": {}, "permissions": [{"b": 1}, {"a": 1}], "tags": {"va-reconciler-token-delivery": "x"}}
    copy = {"auto_rotate": {}, "permissions": [{"b": 1}, {"a": 1}], "tags": {"va-reconciler-token-delivery": "x"}}
    normalize(original)
    assert original == copy


def test_fields_the_server_keeps_are_compared_only_when_desired_names_them() -> None:
    have = {"name": "a", "permissions": [{"role_id": "r"}], "token_type": "opaque", "tags": {"x": "1"}}
    wanted, kept = VIRTUAL_ACCOUNTS.comparable({"name": "a"}, have)
    assert wanted == {"name": "a"} and kept == {"name": "a", "tags": {"x": "1"}}
    wanted, kept = VIRTUAL_ACCOUNTS.comparable({"name": "a", "permissions": [{"role_id": "s"}]}, have)
    assert wanted == {"name": "a", "permissions": [{"role_id": "s"}]}
    assert kept == {"name": "a", "permissions": [{"role_id": "r"}], "tags": {"x": "1"}}
    wanted, kept = VIRTUAL_ACCOUNTS.comparable({"name": "a", "token_type": "jwt"}, have)
    assert kept == {"name": "a", "token_type": "opaque", "tags": {"x": "1"}}


def test_ownership_by_the_tag() -> None:
    context = OwnershipContext(TAG)
    assert VIRTUAL_ACCOUNTS.ownership(live("a"), context).holder == Holder.OURS
    assert VIRTUAL_ACCOUNTS.ownership(live("a", owner=None), context).holder == Holder.NOBODY
    other = VIRTUAL_ACCOUNTS.ownership(live("a", owner="va-reconciler:acme/other"), context)
    assert (other.holder, other.other, other.ours) == (Holder.OTHER, "va-reconciler:acme/other", False)
    assert VIRTUAL_ACCOUNTS.claims({"tags": {TAG.key: TAG.value}}, context)
    assert not VIRTUAL_ACCOUNTS.claims({"tags": {TAG.key: "else"}}, context)
    assert VIRTUAL_ACCOUNTS.as_sent({"name": "a", "tags": {"x": "1"}}, context) == {
        "name": "a",
        "tags": {"x": "1", TAG.key: TAG.value},
    }


def test_kinds_are_registered_once_in_order() -> None:
    assert [(rules.kind, rules.order) for rules in KINDS] == [(Kind.VIRTUAL_ACCOUNT, 0), (Kind.ROLE_BINDING, 1)]
    assert rules_for(Kind.VIRTUAL_ACCOUNT) is VIRTUAL_ACCOUNTS
    assert VIRTUAL_ACCOUNTS.issues_tokens and not rules_for(Kind.ROLE_BINDING).issues_tokens
    assert (VIRTUAL_ACCOUNTS.noun, rules_for(Kind.ROLE_BINDING).noun) == ("accounts", "role bindings")


def test_as_set_keeps_one_of_each_in_canonical_order() -> None:
    """Ordered by canonical JSON text: '"x"' < '1' < '{"a":2,"b":1}'."""
    assert as_set([{"b": 1, "a": 2}, {"a": 2, "b": 1}, 1, "x"]) == ["x", 1, {"a": 2, "b": 1}]


scalars = st.one_of(st.integers(), st.text(max_size=4), st.booleans())
grants = st.lists(
    st.fixed_dictionaries({"role_id": st.text(max_size=3), "resource_fqn": st.text(max_size=3)}), max_size=5
)
manifests = st.fixed_dictionaries(
    {"name": st.text(max_size=5)},
    optional={
        "permissions": grants,
        "auto_rotate": st.fixed_dictionaries(
            {}, optional={"auto_rotate_interval": st.integers(), "grace_period": st.integers()}
        ),
        "identity_provider_mapping": st.lists(st.fixed_dictionaries({"value": st.text(max_size=3)}), max_size=4),
        "notification_target": st.fixed_dictionaries(
            {"type": st.just("email"), "to_emails": st.lists(st.text(max_size=4), max_size=4)}
        ),
        "tags": st.dictionaries(st.text(max_size=4), scalars, max_size=3),
        "secret_store_config": st.fixed_dictionaries({"integration_fqn": st.text(max_size=3)}),
    },
)


@given(manifests)
def test_normalize_is_idempotent(manifest: dict[str, Any]) -> None:
    once = normalize(manifest)
    assert normalize(once) == once


@given(manifests, st.randoms(use_true_random=False))
def test_the_order_of_permissions_recipients_and_mappings_never_matters(manifest: dict[str, Any], rnd: Any) -> None:
    shuffled = dict(manifest)
    for key in ("permissions", "identity_provider_mapping"):
        if key in shuffled:
            items = list(shuffled[key])
            rnd.shuffle(items)
            shuffled[key] = items
    if "notification_target" in shuffled:
        emails = list(shuffled["notification_target"]["to_emails"])
        rnd.shuffle(emails)
        shuffled["notification_target"] = {**shuffled["notification_target"], "to_emails": emails}
    assert normalize(shuffled) == normalize(manifest)


def test_only_recipients_and_channels_of_a_notification_target_are_sets() -> None:
    target = {"type": "x", "to_emails": ["b", "a"], "channels": ["#b", "#a"], "other": ["b", "a"]}
    assert normalize({"notification_target": target})["notification_target"] == {
        "type": "x",
        "to_emails": ["a", "b"],
        "channels": ["#a", "#b"],
        "other": ["b", "a"],
    }
