"""Pure: what reconciler.yaml's policy says of one desired resource. The same violations block a plan and, as
positioned problems, fail `validate` (so pre-commit and fork pull requests catch them too).

- a manifest may not set the ownership tag to another repository's value;
- `policy.denied_roles`: roles no manifest may grant, through `permissions` or a role binding alike;
- `policy.allowed_resources`: when set, the only resources (shell patterns of FQNs) grants may name;
- `policy.max_expiry_days`: how far ahead an expiration date may be; `policy.expiry_warning_days`: how soon
  an expiry is worth a warning;
- `policy.high_privilege_roles`: roles whose grant is an escalation, marked in every view (never blocking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase

from reconciler.domain.config import OwnershipTag, Policy, RepoConfig
from reconciler.domain.grants import grants_of
from reconciler.domain.ownership import tags_of
from reconciler.domain.resources import DesiredResource
from reconciler.domain.values import JsonPath
from reconciler.domain.vocabulary import Kind


@dataclass(frozen=True)
class Violation:
    """A policy rule a manifest breaks, and where (a JSON path into the manifest)."""

    path: JsonPath
    message: str


def violations(resource: DesiredResource, policy: Policy, tag: OwnershipTag, today: date) -> list[Violation]:
    return [
        *_foreign_claim(resource, tag),
        *_grant_violations(resource, policy),
        *_expiry_violations(resource, policy, today),
    ]


def policy_findings(resource: DesiredResource, config: RepoConfig, today: date) -> tuple[list[str], list[str]]:
    """(reasons to block, warnings)."""
    blocked = [v.message for v in violations(resource, config.policy, config.ownership, today)]
    return blocked, _expiry_warnings(resource, config.policy, today)


def is_high_privilege(role: str, policy: Policy) -> bool:
    return any(fnmatchcase(role, pattern) for pattern in policy.high_privilege_roles)


def _foreign_claim(resource: DesiredResource, tag: OwnershipTag) -> list[Violation]:
    if resource.kind != Kind.VIRTUAL_ACCOUNT:
        return []
    claimed = tags_of(resource.manifest).get(tag.key, tag.value)
    if claimed == tag.value:
        return []
    message = f"the manifest sets the ownership tag {tag.key}={claimed}; this repository's is {tag.value}"
    return [Violation(("tags", tag.key), message)]


def _grant_violations(resource: DesiredResource, policy: Policy) -> list[Violation]:
    role_key, fqn_key = ("role", "resourceFqn") if resource.kind == Kind.ROLE_BINDING else ("role_id", "resource_fqn")
    found: list[Violation] = []
    for index, grant in enumerate(grants_of(resource.kind, resource.manifest)):
        if grant.role in policy.denied_roles:
            message = f"grants role {grant.role} on {grant.resource_fqn}, which policy.denied_roles forbids"
            found.append(Violation(("permissions", index, role_key), message))
        allowed = policy.allowed_resources
        if allowed and not any(fnmatchcase(grant.resource_fqn, pattern) for pattern in allowed):
            message = f"grants access to {grant.resource_fqn}, which policy.allowed_resources does not list"
            found.append(Violation(("permissions", index, fqn_key), message))
    return found


def _days_left(resource: DesiredResource, today: date) -> tuple[str, int] | None:
    raw = resource.manifest.get("expiration_date")
    if not isinstance(raw, str):
        return None
    try:
        return raw, (date.fromisoformat(raw) - today).days
    except ValueError:
        return None  # the schema reports the format


def _expiry_violations(resource: DesiredResource, policy: Policy, today: date) -> list[Violation]:
    found = _days_left(resource, today)
    limit = policy.max_expiry_days
    if found is None or limit is None or found[1] <= limit:
        return []
    raw, days = found
    return [
        Violation(("expiration_date",), f"expires on {raw}, {days} days ahead; policy.max_expiry_days allows {limit}")
    ]


def _expiry_warnings(resource: DesiredResource, policy: Policy, today: date) -> list[str]:
    found = _days_left(resource, today)
    if found is None or not 0 <= found[1] <= policy.expiry_warning_days:
        return []
    limit = policy.max_expiry_days
    if limit is not None and found[1] > limit:
        return []
    return [f"the token expires in {found[1]} days ({found[0]})"]
