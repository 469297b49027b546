"""Pure: problems as GitHub Actions workflow commands (`::error file=...::message`), shown inline on the diff."""

from __future__ import annotations

from reconciler.domain.resources import ValidationReport
from reconciler.domain.values import Problem
from reconciler.render.text import validation_summary


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, title: str = "va-reconciler") -> str:
    """`::error file=...,line=...,col=...,title=...::message (path)`."""
    where = problem.position
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (("file", where.file), ("line", where.line), ("col", where.col), ("title", title))
    )
    suffix = f" ({problem.json_path})" if problem.json_path else ""
    return f"::{problem.severity} {properties}::{_escape_data(problem.message + suffix)}"


def validation_annotations(report: ValidationReport, description: str) -> str:
    lines = [annotation(p) for p in report.problems]
    lines.append(validation_summary(report, description))
    return "\n".join(lines)
