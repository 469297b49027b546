"""Pure: plans, apply reports, drift reports and validation reports -> terminal text, coloured when asked."""

from __future__ import annotations

import json
from collections.abc import Callable

from reconciler.domain.diff import FieldDiff
from reconciler.domain.drift import DriftReport
from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import ApplyReport
from reconciler.domain.resources import SkippedDocument, ValidationReport
from reconciler.domain.values import JsonValue, Problem
from reconciler.domain.vocabulary import Action, DiffKind, OutcomeStatus, SkipReason
from reconciler.render.labels import SYMBOLS

Styler = Callable[[str, str], str]
"""`(text, role) -> text`: how a view marks a span for the terminal. Roles are words of the vocabulary (an
`Action` or `OutcomeStatus` value, `warning`, `error`, `not-done`); the command line maps them to click's
styles, and click decides whether colour reaches the terminal (--color/--no-color, NO_COLOR, FORCE_COLOR)."""

ROLES = (*(str(a) for a in Action), *(str(s) for s in OutcomeStatus), "warning", "error", "not-done")
_OUTCOME_LABELS: dict[OutcomeStatus, str] = {
    OutcomeStatus.APPLIED: "ok",
    OutcomeStatus.FAILED: "FAILED",
    OutcomeStatus.SKIPPED: "skipped",
}
MAX_VALUE_CHARS = 120


def plain(text: str, _role: str) -> str:
    """The styler that styles nothing (files, logs, tests)."""
    return text


def _value(value: JsonValue) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


# -- validation ---------------------------------------------------------------------------------------------


def problem_line(problem: Problem, style: Styler = plain) -> str:
    """`path:line:col: error: <message> (<json path>)`, the compiler-style line editors jump to."""
    suffix = f" ({problem.json_path})" if problem.json_path else ""
    return f"{problem.position}: {style(str(problem.severity), str(problem.severity))}: {problem.message}{suffix}"


def validation_summary(report: ValidationReport, description: str) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "valid" if report.valid else "invalid"
    return (
        f"{verdict}: {report.files} files, {len(report.resources)} accounts, "
        f"{len(report.skipped)} skipped, {errors} errors, {warnings} warnings ({description})"
    )


def skipped_line(skipped: SkippedDocument) -> str:
    """`file:line:col: skipped: <why>`, one line per document (or file) that is not a manifest."""
    why = {
        SkipReason.OTHER_TYPE: f"document of type '{skipped.kind}' is not a virtual account",
        SkipReason.NOT_A_MANIFEST: "document without a type and without a virtual-account field is not a manifest",
        SkipReason.OUTSIDE_PATHS: "file is not under the manifest paths of reconciler.yaml",
    }[skipped.reason]
    return f"{skipped.position}: skipped: {why}"


def validation_text(report: ValidationReport, description: str, style: Styler = plain) -> str:
    lines = [problem_line(p, style) for p in report.problems]
    lines += [skipped_line(s) for s in report.skipped]
    lines.append(validation_summary(report, description))
    return "\n".join(lines)


# -- plan ---------------------------------------------------------------------------------------------------


def _diff_line(field: FieldDiff) -> str:
    if field.kind == DiffKind.ADD:
        return f"      + {field.path}: {_value(field.after)}"
    if field.kind == DiffKind.REMOVE:
        return f"      - {field.path}: {_value(field.before)}"
    return f"      ~ {field.path}: {_value(field.before)} -> {_value(field.after)}"


def _change_lines(change: Change, style: Styler) -> list[str]:
    where = f"  ({change.position})" if change.position else ""
    head = f"  {SYMBOLS[change.action]} {change.action:<13} {change.name}"
    lines = [style(head, str(change.action)) + where]
    lines += [_diff_line(d) for d in change.diffs]
    if change.reason:
        lines.append(f"      {change.reason}")
    if change.token_destination and change.action in (Action.CREATE, Action.RECOVER_TOKEN, Action.UPDATE):
        lines.append(f"      token -> {change.token_destination}")
    lines += [style(f"      warning: {w}", "warning") for w in change.warnings]
    lines += [style(f"      error: {e}", "error") for e in change.errors]
    return lines


def plan_summary_line(plan: Plan) -> str:
    counts = plan.counts()
    return (
        f"Plan: {counts[Action.CREATE]} to create, {counts[Action.UPDATE]} to update, "
        f"{counts[Action.DELETE]} to delete, {counts[Action.RECOVER_TOKEN]} token(s) to recover, "
        f"{counts[Action.NO_OP]} unchanged, {counts[Action.CONFLICT]} conflict(s), "
        f"{counts[Action.BLOCKED]} blocked, {counts['errors']} error(s)."
    )


def plan_text(plan: Plan, style: Styler = plain, show_unchanged: bool = False) -> str:
    lines = [
        f"Desired: {plan.source} ({plan.desired_count} accounts)",
        f"Live:    {plan.control_plane} ({plan.live_count} accounts)",
        "",
    ]
    lines += [problem_line(p, style) for p in plan.problems]
    for action in Action:
        group = [c for c in plan.changes if c.action == action]
        if action == Action.NO_OP and not show_unchanged:
            group = [c for c in group if c.reason]
        for change in group:
            lines += _change_lines(change, style)
    if len(lines) == 3 and not plan.problems:
        lines.append("  No changes: the control plane matches Git.")
    lines += ["", plan_summary_line(plan)]
    return "\n".join(lines)


# -- apply --------------------------------------------------------------------------------------------------


def apply_text(report: ApplyReport, style: Styler = plain) -> str:
    """The apply report: every outcome, then what stayed unresolved, then one summary line."""
    plan = report.plan
    lines = [f"Control plane: {plan.control_plane}", f"Desired: {plan.source}", ""]
    lines += [problem_line(p, style) for p in plan.problems]
    for outcome in report.outcomes:
        label = _OUTCOME_LABELS[outcome.status]
        head = f"  {label:<8} {outcome.action:<13} {outcome.name}"
        lines.append(style(head, str(outcome.status)) + f"  {outcome.detail}")
    for change in report.unresolved:
        label = style(f"  {'not done':<8} {change.action:<13} {change.name}", "not-done")
        lines.append(f"{label}  {change.why_unresolved}")
    counts = report.counts()
    if not report.outcomes and not plan.has_errors:
        lines.append("  Nothing to do: the control plane matches Git.")
    verdict = "converged" if report.converged else "NOT converged"
    applied, failed, skipped = (counts[s] for s in OutcomeStatus)
    lines += ["", f"Apply: {applied} applied, {failed} failed, {skipped} skipped; {verdict}."]
    return "\n".join(lines)


# -- drift --------------------------------------------------------------------------------------------------


def drift_headline(report: DriftReport) -> str:
    if not report.findings:
        return "No drift: the control plane matches Git."
    return f"Drift: {len(report.findings)} finding(s) between Git and the control plane."


def drift_text(report: DriftReport) -> str:
    lines = [f"Live: {report.control_plane}", ""]
    for finding in report.findings:
        lines.append(f"  {finding.kind:<12} {finding.name}  {finding.detail}")
        lines += [f"      {d.path}: Git {_value(d.before)} / control plane {_value(d.after)}" for d in finding.diffs]
    lines += ["", drift_headline(report)]
    return "\n".join(lines)
