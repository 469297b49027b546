"""The emulated tenant: what manifests may refer to (teams, roles, resources and integrations), read from a
YAML description (the built-in demo tenant matches manifests-example/). Only this emulator module reads YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Role:
    id: str
    resource_type: str
    tenant_admin: bool = False


@dataclass(frozen=True)
class Tenant:
    name: str
    account_id: str
    teams: frozenset[str]
    roles: Mapping[str, Role]
    resources: Mapping[str, str]  # fqn -> resource type
    secret_stores: frozenset[str]
    secret_groups: frozenset[str]
    notification_channels: frozenset[str]
    identity_providers: frozenset[str]
    users: frozenset[str] = frozenset()  # e-mails; when listed, role bindings may name only these users
    agents: frozenset[str] = frozenset()  # agents and external identities role bindings may name

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Tenant:
        return cls(
            name=str(data["tenant_name"]),
            account_id=str(data.get("account_id", data["tenant_name"])),
            teams=frozenset(data.get("teams", ())),
            roles={
                r["id"]: Role(r["id"], r.get("resource_type", ""), bool(r.get("tenant_admin", False)))
                for r in data.get("roles", ())
            },
            resources={r["fqn"]: r["type"] for r in data.get("resources", ())},
            secret_stores=frozenset(data.get("secret_stores", ())),
            secret_groups=frozenset(data.get("secret_groups", ())),
            notification_channels=frozenset(data.get("notification_channels", ())),
            identity_providers=frozenset(data.get("identity_providers", ())),
            users=frozenset(data.get("users", ())),
            agents=frozenset(data.get("agents", ())),
        )

    def grants_tenant_admin(self, role_ids: set[str]) -> bool:
        return any(self.roles.get(role, Role("", "")).tenant_admin for role in role_ids)


class TenantError(ValueError):
    """The tenant file cannot be read or does not describe a tenant; the message names the file and, for YAML
    errors, the line and column."""


def load_tenant(path: Path | None) -> Tenant:
    """The tenant description in `path`, or the built-in demo tenant that matches manifests-example/."""
    if path is None:
        text = resources.files("reconciler.emulator").joinpath("demo-tenant.yaml").read_text("utf-8")
        return Tenant.from_data(yaml.safe_load(text))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise TenantError(f"{path}{where}: not valid YAML: {exc.problem or exc}") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TenantError(f"{path}: cannot read the tenant description: {exc}") from exc
    if not isinstance(data, dict) or "tenant_name" not in data:
        raise TenantError(f"{path}: a tenant description is a mapping with at least tenant_name")
    try:
        return Tenant.from_data(data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise TenantError(
            f"{path}: not a tenant description (roles need id, resources need fqn and type; lists of names "
            f"elsewhere, as in the demo tenant): {type(exc).__name__} {exc}"
        ) from exc
