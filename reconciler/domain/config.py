"""Repository configuration (reconciler.yaml) as frozen settings. Pure: the caller loads and schema-checks the
file (schemas/reconciler-config.schema.json) and passes its data here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CONFIG_FILE = "reconciler.yaml"
DEFAULT_TAG_KEY = "managed-by"
DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class OwnershipTag:
    """The tag that marks the accounts a repository owns: `tags[key] == value`."""

    key: str
    value: str


@dataclass(frozen=True)
class PrunePolicy:
    enabled: bool = False
    max_deletes: int = 5
    max_delete_percent: int = 30


@dataclass(frozen=True)
class Policy:
    """What manifests may grant and ask for. In a pull request it is read from the base branch, so the change
    under review cannot relax it."""

    require_token_destination: bool = True
    denied_roles: tuple[str, ...] = ("tenant-admin",)
    max_expiry_days: int | None = None
    expiry_warning_days: int = 30
    high_privilege_roles: tuple[str, ...] = ("*-admin",)  # shell patterns; an added grant of one is an escalation
    allowed_resources: tuple[str, ...] = ()  # shell patterns of resource FQNs grants may name; empty: any


@dataclass(frozen=True)
class RepoConfig:
    paths: tuple[str, ...] = (".",)
    ownership: OwnershipTag = field(default_factory=lambda: OwnershipTag(DEFAULT_TAG_KEY, "va-reconciler"))
    adopt: frozenset[str] = frozenset()
    prune: PrunePolicy = field(default_factory=PrunePolicy)
    policy: Policy = field(default_factory=Policy)
    concurrency: int = DEFAULT_CONCURRENCY


def default_owner_value(repository_id: str) -> str:
    """The ownership tag value when reconciler.yaml names none: `va-reconciler:<owner/repo or folder>`."""
    return f"va-reconciler:{repository_id}"


def policy_from_data(policy: Mapping[str, Any]) -> Policy:
    """The `policy:` section of schema-valid reconciler.yaml data, defaults filled."""
    defaults = Policy()
    return Policy(
        require_token_destination=policy.get("require_token_destination", defaults.require_token_destination),
        denied_roles=tuple(policy.get("denied_roles", defaults.denied_roles)),
        max_expiry_days=policy.get("max_expiry_days", defaults.max_expiry_days),
        expiry_warning_days=policy.get("expiry_warning_days", defaults.expiry_warning_days),
        high_privilege_roles=tuple(policy.get("high_privilege_roles", defaults.high_privilege_roles)),
        allowed_resources=tuple(policy.get("allowed_resources", defaults.allowed_resources)),
    )


def config_from_data(data: Mapping[str, Any] | None, repository_id: str) -> RepoConfig:
    """Build settings from schema-valid reconciler.yaml data (None: no file, all defaults)."""
    data = data or {}
    ownership = data.get("ownership", {})
    prune = data.get("prune", {})
    policy = data.get("policy", {})
    return RepoConfig(
        paths=tuple(data.get("paths", (".",))),
        ownership=OwnershipTag(
            ownership.get("tag_key", DEFAULT_TAG_KEY),
            ownership.get("tag_value", default_owner_value(repository_id)),
        ),
        adopt=frozenset(data.get("adopt", ())),
        prune=PrunePolicy(**prune),
        policy=policy_from_data(policy),
        concurrency=data.get("concurrency", DEFAULT_CONCURRENCY),
    )
