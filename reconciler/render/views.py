"""Pure: plans, apply reports, drift reports and validation reports -> Markdown for GitHub, within GitHub's
size limits, measured on the final text.

Every list is a section (access changes, errors, changes, warnings, account details, apply results,
findings, problems). A body is fitted to its budget after escaping and link building: sections are filled in
priority order (access changes and errors first), each with as many items as still fit, and a section that
lost items ends with "… and N more" and where to see them. Comment and issue bodies are measured in UTF-16
code units, as GitHub counts its 65,536-character limit (budget 60,000, leaving room for the hidden write id
the client adds); job summaries in UTF-8 bytes, against GitHub's 1 MiB per step (budget 1,000,000 minus what
the step already wrote)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from reconciler.domain.diff import FieldDiff
from reconciler.domain.drift import DriftReport, Finding
from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import ApplyReport
from reconciler.domain.resources import ValidationReport
from reconciler.domain.values import JsonValue, Position, canonical_json
from reconciler.domain.vocabulary import Action
from reconciler.render.labels import DRIFT_LABELS, SYMBOLS
from reconciler.render.markdown import html_text, md_text, utf16_length
from reconciler.render.render import render
from reconciler.render.safe import masked
from reconciler.render.text import drift_headline, list_items, plan_summary_line, validation_summary

COMMENT_BUDGET = 60_000  # UTF-16 code units; GitHub refuses bodies over 65,536
SUMMARY_BUDGET = 1_000_000  # bytes; GitHub's job summary limit is 1 MiB per step
SHORT_SHA = 12

Measure = Callable[[str], int]


def summary_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Links:
    """Where things live on GitHub: file links at the head commit, commits, the run (for the job summary)."""

    server_url: str = "https://github.com"
    repository: str = ""
    sha: str = ""
    run_url: str = ""
    environment: str = ""

    def file(self, where: Position) -> Markup:
        """`file:line:col`, linked to the line at the head commit when the repository is known."""
        label = md_text(where.file) + Markup(f":{where.line}:{where.col}")
        if not self.repository or not self.sha:
            return label
        url = f"{self.server_url}/{self.repository}/blob/{self.sha}/{quote(where.file)}#L{where.line}"
        return Markup(f"[{label}]({url})")

    def commit(self, sha: str | None) -> Markup:
        """A commit as a short SHA linked to it; only hex is trusted as a SHA, anything else is escaped."""
        if not sha:
            return md_text("working tree")
        if not all(ch in "0123456789abcdef" for ch in sha.lower()):
            return md_text(sha)
        short = Markup(f"<code>{sha[:SHORT_SHA]}</code>")
        if not self.repository:
            return short
        return Markup(f"[{short}]({self.server_url}/{self.repository}/commit/{sha})")

    def summary_link(self) -> Markup:
        return Markup(f"[job summary]({self.run_url})") if self.run_url else Markup("job summary")

    def comment_elsewhere(self) -> Markup:
        """Where what a comment leaves out can be read: the job summary and the plan artifact."""
        return Markup(f"the {self.summary_link()} and the `plan.json` artifact")


SUMMARY_ELSEWHERE = Markup("the `plan.json` artifact of this run (`reconciler plan --out plan.json`)")


def marker(kind: str, environment: str) -> Markup:
    suffix = f":{environment}" if environment else ""
    safe = "".join(ch for ch in f"{kind}{suffix}" if ch.isalnum() or ch in ":-_.")
    return Markup(f"<!-- va-reconciler:{safe} -->")


# -- fitting sections into a budget ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What a template shows of one section: the first rows, and how many were left out."""

    rows: Sequence[Mapping[str, Any]]
    cut: int = 0


@dataclass(frozen=True)
class Sections:
    """The sections of one body, in priority order (the first is filled first)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def shown(self, limits: Mapping[str, int]) -> dict[str, Shown]:
        return {name: Shown(rows[: limits[name]], len(rows) - limits[name]) for name, rows in self.rows.items()}


def _largest(fits: Callable[[int], bool], most: int) -> int:
    """The largest n in 0..most with fits(n) (binary search; fits is monotonic), 0 when none fits."""
    if fits(most):
        return most
    low, high, best = 0, most - 1, 0
    while low <= high:
        middle = (low + high) // 2
        if fits(middle):
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def fit(sections: Sections, render_with: Callable[[dict[str, Shown]], str], budget: int, measure: Measure) -> str:
    """The body with as many rows of each section as fit `budget` (by `measure`), sections filled in order."""
    limits = dict.fromkeys(sections.rows, 0)
    for name, rows in sections.rows.items():

        def fits(count: int, name: str = name) -> bool:
            return measure(render_with(sections.shown({**limits, name: count}))) <= budget

        limits[name] = _largest(fits, len(rows)) if rows else 0
    text = render_with(sections.shown(limits))
    return text if measure(text) <= budget else _cut_to(text, budget, measure)


def _cut_to(text: str, budget: int, measure: Measure) -> str:
    """Last resort, when even the empty sections overflow (a tiny budget): the longest prefix that fits."""
    note = "\n\n> **Truncated** to stay within GitHub's size limit.\n"
    keep = _largest(lambda n: measure(text[:n] + note) <= budget, len(text))
    return text[:keep] + note if measure(note) <= budget else ""


# -- plans ------------------------------------------------------------------------------------------------------


def _value(value: JsonValue) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _shown_in_plan(plan: Plan) -> list[Change]:
    return [c for c in plan.changes if c.action != Action.NO_OP or c.reason]


def _where(change: Change, links: Links) -> Markup | str:
    where = change.position
    return links.file(where) if where else ""


def _error_rows(plan: Plan, links: Links) -> list[dict[str, Any]]:
    """Every error of the plan with where it stands: invalid manifests, then server rejections."""
    located: list[tuple[Position | None, str, str]] = [(p.position, "", p.message) for p in plan.problems]
    located += [(c.position, c.name, e) for c in plan.changes for e in c.errors]
    return [
        {"where": md_text(name) if at is None else links.file(at), "message": message} for at, name, message in located
    ]


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


def _change_rows(plan: Plan, links: Links) -> list[dict[str, Any]]:
    return [
        {"symbol": SYMBOLS[c.action], "action": c.action, "name": c.name, "where": _where(c, links)}
        for c in _shown_in_plan(plan)
    ]


def _warning_rows(plan: Plan) -> list[dict[str, Any]]:
    return [{"name": c.name, "warning": w} for c in plan.changes for w in c.warnings]


def _summary_where(where: Position | None) -> Markup:
    """` · file:line:col` for a `<summary>` (raw HTML), or nothing."""
    return Markup(" · ") + html_text(where.file) + Markup(f":{where.line}:{where.col}") if where else Markup()


def _detail_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "symbol": SYMBOLS[c.action],
            "action": c.action,
            "name": c.name,
            "where": _summary_where(c.position),
            "diffs": [row for d in c.diffs for row in _diff_rows(d)],
            "reason": c.reason,
            "token_destination": c.token_destination if c.action == Action.CREATE else None,
        }
        for c in _shown_in_plan(plan)
    ]


def plan_sections(plan: Plan, links: Links) -> Sections:
    """The plan's sections in priority order: access changes, errors, changes, warnings, account details."""
    return Sections(
        {
            "access": _access_rows(plan),
            "errors": _error_rows(plan, links),
            "changes": _change_rows(plan, links),
            "warnings": _warning_rows(plan),
            "details": _detail_rows(plan),
        }
    )


def _headline(plan: Plan) -> str:
    if plan.problems:
        return f"The manifests are invalid: {len(plan.problems)} problem(s); nothing was planned."
    if not plan.has_changes and not plan.has_errors:
        return "No changes: the control plane matches Git."
    return plan_summary_line(plan)


def _plan_header(plan: Plan, links: Links) -> dict[str, Any]:
    return {
        "marker": marker("plan", links.environment),
        "environment": links.environment,
        "headline": _headline(plan),
        "notices": list(plan.notices),
        "escalations": len(plan.escalations),
        "counts": plan.counts(),
        "sha": links.commit(plan.revision or links.sha),
        "control_plane": plan.control_plane,
        "checksum": Markup(plan.checksum),  # our own sha256, hex: nothing to escape
    }


def plan_comment(plan: Plan, links: Links, budget: int = COMMENT_BUDGET) -> str:
    header = _plan_header(plan, links)
    elsewhere = links.comment_elsewhere()

    def with_sections(shown: dict[str, Shown]) -> str:
        return render("plan_comment.md.j2", **header, s=shown, elsewhere=elsewhere)

    return fit(plan_sections(plan, links), with_sections, budget, utf16_length)


def plan_job_summary(plan: Plan, links: Links, budget: int = SUMMARY_BUDGET) -> str:
    header = _plan_header(plan, links)

    def with_sections(shown: dict[str, Shown]) -> str:
        return render("summary.md.j2", kind="plan", **header, s=shown, elsewhere=SUMMARY_ELSEWHERE)

    return fit(plan_sections(plan, links), with_sections, budget, summary_bytes)


def plan_failed(
    head: str | None, error: object, links: Links, secrets: tuple[str, ...] = (), budget: int = COMMENT_BUDGET
) -> str:
    """The note that replaces the plan comment when a plan fails after the pull request is known: names the
    head commit it was for and the error (secrets and token-shaped text masked, one line, bounded)."""
    body = render(
        "plan_failed.md.j2",
        marker=marker("plan", links.environment),
        environment=links.environment,
        sha=links.commit(head),
        error=masked(error, secrets),
        summary_link=links.summary_link(),
    )
    return body if utf16_length(body) <= budget else _cut_to(body, budget, utf16_length)


# -- apply reports ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyScope:
    """The part of an apply report that belongs to one pull request: its number, the commits it was merged
    as, and the accounts its changes touched (by name, before and after)."""

    pull_request: int
    merged_as: tuple[str, ...]
    accounts: frozenset[str]


def _result_rows(report: ApplyReport, scope: ApplyScope | None) -> list[dict[str, Any]]:
    rows = [{"name": o.name, "action": o.action, "status": o.status, "detail": o.detail} for o in report.outcomes]
    rows += [{"name": c.name, "action": c.action, "status": "not done", "detail": c.why_unresolved}
             for c in report.unresolved]  # fmt: skip
    return [r for r in rows if scope is None or r["name"] in scope.accounts]


def _apply_headline(report: ApplyReport, rows: list[dict[str, Any]], scope: ApplyScope | None) -> str:
    if scope is None:
        if report.converged:
            return "Applied: the control plane matches main."
        return "Apply did not converge: see the failed, skipped and unresolved accounts below."
    if not rows:
        return "Applied with later changes: nothing of this pull request needed a write."
    if all(r["status"] == "applied" for r in rows):
        return f"Applied: all {len(rows)} change(s) of this pull request."
    return "Not everything of this pull request was applied: see the failed, skipped and unresolved accounts below."


def apply_comment(
    report: ApplyReport,
    links: Links,
    budget: int = COMMENT_BUDGET,
    scope: ApplyScope | None = None,
    applied: str | None = None,
    triggered_by: str | None = None,
    measure: Measure = utf16_length,
) -> str:
    """The apply report: every outcome (or, with `scope`, those of one pull request's accounts), what stayed
    unresolved, and the revision that was applied (`applied`) next to the commit that started the run."""
    all_rows = _result_rows(report, None)
    rows = _result_rows(report, scope)
    counts = {
        status: sum(r["status"] == status for r in rows) for status in ("applied", "failed", "skipped", "not done")
    }
    revision = applied or report.plan.revision or links.sha
    header = {
        "marker": marker("apply", links.environment),
        "environment": links.environment,
        "headline": _apply_headline(report, rows, scope),
        "counts": counts,
        "scope": scope,
        "merged_as": [links.commit(sha) for sha in scope.merged_as] if scope else [],
        "others": len(all_rows) - len(rows),
        "converged": report.converged,
        "summary_link": links.summary_link(),
        "applied": links.commit(revision),
        "triggered_by": links.commit(triggered_by) if triggered_by and triggered_by != revision else None,
        "control_plane": report.plan.control_plane,
        "checksum": Markup(report.plan.checksum),
    }

    def with_sections(shown: dict[str, Shown]) -> str:
        return render("apply_report.md.j2", **header, s=shown, elsewhere=links.summary_link())

    return fit(Sections({"results": rows}), with_sections, budget, measure)


# -- drift ------------------------------------------------------------------------------------------------------


def _finding_view(finding: Finding) -> dict[str, Any]:
    return {
        "label": DRIFT_LABELS[finding.kind],
        "name": finding.name,
        "detail": finding.detail,
        "diffs": [{"path": d.path, "before": _shown(d.before), "after": _shown(d.after)} for d in finding.diffs],
    }


def _shown(value: JsonValue) -> str:
    return "(absent)" if value is None else canonical_json(value)


def drift_issue(
    report: DriftReport, links: Links, budget: int = COMMENT_BUDGET, measure: Measure = utf16_length
) -> str:
    header = {
        "marker": marker("drift", links.environment),
        "fingerprint_marker": Markup(f"<!-- va-reconciler:drift-fingerprint:{report.fingerprint} -->"),
        "headline": drift_headline(report),
        "checked_at": report.checked_at,
        "control_plane": report.control_plane,
        "sha": links.commit(report.revision or links.sha),
        "kinds": [{"label": DRIFT_LABELS[kind], "count": n} for kind, n in report.kind_counts().items()],
    }

    def with_sections(shown: dict[str, Shown]) -> str:
        return render("drift_issue.md.j2", **header, s=shown, elsewhere=Markup("`reconciler drift`"))

    return fit(Sections({"findings": [_finding_view(f) for f in report.findings]}), with_sections, budget, measure)


# -- validation -------------------------------------------------------------------------------------------------


def validation_job_summary(
    report: ValidationReport, description: str, links: Links, budget: int = SUMMARY_BUDGET
) -> str:
    """Every problem as a row (file:line:col linked, severity, message), errors first, within `budget` bytes."""
    ordered = sorted(report.problems, key=lambda p: (p.severity != "error", p.position))
    rows = [
        {
            "where": links.file(p.position),
            "severity": p.severity,
            "message": p.message + (f" ({p.json_path})" if p.json_path else ""),
        }
        for p in ordered
    ]
    verdict = validation_summary(report, description)

    def with_sections(shown: dict[str, Shown]) -> str:
        return render("validation_summary.md.j2", verdict=verdict, s=shown,
                      elsewhere=Markup("the log of this step (every problem as `file:line:col`)"))  # fmt: skip

    return fit(Sections({"problems": rows}), with_sections, budget, summary_bytes)
