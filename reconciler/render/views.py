"""Pure: plans, apply reports and drift reports -> Markdown for GitHub, within GitHub's size limits.

The comment budget is 60,000 UTF-16 units (GitHub refuses bodies over 65,536 characters). When the full plan
does not fit, the summary and the errors stay, account details are cut from the end, and the comment says
what was cut and where the full plan is (the job summary, whose own limit is 1 MiB, and plan.json)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from reconciler.model import Problem
from reconciler.plan.plan import Change, Plan
from reconciler.render.markdown import md_text, utf16_length
from reconciler.render.plan_text import summary
from reconciler.render.render import render

COMMENT_BUDGET = 60_000
SUMMARY_BUDGET = 1_000_000  # bytes; GitHub's step summary limit is 1 MiB
MAX_ERRORS_LISTED = 100
SYMBOLS = {"create": "+", "update": "~", "delete": "-", "recover-token": "*", "no-op": "=", "conflict": "!",
           "blocked": "x"}  # fmt: skip


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


def _value(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _change_view(change: Change) -> dict[str, Any]:
    return {
        "symbol": SYMBOLS[change.action],
        "action": change.action,
        "name": change.name,
        "where": str(change.position) if change.position else "",
        "diffs": [{"path": d.path, "before": _value(d.before), "after": _value(d.after)} for d in change.diffs],
        "reason": change.reason,
        "token_destination": change.token_destination if change.action == "create" else None,
        "warnings": list(change.warnings),
        "errors": list(change.errors),
    }


def _errors(plan: Plan, links: Links) -> list[dict[str, Any]]:
    problems: list[tuple[Problem | None, Change | None, str]] = [(p, None, p.message) for p in plan.problems]
    problems += [(None, c, e) for c in plan.changes for e in c.errors]
    views = []
    for problem, change, message in problems:
        position = problem.position if problem else change.position if change else None
        if position is None:
            where: Markup = md_text(change.name if change else "")
        else:
            where = links.file(position.file, position.line, str(position))
        views.append({"where": where, "message": message})
    return views


def _headline(plan: Plan) -> str:
    if plan.problems:
        return f"The manifests are invalid: {len(plan.problems)} problem(s); nothing was planned."
    if not plan.has_changes and not plan.has_errors:
        return "No changes: the control plane matches Git."
    return summary(plan)


def _plan_context(plan: Plan, links: Links, details: int, errors: int) -> dict[str, Any]:
    shown = [c for c in plan.changes if c.action != "no-op" or c.reason]
    all_errors = _errors(plan, links)
    return {
        "marker": marker("plan", links.environment),
        "environment": links.environment,
        "headline": _headline(plan),
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


def plan_summary(plan: Plan, links: Links, budget: int = SUMMARY_BUDGET) -> str:
    count = len(plan.changes)

    def with_details(details: int) -> str:
        context = _plan_context(plan, links, details, 10 * MAX_ERRORS_LISTED)
        return render("summary.md.j2", kind="plan", **context)

    return _fit(with_details, count, budget, lambda text: len(text.encode("utf-8")))


def apply_comment(report: Any, links: Links, budget: int = COMMENT_BUDGET) -> str:
    """The apply report for the merged pull request: every outcome, and what stayed unresolved."""
    data = report.to_data()
    rows = [dict(o) for o in data["outcomes"]]
    rows += [{"name": u["name"], "action": u["action"], "status": "not done", "detail": u["reason"]}
             for u in data["unresolved"]]  # fmt: skip
    counts = {**data["summary"], "unresolved": len(data["unresolved"])}
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


def drift_issue(report: Any, links: Links, budget: int = COMMENT_BUDGET) -> str:
    findings: Sequence[Any] = report.findings

    def with_findings(limit: int) -> str:
        return render(
            "drift_issue.md.j2",
            marker=marker("drift", links.environment),
            fingerprint_marker=Markup(f"<!-- va-reconciler:drift-fingerprint:{report.fingerprint} -->"),
            headline=report.headline,
            checked_at=report.checked_at,
            control_plane=report.control_plane,
            sha=report.revision or links.sha,
            kinds=report.kind_counts(),
            findings=[f.view() for f in findings[:limit]],
            findings_cut=max(0, len(findings) - limit),
        )

    return _fit(with_findings, len(findings), budget, utf16_length)
