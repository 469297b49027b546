"""A small GitHub REST client (httpx): pagination by Link header, primary and secondary rate limits honoured
(`retry-after`, `x-ratelimit-reset`), errors turned into clear messages, and the three things we do: one
sticky comment per pull request, a comment on the pull request a commit came from, one drift issue."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from reconciler.errors import ReconcilerError

ACTIONS_BOT = "github-actions[bot]"
MAX_RETRIES = 3
MAX_WAIT = 120.0


class GitHubError(ReconcilerError):
    pass


class GitHub:
    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        sleep: Callable[[float], None] = time.sleep,
        login: str | None = None,
    ) -> None:
        self.repository = repository
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=api_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "va-reconciler",
            },
            timeout=httpx.Timeout(30.0, connect=10.0),
        )
        self._login = login or None  # who our token acts as; asked of GitHub when not given

    def close(self) -> None:
        self._http.close()

    # -- transport ------------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == MAX_RETRIES:
                    raise GitHubError(f"GitHub API unreachable ({type(exc).__name__}) for {method} {path}") from exc
                self._sleep(2.0**attempt)
                continue
            wait = _rate_limit_wait(response)
            if wait is None or attempt == MAX_RETRIES:
                break
            self._sleep(wait)
        if response.is_success:
            return response
        raise GitHubError(f"GitHub API {method} {path}: {response.status_code} {_message(response)}")

    def _pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        while url:
            response = self._request("GET", url, params=query)
            yield from response.json()
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query

    # -- identity -------------------------------------------------------------------------------------------
    def login(self) -> str:
        """Who our token acts as. Installation tokens (GITHUB_TOKEN) cannot read /user: they post as the
        Actions bot (a GitHub App's token posts as `<app>[bot]`: set RECONCILER_GITHUB_LOGIN)."""
        if self._login is None:
            try:
                self._login = str(self._request("GET", "/user").json()["login"])
            except GitHubError:
                self._login = ACTIONS_BOT
        return self._login

    # -- comments -------------------------------------------------------------------------------------------
    def upsert_comment(self, number: int, marker: str, body: str) -> tuple[str, int]:
        """One comment per pull request and marker: found by the marker *and* our login (anyone can paste the
        marker), edited in place; created only when there is none. Returns (created|updated, id)."""
        me = self.login()
        for comment in self._pages(f"/repos/{self.repository}/issues/{number}/comments"):
            if comment.get("user", {}).get("login") == me and marker in (comment.get("body") or ""):
                self._request("PATCH", f"/repos/{self.repository}/issues/comments/{comment['id']}", json={"body": body})
                return "updated", int(comment["id"])
        created = self._request("POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body})
        return "created", int(created.json()["id"])

    def pull_request_of(self, sha: str) -> int | None:
        """The merged pull request a commit on the default branch came from."""
        pulls = self._request("GET", f"/repos/{self.repository}/commits/{sha}/pulls").json()
        merged = [p for p in pulls if p.get("merged_at")]
        chosen = (merged or pulls or [None])[0]
        return int(chosen["number"]) if chosen else None

    # -- the drift issue ------------------------------------------------------------------------------------
    def find_issue(self, label: str, marker: str) -> dict[str, Any] | None:
        me = self.login()
        for issue in self._pages(f"/repos/{self.repository}/issues", {"state": "open", "labels": label}):
            if issue.get("user", {}).get("login") == me and marker in (issue.get("body") or ""):
                return issue
        return None

    def create_issue(self, title: str, body: str, label: str) -> int:
        created = self._request(
            "POST", f"/repos/{self.repository}/issues", json={"title": title, "body": body, "labels": [label]}
        )
        return int(created.json()["number"])

    def edit_issue(self, number: int, **fields: Any) -> None:
        self._request("PATCH", f"/repos/{self.repository}/issues/{number}", json=fields)

    def comment(self, number: int, body: str) -> None:
        self._request("POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body})


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying a rate-limited or unavailable response, or None to stop."""
    if response.status_code not in (403, 429, 502, 503, 504):
        return None
    retry_after = response.headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), MAX_WAIT)
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return min(max(0.0, float(reset) - time.time()), MAX_WAIT)
    if response.status_code == 403:
        return None  # a plain permission error
    return 5.0


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    message = body.get("message", "") if isinstance(body, dict) else ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        message += " " + "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return message[:500]
