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
