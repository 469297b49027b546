"""Pure: effective access of virtual accounts, before and after a plan, and what Git does not declare.

An account's effective access is the union of the grants its deprecated `permissions` made (they persist when
the field is later omitted, as TrueFoundry announced) and the grants of every role binding naming it
(reference/role-bindings.md §4). Reviewers approve access, not YAML: every plan lists, for each account it
touches and each new one, its grants before and after, one line per grant, escalations marked.

Grants compare by (role, resource type, resource FQN): moving a grant from `permissions` into a role binding
(a migration) changes where it comes from, not the access."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from reconciler.domain.config import Policy
from reconciler.domain.grants import LEGACY, AccessChange, Grant, Sourced, accounts_named, grants_of, via_binding
from reconciler.domain.plan import Change
from reconciler.domain.policy import is_high_privilege
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.values import Manifest
from reconciler.domain.vocabulary import Action, Kind


def effective_access(
    accounts: Mapping[str, Manifest], bindings: Mapping[str, Manifest], policy: Policy
) -> dict[str, tuple[Sourced, ...]]:
    """Every account's grants: its own `permissions`, then the bindings naming it, sorted, without repeats."""
    found: dict[str, set[Sourced]] = defaultdict(set)
    for name, manifest in accounts.items():
        found[name].update(_sourced(grants_of(Kind.VIRTUAL_ACCOUNT, manifest), LEGACY, policy))
    for binding, manifest in bindings.items():
        granted = _sourced(grants_of(Kind.ROLE_BINDING, manifest), via_binding(binding), policy)
        for account in accounts_named(manifest):
            found[account].update(granted)
    return {name: tuple(sorted(grants)) for name, grants in found.items()}


def _sourced(grants: Iterable[Grant], via: str, policy: Policy) -> list[Sourced]:
    return [Sourced(g, via, is_high_privilege(g.role, policy)) for g in grants]


def access_changes(
    desired: Sequence[DesiredResource],
    live: Sequence[LiveResource],
    changes: Sequence[Change],
    owned_accounts: frozenset[str],
    policy: Policy,
) -> tuple[AccessChange, ...]:
    """For every account the plan touches (a write to it or to a binding naming it), every new account, and
    every owned account holding grants Git does not declare: its access before and after applying the plan."""
    before = effective_access(*_live_state(live), policy)
    after = effective_access(*_state_after(live, changes), policy)
    declared = effective_access(*_declared(desired), policy)
    touched = _touched(changes, live)
    result = []
    for account in sorted(set(before) | touched):  # an account gains grants only through a write: it is touched
        change = _account_change(account, before, after, declared, changes)
        if account in touched or change.changes_access or (account in owned_accounts and change.undeclared):
            result.append(change)
    return tuple(result)


def undeclared_grants(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], account: str, policy: Policy
) -> tuple[Sourced, ...]:
    """The live grants of `account` that Git declares neither in its `permissions` nor in a role binding."""
    have = effective_access(*_live_state(live), policy).get(account, ())
    return _undeclared(have, effective_access(*_declared(desired), policy).get(account, ()))


def _undeclared(have: Sequence[Sourced], declared: Sequence[Sourced]) -> tuple[Sourced, ...]:
    """Live grants Git does not declare: a grant through `permissions` that neither the account's own
    `permissions` nor a binding in Git declares; a grant through a binding that is not in Git (or not as is)."""
    grants, sources = {s.grant for s in declared}, {s.via for s in declared}
    return tuple(s for s in have if s.grant not in grants or (s.via != LEGACY and s.via not in sources))


def _account_change(
    account: str,
    before: Mapping[str, tuple[Sourced, ...]],
    after: Mapping[str, tuple[Sourced, ...]],
    declared: Mapping[str, tuple[Sourced, ...]],
    changes: Sequence[Change],
) -> AccessChange:
    actions = {c.action for c in changes if c.kind == Kind.VIRTUAL_ACCOUNT and c.name == account}
    had, will = before.get(account, ()), after.get(account, ())
    undeclared = _undeclared(had, declared.get(account, ()))
    gone = Action.DELETE in actions
    return AccessChange(account, had, () if gone else will, Action.CREATE in actions, gone, undeclared)


def _live_state(live: Sequence[LiveResource]) -> tuple[dict[str, Manifest], dict[str, Manifest]]:
    accounts = {r.name: r.manifest for r in live if r.kind == Kind.VIRTUAL_ACCOUNT}
    bindings = {r.name: r.manifest for r in live if r.kind == Kind.ROLE_BINDING}
    return accounts, bindings


def _declared(desired: Sequence[DesiredResource]) -> tuple[dict[str, Manifest], dict[str, Manifest]]:
    accounts = {d.name: d.manifest for d in desired if d.kind == Kind.VIRTUAL_ACCOUNT}
    bindings = {d.name: d.manifest for d in desired if d.kind == Kind.ROLE_BINDING}
    return accounts, bindings


def _state_after(
    live: Sequence[LiveResource], changes: Sequence[Change]
) -> tuple[dict[str, Manifest], dict[str, Manifest]]:
    """What the control plane holds once every write of the plan succeeds. An account whose manifest omits
    `permissions` keeps its live ones (the API keeps them)."""
    accounts, bindings = _live_state(live)
    for change in changes:
        target = accounts if change.kind == Kind.VIRTUAL_ACCOUNT else bindings
        if change.action == Action.DELETE:
            target.pop(change.name, None)
        elif change.writes and change.desired is not None:
            kept = target.get(change.name, {}).get("permissions")
            manifest = dict(change.desired)
            if change.kind == Kind.VIRTUAL_ACCOUNT and "permissions" not in manifest and kept is not None:
                manifest["permissions"] = kept
            target[change.name] = manifest
    return accounts, bindings


def _touched(changes: Sequence[Change], live: Sequence[LiveResource]) -> set[str]:
    """Accounts a write of the plan changes, directly or through a binding naming them (before or after)."""
    live_bindings = {r.name: r.manifest for r in live if r.kind == Kind.ROLE_BINDING}
    touched: set[str] = set()
    for change in changes:
        if not change.writes:
            continue
        if change.kind == Kind.VIRTUAL_ACCOUNT:
            touched.add(change.name)
            continue
        touched.update(accounts_named(change.desired or {}))
        touched.update(accounts_named(live_bindings.get(change.name, {})))
    return touched
