"""One reporter interface for every command and every format (check-jsonschema's reporter registry, octoDNS's
plan outputs): a reporter turns a validation report, a plan, an apply report or a drift report into text.
The CLI picks one by name with `--format`; `--out` always writes the JSON one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from reconciler.domain.resources import ValidationReport
from reconciler.domain.values import JsonValue
from reconciler.domain.vocabulary import Kind
from reconciler.render.annotations import validation_annotations
from reconciler.render.text import Styler, apply_text, drift_text, import_text, plain, plan_text, validation_text

if TYPE_CHECKING:  # the reports of other commands: validate's start does without importing them
    from reconciler.domain.drift import DriftReport
    from reconciler.domain.importing import ImportReport
    from reconciler.domain.plan import Plan
    from reconciler.domain.reports import ApplyReport

VALIDATION_VERSION = 1


class Reporter(Protocol):
    def validation(self, report: ValidationReport, description: str, revision: str | None) -> str: ...

    def plan(self, plan: Plan) -> str: ...

    def apply(self, report: ApplyReport) -> str: ...

    def drift(self, report: DriftReport) -> str: ...

    def importing(self, report: ImportReport) -> str: ...


@dataclass(frozen=True)
class TextReporter:
    """For terminals and logs: grouped by action, each span marked for the terminal by `style`."""

    style: Styler = plain
    show_unchanged: bool = False

    def validation(self, report: ValidationReport, description: str, revision: str | None) -> str:
        return validation_text(report, description, self.style)

    def plan(self, plan: Plan) -> str:
        return plan_text(plan, self.style, show_unchanged=self.show_unchanged)

    def apply(self, report: ApplyReport) -> str:
        return apply_text(report, self.style)

    def drift(self, report: DriftReport) -> str:
        return drift_text(report)

    def importing(self, report: ImportReport) -> str:
        return import_text(report, self.style)


@dataclass(frozen=True)
class GithubReporter(TextReporter):
    """Text, with validation problems as workflow-command annotations (inline on the pull request's diff)."""

    def validation(self, report: ValidationReport, description: str, revision: str | None) -> str:
        return validation_annotations(report, description)


class JsonReporter:
    """The data: plan.json (with its checksum), the apply report, drift.json, the validation report."""

    def validation(self, report: ValidationReport, description: str, revision: str | None) -> str:
        return _dump(validation_data(report, description, revision))

    def plan(self, plan: Plan) -> str:
        return plan.to_json().rstrip("\n")

    def apply(self, report: ApplyReport) -> str:
        return _dump(report.to_data())

    def drift(self, report: DriftReport) -> str:
        return _dump(report.to_data())

    def importing(self, report: ImportReport) -> str:
        return _dump(report.to_data())


class MarkdownReporter:
    """GitHub-flavoured Markdown, as in the job summary, the apply report and the drift issue."""

    def validation(self, report: ValidationReport, description: str, revision: str | None) -> str:
        return "```text\n" + validation_text(report, description).replace("```", "'''") + "\n```"

    # The views import jinja2 (about 15 ms): only Markdown output pays for it.
    def plan(self, plan: Plan) -> str:
        from reconciler.render.views import Links, plan_job_summary

        return plan_job_summary(plan, Links())

    def apply(self, report: ApplyReport) -> str:
        from reconciler.render.views import Links, apply_comment

        return apply_comment(report, Links())

    def drift(self, report: DriftReport) -> str:
        from reconciler.render.views import Links, drift_issue

        return drift_issue(report, Links())

    def importing(self, report: ImportReport) -> str:
        return "```text\n" + import_text(report).replace("```", "'''") + "\n```"


def _dump(data: Mapping[str, object]) -> str:
    return json.dumps(data, indent=2)


def validation_data(report: ValidationReport, description: str, revision: str | None) -> dict[str, object]:
    return {
        "version": VALIDATION_VERSION,
        "valid": report.valid,
        "source": description,
        "revision": revision,
        "files": report.files,
        "accounts": list[JsonValue](sorted(r.name for r in report.of_kind(Kind.VIRTUAL_ACCOUNT))),
        "role_bindings": list[JsonValue](sorted(r.name for r in report.of_kind(Kind.ROLE_BINDING))),
        "skipped": [
            {
                "file": s.position.file,
                "line": s.position.line,
                "col": s.position.col,
                "type": s.kind or None,
                "reason": str(s.reason),
            }
            for s in report.skipped
        ],
        "problems": [p.to_data() for p in report.problems],
    }


FORMATS = ("text", "json", "markdown", "github")


def reporter(name: str, style: Styler = plain, show_unchanged: bool = False) -> Reporter:
    """The reporter registered under `name` (one of FORMATS; `human` is the old name of `text`). `style` marks
    spans of the text views for the terminal; data formats (json, markdown) never carry terminal styles."""
    if name in ("text", "human"):
        return TextReporter(style, show_unchanged)
    if name == "github":
        return GithubReporter(style, show_unchanged)
    if name == "json":
        return JsonReporter()
    if name == "markdown":
        return MarkdownReporter()
    raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
