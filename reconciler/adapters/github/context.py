"""Pure: the standard GitHub Actions environment (+ the event payload) -> what we need to talk to GitHub.
Works on GitHub Enterprise too: every URL comes from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.domain.errors import ConfigError


@dataclass(frozen=True)
class GitHubContext:
    api_url: str
    server_url: str
    repository: str
    token: str
    sha: str
    event_name: str
    ref: str
    pull_request: int | None
    head_sha: str | None
    run_url: str
    step_summary: str | None
    output: str | None
    login: str | None = None  # RECONCILER_GITHUB_LOGIN: the author our comments carry, when GitHub cannot say
    before: str | None = None  # a push event's previous head of the branch (None: not a push, or a new branch)
    budget: float | None = None  # RECONCILER_GITHUB_BUDGET: seconds GitHub calls may spend waiting
    secrets: tuple[str, ...] = ()  # values never to show (GITHUB_TOKEN, TFY_API_KEY)
    default_branch: str | None = None  # the event's repository.default_branch

    def require_token(self) -> None:
        if not self.token or not self.repository:
            raise ConfigError("GITHUB_TOKEN and GITHUB_REPOSITORY must be set to talk to GitHub")


NO_COMMIT = "0" * 40  # a push event's `before` when the branch is new


def _budget(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        raise ConfigError(f"RECONCILER_GITHUB_BUDGET must be a number of seconds, not {text!r}") from None


def context_from_env(environ: Mapping[str, str], event: Mapping[str, Any] | None) -> GitHubContext:
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY", "")
    run_id = environ.get("GITHUB_RUN_ID", "")
    pull = (event or {}).get("pull_request") or {}
    number = pull.get("number") if isinstance(pull, Mapping) else None
    head = pull.get("head", {}).get("sha") if isinstance(pull, Mapping) else None
    before = (event or {}).get("before")
    repository_data = (event or {}).get("repository") or {}
    default_branch = repository_data.get("default_branch") if isinstance(repository_data, Mapping) else None
    return GitHubContext(
        api_url=environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        server_url=server,
        repository=repository,
        token=environ.get("GITHUB_TOKEN", ""),
        sha=environ.get("GITHUB_SHA", ""),
        event_name=environ.get("GITHUB_EVENT_NAME", ""),
        ref=environ.get("GITHUB_REF", ""),
        pull_request=number if isinstance(number, int) else None,
        head_sha=head if isinstance(head, str) else None,
        run_url=f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else "",
        step_summary=environ.get("GITHUB_STEP_SUMMARY") or None,
        output=environ.get("GITHUB_OUTPUT") or None,
        login=environ.get("RECONCILER_GITHUB_LOGIN") or None,
        before=before if isinstance(before, str) and before and before != NO_COMMIT else None,
        budget=_budget(environ.get("RECONCILER_GITHUB_BUDGET")),
        secrets=tuple(v for v in (environ.get("GITHUB_TOKEN"), environ.get("TFY_API_KEY")) if v),
        default_branch=default_branch if isinstance(default_branch, str) and default_branch else None,
    )
