"""Pure: what reconciler.yaml's policy says of one desired resource: reasons to block it, and warnings.

- a manifest may not set the ownership tag to another repository's value;
- `policy.denied_roles`: roles no manifest may grant;
- `policy.max_expiry_days`: how far ahead an expiration date may be; `policy.expiry_warning_days`: how soon
  an expiry is worth a warning.
"""

from __future__ import annotations

from datetime import date

from reconciler.domain.config import RepoConfig
from reconciler.domain.ownership import tags_of
from reconciler.domain.resources import DesiredResource
from reconciler.domain.values import mapping


def policy_findings(resource: DesiredResource, config: RepoConfig, today: date) -> tuple[list[str], list[str]]:
    """(reasons to block, warnings)."""
    blocked = _foreign_claim(resource, config) + _denied_roles(resource, config)
    warnings: list[str] = []
    raw = resource.manifest.get("expiration_date")
    if isinstance(raw, str):
        days_left = (date.fromisoformat(raw) - today).days
        limit = config.policy.max_expiry_days
        if limit is not None and days_left > limit:
            blocked.append(f"expires on {raw}, {days_left} days ahead; policy.max_expiry_days allows {limit}")
        elif 0 <= days_left <= config.policy.expiry_warning_days:
            warnings.append(f"the token expires in {days_left} days ({raw})")
    return blocked, warnings


def _foreign_claim(resource: DesiredResource, config: RepoConfig) -> list[str]:
    key, value = config.ownership.key, config.ownership.value
    claimed = tags_of(resource.manifest).get(key, value)
    if claimed == value:
        return []
    return [f"the manifest sets the ownership tag {key}={claimed}; this repository's is {value}"]


def _denied_roles(resource: DesiredResource, config: RepoConfig) -> list[str]:
    permissions = resource.manifest.get("permissions")
    grants = [mapping(p) for p in permissions] if isinstance(permissions, list) else []
    return [
        f"grants role {grant.get('role_id')} on {grant.get('resource_fqn')}, which policy.denied_roles forbids"
        for grant in grants
        if grant.get("role_id") in config.policy.denied_roles
    ]
