"""Pure: desired (main) + live -> drift findings, classified, and a fingerprint that changes only when the
findings do (so a scheduled job edits its issue only on real change, never on every run)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.config import RepoConfig
from reconciler.model import DesiredAccount, LiveAccount, canonical_json, sha256_hex
from reconciler.plan.diff import FieldDiff, diff
from reconciler.plan.normalize import TOKEN_DELIVERY_TAG, comparable
from reconciler.plan.planner import owns, tags_of, with_ownership_tag

KINDS = {
    "modified": "Modified out of band",
    "missing": "Missing from the control plane",
    "conflict": "Managed name, not ours",
    "orphaned": "Owned, not in Git",
    "unmanaged": "Unmanaged",
    "expired": "Token expired",
    "expiring": "Token expiring soon",
    "undelivered": "Token never delivered",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    name: str
    detail: str
    diffs: tuple[FieldDiff, ...] = ()  # before: Git, after: the control plane

    def identity(self) -> list[Any]:
        """What makes two findings the same: kind, account, and each drifted field with a hash of its value."""
        return [self.kind, self.name, [[d.path, sha256_hex(canonical_json(d.after))] for d in self.diffs]]

    def view(self) -> dict[str, Any]:
        return {
            "label": KINDS[self.kind],
            "name": self.name,
            "detail": self.detail,
            "diffs": [{"path": d.path, "before": _shown(d.before), "after": _shown(d.after)} for d in self.diffs],
        }

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "diffs": [d.to_data() for d in self.diffs],
        }


def _shown(value: Any) -> str:
    return "(absent)" if value is None else canonical_json(value)


@dataclass(frozen=True)
class DriftReport:
    findings: tuple[Finding, ...]
    revision: str | None
    control_plane: str
    checked_at: str

    @property
    def has_drift(self) -> bool:
        return bool(self.findings)

    @property
    def fingerprint(self) -> str:
        return sha256_hex(canonical_json([f.identity() for f in self.findings]))

    @property
    def headline(self) -> str:
        if not self.findings:
            return "No drift: the control plane matches Git."
        return f"Drift: {len(self.findings)} finding(s) between Git and the control plane."

    def kind_counts(self) -> list[dict[str, Any]]:
        counts = {kind: sum(f.kind == kind for f in self.findings) for kind in KINDS}
        return [{"label": KINDS[k], "count": n} for k, n in counts.items() if n]

    def to_data(self) -> dict[str, Any]:
        return {
            "version": 1,
            "revision": self.revision,
            "control_plane": self.control_plane,
            "checked_at": self.checked_at,
            "fingerprint": self.fingerprint,
            "findings": [f.to_data() for f in self.findings],
        }


def detect_drift(
    desired: Sequence[DesiredAccount], live: Sequence[LiveAccount], config: RepoConfig, today: date
) -> tuple[Finding, ...]:
    live_by_name = {account.name: account for account in live}
    wanted = {account.name for account in desired}
    findings: list[Finding] = []
    for account in desired:
        findings.extend(_desired_findings(account, live_by_name.get(account.name), config))
    for held in live:
        if held.name not in wanted:
            findings.append(_absent_finding(held, config))
        if owns(held, config):
            findings.extend(_expiry_findings(held, today, config.policy.expiry_warning_days))
    return tuple(sorted(findings, key=lambda f: (f.name, f.kind)))


def _desired_findings(account: DesiredAccount, live: LiveAccount | None, config: RepoConfig) -> list[Finding]:
    if live is None:
        return [Finding("missing", account.name, "in Git, but not in the control plane (deleted out of band, "
                                                 "or not applied yet)")]  # fmt: skip
    if not owns(live, config):
        return [Finding("conflict", account.name, "an account with this name exists without this repository's "
                                                  f"ownership tag {config.ownership.key}")]  # fmt: skip
    wanted, have = comparable(with_ownership_tag(account.manifest, config), live.manifest)
    findings = []
    diffs = tuple(diff(wanted, have))
    if diffs:
        paths = ", ".join(d.path for d in diffs)
        findings.append(Finding("modified", account.name, f"changed outside Git: {paths}", diffs))
    if tags_of(live.manifest).get(TOKEN_DELIVERY_TAG) == "pending":
        findings.append(Finding("undelivered", account.name, "created, but its token never reached --token-dir"))
    return findings


def _absent_finding(account: LiveAccount, config: RepoConfig) -> Finding:
    if owns(account, config):
        return Finding("orphaned", account.name, "carries this repository's ownership tag but is not in Git")
    holder = tags_of(account.manifest).get(config.ownership.key)
    detail = f"managed elsewhere ({config.ownership.key}={holder})" if holder else "not managed from Git"
    return Finding("unmanaged", account.name, detail)


def _expiry_findings(account: LiveAccount, today: date, warning_days: int) -> list[Finding]:
    raw = account.manifest.get("expiration_date")
    if account.is_expired:
        return [Finding("expired", account.name, f"the token expired ({raw})")]
    if isinstance(raw, str):
        days = (date.fromisoformat(raw) - today).days
        if days < 0:
            return [Finding("expired", account.name, f"the token expired on {raw}")]
        if days <= warning_days:
            return [Finding("expiring", account.name, f"the token expires in {days} days ({raw})")]
    return []
