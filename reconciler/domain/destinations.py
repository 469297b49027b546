"""Pure: what exactly one account may hold, and who else holds it.

A destination is written or claimed by one account only:
- the secret its token syncs to: a secret-store integration and path, or a TrueFoundry secret group and key
  (reference/control-plane-api.md §2.2). Two accounts syncing to one secret overwrite each other's token at
  every rotation, and consumers log in as whichever wrote last;
- an identity-provider mapping: a provider FQN and a claim value (§9). One external identity mapped to two
  accounts resolves to either.

Secret paths compare without a leading "/": the documented pattern allows both spellings, and treating them as
one path can only block, never lose a token [I].
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.values import JsonPath, Manifest, Problem, format_json_path
from reconciler.domain.vocabulary import Action, Kind

if TYPE_CHECKING:  # changes only pass through: validate's checks use this module without importing the plan
    from reconciler.domain.plan import Change


class DestinationKind(StrEnum):
    SECRET_STORE = "secret-store"
    SECRET_GROUP = "tfy-secrets"
    IDENTITY = "identity-provider"


@dataclass(frozen=True, order=True)
class Destination:
    kind: DestinationKind
    target: str  # the secret-store integration, the secret group, or the identity provider (FQNs)
    key: str  # the secret path, the key in the group, or the claim value

    def __str__(self) -> str:
        if self.kind == DestinationKind.SECRET_STORE:
            return f"secret store {self.target} at {self.key}"
        if self.kind == DestinationKind.SECRET_GROUP:
            return f"TrueFoundry secret group {self.target}, key {self.key}"
        return f"identity provider {self.target}, claim value {self.key}"

    @property
    def is_secret(self) -> bool:
        return self.kind != DestinationKind.IDENTITY

    def clash(self, other: str) -> str:
        """Why `other` holding this destination too is a fault, in words."""
        if self.is_secret:
            return f"its token syncs to {self}, as {other}'s does: each rotation of one overwrites the other's token"
        return f"it is mapped from {self}, as {other} is: that external identity would resolve to either account"


DESTINATION_FIELDS = ("secret_store_config", "identity_provider_mapping")  # all `destinations_of` reads


def destinations_of(manifest: Manifest) -> tuple[tuple[Destination, JsonPath], ...]:
    """Every destination a virtual-account manifest holds, each with the path of the value that names it."""
    found: list[tuple[Destination, JsonPath]] = []
    store = manifest.get("secret_store_config")
    if isinstance(store, dict):
        if store.get("type") == "tfy-secrets":
            group, key = store.get("secret_group"), store.get("key")
            if isinstance(group, str) and isinstance(key, str):
                found.append((Destination(DestinationKind.SECRET_GROUP, group, key), ("secret_store_config", "key")))
        else:
            fqn, path = store.get("integration_fqn"), store.get("secret_path")
            if isinstance(fqn, str) and isinstance(path, str):
                where: JsonPath = ("secret_store_config", "secret_path")
                found.append((Destination(DestinationKind.SECRET_STORE, fqn, path.lstrip("/")), where))
    mappings = manifest.get("identity_provider_mapping")
    for index, item in enumerate(mappings if isinstance(mappings, list) else []):
        if isinstance(item, dict):
            provider, value = item.get("identity_provider"), item.get("value")
            if isinstance(provider, str) and isinstance(value, str):
                path_of: JsonPath = ("identity_provider_mapping", index, "value")
                found.append((Destination(DestinationKind.IDENTITY, provider, value), path_of))
    return tuple(found)


def repository_clashes(resources: Sequence[DesiredResource]) -> list[Problem]:
    """Destinations two accounts in Git both hold: an error at each later holder, naming the first."""
    first: dict[Destination, tuple[DesiredResource, JsonPath]] = {}
    problems = []
    for account in (r for r in resources if r.kind == Kind.VIRTUAL_ACCOUNT):
        for destination, path in destinations_of(account.manifest):
            holder, held_at = first.setdefault(destination, (account, path))
            if holder.name == account.name:
                continue  # the same account, or a name defined twice (reported as such)
            message = (
                f"{destination.clash(holder.name)} ({holder.position_of(held_at)}); give each account its own"
                f" {'secret' if destination.is_secret else 'mapping'}"
            )
            problems.append(Problem(account.position_of(path), message, format_json_path(path)))
    return problems


def shared_live(live: Iterable[LiveResource]) -> dict[Destination, tuple[str, ...]]:
    """Destinations two or more live accounts hold, each with their names, sorted."""
    holders = _holders((r.name, r.manifest) for r in live if r.kind == Kind.VIRTUAL_ACCOUNT)
    return {d: tuple(sorted(names)) for d, names in sorted(holders.items()) if len(names) > 1}


def guard_destinations(changes: Sequence[Change], live: Sequence[LiveResource]) -> tuple[Change, ...]:
    """Creates and updates that would take a destination another account holds after this plan, blocked; a
    destination handed over (its live holder is deleted or moved by this plan) named in a warning.

    Blocking one change can keep its live account on a destination another change meant to take over, so
    this repeats until nothing more is blocked."""
    guarded = tuple(changes)
    accounts = {r.name: r.manifest for r in live if r.kind == Kind.VIRTUAL_ACCOUNT}  # by name, once: not per change
    before = _holders(accounts.items())
    while True:
        after = _holders_after(guarded, live)
        checked = tuple(_guard(c, after, before, accounts) for c in guarded)
        if [c.action for c in checked] == [c.action for c in guarded]:
            return checked
        guarded = tuple(c if c.action == Action.BLOCKED else o for c, o in zip(checked, guarded, strict=True))


def _guard(
    change: Change,
    after: Mapping[Destination, set[str]],
    before: Mapping[Destination, set[str]],
    accounts: Mapping[str, Manifest],
) -> Change:
    if not _takes(change):
        return change
    own = {d for d, _ in destinations_of(accounts.get(change.name, {}))}
    blocked, warnings = [], []
    for destination, _ in destinations_of(change.desired or {}):
        others = sorted(after.get(destination, set()) - {change.name})
        leaving = sorted(before.get(destination, set()) - {change.name} - set(others))
        if others and destination not in own:
            blocked.append(
                f"{destination.clash(', '.join(others))}; another account still holds it after this plan: "
                "give this one its own, or remove it from the other first"
            )
        elif others:
            warnings.append(f"{destination.clash(', '.join(others))} (already so before this plan)")
        if leaving:
            warnings.append(_handover(destination, leaving))
    if blocked:
        reason = "; ".join((*blocked, *([change.reason] if change.reason else [])))
        return replace(change, action=Action.BLOCKED, reason=reason, warnings=(*change.warnings, *warnings))
    return replace(change, warnings=(*change.warnings, *warnings)) if warnings else change


def _handover(destination: Destination, leaving: Sequence[str]) -> str:
    names = ", ".join(leaving)
    if destination.is_secret:
        return (
            f"takes over {destination} from {names}, which this plan deletes or moves elsewhere; deleting an "
            "account may leave, or remove, the secret it synced [I]: run drift after apply"
        )
    return f"takes over {destination} from {names}, which this plan deletes or moves elsewhere"


def _takes(change: Change) -> bool:
    """A write that makes the account hold its desired destinations."""
    return (
        change.kind == Kind.VIRTUAL_ACCOUNT
        and change.action in (Action.CREATE, Action.UPDATE, Action.ADOPT)
        and bool(change.desired)
    )


def _holders_after(changes: Sequence[Change], live: Sequence[LiveResource]) -> dict[Destination, set[str]]:
    """Who holds each destination once the plan is applied: a written account its desired manifest, a deleted
    one nothing, every other live account (unchanged, blocked, in conflict) what it holds now."""
    planned = {c.name: c for c in changes if c.kind == Kind.VIRTUAL_ACCOUNT}
    manifests: list[tuple[str, Manifest]] = []
    for resource in (r for r in live if r.kind == Kind.VIRTUAL_ACCOUNT):
        change = planned.get(resource.name)
        if change is None or not _takes(change):
            if change is None or change.action != Action.DELETE:
                manifests.append((resource.name, resource.manifest))
            continue
        manifests.append((resource.name, change.desired or {}))
    manifests.extend((c.name, c.desired or {}) for c in planned.values() if c.action == Action.CREATE)
    return _holders(manifests)


def _holders(manifests: Iterable[tuple[str, Manifest]]) -> dict[Destination, set[str]]:
    holders: dict[Destination, set[str]] = defaultdict(set)
    for name, manifest in manifests:
        for destination, _ in destinations_of(manifest):
            holders[destination].add(name)
    return holders
