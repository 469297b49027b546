"""Resource kinds: what the planner, drift and the executor need to know about each kind, so that they iterate
over kinds instead of branching on them. A kind declares its key (the name), what a user controls and how it
normalises, who owns a live resource, and the order of its writes. Adding a kind adds a `ResourceRules`
here; the planner does not change.

Normalisation makes desired and live compare equal exactly when applying would change nothing:
- server defaults are filled (`auto_rotate` 360/30, reference/control-plane-api.md §2);
- order that carries no meaning is removed (permissions, recipients, channels, mappings are sets);
- the legacy untyped `secret_store_config` is the typed `secret-store` one (§2.2);
- fields the server keeps when the manifest omits them are not compared (`permissions`: omitting it keeps
  access, §3; `token_type`: the platform default);
- the reconciler's own bookkeeping tags are not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from reconciler.domain.config import OwnershipTag
from reconciler.domain.grants import VIRTUAL_ACCOUNT_SUBJECT, Grant, accounts_named, grants_of, subjects_of
from reconciler.domain.ownership import (
    BOOKKEEPING_TAGS,
    Holder,
    Ownership,
    claims,
    ownership_of,
    with_ownership_tag,
)
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.scope import Scope, team_of
from reconciler.domain.values import JsonValue, Manifest, canonical_json
from reconciler.domain.vocabulary import Kind

DEFAULT_AUTO_ROTATE: dict[str, JsonValue] = {"auto_rotate_interval": 360, "grace_period": 30}


@dataclass(frozen=True)
class OwnershipContext:
    """What deciding ownership needs: this repository's tag, and the virtual accounts it owns once the plan is
    applied (live accounts carrying the tag, and accounts in Git that are not someone else's)."""

    tag: OwnershipTag
    owned_accounts: frozenset[str] = field(default_factory=frozenset)
    # live account -> the grants its deprecated `permissions` made (they persist when the field is omitted)
    legacy_grants: Mapping[str, frozenset[Grant]] = field(default_factory=dict)


def context_for(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], tag: OwnershipTag, adopt: frozenset[str]
) -> OwnershipContext:
    """The ownership context of a plan: which accounts are (or will be) this repository's."""
    held = {r.name: r for r in live if r.kind == Kind.VIRTUAL_ACCOUNT}
    owned = {name for name, resource in held.items() if ownership_of(resource.manifest, tag).ours}
    for resource in desired:
        if resource.kind != Kind.VIRTUAL_ACCOUNT:
            continue
        if resource.name not in held or resource.name in adopt or claims(resource.manifest, tag):
            owned.add(resource.name)
    legacy = {name: frozenset(grants_of(Kind.VIRTUAL_ACCOUNT, r.manifest)) for name, r in held.items()}
    return OwnershipContext(tag, frozenset(owned), {name: grants for name, grants in legacy.items() if grants})


class ResourceRules(Protocol):
    """The rules of one kind of resource."""

    @property
    def kind(self) -> Kind: ...

    @property
    def order(self) -> int:
        """Creates and updates run in ascending order, deletes in descending order."""
        ...

    @property
    def issues_tokens(self) -> bool:
        """A create returns a one-time token that must reach a destination."""
        ...

    @property
    def noun(self) -> str:
        """The plural people read in messages: "accounts", "role bindings"."""
        ...

    def normalize(self, manifest: Manifest) -> dict[str, JsonValue]: ...

    def declared(self, manifest: Manifest) -> dict[str, JsonValue]:
        """A live manifest as a person declares it: server defaults and the reconciler's bookkeeping left out,
        unset (null) fields dropped, in its own key order. `normalize` of the result equals `normalize` of the
        input: applying it changes nothing."""
        ...

    def comparable(self, desired: Manifest, live: Manifest) -> tuple[dict[str, JsonValue], dict[str, JsonValue]]:
        """Both sides normalised; fields the server keeps when desired omits them are dropped from live."""
        ...

    def ownership(self, live: LiveResource, context: OwnershipContext) -> Ownership: ...

    def claims(self, desired: Manifest, context: OwnershipContext) -> bool:
        """The manifest itself says this repository owns the resource (it may take over a live one)."""
        ...

    def as_sent(self, desired: Manifest, context: OwnershipContext) -> dict[str, JsonValue]:
        """The manifest as this repository sends it (ownership marks included)."""
        ...

    def blockers(self, desired: Manifest, context: OwnershipContext) -> list[str]:
        """Reasons this kind refuses to write a desired resource, beyond policy."""
        ...

    def adopts(self, desired: Manifest, context: OwnershipContext) -> str | None:
        """Why creating this resource only takes over what the control plane already does (the plan adopts it
        rather than creating it), or None for a real create."""
        ...


def as_set(items: Sequence[JsonValue]) -> list[JsonValue]:
    """A list whose order means nothing, in one canonical order, without repeats. A list of one item is
    already canonical: most manifests grant one permission, and serialising it to compare it with nothing was
    about 9% of a plan at 100,000 accounts (py-spy)."""
    if len(items) <= 1:
        return list(items)
    unique = {canonical_json(item): item for item in items}
    return [unique[key] for key in sorted(unique)]


def _set_fields(value: Manifest) -> dict[str, JsonValue]:
    """The mapping without its null (unset) fields, at every depth."""
    return {k: _without_nulls(v) for k, v in value.items() if v is not None}


def _without_nulls(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return _set_fields(value)
    if isinstance(value, list):
        return [_without_nulls(item) for item in value if item is not None]
    return value


def _without_bookkeeping(manifest: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """The manifest without the reconciler's bookkeeping tags (and without `tags` when nothing else is left)."""
    tags = manifest.get("tags")
    if isinstance(tags, dict):
        kept = {k: v for k, v in tags.items() if k not in BOOKKEEPING_TAGS}
        if kept:
            manifest["tags"] = kept
        else:
            del manifest["tags"]
    return manifest


class VirtualAccountRules:
    kind = Kind.VIRTUAL_ACCOUNT
    order = 0
    issues_tokens = True
    noun = "accounts"
    kept_when_omitted = ("permissions", "token_type")

    def normalize(self, manifest: Manifest) -> dict[str, JsonValue]:
        result: dict[str, JsonValue] = {k: v for k, v in manifest.items() if k != "type"}
        rotate = result.get("auto_rotate")
        if isinstance(rotate, dict):
            result["auto_rotate"] = {**DEFAULT_AUTO_ROTATE, **rotate}
        for key in ("permissions", "identity_provider_mapping"):
            value = result.get(key)
            if isinstance(value, list):
                result[key] = as_set(value)
        target = result.get("notification_target")
        if isinstance(target, dict):
            result["notification_target"] = {
                k: as_set(v) if k in ("to_emails", "channels") and isinstance(v, list) else v for k, v in target.items()
            }
        store = result.get("secret_store_config")
        if isinstance(store, dict) and "type" not in store:
            result["secret_store_config"] = {"type": "secret-store", **store}
        return _without_bookkeeping(result)

    def declared(self, manifest: Manifest) -> dict[str, JsonValue]:
        result = {**_set_fields(manifest), "type": self.kind.value}
        rotate = result.get("auto_rotate")
        if isinstance(rotate, dict):
            result["auto_rotate"] = {k: v for k, v in rotate.items() if DEFAULT_AUTO_ROTATE.get(k) != v}
        return _without_bookkeeping(result)

    def comparable(self, desired: Manifest, live: Manifest) -> tuple[dict[str, JsonValue], dict[str, JsonValue]]:
        wanted, have = self.normalize(desired), self.normalize(live)
        for key in self.kept_when_omitted:
            if key not in wanted:
                have.pop(key, None)
        return wanted, have

    def ownership(self, live: LiveResource, context: OwnershipContext) -> Ownership:
        return ownership_of(live.manifest, context.tag)

    def claims(self, desired: Manifest, context: OwnershipContext) -> bool:
        return claims(desired, context.tag)

    def as_sent(self, desired: Manifest, context: OwnershipContext) -> dict[str, JsonValue]:
        return with_ownership_tag(desired, context.tag)

    def blockers(self, desired: Manifest, context: OwnershipContext) -> list[str]:
        return []

    def adopts(self, desired: Manifest, context: OwnershipContext) -> str | None:
        return None  # a new account is always a create: it issues a token


class RoleBindingRules:
    """Role bindings carry no tags (reference/role-bindings.md §2), so ownership follows their subjects: this
    repository owns a binding when every subject is a virtual account it owns; a binding naming some of its
    accounts and other subjects too is shared (never written or deleted, shown as access Git does not
    declare); a binding naming none of its accounts is none of its business."""

    kind = Kind.ROLE_BINDING
    order = 1  # after the accounts it names on create and update; before them on delete
    issues_tokens = False
    noun = "role bindings"

    def normalize(self, manifest: Manifest) -> dict[str, JsonValue]:
        result: dict[str, JsonValue] = {k: v for k, v in manifest.items() if k != "type"}
        for key in ("subjects", "permissions"):
            value = result.get(key)
            if isinstance(value, list):
                result[key] = as_set(value)
        return result

    def declared(self, manifest: Manifest) -> dict[str, JsonValue]:
        return {**_set_fields(manifest), "type": self.kind.value}  # no server defaults, no tags

    def comparable(self, desired: Manifest, live: Manifest) -> tuple[dict[str, JsonValue], dict[str, JsonValue]]:
        return self.normalize(desired), self.normalize(live)

    def ownership(self, live: LiveResource, context: OwnershipContext) -> Ownership:
        subjects = subjects_of(live.manifest)
        mine = [s for s in subjects if s.type == VIRTUAL_ACCOUNT_SUBJECT and s.name in context.owned_accounts]
        if subjects and len(mine) == len(subjects):
            return Ownership(Holder.OURS)
        if not mine:
            return Ownership(Holder.NOBODY)
        others = ", ".join(str(s) for s in subjects if s not in mine)
        return Ownership(Holder.SHARED, others)

    def claims(self, desired: Manifest, context: OwnershipContext) -> bool:
        return False  # a binding has no tags to claim it with; `adopt:` takes one over

    def as_sent(self, desired: Manifest, context: OwnershipContext) -> dict[str, JsonValue]:
        return dict(desired)

    def blockers(self, desired: Manifest, context: OwnershipContext) -> list[str]:
        """A binding in Git may name only accounts this repository owns: otherwise it would not be ours once
        applied, and the next plan would call it a conflict."""
        return [
            f"grants access to virtual account {name}, which this repository does not own or define"
            for name in accounts_named(desired)
            if name not in context.owned_accounts
        ]

    def adopts(self, desired: Manifest, context: OwnershipContext) -> str | None:
        """A new binding whose every subject is a live virtual account already holding every grant of it through
        its deprecated `permissions` (as `reconciler migrate` and `reconciler import` write them) changes no
        access: it takes those grants over."""
        subjects = subjects_of(desired)
        grants = set(grants_of(Kind.ROLE_BINDING, desired))
        if not subjects or not grants or any(s.type != VIRTUAL_ACCOUNT_SUBJECT for s in subjects):
            return None
        if not all(grants <= context.legacy_grants.get(s.name, frozenset()) for s in subjects):
            return None
        names = sorted({s.name for s in subjects})
        holds = "holds" if len(names) == 1 else "hold"
        return (
            f"takes over grants {', '.join(names)} already {holds} through deprecated permissions: the binding is "
            "created, no access changes"
        )


VIRTUAL_ACCOUNTS = VirtualAccountRules()
ROLE_BINDINGS = RoleBindingRules()
KINDS: tuple[ResourceRules, ...] = (VIRTUAL_ACCOUNTS, ROLE_BINDINGS)


def rules_for(kind: Kind) -> ResourceRules:
    return next(rules for rules in KINDS if rules.kind == kind)


@dataclass(frozen=True)
class Scoped:
    """The resources a scope covers, and how many of each side it left out."""

    desired: tuple[DesiredResource, ...]
    live: tuple[LiveResource, ...]
    desired_out: int = 0
    live_out: int = 0


def in_scope(desired: Sequence[DesiredResource], live: Sequence[LiveResource], scope: Scope) -> Scoped:
    """The resources `scope` covers: an account judged by its manifest in Git when Git has one, else by the live
    one (so editing `ownedBy` in Git never makes a live account look gone from Git); a role binding when every
    account it names is in scope (`scope.py`)."""
    if scope.everything:
        return Scoped(tuple(desired), tuple(live))
    teams = {r.name: team_of(r.manifest) for r in live if r.kind == Kind.VIRTUAL_ACCOUNT}
    teams.update({d.name: team_of(d.manifest) for d in desired if d.kind == Kind.VIRTUAL_ACCOUNT})
    accounts = {name for name, team in teams.items() if scope.includes(name, team)}

    def covered(kind: Kind, name: str, manifest: Manifest) -> bool:
        if kind == Kind.VIRTUAL_ACCOUNT:
            return name in accounts
        return all(account in accounts for account in accounts_named(manifest))

    wanted = tuple(d for d in desired if covered(d.kind, d.name, d.manifest))
    held = tuple(r for r in live if covered(r.kind, r.name, r.manifest))
    return Scoped(wanted, held, len(desired) - len(wanted), len(live) - len(held))
