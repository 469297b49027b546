"""GitHub Actions workflow commands: annotations, masks, outputs. Pure string building; the CLI prints."""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.model import Problem


def running_in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (environ if environ is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, title: str = "va-reconciler") -> str:
    """`::error file=...,line=...,col=...,title=...::message (path)`: shown inline on the PR diff."""
    where = problem.position
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (("file", where.file), ("line", where.line), ("col", where.col), ("title", title))
    )
    suffix = f" ({problem.json_path})" if problem.json_path else ""
    return f"::{problem.severity} {properties}::{_escape_data(problem.message + suffix)}"


def add_mask(value: str) -> str:
    return f"::add-mask::{value}"


SUMMARY_LIMIT = 1024 * 1024


def append_summary(path: str, markdown: str) -> str | None:
    """Append to $GITHUB_STEP_SUMMARY within its 1 MiB limit; returns a warning instead of failing the job."""
    data = markdown.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        return f"::warning::the job summary would be {len(data)} bytes, over GitHub's 1 MiB limit; not written"
    with open(path, "ab") as handle:
        handle.write(data + b"\n")
    return None


def set_outputs(path: str, values: dict[str, str]) -> None:
    """Write step outputs ($GITHUB_OUTPUT), one `name=value` line each (values here are single-line)."""
    with open(path, "a", encoding="utf-8") as handle:
        for key, value in values.items():
            handle.write(f"{key}={value.replace(chr(10), ' ')}\n")
