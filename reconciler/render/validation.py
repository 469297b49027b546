"""Pure views of a ValidationReport: terminal text, JSON, GitHub annotations."""

from __future__ import annotations

import json
from typing import Any

from reconciler.github.actions import annotation
from reconciler.model import Problem, ValidationReport

REPORT_VERSION = 1


def problem_line(problem: Problem) -> str:
    """`path:line:col: error: <message> (<json path>)`, the compiler-style line editors jump to."""
    suffix = f" ({problem.json_path})" if problem.json_path else ""
    return f"{problem.position}: {problem.severity}: {problem.message}{suffix}"


def summary_line(report: ValidationReport, description: str) -> str:
    errors = len(report.errors)
    warnings = len(report.problems) - errors
    verdict = "valid" if report.valid else "invalid"
    return (
        f"{verdict}: {report.files} files, {len(report.accounts)} accounts, "
        f"{len(report.skipped)} skipped, {errors} errors, {warnings} warnings ({description})"
    )


def as_text(report: ValidationReport, description: str) -> str:
    lines = [problem_line(p) for p in report.problems]
    lines += [f"{s.position}: skipped: document of type '{s.kind}' is not a virtual account" for s in report.skipped]
    lines.append(summary_line(report, description))
    return "\n".join(lines)


def as_github(report: ValidationReport, description: str) -> str:
    lines = [annotation(p) for p in report.problems]
    lines.append(summary_line(report, description))
    return "\n".join(lines)


def as_json(report: ValidationReport, description: str, revision: str | None) -> str:
    data: dict[str, Any] = {
        "version": REPORT_VERSION,
        "valid": report.valid,
        "source": description,
        "revision": revision,
        "files": report.files,
        "accounts": sorted(a.name for a in report.accounts),
        "skipped": [
            {"file": s.position.file, "line": s.position.line, "col": s.position.col, "type": s.kind}
            for s in report.skipped
        ],
        "problems": [p.to_data() for p in report.problems],
    }
    return json.dumps(data, indent=2)
