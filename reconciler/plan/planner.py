"""Pure: desired (Git) + live (control plane) + policy -> the changes of a plan.

Safety is decided here, before any write can be planned:
- ownership: only accounts carrying this repository's tag are updated or deleted; a live account with a
  manifest's name but without the tag is a `conflict` unless reconciler.yaml's `adopt` lists it or the
  manifest itself carries the tag;
- prune is off by default; when on, only owned accounts absent from Git are deleted, never when Git holds no
  account at all, and never more than the thresholds without --allow-mass-delete;
- a create whose one-time token has nowhere safe to go is `blocked`;
- policy: denied roles, the maximum expiry horizon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from reconciler.config import RepoConfig
from reconciler.model import DesiredAccount, LiveAccount
from reconciler.plan.diff import diff
from reconciler.plan.normalize import TOKEN_DELIVERY_TAG, comparable
from reconciler.plan.plan import Change

MIN_OWNED_FOR_PERCENT_GUARD = 10  # octoDNS: a share of a handful of accounts is too noisy to guard on


@dataclass(frozen=True)
class PlanOptions:
    today: date
    token_dir: bool = False
    allow_mass_delete: bool = False


def make_changes(
    desired: Sequence[DesiredAccount], live: Sequence[LiveAccount], config: RepoConfig, options: PlanOptions
) -> tuple[Change, ...]:
    live_by_name = {account.name: account for account in live}
    changes = [_plan_account(account, live_by_name.get(account.name), config, options) for account in desired]
    changes.extend(_plan_absent(desired, live, config, options))
    return tuple(sorted(changes, key=lambda c: c.name))


def owns(live: LiveAccount, config: RepoConfig) -> bool:
    return tags_of(live.manifest).get(config.ownership.key) == config.ownership.value


def tags_of(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    tags = manifest.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def token_destination(manifest: Mapping[str, Any], token_dir: bool) -> str | None:
    """Where a created account's one-time token goes, in words, or None when it has nowhere safe to go."""
    store = manifest.get("secret_store_config")
    if isinstance(store, Mapping) and store.get("type") == "tfy-secrets":
        group, key = store["secret_group"], store["key"]
        return f"TrueFoundry secret group {group}, key {key} (synced by the control plane)"
    if isinstance(store, Mapping):
        return f"secret store {store['integration_fqn']} at {store['secret_path']} (synced by the control plane)"
    if token_dir:
        return f"--token-dir, file {manifest['name']}.token (mode 0600)"
    return None


def with_ownership_tag(manifest: Mapping[str, Any], config: RepoConfig) -> dict[str, Any]:
    """The manifest as this repository sends it: its tags plus the ownership tag."""
    return {**manifest, "tags": {**tags_of(manifest), config.ownership.key: config.ownership.value}}


def _with_ownership(account: DesiredAccount, config: RepoConfig) -> tuple[dict[str, Any], list[str]]:
    key, value = config.ownership.key, config.ownership.value
    claimed = tags_of(account.manifest).get(key, value)
    blocked = []
    if claimed != value:
        blocked.append(f"the manifest sets the ownership tag {key}={claimed}; this repository's is {value}")
    return with_ownership_tag(account.manifest, config), blocked


def _policy(account: DesiredAccount, config: RepoConfig, options: PlanOptions) -> tuple[list[str], list[str]]:
    """(reasons to block, warnings) from reconciler.yaml's policy."""
    policy = config.policy
    blocked: list[str] = []
    warnings: list[str] = []
    blocked += [
        f"grants role {p['role_id']} on {p['resource_fqn']}, which policy.denied_roles forbids"
        for p in account.manifest.get("permissions", [])
        if p.get("role_id") in policy.denied_roles
    ]
    raw = account.manifest.get("expiration_date")
    if isinstance(raw, str):
        days_left = (date.fromisoformat(raw) - options.today).days
        if policy.max_expiry_days is not None and days_left > policy.max_expiry_days:
            limit = policy.max_expiry_days
            blocked.append(f"expires on {raw}, {days_left} days ahead; policy.max_expiry_days allows {limit}")
        elif 0 <= days_left <= policy.expiry_warning_days:
            warnings.append(f"the token expires in {days_left} days ({raw})")
    return blocked, warnings


def _plan_account(
    account: DesiredAccount, live: LiveAccount | None, config: RepoConfig, options: PlanOptions
) -> Change:
    manifest, blocked = _with_ownership(account, config)
    policy_blocks, warnings = _policy(account, config, options)
    blocked += policy_blocks
    base = Change(
        name=account.name,
        action="no-op",
        position=account.position,
        desired=manifest,
        account_id=live.id if live else None,
        live_fingerprint=live.fingerprint if live else None,
    )
    if live is None:
        return _plan_create(base, blocked, warnings, config, options)
    claimed = tags_of(account.manifest).get(config.ownership.key) == config.ownership.value
    adopting = not owns(live, config) and (account.name in config.adopt or claimed)
    if not owns(live, config) and not adopting:
        return replace(base, action="conflict", reason=_conflict_reason(account.name, live, config))
    pending = tags_of(live.manifest).get(TOKEN_DELIVERY_TAG) == "pending"
    if pending and not options.token_dir:
        blocked.append("its one-time token was never delivered: pass --token-dir to recover it")
    if blocked:
        return replace(base, action="blocked", reason="; ".join(blocked))
    wanted, have = comparable(manifest, live.manifest)
    diffs = tuple(diff(have, wanted))
    if adopting:
        warnings.append("adopts an account this repository did not create: the ownership tag is added")
    if any(d.path.startswith("auto_rotate") for d in diffs):
        warnings.append(
            "changes auto_rotate on an existing account: TrueFoundry's UI does not allow this edit; "
            "through the API the new schedule applies from the current token"
        )
    if pending:
        warnings.append("recovers the token a crashed run never delivered (GET .../token) into --token-dir")
    return replace(
        base,
        action="update" if diffs else "recover-token" if pending else "no-op",
        diffs=diffs,
        warnings=tuple(warnings),
        deliver_token=pending,
        token_destination=token_destination(manifest, True) if pending else None,
    )


def _plan_create(
    base: Change, blocked: list[str], warnings: list[str], config: RepoConfig, options: PlanOptions
) -> Change:
    assert base.desired is not None
    destination = token_destination(base.desired, options.token_dir)
    if destination is None and config.policy.require_token_destination:
        blocked.append(
            "the one-time token has nowhere safe to go: add secret_store_config to the manifest or pass --token-dir"
        )
    if blocked:
        return replace(base, action="blocked", reason="; ".join(blocked))
    return replace(base, action="create", warnings=tuple(warnings), token_destination=destination)


def _conflict_reason(name: str, live: LiveAccount, config: RepoConfig) -> str:
    holder = tags_of(live.manifest).get(config.ownership.key)
    if holder is None:
        return (
            f"an account named {name} already exists without the ownership tag {config.ownership.key}; "
            "list it under adopt: in reconciler.yaml to take it over"
        )
    return f"an account named {name} is owned by {config.ownership.key}={holder}"


def _plan_absent(
    desired: Sequence[DesiredAccount], live: Sequence[LiveAccount], config: RepoConfig, options: PlanOptions
) -> list[Change]:
    """Owned accounts that left Git: deleted only with prune on, under the guards."""
    wanted = {account.name for account in desired}
    owned = [account for account in live if owns(account, config)]
    absent = [account for account in owned if account.name not in wanted]
    if not config.prune.enabled:
        return [
            Change(
                name=a.name,
                action="no-op",
                account_id=a.id,
                live_fingerprint=a.fingerprint,
                reason="owned by this repository but no longer in Git; prune is off, so it stays",
            )
            for a in absent
        ]
    guard = _mass_delete_guard(len(absent), len(owned), len(desired), config, options)
    return [
        Change(
            name=a.name,
            action="blocked" if guard else "delete",
            account_id=a.id,
            live_fingerprint=a.fingerprint,
            reason=guard or "owned by this repository and no longer in Git",
        )
        for a in absent
    ]


def _mass_delete_guard(deletes: int, owned: int, desired: int, config: RepoConfig, options: PlanOptions) -> str | None:
    if not deletes or options.allow_mass_delete:
        return None
    if desired == 0:
        return "Git holds no account at all: refusing to prune every owned account (pass --allow-mass-delete)"
    limits = config.prune
    if deletes > limits.max_deletes:
        return (
            f"would delete {deletes} accounts, more than prune.max_deletes={limits.max_deletes} "
            "(pass --allow-mass-delete)"
        )
    if owned >= MIN_OWNED_FOR_PERCENT_GUARD and deletes * 100 > limits.max_delete_percent * owned:
        return (
            f"would delete {deletes} of {owned} owned accounts, more than prune.max_delete_percent="
            f"{limits.max_delete_percent}% (pass --allow-mass-delete)"
        )
    return None
