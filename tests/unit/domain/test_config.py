"""reconciler.yaml data -> settings: every key, and the defaults the README documents."""

from __future__ import annotations

from reconciler.domain.config import (
    DEFAULT_CONCURRENCY,
    OwnershipTag,
    Policy,
    PrunePolicy,
    RepoConfig,
    config_from_data,
    default_owner_value,
)


def test_no_file_means_the_documented_defaults() -> None:
    settings = config_from_data(None, "acme/accounts")
    assert settings == RepoConfig(
        paths=(".",),
        ownership=OwnershipTag("managed-by", "va-reconciler:acme/accounts"),
        adopt=frozenset(),
        prune=PrunePolicy(enabled=False, max_deletes=5, max_delete_percent=30),
        policy=Policy(
            require_token_destination=True,
            denied_roles=("tenant-admin",),
            max_expiry_days=None,
            expiry_warning_days=30,
            high_privilege_roles=("*-admin",),
            allowed_resources=(),
        ),
        concurrency=8,
    )
    assert DEFAULT_CONCURRENCY == 8
    assert config_from_data({}, "x/y") == config_from_data(None, "x/y")
    assert default_owner_value("acme/accounts") == "va-reconciler:acme/accounts"


def test_every_key_is_read() -> None:
    data = {
        "version": 1,
        "paths": ["accounts", "more"],
        "ownership": {"tag_key": "owner", "tag_value": "team-a"},
        "adopt": ["legacy-bot", "old-bot"],
        "prune": {"enabled": True, "max_deletes": 2, "max_delete_percent": 10},
        "policy": {
            "require_token_destination": False,
            "denied_roles": ["cluster-admin"],
            "max_expiry_days": 90,
            "expiry_warning_days": 7,
            "high_privilege_roles": ["*-editor"],
            "allowed_resources": ["acme-prod-cluster:*"],
        },
        "concurrency": 3,
    }
    assert config_from_data(data, "ignored/when-named") == RepoConfig(
        paths=("accounts", "more"),
        ownership=OwnershipTag("owner", "team-a"),
        adopt=frozenset({"legacy-bot", "old-bot"}),
        prune=PrunePolicy(True, 2, 10),
        policy=Policy(False, ("cluster-admin",), 90, 7, ("*-editor",), ("acme-prod-cluster:*",)),
        concurrency=3,
    )


def test_partial_sections_keep_the_other_defaults() -> None:
    settings = config_from_data(
        {"ownership": {"tag_key": "owner"}, "policy": {"expiry_warning_days": 3}, "prune": {"enabled": True}}, "a/b"
    )
    assert settings.ownership == OwnershipTag("owner", "va-reconciler:a/b")
    assert settings.policy == Policy(True, ("tenant-admin",), None, 3)
    assert settings.prune == PrunePolicy(True, 5, 30)
    only_value = config_from_data({"ownership": {"tag_value": "mine"}}, "a/b")
    assert only_value.ownership == OwnershipTag("managed-by", "mine")
    assert config_from_data({"policy": {"denied_roles": []}}, "a/b").policy.denied_roles == ()
