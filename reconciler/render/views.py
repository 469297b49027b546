"""Pure: plans, apply reports and drift reports -> Markdown for GitHub, within GitHub's size limits.

The comment budget is 60,000 UTF-16 units (GitHub refuses bodies over 65,536 characters). When the full plan
does not fit, the summary and the errors stay, account details are cut from the end, and the comment says
what was cut and where the full plan is (the job summary, whose own limit is 1 MiB, and plan.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from reconciler.domain.diff import FieldDiff
from reconciler.domain.drift import DriftReport, Finding
from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import ApplyReport
from reconciler.domain.values import JsonValue, Position, canonical_json
from reconciler.domain.vocabulary import Action
from reconciler.render.labels import DRIFT_LABELS, SYMBOLS
from reconciler.render.markdown import md_text, utf16_length
from reconciler.render.render import render
from reconciler.render.text import drift_headline, list_items, plan_summary_line

COMMENT_BUDGET = 60_000
SUMMARY_BUDGET = 1_000_000  # bytes; GitHub's step summary limit is 1 MiB
MAX_ERRORS_LISTED = 100
MAX_ACCESS_ROWS = 200  # grants listed in the comment's access table; the rest are in the job summary


@dataclass(frozen=True)
class Links:
    """Where things live on GitHub: file links at the head commit, the run (for the job summary)."""

    server_url: str = "https://github.com"
    repository: str = ""
    sha: str = ""
    run_url: str = ""
    environment: str = ""

    def file(self, problem_file: str, line: int, label: str) -> Markup:
        if not self.repository or not self.sha:
            return md_text(label)
        url = f"{self.server_url}/{self.repository}/blob/{self.sha}/{quote(problem_file)}#L{line}"
        return Markup(f"[{md_text(label)}]({url})")

    def summary_link(self) -> Markup:
        return Markup(f"[job summary]({self.run_url})") if self.run_url else Markup("job summary")


def marker(kind: str, environment: str) -> Markup:
    suffix = f":{environment}" if environment else ""
    safe = "".join(ch for ch in f"{kind}{suffix}" if ch.isalnum() or ch in ":-_.")
    return Markup(f"<!-- va-reconciler:{safe} -->")


def _value(value: JsonValue) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _diff_rows(field: FieldDiff) -> list[dict[str, str]]:
    """A field's rows in the diff table: one per item for lists (a permission added shows as itself, not as two
    JSON blobs), one for anything else."""
    items = list_items(field)
    if items is None:
        return [{"path": field.path, "before": _value(field.before), "after": _value(field.after)}]
    removed, added = items
    return [{"path": f"{field.path}[]", "before": _value(item), "after": ""} for item in removed] + [
        {"path": f"{field.path}[]", "before": "", "after": _value(item)} for item in added
    ]


def _change_view(change: Change) -> dict[str, Any]:
    return {
        "symbol": SYMBOLS[change.action],
        "action": change.action,
        "name": change.name,
        "where": str(change.position) if change.position else "",
        "diffs": [row for d in change.diffs for row in _diff_rows(d)],
        "reason": change.reason,
        "token_destination": change.token_destination if change.action == Action.CREATE else None,
        "warnings": list(change.warnings),
        "errors": list(change.errors),
    }


def _errors(plan: Plan, links: Links) -> list[dict[str, Any]]:
    """Every error of the plan with where it stands: invalid manifests, then server rejections."""
    located: list[tuple[Position | None, str, str]] = [(p.position, "", p.message) for p in plan.problems]
    located += [(c.position, c.name, e) for c in plan.changes for e in c.errors]
    views = []
    for position, name, message in located:
        where = md_text(name) if position is None else links.file(position.file, position.line, str(position))
        views.append({"where": where, "message": message})
    return views


def _headline(plan: Plan) -> str:
    if plan.problems:
        return f"The manifests are invalid: {len(plan.problems)} problem(s); nothing was planned."
    if not plan.has_changes and not plan.has_errors:
        return "No changes: the control plane matches Git."
    return plan_summary_line(plan)


def _access_rows(plan: Plan) -> list[dict[str, Any]]:
    """One row per grant added, removed or held outside Git, escalations first within each account."""
    rows = []
    for change in plan.access:
        state = "new account" if change.new else "deleted account" if change.gone else ""
        grants = [("+", g) for g in change.added] + [("-", g) for g in change.removed]
        grants += [("not in Git", g) for g in change.undeclared]
        for sign, grant in grants:
            rows.append(
                {
                    "account": change.account,
                    "state": state,
                    "change": sign,
                    "role": grant.grant.role,
                    "resource": f"{grant.grant.resource_type} {grant.grant.resource_fqn}",
                    "via": grant.via,
                    "escalation": "high privilege" if grant.high_privilege and sign == "+" else "",
                }
            )
    return rows


def _plan_context(plan: Plan, links: Links, details: int, errors: int, access: int = MAX_ACCESS_ROWS) -> dict[str, Any]:
    shown = [c for c in plan.changes if c.action != Action.NO_OP or c.reason]
    all_errors = _errors(plan, links)
    access_rows = _access_rows(plan)
    return {
        "marker": marker("plan", links.environment),
        "environment": links.environment,
        "headline": _headline(plan),
        "notices": list(plan.notices),
        "access": access_rows[:access],
        "access_cut": max(0, len(access_rows) - access),
        "escalations": len(plan.escalations),
        "counts": plan.counts(),
        "errors": all_errors[:errors],
        "errors_cut": max(0, len(all_errors) - errors),
        "details": [_change_view(c) for c in shown[:details]],
        "details_cut": max(0, len(shown) - details),
        "details_total": len(shown),
        "summary_link": links.summary_link(),
        "sha": plan.revision or links.sha or "working tree",
        "control_plane": plan.control_plane,
        "checksum": plan.checksum,
    }


def _fit(render_with: Callable[[int], str], most: int, budget: int, measure: Callable[[str], int]) -> str:
    """The largest `n <= most` whose rendering fits the budget (binary search; rendering is monotonic in n)."""
    full = render_with(most)
    if measure(full) <= budget:
        return full
    low, high = 0, most - 1
    best = render_with(0)
    while low <= high:
        middle = (low + high) // 2
        text = render_with(middle)
        if measure(text) <= budget:
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


def plan_comment(plan: Plan, links: Links, budget: int = COMMENT_BUDGET) -> str:
    count = len(plan.changes)
    errors = MAX_ERRORS_LISTED

    def with_details(details: int) -> str:
        return render("plan_comment.md.j2", **_plan_context(plan, links, details, errors))

    return _fit(with_details, count, budget, utf16_length)


def plan_job_summary(plan: Plan, links: Links, budget: int = SUMMARY_BUDGET) -> str:
    count = len(plan.changes)

    def with_details(details: int) -> str:
        context = _plan_context(plan, links, details, 10 * MAX_ERRORS_LISTED, 10 * MAX_ACCESS_ROWS)
        return render("summary.md.j2", kind="plan", **context)

    return _fit(with_details, count, budget, lambda text: len(text.encode("utf-8")))


def apply_comment(report: ApplyReport, links: Links, budget: int = COMMENT_BUDGET) -> str:
    """The apply report for the merged pull request: every outcome, and what stayed unresolved."""
    rows = [{"name": o.name, "action": o.action, "status": o.status, "detail": o.detail} for o in report.outcomes]
    rows += [{"name": c.name, "action": c.action, "status": "not done", "detail": c.why_unresolved}
             for c in report.unresolved]  # fmt: skip
    counts = {**{str(s): n for s, n in report.counts().items()}, "unresolved": len(report.unresolved)}
    headline = (
        "Applied: the control plane matches main."
        if report.converged
        else ("Apply did not converge: see the failed, skipped and unresolved accounts below.")
    )

    def with_rows(limit: int) -> str:
        return render(
            "apply_report.md.j2",
            marker=marker("apply", links.environment),
            environment=links.environment,
            headline=headline,
            counts=counts,
            rows=rows[:limit],
            rows_cut=max(0, len(rows) - limit),
            summary_link=links.summary_link(),
            sha=report.plan.revision or links.sha,
            control_plane=report.plan.control_plane,
            checksum=report.plan.checksum,
        )

    return _fit(with_rows, len(rows), budget, utf16_length)


def _finding_view(finding: Finding) -> dict[str, Any]:
    return {
        "label": DRIFT_LABELS[finding.kind],
        "name": finding.name,
        "detail": finding.detail,
        "diffs": [{"path": d.path, "before": _shown(d.before), "after": _shown(d.after)} for d in finding.diffs],
    }


def _shown(value: JsonValue) -> str:
    return "(absent)" if value is None else canonical_json(value)


def drift_issue(report: DriftReport, links: Links, budget: int = COMMENT_BUDGET) -> str:
    findings = report.findings

    def with_findings(limit: int) -> str:
        return render(
            "drift_issue.md.j2",
            marker=marker("drift", links.environment),
            fingerprint_marker=Markup(f"<!-- va-reconciler:drift-fingerprint:{report.fingerprint} -->"),
            headline=drift_headline(report),
            checked_at=report.checked_at,
            control_plane=report.control_plane,
            sha=report.revision or links.sha,
            kinds=[{"label": DRIFT_LABELS[kind], "count": n} for kind, n in report.kind_counts().items()],
            findings=[_finding_view(f) for f in findings[:limit]],
            findings_cut=max(0, len(findings) - limit),
        )

    return _fit(with_findings, len(findings), budget, utf16_length)
