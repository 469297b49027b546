"""Annotations within GitHub's caps: 10 error and 10 warning annotations per step, the rest counted; every
problem is also a plain `file:line:col` line."""

from __future__ import annotations

from reconciler.domain.resources import ValidationReport
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Severity
from reconciler.render.annotations import validation_annotations


def problems(count: int, severity: Severity, prefix: str) -> list[Problem]:
    return [Problem(Position(f"{prefix}-{i:03d}.yaml", 2, 3), f"bad {i}", "$.name", severity) for i in range(count)]


def test_the_first_ten_of_each_severity_are_annotated_errors_first_and_the_rest_counted() -> None:
    found = problems(25, Severity.WARNING, "w") + problems(150, Severity.ERROR, "e")
    report = ValidationReport(files=175, resources=(), skipped=(), problems=tuple(found))
    lines = validation_annotations(report, "working tree .").splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert [e.split("file=")[1].split(",")[0] for e in errors] == [f"e-{i:03d}.yaml" for i in range(10)]
    assert [w.split("file=")[1].split(",")[0] for w in warnings] == [f"w-{i:03d}.yaml" for i in range(10)]
    assert lines.index(errors[0]) < lines.index(warnings[0])
    notices = [line for line in lines if line.startswith("::notice ")]
    assert [n.split("::")[2].split(" (")[0] for n in notices] == [
        "140 more errors are not annotated",
        "15 more warnings are not annotated",
    ]
    plain = [line for line in lines if not line.startswith("::")]
    assert plain[:150] == [f"e-{i:03d}.yaml:2:3: error: bad {i} ($.name)" for i in range(150)]
    assert plain[150:175] == [f"w-{i:03d}.yaml:2:3: warning: bad {i} ($.name)" for i in range(25)]


def test_few_problems_need_no_notice() -> None:
    report = ValidationReport(files=1, resources=(), skipped=(), problems=tuple(problems(3, Severity.ERROR, "e")))
    lines = validation_annotations(report, "working tree .").splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 3
    assert not any(line.startswith("::notice") for line in lines)
