"""Repository configuration (reconciler.yaml) as frozen settings. Pure: the caller loads and schema-checks the
file (schemas/reconciler-config.schema.json) and passes its data here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from reconciler.domain.scope import Scope, scope_from_data

CONFIG_FILE = "reconciler.yaml"
DEFAULT_TAG_KEY = "managed-by"
DEFAULT_CONCURRENCY = 8


# Hosts whose repository paths are case-insensitive: `Acme/Accounts` and `acme/accounts` are one repository.
# Elsewhere the path keeps its case: two spellings of one repository then read as two owners (conflicts, never
# deletes), where folding two repositories into one could delete the other's accounts.
CASE_INSENSITIVE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org"})
NO_REMOTE = (
    "this repository has no remote, so it has no unique ownership identity: set ownership.tag_value in "
    "reconciler.yaml (e.g. va-reconciler:<host>/<group>/<repository>) before it may prune or adopt accounts"
)
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.*)$")  # git@github.com:acme/accounts.git


@dataclass(frozen=True)
class RepositoryIdentity:
    """Who a repository is, for its default ownership tag.

    `canonical`: its normalized remote, `host/path` (`github.com/acme/accounts`) or `file:///path`, "" without
    a remote; `former`: the identities earlier releases derived (the origin URL's last two segments, else the
    folder name), to recognise accounts tagged before the rule changed; `folder`: the folder's name."""

    canonical: str
    former: tuple[str, ...] = ()
    folder: str = ""


@dataclass(frozen=True)
class OwnershipTag:
    """The tag that marks the accounts a repository owns: `tags[key] == value`. `provisional` says why the
    value is not a unique identity (no remote and no tag_value): such a repository may not prune or adopt.
    `former` lists the values this repository's default had under earlier rules."""

    key: str
    value: str
    provisional: str = field(default="", compare=False)
    former: tuple[str, ...] = field(default=(), compare=False)


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
    apply_branch: str | None = None  # the branch apply converges from; None: the repository's default branch
    scope: Scope = field(default_factory=Scope)  # what plan, drift and prune consider (scope.py)


def default_owner_value(repository_id: str) -> str:
    """The ownership tag value when reconciler.yaml names none: `va-reconciler:<identity>`."""
    return f"va-reconciler:{repository_id}"


def canonical_remote(url: str, case_insensitive_hosts: frozenset[str] = CASE_INSENSITIVE_HOSTS) -> str:
    """A remote URL as one spelling per repository: `host/path`, host lower-cased, path lower-cased on
    case-insensitive hosts, without credentials, port, scheme, `.git` or surrounding slashes, so ssh and https
    spellings meet (`git@GitHub.com:Acme/Accounts.git` and `https://token@github.com/acme/accounts` both give
    `github.com/acme/accounts`). A local path (absolute, as the caller resolved it) gives `file://<path>`."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme and parts.scheme != "file" and parts.hostname:
        host, path = parts.hostname, parts.path
    elif (scp := _SCP_LIKE.match(url)) is not None and not parts.scheme:
        host, path = scp.group(1).lower(), scp.group(2)
    else:
        return "file://" + "/" + (parts.path if parts.scheme == "file" else url).strip("/")
    path = "/".join(segment for segment in path.split("/") if segment).removesuffix(".git")
    host = host.lower()
    return f"{host}/{path.lower() if host in case_insensitive_hosts else path}"


def is_local_remote(url: str) -> bool:
    """Whether a remote URL is a path on this machine (`/srv/x.git`, `../x`, `file:///srv/x.git`)."""
    parts = urlsplit(url.strip())
    if parts.scheme:
        return parts.scheme == "file"
    return _SCP_LIKE.match(url.strip()) is None


def ownership_from(key: str, value: str | None, identity: RepositoryIdentity) -> OwnershipTag:
    """The ownership tag: reconciler.yaml's value, else the default from the repository's identity (provisional
    when it has no remote: the folder name is not unique)."""
    former = tuple(default_owner_value(f) for f in identity.former if f and f != identity.canonical)
    if value is not None:
        return OwnershipTag(key, value)
    if identity.canonical:
        return OwnershipTag(key, default_owner_value(identity.canonical), former=former)
    return OwnershipTag(key, default_owner_value(identity.folder), NO_REMOTE, former)


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


def config_from_data(data: Mapping[str, Any] | None, identity: RepositoryIdentity | str) -> RepoConfig:
    """Build settings from schema-valid reconciler.yaml data (None: no file, all defaults). A bare string is
    a canonical identity."""
    data = data or {}
    if isinstance(identity, str):
        identity = RepositoryIdentity(identity)
    ownership = data.get("ownership", {})
    prune = data.get("prune", {})
    policy = data.get("policy", {})
    return RepoConfig(
        paths=tuple(data.get("paths", (".",))),
        ownership=ownership_from(ownership.get("tag_key", DEFAULT_TAG_KEY), ownership.get("tag_value"), identity),
        adopt=frozenset(data.get("adopt", ())),
        prune=PrunePolicy(**prune),
        policy=policy_from_data(policy),
        concurrency=data.get("concurrency", DEFAULT_CONCURRENCY),
        apply_branch=data.get("apply", {}).get("branch"),
        scope=scope_from_data(data.get("scope", {})),
    )
