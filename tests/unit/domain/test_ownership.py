"""Ownership marks and where a created token goes."""

from __future__ import annotations

from reconciler.domain.ownership import (
    TOKEN_DELIVERY_TAG,
    Holder,
    claims,
    ownership_of,
    synced_by_control_plane,
    tags_of,
    token_destination,
    token_pending,
    with_ownership_tag,
    with_pending_token,
)
from tests.unit.domain.builders import TAG


def test_ownership_is_the_exact_tag_value() -> None:
    assert ownership_of({"tags": {TAG.key: TAG.value}}, TAG).ours
    assert ownership_of({"tags": {TAG.key: TAG.value + "x"}}, TAG).holder == Holder.OTHER
    assert ownership_of({"tags": {"other-key": TAG.value}}, TAG).holder == Holder.NOBODY
    assert ownership_of({}, TAG).holder == Holder.NOBODY
    assert ownership_of({"tags": "not a mapping"}, TAG).holder == Holder.NOBODY
    assert not ownership_of({"tags": {TAG.key: ""}}, TAG).ours


def test_tags_of_a_manifest_without_tags_is_empty() -> None:
    assert tags_of({}) == {} and tags_of({"tags": None}) == {}


def test_claims_and_ownership_tag() -> None:
    assert claims({"tags": {TAG.key: TAG.value}}, TAG)
    assert not claims({}, TAG)
    sent = with_ownership_tag({"name": "a", "tags": {TAG.key: "someone-else", "env": "x"}}, TAG)
    assert sent == {"name": "a", "tags": {TAG.key: TAG.value, "env": "x"}}
    assert with_ownership_tag({"name": "a"}, TAG) == {"name": "a", "tags": {TAG.key: TAG.value}}


def test_pending_delivery_is_a_bookkeeping_tag() -> None:
    pending = with_pending_token({"name": "a", "tags": {"env": "x"}})
    assert pending == {"name": "a", "tags": {"env": "x", TOKEN_DELIVERY_TAG: "pending"}}
    assert token_pending(pending)
    assert not token_pending({"name": "a"})
    assert not token_pending({"tags": {TOKEN_DELIVERY_TAG: "delivered"}})


def test_where_a_created_token_goes() -> None:
    secrets = {"secret_store_config": {"type": "tfy-secrets", "secret_group": "acme:g", "key": "K"}}
    assert token_destination(secrets, False) == "TrueFoundry secret group acme:g, key K (synced by the control plane)"
    store = {"secret_store_config": {"type": "secret-store", "integration_fqn": "acme:vault", "secret_path": "a/b"}}
    assert token_destination(store, True) == "secret store acme:vault at a/b (synced by the control plane)"
    legacy = {"secret_store_config": {"integration_fqn": "acme:vault", "secret_path": "a/b"}}
    assert token_destination(legacy, False) == "secret store acme:vault at a/b (synced by the control plane)"
    assert token_destination({"name": "bot"}, True) == "--token-dir, file bot.token (mode 0600)"
    assert token_destination({"name": "bot"}, False) is None


def test_synced_by_the_control_plane_only_with_a_secret_store() -> None:
    assert synced_by_control_plane({"secret_store_config": {"type": "tfy-secrets"}})
    assert not synced_by_control_plane({"name": "a"})
