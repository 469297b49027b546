"""The GitHub client, the `Publisher` port, on githubkit (REST API version 2022-11-28, which github.com and
GitHub Enterprise Server both serve; docs/architecture.md says why githubkit and how it is configured).

githubkit builds the requests (URLs, parameters, authentication, the GraphQL endpoint of Enterprise Server)
and reports failures; this module decides what a failure means, with our one retry policy
(`adapters/retry.py`) and GitHub's documented rules (`limits.py`):
- githubkit's own retries and HTTP cache are off: a retried POST after a 502 is how comments double;
- reads and edits (GET, PATCH, the GraphQL query) are retried on rate limits, 5xx and lost answers;
- a write that creates (a comment, an issue) is never repeated blindly: after a 5xx or a lost answer we look
  for what we wrote (its marker, and our login or the write's own id) and only write again when it is absent;
- rate limits are waited out as GitHub documents, under a time budget for the run, with a line on stderr
  while waiting and a clear error when the budget runs out.

Who we are (the author our comments and issues carry) is learned from GitHub, never assumed when GitHub can
say: `GET /user` (personal access tokens), else the GraphQL `viewer` (installation tokens: GITHUB_TOKEN, a
GitHub App's), else `RECONCILER_GITHUB_LOGIN`, else `github-actions[bot]`; every comment GitHub creates tells
us again (`user.login`), and a configured login that GitHub contradicts is a warning."""

from __future__ import annotations

import functools
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx
from githubkit import GitHub as GitHubKit
from githubkit import Response
from githubkit.exception import GraphQLFailed, RequestError, RequestFailed, RequestTimeout

from reconciler.adapters.github.limits import Failure, FailureKind, classify, error_message
from reconciler.adapters.retry import DeadlineExceeded, Retries, RetryPolicy
from reconciler.domain.errors import ReconcilerError
from reconciler.domain.ports import IssueRef, Posted

API_VERSION: Literal["2022-11-28"] = "2022-11-28"
ACTIONS_BOT = "github-actions[bot]"
BUDGET = 600.0  # seconds the GitHub calls of one run may spend waiting (RECONCILER_GITHUB_BUDGET overrides)
POLICY = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_cap=30.0, retry_after_cap=BUDGET, deadline=BUDGET)
MAX_STATUS_LOOKUPS = 50  # commits searched for our commit status, newest first
T = TypeVar("T")


class GitHubError(ReconcilerError):
    """A GitHub call that failed, with GitHub's own message. `failure` says whether it is worth another
    attempt; `maybe_done` that the request may have been carried out although no answer said so."""

    def __init__(
        self, message: str, failure: Failure | None = None, status: int | None = None, maybe_done: bool = False
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.status = status
        self.maybe_done = maybe_done

    @property
    def transient(self) -> bool:
        return self.failure is not None and self.failure.transient


@dataclass(frozen=True)
class Identity:
    """Who our token acts as, and how we know: "GET /user", "GraphQL viewer", "a comment GitHub created",
    "RECONCILER_GITHUB_LOGIN" or "assumed"."""

    login: str
    source: str


def _transient(error: BaseException) -> bool:
    return isinstance(error, GitHubError) and error.transient


def _retry_after(error: BaseException) -> str | None:
    return error.failure.retry_after if isinstance(error, GitHubError) and error.failure else None


def _floor(error: BaseException) -> float:
    return error.failure.floor if isinstance(error, GitHubError) and error.failure else 0.0


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _lost(what: str, exc: RequestError[Any]) -> GitHubError:
    """A request whose answer never came. Nothing was sent when the connection itself failed."""
    inner = exc.exc
    sent = not isinstance(inner, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    detail = "no answer" if sent else "could not connect"
    return GitHubError(
        f"{what}: {detail} from GitHub ({type(inner).__name__})", Failure(FailureKind.SERVER), maybe_done=sent
    )


class GitHub:
    """One repository's pull requests, issues and commit statuses. Use it as a context manager: it closes
    its connections. `notify` receives the lines a person should see while it works (waits, warnings)."""

    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        sleep: Callable[[float], None] = time.sleep,
        login: str | None = None,
        policy: RetryPolicy = POLICY,
        notify: Callable[[str], None] = _stderr,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repository = repository
        self._owner, _, self._repo = repository.partition("/")
        self._notify = notify
        self._clock = clock
        self._retries = Retries(policy, _retry_after, sleep_sync=sleep, on_wait=self._waiting, floor_of=_floor)
        self._kit = GitHubKit(
            token,
            base_url=api_url,
            user_agent="va-reconciler",
            timeout=httpx.Timeout(30.0, connect=10.0),
            auto_retry=False,  # our policy decides; githubkit's retries POST after a 5xx
            http_cache=False,  # every read must see what the last write did
        )
        self._kit.__enter__()  # type: ignore[no-untyped-call]  # one connection pool for the whole run
        self._rest = self._kit.rest(API_VERSION)
        self._configured = login or None
        self._identity: Identity | None = None

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._kit.__exit__(None, None, None)

    # -- transport ------------------------------------------------------------------------------------------
    def _send(self, what: str, call: Callable[[], T]) -> T:
        """One attempt, githubkit's exceptions turned into ours with GitHub's own message."""
        try:
            return call()
        except RequestFailed as exc:
            response = exc.response
            try:
                body: object = response.json()
            except ValueError:
                body = None
            message = error_message(body, response.reason_phrase)
            failure = classify(response.status_code, response.headers, message, self._clock())
            raise GitHubError(
                f"{what}: GitHub answered {response.status_code} {message}",
                failure,
                response.status_code,
                maybe_done=failure.kind == FailureKind.SERVER,
            ) from None
        except RequestTimeout as exc:
            raise _lost(what, exc) from None
        except RequestError as exc:
            raise _lost(what, exc) from None

    def _read(self, what: str, call: Callable[[], T]) -> T:
        """A call that is safe to repeat (GET, PATCH, a GraphQL query), under the retry policy and budget."""
        try:
            for attempt in self._retries.synchronous(_transient):
                with attempt:
                    return self._send(what, call)
        except DeadlineExceeded as exc:
            raise self._budget_spent(what, exc) from None
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _create(self, what: str, send: Callable[[], T], find: Callable[[], T | None]) -> T:
        """A write that creates, never repeated blindly: after an answer that may hide a success (5xx, lost),
        `find` looks for what we wrote; only when it is absent is the write tried again."""
        try:
            for attempt in self._retries.synchronous(_transient):
                with attempt:
                    try:
                        return self._send(what, send)
                    except GitHubError as error:
                        if not error.maybe_done:
                            raise
                        found = self._look_up(what, error, find)
                        if found is None:
                            raise
                        self._notify(f"GitHub: {what} got no clear answer, but it was done; not sending it again")
                        return found
        except DeadlineExceeded as exc:
            raise self._budget_spent(what, exc) from None
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _look_up(self, what: str, unclear: GitHubError, find: Callable[[], T | None]) -> T | None:
        """`find` after an unclear answer; if the look-up fails too, stop: sending again could double it."""
        try:
            return find()
        except GitHubError as lookup:
            raise GitHubError(
                f"{unclear}; looking for it afterwards failed too ({lookup}), so it is not sent again: "
                "check the pull request or issue, then re-run"
            ) from None

    def _waiting(self, seconds: float, error: BaseException | None) -> None:
        reason = str(error.failure.kind) if isinstance(error, GitHubError) and error.failure else "an error"
        left = self._retries.remaining()
        self._notify(
            f"GitHub: {reason}; waiting {seconds:.0f} s before trying again ({left:.0f} s left of the "
            f"{self._retries.policy.deadline:.0f} s budget for GitHub calls)"
        )

    def _budget_spent(self, what: str, exc: DeadlineExceeded) -> GitHubError:
        cause = exc.__cause__
        said = f" (last answer: {cause})" if cause is not None else ""
        return GitHubError(
            f"{what}: gave up waiting for GitHub: the next wait would pass the {self._retries.policy.deadline:.0f} s "
            f"budget for GitHub calls in this run{said}; re-run the job later or raise RECONCILER_GITHUB_BUDGET"
        )

    def _pages(self, what: str, fetch: Callable[[int], Response[Any, list[T]]]) -> Iterator[T]:
        """Every item of a listing, page by page (`per_page` 100), following GitHub's `Link: rel="next"`."""
        number = 1
        while True:
            response = self._read(f"{what} (page {number})", functools.partial(fetch, number))
            yield from response.json()
            if 'rel="next"' not in response.headers.get("link", ""):
                return
            number += 1

    # -- identity -------------------------------------------------------------------------------------------
    def identity(self) -> Identity:
        """Who our token acts as (see the module docstring for the order of the sources)."""
        if self._identity is None:
            learned = self._ask_identity()
            self._identity = learned or Identity(self._configured or ACTIONS_BOT, self._fallback_source())
            if learned is not None:
                self._check_configured(learned)
        return self._identity

    def _fallback_source(self) -> str:
        return "RECONCILER_GITHUB_LOGIN" if self._configured else "assumed"

    def _ask_identity(self) -> Identity | None:
        try:
            user = self._read("GET /user", self._rest.users.get_authenticated).json()
            return Identity(str(user["login"]), "GET /user")
        except GitHubError as error:
            if error.status == 401:
                raise
        try:
            data = self._read("GraphQL viewer", lambda: self._kit.graphql("query { viewer { login } }"))
            return Identity(str(data["viewer"]["login"]), "GraphQL viewer")
        except (GitHubError, GraphQLFailed, KeyError, TypeError):
            return None

    def _check_configured(self, learned: Identity) -> None:
        if self._configured and self._configured != learned.login:
            self._notify(
                f"warning: RECONCILER_GITHUB_LOGIN is {self._configured!r}, but GitHub says this token acts as "
                f"{learned.login!r} ({learned.source}); using {learned.login!r}"
            )

    def _learn_author(self, author: str) -> None:
        """GitHub recorded `author` for something we just wrote: that is who we are."""
        known = self.identity()
        if author and author != known.login:
            self._notify(
                f"warning: this token writes as {author!r}, not {known.login!r} ({known.source}); "
                f"using {author!r} from now on"
            )
            self._identity = Identity(author, "a comment GitHub created")
            self._check_configured(self._identity)

    # -- comments -------------------------------------------------------------------------------------------
    def _comments(self, number: int) -> Iterator[Mapping[str, Any]]:
        return self._pages(
            f"GET comments of #{number}",
            lambda page: self._rest.issues.list_comments(self._owner, self._repo, number, per_page=100, page=page),
        )

    def _find_comment(self, number: int, marker: str, write_id: str | None = None) -> Posted | None:
        """Our comment with `marker` on `number`: by our login, or (after a lost create) by the write's id."""
        me = self.identity().login
        for comment in self._comments(number):
            body = str(comment.get("body") or "")
            author = _login(comment)
            if marker in body and (author == me or (write_id is not None and write_id in body)):
                return Posted("found", int(comment["id"]), author)
        return None

    def upsert_comment(self, number: int, marker: str, body: str) -> Posted:
        """The one comment with `marker` by us on `number`: edited in place, created only when there is none."""
        found = self._find_comment(number, marker)
        if found is not None:
            what = f"PATCH comment {found.id}"
            self._read(what, lambda: self._rest.issues.update_comment(self._owner, self._repo, found.id, body=body))
            return Posted("updated", found.id, found.author)
        created = self._create_comment(number, marker, body)
        return Posted("created", created.id, created.author)

    def comment(self, number: int, marker: str, body: str) -> None:
        self._create_comment(number, marker, body)

    def _create_comment(self, number: int, marker: str, body: str) -> Posted:
        write_id = _write_id()
        signed = f"{body}\n{write_id}"

        def send() -> Posted:
            response = self._rest.issues.create_comment(self._owner, self._repo, number, body=signed)
            comment = response.json()
            return Posted("created", int(comment["id"]), _login(comment))

        posted = self._create(f"POST comment on #{number}", send, lambda: self._find_comment(number, marker, write_id))
        self._learn_author(posted.author)
        return posted

    # -- pull requests --------------------------------------------------------------------------------------
    def pull_requests_of(self, sha: str) -> tuple[int, ...]:
        pulls = self._read(
            f"GET pull requests of {sha[:12]}",
            lambda: self._rest.repos.list_pull_requests_associated_with_commit(self._owner, self._repo, sha),
        ).json()
        merged = [p for p in pulls if p.get("merged_at")]
        exact = [p for p in merged if p.get("merge_commit_sha") == sha]
        return tuple(sorted(int(p["number"]) for p in (exact or merged)))

    # -- issues ---------------------------------------------------------------------------------------------
    def _open_issues(self, label: str) -> Iterator[Mapping[str, Any]]:
        return self._pages(
            f"GET open issues labelled {label}",
            lambda page: self._rest.issues.list_for_repo(
                self._owner, self._repo, state="open", labels=label, per_page=100, page=page
            ),
        )

    def _find_issue(self, label: str, marker: str, write_id: str | None = None) -> IssueRef | None:
        me = self.identity().login
        for issue in self._open_issues(label):
            body = str(issue.get("body") or "")
            if marker in body and (_login(issue) == me or (write_id is not None and write_id in body)):
                return IssueRef(int(issue["number"]), body)
        return None

    def find_issue(self, label: str, marker: str) -> IssueRef | None:
        return self._find_issue(label, marker)

    def create_issue(self, title: str, body: str, label: str, marker: str) -> int:
        write_id = _write_id()
        signed = f"{body}\n{write_id}"

        def send() -> IssueRef:
            response = self._rest.issues.create(self._owner, self._repo, title=title, body=signed, labels=[label])
            issue = response.json()
            self._learn_author(_login(issue))
            return IssueRef(int(issue["number"]), signed)

        return self._create("POST issue", send, lambda: self._find_issue(label, marker, write_id)).number

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        def send() -> Response[Any, Any]:
            if state == "closed":
                return self._rest.issues.update(
                    self._owner, self._repo, number, state="closed", state_reason="completed"
                )
            if state == "open":
                return self._rest.issues.update(self._owner, self._repo, number, state="open")
            return self._rest.issues.update(self._owner, self._repo, number, body=body or "")

        self._read(f"PATCH issue #{number}", send)

    # -- branches: is the commit being applied still the tip? ----------------------------------------------
    def branch_tip(self, branch: str) -> str | None:
        """The commit `branch` points at on GitHub now; None when GitHub does not say (404, no access)."""
        try:
            data = self._read(
                f"GET branch {branch}", lambda: self._rest.repos.get_branch(self._owner, self._repo, branch)
            ).json()
        except GitHubError as error:
            self._notify(f"warning: cannot ask GitHub where {branch} points ({error}); applying the checked-out commit")
            return None
        commit = data.get("commit") if isinstance(data, Mapping) else None
        sha = commit.get("sha") if isinstance(commit, Mapping) else None
        return sha if isinstance(sha, str) else None

    # -- commit statuses: where the last applied revision is kept ------------------------------------------
    def last_applied(self, context: str, candidates: Sequence[str]) -> str | None:
        for sha in candidates[:MAX_STATUS_LOOKUPS]:
            try:
                statuses = self._statuses(sha)
            except GitHubError as error:
                self._notify(f"warning: cannot read commit statuses, so the last applied commit is unknown ({error})")
                return None
            if any(s.get("context") == context for s in statuses):
                return sha
        return None

    def _statuses(self, sha: str) -> list[Mapping[str, Any]]:
        """The newest 100 statuses of commit `sha` (GitHub lists them newest first)."""
        return list(
            self._read(
                f"GET statuses of {sha[:12]}",
                lambda: self._rest.repos.list_commit_statuses_for_ref(self._owner, self._repo, sha, per_page=100),
            ).json()
        )

    def mark_applied(self, sha: str, context: str, converged: bool, description: str, url: str) -> None:
        """A commit status is keyed by its context: sending it twice shows one, so it is retried like a read."""
        state: Literal["success", "failure"] = "success" if converged else "failure"
        self._read(
            f"POST status on {sha[:12]}",
            lambda: self._rest.repos.create_commit_status(
                self._owner, self._repo, sha, state=state, context=context, description=description[:140],
                target_url=url or None,
            ),
        )  # fmt: skip


def _login(item: Mapping[str, Any]) -> str:
    user = item.get("user")
    return str(user.get("login") or "") if isinstance(user, Mapping) else ""


def _write_id() -> str:
    """A hidden, unguessable mark for one create, so that a lost answer can be told from someone's copy."""
    return f"<!-- va-reconciler:write {secrets.token_hex(8)} -->"
