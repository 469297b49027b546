"""GitHub Actions files: the job summary ($GITHUB_STEP_SUMMARY) and step outputs ($GITHUB_OUTPUT)."""

from __future__ import annotations

import os
from collections.abc import Mapping

SUMMARY_LIMIT = 1024 * 1024


def running_in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (environ if environ is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def append_summary(path: str, markdown: str) -> str | None:
    """Append to $GITHUB_STEP_SUMMARY within its 1 MiB limit; returns a warning instead of failing the job."""
    data = markdown.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        return f"::warning::the job summary would be {len(data)} bytes, over GitHub's 1 MiB limit; not written"
    with open(path, "ab") as handle:
        handle.write(data + b"\n")
    return None


def set_outputs(path: str, values: Mapping[str, str]) -> None:
    """Write step outputs ($GITHUB_OUTPUT), one `name=value` line each (values here are single-line)."""
    with open(path, "a", encoding="utf-8") as handle:
        for key, value in values.items():
            handle.write(f"{key}={value.replace(chr(10), ' ')}\n")
