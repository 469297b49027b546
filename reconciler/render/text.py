"""Pure: plans, apply reports, drift reports and validation reports -> terminal text, coloured when asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from reconciler.domain.diff import FieldDiff
from reconciler.domain.grants import Sourced, grants_of, subjects_of
from reconciler.domain.plan import Change, Plan
from reconciler.domain.resources import SkippedDocument, ValidationReport
from reconciler.domain.values import JsonValue, Problem
from reconciler.domain.vocabulary import Action, DiffKind, Kind, OutcomeStatus, SkipReason, Why
from reconciler.render.labels import SYMBOLS
from reconciler.render.safe import shown as v

if TYPE_CHECKING:  # the reports of other commands: validate's start does without importing them
    from reconciler.domain.drift import DriftReport
    from reconciler.domain.importing import ImportReport
    from reconciler.domain.reports import ApplyReport

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
    text = v(json.dumps(value, sort_keys=True, ensure_ascii=False))  # "prod" vs "prod\u200b", no ESC, one line
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


# -- validation ---------------------------------------------------------------------------------------------


def problem_line(problem: Problem, style: Styler = plain) -> str:
    """`path:line:col: error: <message> (<json path>)`, the compiler-style line editors jump to."""
    suffix = f" ({problem.json_path})" if problem.json_path else ""
    severity = style(str(problem.severity), str(problem.severity))
    return f"{v(problem.position)}: {severity}: {v(problem.message)}{v(suffix)}"


def validation_summary(report: ValidationReport, description: str) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "valid" if report.valid else "invalid"
    accounts, bindings = len(report.of_kind(Kind.VIRTUAL_ACCOUNT)), len(report.of_kind(Kind.ROLE_BINDING))
    return (
        f"{verdict}: {report.files} files, {accounts} accounts, {bindings} role bindings, "
        f"{len(report.skipped)} skipped, {errors} errors, {warnings} warnings ({v(description)})"
    )


def skipped_line(skipped: SkippedDocument) -> str:
    """`file:line:col: skipped: <why>`, one line per document (or file) that is not a manifest."""
    why = {
        SkipReason.OTHER_TYPE: f"document of type '{v(skipped.kind)}' is not managed here",
        SkipReason.NOT_A_MANIFEST: "document without a type and without a field of a managed kind is not a manifest",
        SkipReason.OUTSIDE_PATHS: "file is not under the manifest paths of reconciler.yaml",
    }[skipped.reason]
    return f"{v(skipped.position)}: skipped: {why}"


def validation_text(report: ValidationReport, description: str, style: Styler = plain) -> str:
    lines = [problem_line(p, style) for p in report.problems]
    lines += [skipped_line(s) for s in report.skipped]
    lines.append(validation_summary(report, description))
    return "\n".join(lines)


# -- plan ---------------------------------------------------------------------------------------------------


def list_items(field: FieldDiff) -> tuple[list[JsonValue], list[JsonValue]] | None:
    """(removed, added) items when both sides of a diff are lists (permissions, subjects, recipients...), so
    each item shows on its own line instead of two truncated blobs; None otherwise."""
    before = field.before if isinstance(field.before, list) else [] if field.kind == DiffKind.ADD else None
    after = field.after if isinstance(field.after, list) else [] if field.kind == DiffKind.REMOVE else None
    if before is None or after is None:
        return None
    return [item for item in before if item not in after], [item for item in after if item not in before]


def _diff_lines(field: FieldDiff) -> list[str]:
    items = list_items(field)
    if items is not None:
        removed, added = items
        return [f"      - {v(field.path)}[]: {_value(item)}" for item in removed] + [
            f"      + {v(field.path)}[]: {_value(item)}" for item in added
        ]
    if field.kind == DiffKind.ADD:
        return [f"      + {v(field.path)}: {_value(field.after)}"]
    if field.kind == DiffKind.REMOVE:
        return [f"      - {v(field.path)}: {_value(field.before)}"]
    return [f"      ~ {v(field.path)}: {_value(field.before)} -> {_value(field.after)}"]


def _change_lines(change: Change, style: Styler) -> list[str]:
    where = f"  ({v(change.position)})" if change.position else ""
    head = f"  {SYMBOLS[change.action]} {change.action:<13} {v(change.name)}"
    lines = [style(head, str(change.action)) + where]
    if change.action == Action.CREATE and change.desired is not None and change.kind == Kind.VIRTUAL_ACCOUNT:
        hidden = {"type", "name", "permissions"}  # what it may do is in the access section, one line per grant
        lines += [f"      {v(key)}: {_value(value)}" for key, value in change.desired.items() if key not in hidden]
    elif change.creates and change.desired is not None:
        lines += [f"      subject: {v(subject)}" for subject in subjects_of(change.desired)]
        lines += [f"      grants: {v(grant)}" for grant in grants_of(change.kind, change.desired)]
    lines += [line for d in change.diffs for line in _diff_lines(d)]
    if change.reason:
        lines.append(f"      {v(change.reason)}")
    if change.token_destination and change.action in (Action.CREATE, Action.RECOVER_TOKEN, Action.UPDATE):
        lines.append(f"      token -> {v(change.token_destination)}")
    lines += [style(f"      warning: {v(w)}", "warning") for w in change.warnings]
    lines += [style(f"      error: {v(e)}", "error") for e in change.errors]
    return lines


def plan_summary_line(plan: Plan) -> str:
    counts = plan.counts()
    adopt = f"{counts[Action.ADOPT]} to adopt, " if counts[Action.ADOPT] else ""  # as Terraform's "to import"
    return (
        f"Plan: {adopt}{counts[Action.CREATE]} to create, {counts[Action.UPDATE]} to update, "
        f"{counts[Action.DELETE]} to delete, {counts[Action.RECOVER_TOKEN]} token(s) to recover, "
        f"{counts[Action.NO_OP]} unchanged, {counts[Action.CONFLICT]} conflict(s), "
        f"{counts[Action.BLOCKED]} blocked, {counts['errors']} error(s)."
    )


def grant_line(sign: str, grant: Sourced) -> str:
    """`+ workspace-admin on acme-prod-cluster:platform (role-binding va-ci-bot)`, escalations marked."""
    mark = "  [high privilege]" if grant.high_privilege and sign == "+" else ""
    return f"{sign} {v(grant)}{mark}"


def access_lines(plan: Plan, style: Styler = plain) -> list[str]:
    """The access section: what each account touched can do after the plan, one line per grant, never cut.
    Granted lines are styled as creates (as warnings when high privilege), revoked ones as deletes."""
    lines: list[str] = []
    for change in plan.access:
        if not (change.changes_access or change.undeclared or change.new):
            continue
        state = " (new account)" if change.new else " (deleted)" if change.gone else ""
        lines.append(f"  {v(change.account)}{state}")
        lines += [style("    " + grant_line("+", g), "warning" if g.high_privilege else "create") for g in change.added]
        lines += [style("    " + grant_line("-", g), "delete") for g in change.removed]
        lines += [f"      not declared in Git: {v(g)}" for g in change.undeclared]
    return ["Access changes:", *lines, ""] if lines else []


def plan_text(plan: Plan, style: Styler = plain, show_unchanged: bool = False) -> str:
    lines = [
        f"Desired: {v(plan.source)} ({plan.desired_count} resources)",
        f"Live:    {v(plan.control_plane)} ({plan.live_count} resources)",
        "",
    ]
    lines += [f"notice: {v(notice)}" for notice in plan.notices]
    access = access_lines(plan, style)
    lines += access
    lines += [problem_line(p, style) for p in plan.problems]
    shown = []
    for action in Action:
        group = [c for c in plan.changes if c.action == action]
        if action == Action.NO_OP and not show_unchanged:
            group = [c for c in group if c.reason]
        for change in group:
            shown += _change_lines(change, style)
    lines += shown
    if not shown and not access and not plan.problems:
        lines.append("  No changes: the control plane matches Git.")
    lines += ["", plan_summary_line(plan)]
    return "\n".join(lines)


# -- apply --------------------------------------------------------------------------------------------------


def apply_text(report: ApplyReport, style: Styler = plain) -> str:
    """The apply report: every outcome, then what stayed unresolved, then one summary line."""
    plan = report.plan
    lines = [f"Control plane: {v(plan.control_plane)}", f"Desired: {v(plan.source)}", ""]
    lines += [problem_line(p, style) for p in plan.problems]
    for outcome in report.outcomes:
        label = _OUTCOME_LABELS[outcome.status]
        head = f"  {label:<8} {outcome.action:<13} {v(outcome.name)}"
        lines.append(style(head, str(outcome.status)) + f"  {v(outcome.detail)}")
    for change in report.unresolved:
        label = style(f"  {'not done':<8} {change.action:<13} {v(change.name)}", "not-done")
        lines.append(f"{label}  {v(change.why_unresolved)}")
    if report.still_differs:
        lines += ["", "Still differs (the control plane, read again after the writes):"]
        lines += [style(f"  {'differs':<8} {c.action:<13} {v(c.name)}", "not-done") for c in report.still_differs]
    counts = report.counts()
    if not report.outcomes and not plan.has_errors:
        lines.append("  Nothing to do: the control plane matches Git.")
    verdict = "converged" if report.converged else "NOT converged"
    applied, failed, skipped = (counts[s] for s in OutcomeStatus)
    unresolved = f", {counts['conflict']} conflict(s), {counts['blocked']} blocked, {counts['error']} error(s)"
    lines += ["", f"Apply: {applied} applied, {failed} failed, {skipped} skipped{unresolved}; {verdict}."]
    return "\n".join(lines)


# -- drift --------------------------------------------------------------------------------------------------


def drift_headline(report: DriftReport) -> str:
    informational = len(report.findings) - len(report.drift)
    also = f"; {informational} account(s) managed elsewhere, listed for information" if informational else ""
    if not report.drift:
        return f"No drift: the control plane matches Git{also}."
    return f"Drift: {len(report.drift)} finding(s) between Git and the control plane{also}."


def drift_text(report: DriftReport) -> str:
    lines = [f"Live: {v(report.control_plane)}", ""]
    for finding in report.findings:
        lines.append(f"  {finding.kind:<12} {v(finding.name)}  {v(finding.detail)}")
        lines += [f"      {v(d.path)}: Git {_value(d.before)} / control plane {_value(d.after)}" for d in finding.diffs]
    lines += ["", drift_headline(report)]
    return "\n".join(lines)


# -- import -------------------------------------------------------------------------------------------------

_WHY_SHOWN: dict[Why, str] = {
    Why.OWNED_ELSEWHERE: "owned elsewhere",
    Why.IN_GIT: "in Git",
    Why.FILE_EXISTS: "file exists",
    Why.UNSAFE_NAME: "unsafe name",
    Why.SHARED: "shared",
}


def import_summary(report: ImportReport) -> str:
    plan = report.plan
    verb = "would write" if report.dry_run else "wrote"
    config = f" and {v(report.shown_path(report.config))}" if report.config else ""
    written = sum(report.written(f) for f in plan.files) if not report.dry_run else len(plan.files)
    return (
        f"Import: {plan.accounts} account(s) and {plan.bindings} role binding(s); {verb} {written} file(s){config}; "
        f"{len(plan.skipped)} skipped, {plan.excluded} left out by the selection or scope, "
        f"{len(report.errors)} problem(s)."
    )


def import_text(report: ImportReport, style: Styler = plain) -> str:
    """Every file import writes (or would write), what it left out and why, the problems validation finds in the
    files, then one summary line."""
    ownership = f"{report.ownership.key}={report.ownership.value}"
    lines = [f"Live: {v(report.control_plane)}", f"Ownership: {v(ownership)}", ""]
    for file in report.files:
        mark = "+" if report.written(file) or report.dry_run else "!"
        held = [*file.accounts, *(f"role binding {b}" for b in file.bindings)] or ["configuration"]
        unwritten = "" if report.dry_run or report.written(file) else "  (appeared meanwhile: not written)"
        head = style(f"  {mark} {v(report.shown_path(file))}", "create")
        lines.append(f"{head}  {v(', '.join(held))}{unwritten}")
    for skipped in report.plan.skipped:
        noun = "account" if skipped.kind == Kind.VIRTUAL_ACCOUNT else "role binding"
        head = f"  - {_WHY_SHOWN[skipped.why]:<16} {noun} {v(skipped.name)}"
        lines.append(style(head, "no-op") + f"  {v(skipped.detail)}")
    lines += [f"  note: {v(path)}: not in the documented manifest, not written" for path in report.plan.dropped]
    lines += [problem_line(p, style) for p in report.problems]
    lines += ["", import_summary(report)]
    return "\n".join(lines)
