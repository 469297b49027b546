"""What a manifest grants: roles on resources, from a virtual account's deprecated `permissions`
(`{resource_type, resource_fqn, role_id}`) or from a role binding's `permissions` (`{resourceType, resourceFqn,
role}`) given to every one of its subjects (reference/role-bindings.md §2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, TypedDict

from reconciler.domain.values import JsonValue, Manifest, mapping
from reconciler.domain.vocabulary import Kind

VIRTUAL_ACCOUNT_SUBJECT = "virtualaccount"
LEGACY = "permissions"  # where a grant made through a virtual account's own `permissions` comes from


@dataclass(frozen=True, order=True)
class Grant:
    """A role on a resource."""

    role: str
    resource_type: str
    resource_fqn: str

    def __str__(self) -> str:
        return f"{self.role} on {self.resource_fqn}"


@dataclass(frozen=True, order=True)
class Subject:
    type: str
    name: str

    def __str__(self) -> str:
        return f"{self.type}:{self.name}"


class SourcedData(TypedDict):
    """A role on a resource, and where the grant comes from."""

    role: str
    resource_type: str
    resource_fqn: str
    via: Annotated[str, "`permissions` (the account's own) or `role-binding <name>`."]
    high_privilege: bool


class AccessChangeData(TypedDict):
    """One account's effective access before and after the plan, and live grants Git does not declare."""

    account: str
    new: Annotated[bool, "The plan creates this account."]
    gone: Annotated[bool, "The plan deletes this account."]
    before: list[SourcedData]
    after: list[SourcedData]
    added: list[SourcedData]
    removed: list[SourcedData]
    undeclared: list[SourcedData]


@dataclass(frozen=True, order=True)
class Sourced:
    """A grant, where it comes from (`permissions` or `role-binding <name>`), and whether it is high privilege."""

    grant: Grant
    via: str
    high_privilege: bool = False

    def __str__(self) -> str:
        return f"{self.grant} ({self.via})"

    def to_data(self) -> SourcedData:
        return {
            "role": self.grant.role,
            "resource_type": self.grant.resource_type,
            "resource_fqn": self.grant.resource_fqn,
            "via": self.via,
            "high_privilege": self.high_privilege,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, JsonValue]) -> Sourced:
        grant = Grant(str(data["role"]), str(data["resource_type"]), str(data["resource_fqn"]))
        return cls(grant, str(data["via"]), data.get("high_privilege") is True)


@dataclass(frozen=True)
class AccessChange:
    """One account's access before and after the plan, and the live grants Git does not declare."""

    account: str
    before: tuple[Sourced, ...]
    after: tuple[Sourced, ...]
    new: bool = False  # the plan creates this account
    gone: bool = False  # the plan deletes this account
    undeclared: tuple[Sourced, ...] = ()

    @property
    def added(self) -> tuple[Sourced, ...]:
        had = {s.grant for s in self.before}
        return tuple(s for s in self.after if s.grant not in had)

    @property
    def removed(self) -> tuple[Sourced, ...]:
        keeps = {s.grant for s in self.after}
        return tuple(s for s in self.before if s.grant not in keeps)

    @property
    def changes_access(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def escalates(self) -> bool:
        return any(s.high_privilege for s in self.added)

    def to_data(self) -> AccessChangeData:
        return {
            "account": self.account,
            "new": self.new,
            "gone": self.gone,
            "before": [s.to_data() for s in self.before],
            "after": [s.to_data() for s in self.after],
            "added": [s.to_data() for s in self.added],
            "removed": [s.to_data() for s in self.removed],
            "undeclared": [s.to_data() for s in self.undeclared],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, JsonValue]) -> AccessChange:
        def grants(key: str) -> tuple[Sourced, ...]:
            value = data.get(key)
            return (
                tuple(Sourced.from_data(item) for item in value if isinstance(item, dict))
                if isinstance(value, list)
                else ()
            )

        return cls(
            str(data["account"]),
            grants("before"),
            grants("after"),
            data.get("new") is True,
            data.get("gone") is True,
            grants("undeclared"),
        )


def _items(manifest: Manifest, key: str) -> list[dict[str, JsonValue]]:
    value = manifest.get(key)
    return [dict(mapping(item)) for item in value] if isinstance(value, list) else []


def grants_of(kind: Kind, manifest: Manifest) -> list[Grant]:
    """Every grant a manifest makes, in its own order (duplicates kept: callers decide)."""
    if kind == Kind.ROLE_BINDING:
        keys = ("role", "resourceType", "resourceFqn")
    else:
        keys = ("role_id", "resource_type", "resource_fqn")
    return [Grant(*(str(item.get(key, "")) for key in keys)) for item in _items(manifest, "permissions")]


def subjects_of(manifest: Manifest) -> list[Subject]:
    """A role binding's subjects."""
    return [Subject(str(item.get("type", "")), str(item.get("name", ""))) for item in _items(manifest, "subjects")]


def accounts_named(manifest: Manifest) -> list[str]:
    """The virtual accounts a role binding grants access to."""
    return [s.name for s in subjects_of(manifest) if s.type == VIRTUAL_ACCOUNT_SUBJECT]


def via_binding(name: str) -> str:
    return f"role-binding {name}"
