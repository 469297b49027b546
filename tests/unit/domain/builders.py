"""Small builders for domain values, so each test states only what matters to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from reconciler.domain.config import OwnershipTag, Policy, PrunePolicy, RepoConfig
from reconciler.domain.planner import PlanOptions
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.values import Position
from reconciler.domain.vocabulary import Kind

VA = Kind.VIRTUAL_ACCOUNT
TAG = OwnershipTag("managed-by", "va-reconciler:acme/accounts")
TODAY = date(2026, 11, 22)
STORE = {"type": "secret-store", "integration_fqn": "acme:aws:secrets-manager", "secret_path": "ci/bot"}


def manifest(name: str, **fields: Any) -> dict[str, Any]:
    """A virtual-account manifest whose token goes to a secret store (so a create is never blocked);
    `secret_store_config=None` leaves the store out."""
    body = {"type": "virtual-account", "name": name, "secret_store_config": dict(STORE), **fields}
    return {key: value for key, value in body.items() if value is not None}


def desired(name: str, line: int = 1, **fields: Any) -> DesiredResource:
    return DesiredResource(VA, name, manifest(name, **fields), Position(f"accounts/{name}.yaml", line, 1))


def live(
    name: str, owner: str | None = TAG.value, updated: str = "2026-11-01T00:00:00.000Z", **fields: Any
) -> LiveResource:
    """A live account; `owner` is the value of its ownership tag (None: no tag at all)."""
    body = manifest(name, **fields)
    tags = dict(body.get("tags", {}))
    if owner is not None:
        tags[TAG.key] = owner
    if tags:
        body["tags"] = tags
    return LiveResource(VA, f"id-{name}", name, body, updated)


def config(prune: bool = False, max_deletes: int = 5, max_delete_percent: int = 30, **policy: Any) -> RepoConfig:
    adopt = policy.pop("adopt", ())
    return RepoConfig(
        ownership=TAG,
        adopt=frozenset(adopt),
        prune=PrunePolicy(prune, max_deletes, max_delete_percent),
        policy=Policy(**policy),
    )


def options(token_dir: bool = False, allow_mass_delete: bool = False, today: date = TODAY) -> PlanOptions:
    return PlanOptions(today, token_dir, allow_mass_delete)


RB = Kind.ROLE_BINDING


def binding_manifest(
    name: str, accounts: list[str], grants: list[tuple[str, str, str]], **extra: Any
) -> dict[str, Any]:
    """A role binding naming `accounts` (virtual accounts) and granting (role, resource type, resource FQN)s;
    `extra_subjects` adds other subjects as (type, name)."""
    subjects = [{"type": "virtualaccount", "name": a} for a in accounts]
    subjects += [{"type": t, "name": n} for t, n in extra.pop("extra_subjects", [])]
    permissions = [{"resourceType": t, "resourceFqn": f, "role": r} for r, t, f in grants]
    return {"type": "role-binding", "name": name, "subjects": subjects, "permissions": permissions, **extra}


def desired_binding(
    name: str, accounts: list[str], grants: list[tuple[str, str, str]], **extra: Any
) -> DesiredResource:
    return DesiredResource(
        RB, name, binding_manifest(name, accounts, grants, **extra), Position(f"rb/{name}.yaml", 1, 1)
    )


def live_binding(
    name: str, accounts: list[str], grants: list[tuple[str, str, str]], updated: str = "t1", **extra: Any
) -> LiveResource:
    return LiveResource(RB, f"rb-{name}", name, binding_manifest(name, accounts, grants, **extra), updated)


VIEWER = ("workspace-viewer", "workspace", "c:w")
ADMIN = ("workspace-admin", "workspace", "c:w")
