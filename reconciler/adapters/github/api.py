"""A small GitHub REST client (httpx), the `Publisher` port: pagination by Link header, primary and secondary
rate limits honoured (`retry-after`, `x-ratelimit-reset`) under the shared retry policy, errors turned into
clear messages, and the three things we do: one sticky comment per pull request, a comment on the pull
request a commit came from, one drift issue. Use it as a context manager: it closes its connections."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from reconciler.adapters.retry import Retries, RetryPolicy
from reconciler.domain.errors import ReconcilerError
from reconciler.domain.ports import IssueRef

ACTIONS_BOT = "github-actions[bot]"
POLICY = RetryPolicy(max_attempts=4, backoff_base=1.0, backoff_cap=30.0, retry_after_cap=120.0, deadline=600.0)


class GitHubError(ReconcilerError):
    def __init__(self, message: str, transient: bool = False, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


def _retry_after(error: BaseException) -> str | None:
    return error.retry_after if isinstance(error, GitHubError) else None


def _transient(error: BaseException) -> bool:
    return isinstance(error, GitHubError) and error.transient


class GitHub:
    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        sleep: Callable[[float], None] = time.sleep,
        login: str | None = None,
        policy: RetryPolicy = POLICY,
    ) -> None:
        self.repository = repository
        self._retries = Retries(policy, _retry_after, sleep_sync=sleep)
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

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport ------------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in self._retries.synchronous(_transient):
            with attempt:
                return self._send(method, path, **kwargs)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise GitHubError(f"GitHub API unreachable ({type(exc).__name__}) for {method} {path}", True) from exc
        if response.is_success:
            return response
        wait = _rate_limit_wait(response)
        raise GitHubError(
            f"GitHub API {method} {path}: {response.status_code} {_message(response)}",
            transient=wait is not None,
            retry_after=None if wait is None else str(int(wait)),
        )

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
    def find_issue(self, label: str, marker: str) -> IssueRef | None:
        me = self.login()
        for issue in self._pages(f"/repos/{self.repository}/issues", {"state": "open", "labels": label}):
            body = issue.get("body") or ""
            if issue.get("user", {}).get("login") == me and marker in body:
                return IssueRef(int(issue["number"]), str(body))
        return None

    def create_issue(self, title: str, body: str, label: str) -> int:
        created = self._request(
            "POST", f"/repos/{self.repository}/issues", json={"title": title, "body": body, "labels": [label]}
        )
        return int(created.json()["number"])

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        fields: dict[str, str] = {}
        if body is not None:
            fields["body"] = body
        if state is not None:
            fields["state"] = state
            if state == "closed":
                fields["state_reason"] = "completed"
        self._request("PATCH", f"/repos/{self.repository}/issues/{number}", json=fields)

    def comment(self, number: int, body: str) -> None:
        self._request("POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body})


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying a rate-limited or unavailable response, or None: not worth a retry."""
    if response.status_code not in (403, 429, 502, 503, 504):
        return None
    retry_after = response.headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        return float(retry_after)
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, float(reset) - time.time())
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
