"""Pure: desired (Git) + live (control plane) + policy -> the changes of a plan, kind by kind.

Safety is decided here, before any write can be planned:
- ownership: only resources this repository owns are updated or deleted; a live resource with a manifest's
  name that is not ours is a `conflict` unless reconciler.yaml's `adopt` lists it or the manifest itself
  claims it (for accounts: carries the ownership tag). Taking one over is an `adopt` when the ownership tag
  is all that changes (an `update` otherwise), and so is creating a role binding for grants its accounts
  already hold through deprecated `permissions` (`ResourceRules.adopts`): neither changes what anything does;
- prune is off by default; when on, only owned resources absent from Git are deleted, under the plan's
  mass-delete guard (`plan.guard_mass_delete`);
- a created account whose one-time token has nowhere safe to go is `blocked`, and so is a create or update
  taking a secret or identity mapping another account holds after the plan (`destinations.py`);
- policy: denied roles, the maximum expiry horizon (`policy.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from reconciler.domain.access import access_changes
from reconciler.domain.checks import past_expiry
from reconciler.domain.config import RepoConfig
from reconciler.domain.destinations import guard_destinations
from reconciler.domain.diff import FieldDiff, diff
from reconciler.domain.grants import AccessChange
from reconciler.domain.kinds import KINDS, OwnershipContext, ResourceRules, context_for, in_scope
from reconciler.domain.ownership import Holder, Ownership, synced_by_control_plane, token_destination, token_pending
from reconciler.domain.plan import Change, guard_mass_delete
from reconciler.domain.policy import policy_findings
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.token_life import extension_warning
from reconciler.domain.vocabulary import Action, DiffKind, Kind


@dataclass(frozen=True)
class PlanOptions:
    today: date
    token_dir: bool = False  # created tokens without a secret store go to a token directory
    allow_mass_delete: bool = False
    unwritable_token_dir: str = ""  # why the token directory failed its probe: what needs it is blocked
    unread: tuple[str, ...] = ()  # files or documents that could not be read: no delete may act on the rest
    token_files: frozenset[str] = frozenset()  # account names --token-dir already holds a token file for


def make_changes(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], config: RepoConfig, options: PlanOptions
) -> tuple[Change, ...]:
    """One change per resource in Git and per owned resource that left Git (and, for role bindings, per
    shared binding naming an owned account), ordered by kind, then name; only resources in the configured
    scope are considered (`kinds.in_scope`), but every live account still holds its destinations."""
    scoped = in_scope(desired, live, config.scope)
    context = context_for(scoped.desired, scoped.live, config.ownership, config.adopt)
    changes: list[Change] = []
    accounts_in_git = sum(d.kind == Kind.VIRTUAL_ACCOUNT for d in scoped.desired)  # none: nothing is pruned
    for rules in sorted(KINDS, key=lambda r: r.order):
        wanted = [d for d in scoped.desired if d.kind == rules.kind]
        held = [r for r in scoped.live if r.kind == rules.kind]
        changes.extend(_plan_kind(rules, wanted, held, config, options, context, accounts_in_git))
    return guard_destinations(changes, live)


def access_of(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], changes: Sequence[Change], config: RepoConfig
) -> tuple[AccessChange, ...]:
    """Effective access before and after the plan, for every account it touches (`access.py`): computed from
    every grant, in scope or not, while undeclared grants are reported for owned accounts in scope only."""
    scoped = in_scope(desired, live, config.scope)
    context = context_for(scoped.desired, scoped.live, config.ownership, config.adopt)
    return access_changes(desired, live, changes, context.owned_accounts, config.policy)


def _plan_kind(
    rules: ResourceRules,
    desired: Sequence[DesiredResource],
    live: Sequence[LiveResource],
    config: RepoConfig,
    options: PlanOptions,
    context: OwnershipContext,
    accounts_in_git: int,
) -> tuple[Change, ...]:
    live_by_name = {resource.name: resource for resource in live}
    changes = [_plan_resource(rules, d, live_by_name.get(d.name), config, options, context) for d in desired]
    owned = [r for r in live if rules.ownership(r, context).ours]
    changes.extend(_plan_absent(rules, desired, owned, config))
    changes.extend(_plan_shared(rules, desired, live, context))
    guarded = guard_mass_delete(
        changes, len(owned), accounts_in_git, config.prune, options.allow_mass_delete, rules.noun
    )
    held = hold_deletes(guarded, (config.ownership.provisional, *_unread(options.unread)))
    return tuple(sorted(held, key=lambda c: c.name))


def _plan_resource(
    rules: ResourceRules,
    resource: DesiredResource,
    live: LiveResource | None,
    config: RepoConfig,
    options: PlanOptions,
    context: OwnershipContext,
) -> Change:
    manifest = rules.as_sent(resource.manifest, context)
    blocked, warnings = policy_findings(resource, config, options.today)
    blocked += rules.blockers(resource.manifest, context)
    base = Change(
        kind=rules.kind,
        name=resource.name,
        action=Action.NO_OP,
        position=resource.position,
        desired=manifest,
        resource_id=live.id if live else None,
        live_fingerprint=live.fingerprint if live else None,
    )
    expired = past_expiry(resource.manifest, options.today) if rules.issues_tokens else None
    if expired is not None and (live is None or live.manifest.get("expiration_date") != expired):
        blocked.append(f"sets expiration_date {expired}, which is in the past (today is {options.today} UTC)")
    elif expired is not None:
        warnings.append(f"expired on {expired} (today is {options.today} UTC): move expiration_date forward")
    if live is None:
        return _plan_create(rules, base, blocked, warnings, config, options, context)
    ownership = rules.ownership(live, context)
    asked = resource.name in config.adopt or rules.claims(resource.manifest, context)
    adopting = not ownership.ours and asked and not config.ownership.provisional
    if not ownership.ours and not adopting:
        reason = _conflict_reason(rules, resource.name, ownership, config, asked)
        return replace(base, action=Action.CONFLICT, reason=reason)
    pending = rules.issues_tokens and token_pending(live.manifest)
    if pending and not options.token_dir:
        blocked.append("its one-time token was never delivered: pass --token-dir to recover it")
    elif pending and options.unwritable_token_dir:
        blocked.append(options.unwritable_token_dir)
    if blocked:
        return replace(base, action=Action.BLOCKED, reason="; ".join(blocked), warnings=tuple(warnings))
    wanted, have = rules.comparable(manifest, live.manifest)
    diffs = tuple(diff(have, wanted))
    if adopting:
        warnings.append(_adoption_warning(rules))
    warnings.extend(_update_warnings(diffs))
    extended = extension_warning(manifest, live) if rules.issues_tokens else None
    warnings.extend([extended] if extended else [])
    if pending:
        warnings.append("recovers the token a crashed run never delivered (GET .../token) into --token-dir")
    return replace(
        base,
        action=_update_action(diffs, adopting, pending, config),
        diffs=diffs,
        warnings=tuple(warnings),
        deliver_token=pending,
        token_destination=token_destination(manifest, True) if pending else None,
    )


def _update_action(diffs: Sequence[FieldDiff], adopting: bool, pending: bool, config: RepoConfig) -> Action:
    if diffs and adopting and not pending and _only_ownership(diffs, config):
        return Action.ADOPT
    if diffs:
        return Action.UPDATE
    return Action.RECOVER_TOKEN if pending else Action.NO_OP


def _update_warnings(diffs: Sequence[FieldDiff]) -> list[str]:
    if any(d.path.startswith("auto_rotate") for d in diffs):
        return [
            "changes auto_rotate on an existing account: TrueFoundry's UI does not allow this edit; "
            "through the API the new schedule applies from the current token"
        ]
    return []


def _plan_create(
    rules: ResourceRules,
    base: Change,
    blocked: list[str],
    warnings: list[str],
    config: RepoConfig,
    options: PlanOptions,
    context: OwnershipContext,
) -> Change:
    destination = None
    if rules.issues_tokens and base.desired is not None:
        destination = token_destination(base.desired, options.token_dir)
        if destination is None and config.policy.require_token_destination:
            blocked.append(
                "the one-time token has nowhere safe to go: add secret_store_config to the manifest or pass --token-dir"
            )
        elif options.unwritable_token_dir and not synced_by_control_plane(base.desired):
            blocked.append(options.unwritable_token_dir)
        elif options.token_dir and not synced_by_control_plane(base.desired) and base.name in options.token_files:
            blocked.append(
                f"--token-dir already holds {base.name}.token, left by an earlier account of this name: a new "
                "account's token must not replace it unseen; move that file away (or delete it, if its account is "
                "gone), then re-plan"
            )
    if blocked:
        return replace(base, action=Action.BLOCKED, reason="; ".join(blocked), warnings=tuple(warnings))
    takes_over = rules.adopts(base.desired or {}, context)
    if takes_over is not None:
        return replace(base, action=Action.ADOPT, warnings=(*warnings, takes_over))
    return replace(base, action=Action.CREATE, warnings=tuple(warnings), token_destination=destination)


def _only_ownership(diffs: Sequence[FieldDiff], config: RepoConfig) -> bool:
    """Every difference is the ownership tag being added (to existing tags, or as the first tag): adopting the
    resource changes nothing else about it."""
    tag = config.ownership
    return all(
        d.path == f"tags.{tag.key}" or (d.path == "tags" and d.kind == DiffKind.ADD and d.after == {tag.key: tag.value})
        for d in diffs
    )


def _adoption_warning(rules: ResourceRules) -> str:
    if rules.kind == Kind.VIRTUAL_ACCOUNT:
        return "adopts an account this repository did not create: the ownership tag is added"
    return "adopts a role binding this repository did not create (adopt: in reconciler.yaml)"


def _conflict_reason(
    rules: ResourceRules, name: str, ownership: Ownership, config: RepoConfig, asked: bool = False
) -> str:
    key = config.ownership.key
    if asked and config.ownership.provisional:
        return f"{name} is not ours to adopt: {config.ownership.provisional}"
    if rules.kind == Kind.ROLE_BINDING:
        subjects = f" (it names {ownership.other})" if ownership.other else ""
        return (
            f"a role binding named {name} already exists and grants access to subjects this repository does not "
            f"own{subjects}; list it under adopt: in reconciler.yaml to take it over, or rename yours"
        )
    if ownership.other in config.ownership.former:
        return (
            f"an account named {name} carries {key}={ownership.other}, this repository's ownership identity "
            f"before it became {config.ownership.value} (the whole normalized remote): to keep the old identity, "
            f"set ownership.tag_value: {ownership.other} in reconciler.yaml; to move to the new one, list the "
            "account under adopt: for one apply"
        )
    if ownership.holder == Holder.NOBODY:
        return (
            f"an account named {name} already exists without the ownership tag {key}; "
            "list it under adopt: in reconciler.yaml to take it over"
        )
    return f"an account named {name} is owned by {key}={ownership.other}"


def _plan_absent(
    rules: ResourceRules, desired: Sequence[DesiredResource], owned: Sequence[LiveResource], config: RepoConfig
) -> list[Change]:
    """Owned resources that left Git: deleted only with prune on (the plan's guard may still block them)."""
    wanted = {resource.name for resource in desired}
    enabled = config.prune.enabled
    deleted, kept = _absence_reasons(rules)
    return [
        Change(
            kind=rules.kind,
            name=resource.name,
            action=Action.DELETE if enabled else Action.NO_OP,
            resource_id=resource.id,
            live_fingerprint=resource.fingerprint,
            reason=deleted if enabled else kept,
        )
        for resource in owned
        if resource.name not in wanted
    ]


def _absence_reasons(rules: ResourceRules) -> tuple[str, str]:
    """Why an owned resource that left Git is deleted (prune on) or stays (prune off)."""
    if rules.kind == Kind.VIRTUAL_ACCOUNT:
        return (
            "owned by this repository and no longer in Git",
            "owned by this repository but no longer in Git; prune is off, so it stays",
        )
    return (
        "undeclared access: grants access to accounts this repository owns, and is not in Git",
        "undeclared access: grants access to accounts this repository owns, and is not in Git; prune is off, so it "
        "stays",
    )


def _plan_shared(
    rules: ResourceRules, desired: Sequence[DesiredResource], live: Sequence[LiveResource], context: OwnershipContext
) -> list[Change]:
    """Shared bindings not in Git: they grant access to owned accounts and to others; never written (that would
    change others' access), listed so a reviewer sees the undeclared access."""
    wanted = {resource.name for resource in desired}
    notes = []
    for resource in live:
        ownership = rules.ownership(resource, context)
        if ownership.holder == Holder.SHARED and resource.name not in wanted:
            reason = (
                f"undeclared access to owned accounts, shared with {ownership.other}: not changed; declare it in Git "
                "or remove the owned accounts from it in TrueFoundry's Access Control"
            )
            notes.append(Change(rules.kind, resource.name, Action.NO_OP, resource_id=resource.id, reason=reason))
    return notes


def hold_deletes(changes: Sequence[Change], reasons: Sequence[str]) -> tuple[Change, ...]:
    """Every delete, blocked and naming what holds it back, when any reason does (a read that missed files
    or documents, an ownership identity that is not unique); "" reasons hold nothing."""
    why = "; ".join(reason for reason in reasons if reason)
    if not why:
        return tuple(changes)
    return tuple(
        replace(c, action=Action.BLOCKED, reason=f"not deleted: {why}") if c.action == Action.DELETE else c
        for c in changes
    )


def _unread(unread: Sequence[str], shown: int = 3) -> tuple[str, ...]:
    if not unread:
        return ()
    more = f" and {len(unread) - shown} more" if len(unread) > shown else ""
    return (f"the manifests were not all read ({'; '.join(unread[:shown])}{more})",)
