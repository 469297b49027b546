"""Pure: a Plan or an ApplyReport -> terminal text, grouped by action, coloured when asked."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan.diff import FieldDiff
from reconciler.plan.plan import ACTIONS, Change, Plan
from reconciler.render.validation import problem_line

_SYMBOLS = {
    "create": ("+", "32"),
    "update": ("~", "33"),
    "delete": ("-", "31"),
    "recover-token": ("*", "36"),
    "no-op": ("=", "2"),
    "conflict": ("!", "35"),
    "blocked": ("x", "31"),
}
MAX_VALUE_CHARS = 120


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def _diff_line(field: FieldDiff) -> str:
    if field.kind == "add":
        return f"      + {field.path}: {_value(field.after)}"
    if field.kind == "remove":
        return f"      - {field.path}: {_value(field.before)}"
    return f"      ~ {field.path}: {_value(field.before)} -> {_value(field.after)}"


def _change_lines(change: Change, color: bool) -> list[str]:
    symbol, code = _SYMBOLS[change.action]
    where = f"  ({change.position})" if change.position else ""
    lines = [_style(f"  {symbol} {change.action:<13} {change.name}", code, color) + where]
    lines += [_diff_line(d) for d in change.diffs]
    if change.reason:
        lines.append(f"      {change.reason}")
    if change.token_destination and change.action in ("create", "recover-token", "update"):
        lines.append(f"      token -> {change.token_destination}")
    lines += [_style(f"      warning: {w}", "33", color) for w in change.warnings]
    lines += [_style(f"      error: {e}", "31", color) for e in change.errors]
    return lines


def summary(plan: Plan) -> str:
    counts = plan.counts()
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete, "
        f"{counts['recover-token']} token(s) to recover, {counts['no-op']} unchanged, "
        f"{counts['conflict']} conflict(s), {counts['blocked']} blocked, {counts['errors']} error(s)."
    )


def plan_text(plan: Plan, color: bool = False, show_unchanged: bool = False) -> str:
    lines = [
        f"Desired: {plan.source} ({plan.desired_count} accounts)",
        f"Live:    {plan.control_plane} ({plan.live_count} accounts)",
        "",
    ]
    lines += [problem_line(p) for p in plan.problems]
    for action in ACTIONS:
        group = [c for c in plan.changes if c.action == action]
        if action == "no-op" and not show_unchanged:
            group = [c for c in group if c.reason]
        for change in group:
            lines += _change_lines(change, color)
    if len(lines) == 3 and not plan.problems:
        lines.append("  No changes: the control plane matches Git.")
    lines += ["", summary(plan)]
    return "\n".join(lines)


def apply_text(report: Any, color: bool = False) -> str:
    """The apply report: every outcome, then what stayed unresolved, then one summary line."""
    plan: Plan = report.plan
    lines = [f"Control plane: {plan.control_plane}", f"Desired: {plan.source}", ""]
    lines += [problem_line(p) for p in plan.problems]
    marks = {"applied": ("ok", "32"), "failed": ("FAILED", "31"), "skipped": ("skipped", "33")}
    for outcome in report.outcomes:
        label, code = marks[outcome.status]
        lines.append(_style(f"  {label:<8} {outcome.action:<13} {outcome.name}", code, color) + f"  {outcome.detail}")
    for change in plan.changes:
        if change.unresolved:
            label = _style(f"  {'not done':<8} {change.action:<13} {change.name}", "35", color)
            lines.append(f"{label}  {change.why_unresolved}")
    counts = report.counts()
    if not report.outcomes and not plan.has_errors:
        lines.append("  Nothing to do: the control plane matches Git.")
    verdict = "converged" if report.converged else "NOT converged"
    lines += [
        "",
        f"Apply: {counts['applied']} applied, {counts['failed']} failed, {counts['skipped']} skipped; {verdict}.",
    ]
    return "\n".join(lines)


def drift_text(report: Any) -> str:
    lines = [f"Live: {report.control_plane}", ""]
    for finding in report.findings:
        lines.append(f"  {finding.kind:<12} {finding.name}  {finding.detail}")
        lines += [f"      {d.path}: Git {_value(d.before)} / control plane {_value(d.after)}" for d in finding.diffs]
    lines += ["", report.headline]
    return "\n".join(lines)
