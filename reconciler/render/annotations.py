"""Pure: problems as GitHub Actions workflow commands (`::error file=...::message`), shown inline on the diff,
within GitHub's caps: a step shows at most 10 error and 10 warning annotations (50 per job; docs.github.com,
"Workflow commands" and the annotation limits of the checks API). Every problem is also a plain
`file:line:col` line in the log, and a row of the job summary (`render/views.validation_job_summary`)."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.domain.resources import ValidationReport
from reconciler.domain.values import Problem
from reconciler.domain.vocabulary import Severity
from reconciler.render.safe import shown
from reconciler.render.text import problem_line, skipped_line, validation_summary

ANNOTATIONS_PER_STEP = 10  # per severity


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, title: str = "va-reconciler") -> str:
    """`::error file=...,line=...,col=...,title=...::message (path)`."""
    where = problem.position
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (("file", shown(where.file)), ("line", where.line), ("col", where.col), ("title", title))
    )
    suffix = f" ({problem.json_path})" if problem.json_path else ""
    return f"::{problem.severity} {properties}::{_escape_data(shown(problem.message + suffix))}"


def capped_annotations(problems: Sequence[Problem]) -> list[str]:
    """The first 10 errors and the first 10 warnings as annotations (errors first, each in file order), and
    for each severity with more, one notice saying how many more there are and where they are."""
    lines = []
    for severity in (Severity.ERROR, Severity.WARNING):
        chosen = sorted(p for p in problems if p.severity == severity)
        lines += [annotation(p) for p in chosen[:ANNOTATIONS_PER_STEP]]
        if len(chosen) > ANNOTATIONS_PER_STEP:
            more = len(chosen) - ANNOTATIONS_PER_STEP
            lines.append(
                f"::notice title=va-reconciler::{more} more {severity}s are not annotated (GitHub shows "
                f"{ANNOTATIONS_PER_STEP} per step): every problem is in this log as file:line:col and in the "
                "job summary"
            )
    return lines


def validation_annotations(report: ValidationReport, description: str) -> str:
    """Every problem as a plain `file:line:col` line, skipped documents, the capped annotations, the verdict."""
    lines = [problem_line(p) for p in sorted(report.problems, key=lambda p: (p.severity != Severity.ERROR, p))]
    lines += [skipped_line(s) for s in report.skipped]
    lines += capped_annotations(report.problems)
    lines.append(validation_summary(report, description))
    return "\n".join(lines)
