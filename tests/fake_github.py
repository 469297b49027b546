"""A local fake of the GitHub API (127.0.0.1 only) that keeps GitHub's documented limits and plays its
failures, so that our client is tested against what GitHub does rather than against our own assumptions.

Limits, as GitHub documents or answers them:
- authentication (`Authorization: Bearer` or `token`); installation tokens (GITHUB_TOKEN) cannot read `/user`
  (403 "Resource not accessible by integration") but the GraphQL `viewer` query names them;
- pagination: `per_page` at most 100, `Link: <...>; rel="next"`;
- comment and issue bodies at most 65,536 characters counted in UTF-16 code units (422 "Body is too long");
- only a comment's author may edit it (403);
- `GET /repos/{o}/{r}/commits/{sha}/pulls` (the pull requests a commit came from), commit statuses
  (`POST /repos/{o}/{r}/statuses/{sha}`, `GET /repos/{o}/{r}/commits/{ref}/statuses`, newest first);
- `POST /markdown`: GitHub's rendering, modelled by `render_like_github` (below).

Fault modes (attributes, set by a test): `lost_creates` (the next N creates are stored, then answered 502),
`secondary_limits` (the next N writes answer 403 "You have exceeded a secondary rate limit", no headers),
`primary_limits` (the next N requests answer 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`),
`user_refused` (every token's `/user` answers 403), `graphql_refused`, `statuses_missing` (404 on statuses),
`failing_reads` (the next N GETs but `/user` answer 502), `reads_fail_after_lost_create` (then every GET does).
Every request is logged so tests can count writes."""

from __future__ import annotations

import html
import itertools
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import cmarkgfm
import uvicorn
from cmarkgfm.cmark import Options
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY_LIMIT = 65_536
ACTIONS_TOKEN = "ghs_actions_installation_token"
APP_TOKEN = "ghs_app_installation_token"  # a GitHub App's installation token: writes as "<slug>[bot]"
USERS = {
    ACTIONS_TOKEN: "github-actions[bot]",
    APP_TOKEN: "acme-reconciler[bot]",
    "ghp_someone": "someone",
    "ghp_bot_pat": "reconciler-bot",
}
INSTALLATIONS = {ACTIONS_TOKEN, APP_TOKEN}
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. "
    "Please retry your request again later."
)


# -- what GitHub renders after Markdown ---------------------------------------------------------------------
# docs.github.com: "Autolinked references and URLs" (URLs, #26, GH-26, owner/repo#26, commit SHAs of 7 to 40
# hex digits, user@sha, owner/repo@sha, custom autolink prefixes such as TICKET-123), "Basic writing and
# formatting syntax" (@user and @org/team mentions, :emoji: shortcodes) and "Writing mathematical
# expressions" ($...$ inline, $$...$$ blocks; `\$` is a literal dollar). These run on the text of the page
# after Markdown, outside code, pre and links; math is found while parsing.
CUSTOM_AUTOLINK_PREFIXES = ("TICKET-", "JIRA-")
_TEXT_RULES = [
    ("user-mention", re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?")),
    ("issue-link", re.compile(r"(?<![\w/])(?:[\w.-]+/[\w.-]+)?#\d+(?!\w)")),
    ("issue-link", re.compile(r"(?<!\w)(?i:gh)-\d+(?!\w)")),
    ("autolink", re.compile("(?<!\\w)(?:" + "|".join(CUSTOM_AUTOLINK_PREFIXES) + r")\d+")),
    ("commit-link", re.compile(r"(?<![\w@])(?:[\w.-]+(?:/[\w.-]+)?@)?[0-9a-fA-F]{7,40}(?!\w)")),
    # emoji names are words (:rocket:, :+1:, :-1:); the only all-digit ones are :100: and :1234:
    ("emoji", re.compile(r":(?:[a-z0-9_+-]*[a-z_+-][a-z0-9_+-]*|100|1234):")),
]
_MATH = re.compile(r"(?<!\\)\$(?:[^$\n\\]|\\.)+(?<!\\)\$")
_SKIPPED = ("code", "pre", "a")


def render_like_github(body: str) -> str:
    """HTML as GitHub would show `body`: cmark-gfm (GitHub's own Markdown), then its references, mentions,
    commit links and emoji as `<a class="...">` / `<g-emoji>`, math as `<math-renderer>`."""
    page = cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)
    out, depth = [], 0
    for piece in re.split(r"(<[^>]+>)", page):
        tag = re.match(r"<(/?)([a-zA-Z0-9-]+)", piece)
        if tag and tag.group(2).lower() in _SKIPPED:
            depth += -1 if tag.group(1) else 1
        out.append(piece if tag or depth else _link_text(piece))
    rendered = "".join(out)
    if any(_MATH.search(line) for line in _outside_code(body)):
        rendered += "<math-renderer></math-renderer>"
    return rendered


def _link_text(text: str) -> str:
    text = html.escape(html.unescape(text), quote=False)  # GitHub's filters see the text, entities decoded
    for kind, pattern in _TEXT_RULES:
        element = "g-emoji" if kind == "emoji" else "a"
        text = pattern.sub(lambda m, k=kind, e=element: f'<{e} class="{k}">{m.group(0)}</{e}>', text)
    return text


def _outside_code(body: str) -> list[str]:
    lines, fenced = [], False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(re.sub(r"`[^`]*`", "", line))
    return lines


def github_references(body: str) -> list[str]:
    """What GitHub would turn into a mention, a reference, a commit link, an emoji or math in `body`."""
    page = render_like_github(body)
    found = re.findall(r'<(?:a|g-emoji) class="(?:user-mention|issue-link|autolink|commit-link|emoji)">([^<]*)<', page)
    return found + (["math"] if "<math-renderer>" in page else [])


@dataclass
class FakeGitHub:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # branch -> the commit it points at (absent: 404)
    log: list[tuple[str, str]] = field(default_factory=list)
    lost_creates: int = 0
    secondary_limits: int = 0
    primary_limits: int = 0
    user_refused: bool = False
    graphql_refused: bool = False
    statuses_missing: bool = False
    failing_reads: int = 0
    reads_fail_after_lost_create: bool = False
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    url: str = ""

    def writes(self, method: str) -> int:
        return sum(1 for m, _ in self.log if m == method)

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue_number"] == number]

    def add_comment(self, number: int, login: str, body: str) -> dict[str, Any]:
        comment_id = next(self._ids)
        self.comments[comment_id] = {"id": comment_id, "issue_number": number, "body": body, "user": {"login": login}}
        return self.comments[comment_id]

    def merged(self, sha: str, number: int) -> None:
        """Pull request `number` was merged as commit `sha`."""
        pull = {"number": number, "merged_at": "2026-11-22T00:00:00Z", "merge_commit_sha": sha}
        self.commit_pulls.setdefault(sha, []).append(pull)

    # -- the app --------------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        repo = "/repos/{owner}/{repo}"
        routes = [
            Route("/user", self._user),
            Route("/graphql", self._graphql, methods=["POST"]),
            Route("/markdown", self._markdown, methods=["POST"]),
            Route(f"{repo}/issues/{{number:int}}/comments", self._issue_comments, methods=["GET", "POST"]),
            Route(f"{repo}/issues/comments/{{comment_id:int}}", self._edit_comment, methods=["PATCH"]),
            Route(f"{repo}/commits/{{sha}}/pulls", self._pulls_for_commit),
            Route(f"{repo}/commits/{{sha}}/statuses", self._list_statuses),
            Route(f"{repo}/statuses/{{sha}}", self._create_status, methods=["POST"]),
            Route(f"{repo}/issues", self._issues, methods=["GET", "POST"]),
            Route(f"{repo}/branches/{{branch:path}}", self._branch),
            Route(f"{repo}/issues/{{number:int}}", self._edit_issue, methods=["PATCH"]),
        ]
        return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=self._enforce)])

    async def _enforce(self, request: Request, call_next: Any) -> Response:
        self.log.append((request.method, request.url.path))
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or token.strip() not in USERS:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        request.state.login = USERS[token.strip()]
        request.state.token = token.strip()
        if self.primary_limits:
            self.primary_limits -= 1
            reset = str(int(time.time()) + 2)
            return JSONResponse(
                {"message": "API rate limit exceeded for installation."}, status_code=403,
                headers={"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            )  # fmt: skip
        if self.failing_reads and request.method == "GET" and request.url.path != "/user":
            self.failing_reads -= 1
            return JSONResponse({"message": "Server Error"}, status_code=502)
        if self.secondary_limits and request.method != "GET" and request.url.path not in ("/graphql", "/markdown"):
            self.secondary_limits -= 1
            return JSONResponse({"message": SECONDARY_MESSAGE}, status_code=403)
        response: Response = await call_next(request)
        return response

    def _created(self, item: dict[str, Any]) -> Response:
        """A create that GitHub carried out: answered 201, or 502 while `lost_creates` lasts."""
        if self.lost_creates:
            self.lost_creates -= 1
            self.failing_reads += 100 if self.reads_fail_after_lost_create else 0
            return JSONResponse({"message": "Server Error"}, status_code=502)
        return JSONResponse(item, status_code=201)

    async def _body(self, request: Request, resource: str) -> dict[str, Any] | Response:
        payload: dict[str, Any] = await request.json()
        body = payload.get("body")
        if isinstance(body, str) and len(body.encode("utf-16-le")) // 2 > BODY_LIMIT:  # GitHub counts UTF-16
            return JSONResponse(
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": resource, "code": "custom", "field": "body",
                                "message": "Body is too long (maximum is 65536 characters)"}],
                },
                status_code=422,
            )  # fmt: skip
        return payload

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.query_params.get("per_page", 30)), 100)
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            base = str(request.url.remove_query_params("page"))
            joiner = "&" if "?" in base else "?"
            headers["link"] = f'<{base}{joiner}page={page + 1}>; rel="next"'
        return JSONResponse(chunk, headers=headers)

    async def _user(self, request: Request) -> Response:
        if request.state.token in INSTALLATIONS or self.user_refused:
            return JSONResponse({"message": "Resource not accessible by integration"}, status_code=403)
        return JSONResponse({"login": request.state.login})

    async def _graphql(self, request: Request) -> Response:
        query = str((await request.json()).get("query", ""))
        if self.graphql_refused or not re.search(r"\bviewer\b", query):
            return JSONResponse({"errors": [{"message": "Resource not accessible by integration"}]})
        return JSONResponse({"data": {"viewer": {"login": request.state.login}}})

    async def _markdown(self, request: Request) -> Response:
        return Response(render_like_github(str((await request.json()).get("text", ""))), media_type="text/html")

    async def _issue_comments(self, request: Request) -> Response:
        number = request.path_params["number"]
        if request.method == "GET":
            return self._page(request, sorted(self.comments_on(number), key=lambda c: c["id"]))
        payload = await self._body(request, "IssueComment")
        if isinstance(payload, Response):
            return payload
        return self._created(self.add_comment(number, request.state.login, payload["body"]))

    async def _edit_comment(self, request: Request) -> Response:
        comment = self.comments.get(request.path_params["comment_id"])
        if comment is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if comment["user"]["login"] != request.state.login:
            return JSONResponse({"message": "Must have admin rights to Repository."}, status_code=403)
        payload = await self._body(request, "IssueComment")
        if isinstance(payload, Response):
            return payload
        comment["body"] = payload["body"]
        return JSONResponse(comment)

    async def _pulls_for_commit(self, request: Request) -> Response:
        return JSONResponse(self.commit_pulls.get(request.path_params["sha"], []))

    async def _list_statuses(self, request: Request) -> Response:
        if self.statuses_missing:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return self._page(request, list(reversed(self.statuses.get(request.path_params["sha"], []))))

    async def _create_status(self, request: Request) -> Response:
        if self.statuses_missing:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        payload = await request.json()
        status = {k: payload.get(k) for k in ("state", "context", "description", "target_url")}
        self.statuses.setdefault(request.path_params["sha"], []).append(status)
        return JSONResponse(status, status_code=201)

    async def _branch(self, request: Request) -> Response:
        """GET /repos/{owner}/{repo}/branches/{branch}: the branch and its commit, as GitHub answers it."""
        name = request.path_params["branch"]
        if name not in self.branches:
            return JSONResponse({"message": "Branch not found"}, status_code=404)
        return JSONResponse({"name": name, "commit": {"sha": self.branches[name]}, "protected": False})

    async def _issues(self, request: Request) -> Response:
        if request.method == "GET":
            state = request.query_params.get("state", "open")
            label = request.query_params.get("labels")
            found = [
                i for i in self.issues.values()
                if (state == "all" or i["state"] == state) and (label is None or label in i["labels"])
            ]  # fmt: skip
            return self._page(request, sorted(found, key=lambda i: i["number"]))
        payload = await self._body(request, "Issue")
        if isinstance(payload, Response):
            return payload
        number = len(self.issues) + 1
        self.issues[number] = {
            "number": number, "title": payload["title"], "body": payload["body"], "state": "open",
            "labels": payload.get("labels", []), "user": {"login": request.state.login},
        }  # fmt: skip
        return self._created(self.issues[number])

    async def _edit_issue(self, request: Request) -> Response:
        issue = self.issues.get(request.path_params["number"])
        if issue is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        payload = await self._body(request, "Issue")
        if isinstance(payload, Response):
            return payload
        issue.update({k: v for k, v in payload.items() if k in ("body", "state", "title")})
        return JSONResponse(issue)


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run the fake on an ephemeral 127.0.0.1 port in a thread."""
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def unescape_text(text: str) -> str:
    """The text a reader sees, without entities and zero-width spaces (for assertions on content)."""
    return html.unescape(text).replace("\u200b", "")
