"""Pure: desired (main) + live -> drift findings, classified, and a fingerprint that changes only when the
findings do (so a scheduled job edits its issue only on real change, never on every run). Labels for people
are the views' business."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypedDict

from reconciler.domain.access import undeclared_grants
from reconciler.domain.config import RepoConfig
from reconciler.domain.destinations import shared_live
from reconciler.domain.diff import FieldDiff, FieldDiffData, diff
from reconciler.domain.grants import LEGACY, accounts_named, grants_of
from reconciler.domain.kinds import KINDS, OwnershipContext, ResourceRules, context_for, in_scope
from reconciler.domain.ownership import Holder, token_pending
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.token_life import RENEW, dies_first
from reconciler.domain.values import JsonValue, canonical_json, sha256_hex
from reconciler.domain.vocabulary import DriftKind, Kind

DRIFT_VERSION = 1


class FindingData(TypedDict):
    """One way the control plane differs from Git."""

    kind: Annotated[str, DriftKind]
    resource_kind: Annotated[str, Kind]
    name: str
    detail: str
    diffs: Annotated[list[FieldDiffData], "For `modified`: before is Git's value, after the control plane's."]


class DriftData(TypedDict):
    """drift.json (`reconciler drift --out`): the findings and their fingerprint."""

    version: int
    revision: Annotated[str | None, "The Git commit compared; null for a working tree."]
    control_plane: str
    checked_at: Annotated[str, "When the control plane was read, `yyyy-mm-dd hh:mm UTC`."]
    fingerprint: Annotated[
        str, "sha256 over the drift findings' identities (not managed-elsewhere): changes only when they do."
    ]
    findings: list[FindingData]


@dataclass(frozen=True)
class Finding:
    kind: DriftKind
    resource_kind: Kind
    name: str
    detail: str
    diffs: tuple[FieldDiff, ...] = ()  # before: Git, after: the control plane

    def identity(self) -> list[JsonValue]:
        """What makes two findings the same: kind, resource, and each drifted field with a hash of its value."""
        drifted: list[JsonValue] = [[d.path, sha256_hex(canonical_json(d.after))] for d in self.diffs]
        return [str(self.kind), str(self.resource_kind), self.name, drifted]

    def to_data(self) -> FindingData:
        return {
            "kind": str(self.kind),
            "resource_kind": str(self.resource_kind),
            "name": self.name,
            "detail": self.detail,
            "diffs": [d.to_data() for d in self.diffs],
        }


@dataclass(frozen=True)
class DriftReport:
    findings: tuple[Finding, ...]
    revision: str | None
    control_plane: str
    checked_at: str

    @property
    def drift(self) -> tuple[Finding, ...]:
        """The findings that are drift (not those listed for information: accounts managed elsewhere)."""
        return tuple(f for f in self.findings if f.kind.is_drift)

    @property
    def has_drift(self) -> bool:
        return bool(self.drift)

    @property
    def fingerprint(self) -> str:
        """Over the drift findings only: an account another repository creates does not edit the issue."""
        return sha256_hex(canonical_json([f.identity() for f in self.drift]))

    def kind_counts(self) -> dict[DriftKind, int]:
        """How many findings of each kind, in the vocabulary's order, kinds with none left out."""
        counts = {kind: sum(f.kind == kind for f in self.findings) for kind in DriftKind}
        return {kind: n for kind, n in counts.items() if n}

    def to_data(self) -> DriftData:
        return {
            "version": DRIFT_VERSION,
            "revision": self.revision,
            "control_plane": self.control_plane,
            "checked_at": self.checked_at,
            "fingerprint": self.fingerprint,
            "findings": [f.to_data() for f in self.findings],
        }


def detect_drift(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], config: RepoConfig, today: date
) -> tuple[Finding, ...]:
    """Findings on the resources in the configured scope (`kinds.in_scope`); a destination shared with any
    live account, in scope or not, is still reported for the account in scope."""
    scoped = in_scope(desired, live, config.scope)
    context = context_for(scoped.desired, scoped.live, config.ownership, config.adopt)
    findings: list[Finding] = []
    for rules in KINDS:
        wanted = [d for d in scoped.desired if d.kind == rules.kind]
        held = [r for r in scoped.live if r.kind == rules.kind]
        findings.extend(_kind_findings(rules, wanted, held, config, today, context))
    findings.extend(_legacy_grants_outside_git(scoped.desired, scoped.live, config, context))
    findings.extend(_shared_destinations(scoped.desired, live, context))
    return tuple(sorted(findings, key=lambda f: (f.name, f.kind, f.resource_kind)))


def _kind_findings(
    rules: ResourceRules,
    desired: Sequence[DesiredResource],
    live: Sequence[LiveResource],
    config: RepoConfig,
    today: date,
    context: OwnershipContext,
) -> list[Finding]:
    live_by_name = {resource.name: resource for resource in live}
    wanted = {resource.name for resource in desired}
    findings: list[Finding] = []
    for resource in desired:
        findings.extend(_desired_findings(rules, resource, live_by_name.get(resource.name), config, context))
    for held in live:
        ours = rules.ownership(held, context).ours
        if held.name not in wanted:
            findings.extend(_absent_findings(rules, held, config, context))
        if ours and rules.issues_tokens:
            findings.extend(_expiry_findings(held, today, config.policy.expiry_warning_days))
    return findings


def _desired_findings(
    rules: ResourceRules,
    resource: DesiredResource,
    live: LiveResource | None,
    config: RepoConfig,
    context: OwnershipContext,
) -> list[Finding]:
    kind, name = rules.kind, resource.name
    if live is None:
        detail = "in Git, but not in the control plane (deleted out of band, or not applied yet)"
        return [Finding(DriftKind.MISSING, kind, name, detail)]
    if not rules.ownership(live, context).ours:
        if kind == Kind.VIRTUAL_ACCOUNT:
            detail = f"an account with this name exists without this repository's ownership tag {config.ownership.key}"
        else:
            detail = "a role binding with this name exists and grants access to subjects this repository does not own"
        return [Finding(DriftKind.CONFLICT, kind, name, detail)]
    wanted, have = rules.comparable(rules.as_sent(resource.manifest, context), live.manifest)
    findings = []
    diffs = tuple(diff(wanted, have))
    if diffs:
        paths = ", ".join(d.path for d in diffs)
        findings.append(Finding(DriftKind.MODIFIED, kind, name, f"changed outside Git: {paths}", diffs))
    if rules.issues_tokens and token_pending(live.manifest):
        detail = "created, but its token never reached --token-dir"
        findings.append(Finding(DriftKind.UNDELIVERED, kind, name, detail))
    return findings


def _absent_findings(
    rules: ResourceRules, resource: LiveResource, config: RepoConfig, context: OwnershipContext
) -> list[Finding]:
    ownership = rules.ownership(resource, context)
    if rules.kind == Kind.ROLE_BINDING:
        return _undeclared_binding(resource, ownership.holder, ownership.other, context)
    if ownership.ours:
        detail = "carries this repository's ownership tag but is not in Git"
        return [Finding(DriftKind.ORPHANED, rules.kind, resource.name, detail)]
    if ownership.holder == Holder.OTHER:  # a shared tenant: another repository's account is not drift here
        detail = f"managed elsewhere ({config.ownership.key}={ownership.other}); for information, not drift"
        return [Finding(DriftKind.MANAGED_ELSEWHERE, rules.kind, resource.name, detail)]
    return [Finding(DriftKind.UNMANAGED, rules.kind, resource.name, "not managed from Git")]


def _undeclared_binding(
    resource: LiveResource, holder: Holder, others: str, context: OwnershipContext
) -> list[Finding]:
    """A binding not in Git is drift only when it grants access to accounts this repository owns."""
    if holder == Holder.NOBODY:
        return []
    owned = sorted(a for a in accounts_named(resource.manifest) if a in context.owned_accounts)
    grants = ", ".join(sorted(str(g) for g in grants_of(Kind.ROLE_BINDING, resource.manifest)))
    detail = f"grants {grants} to {', '.join(owned)} (owned by this repository) and is not in Git"
    if holder == Holder.SHARED:
        detail += f"; it also names {others}"
    return [Finding(DriftKind.UNDECLARED_ACCESS, Kind.ROLE_BINDING, resource.name, detail)]


def _legacy_grants_outside_git(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], config: RepoConfig, context: OwnershipContext
) -> list[Finding]:
    """Grants an owned account holds through `permissions` that Git declares nowhere (omitting `permissions`
    keeps server grants, so this is how access granted outside Git stays visible)."""
    in_git = {d.name for d in desired if d.kind == Kind.VIRTUAL_ACCOUNT}
    findings = []
    for account in sorted(context.owned_accounts & in_git):
        legacy = [s for s in undeclared_grants(desired, live, account, config.policy) if s.via == LEGACY]
        if legacy:
            grants = ", ".join(str(s.grant) for s in legacy)
            detail = f"holds {grants} through its permissions, which Git declares nowhere"
            findings.append(Finding(DriftKind.UNDECLARED_ACCESS, Kind.VIRTUAL_ACCOUNT, account, detail))
    return findings


def _shared_destinations(
    desired: Sequence[DesiredResource], live: Sequence[LiveResource], context: OwnershipContext
) -> list[Finding]:
    """Each account in Git or owned here that shares a token secret or identity mapping with another live
    account (a rename that left the old account live, a secret path set by hand)."""
    ours = context.owned_accounts | {d.name for d in desired if d.kind == Kind.VIRTUAL_ACCOUNT}
    findings = []
    for destination, names in shared_live(live).items():
        for name in (n for n in names if n in ours):
            others = ", ".join(n for n in names if n != name)
            detail = f"{destination.clash(others)}; give each account its own, or delete the one no longer used"
            findings.append(Finding(DriftKind.SHARED_DESTINATION, Kind.VIRTUAL_ACCOUNT, name, detail))
    return findings


def _expiry_findings(resource: LiveResource, today: date, warning_days: int) -> list[Finding]:
    """The account's expiry, or, when it dies first, the active token's (a token keeps its own expiry when
    the account's date is extended: `token_life.py`)."""
    kind, name = resource.kind, resource.name
    raw = resource.manifest.get("expiration_date")
    if resource.is_expired:
        return [Finding(DriftKind.EXPIRED, kind, name, f"the token expired ({raw})")]
    if resource.token_invalid:
        detail = f"the active token no longer works (expired or revoked) while the account runs to {raw}: {RENEW}"
        return [Finding(DriftKind.EXPIRED, kind, name, detail)]
    token_day = dies_first(resource)
    if token_day is not None:
        return _token_expiry(resource, token_day, today, warning_days)
    if isinstance(raw, str):
        days = (date.fromisoformat(raw) - today).days
        if days < 0:
            return [Finding(DriftKind.EXPIRED, kind, name, f"the token expired on {raw}")]
        if days <= warning_days:
            return [Finding(DriftKind.EXPIRING, kind, name, f"the token expires in {days} days ({raw})")]
    return []


def _token_expiry(resource: LiveResource, last_day: date, today: date, warning_days: int) -> list[Finding]:
    days = (last_day - today).days
    account = resource.manifest.get("expiration_date") or "no expiration date"
    if days < 0:
        detail = f"the active token expired on {last_day}, before the account ({account}): {RENEW}"
        return [Finding(DriftKind.EXPIRED, resource.kind, resource.name, detail)]
    if days <= warning_days:
        detail = f"the active token expires in {days} days ({last_day}), before the account ({account}): {RENEW}"
        return [Finding(DriftKind.EXPIRING, resource.kind, resource.name, detail)]
    return []
