"""A local fake of the GitHub REST API (127.0.0.1 only) that enforces the limits our code must respect:
authentication, pagination (per_page <= 100, Link headers), the 65,536-character body limit counted in
UTF-16 code units (422 "Body is too long"), installation tokens that cannot read /user, and an optional
secondary rate limit (403 with retry-after). It records every request so tests can count writes."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY_LIMIT = 65_536
ACTIONS_TOKEN = "ghs_actions_installation_token"
USERS = {ACTIONS_TOKEN: "github-actions[bot]", "ghp_someone": "someone", "ghp_bot_pat": "reconciler-bot"}


@dataclass
class FakeGitHub:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    secondary_limit_once: bool = False
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    url: str = ""

    def writes(self, method: str) -> int:
        return sum(1 for m, _ in self.log if m == method)

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue_number"] == number]

    def add_comment(self, number: int, login: str, body: str) -> None:
        comment_id = next(self._ids)
        self.comments[comment_id] = {"id": comment_id, "issue_number": number, "body": body, "user": {"login": login}}

    # -- the app --------------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        routes = [
            Route("/user", self._user),
            Route("/repos/{owner}/{repo}/issues/{number:int}/comments", self._issue_comments, methods=["GET", "POST"]),
            Route("/repos/{owner}/{repo}/issues/comments/{comment_id:int}", self._edit_comment, methods=["PATCH"]),
            Route("/repos/{owner}/{repo}/commits/{sha}/pulls", self._pulls_for_commit),
            Route("/repos/{owner}/{repo}/issues", self._issues, methods=["GET", "POST"]),
            Route("/repos/{owner}/{repo}/issues/{number:int}", self._edit_issue, methods=["PATCH"]),
        ]

        async def enforce(request: Request, call_next: Any) -> Response:
            self.log.append((request.method, request.url.path))
            token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if token not in USERS:
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            request.state.login = USERS[token]
            request.state.token = token
            if self.secondary_limit_once and request.method != "GET":
                self.secondary_limit_once = False
                return JSONResponse(
                    {"message": "You have exceeded a secondary rate limit."}, status_code=403,
                    headers={"retry-after": "1"},
                )  # fmt: skip
            response: Response = await call_next(request)
            return response

        return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=enforce)])

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        payload: dict[str, Any] = await request.json()
        body = payload.get("body")
        if isinstance(body, str) and len(body.encode("utf-16-le")) // 2 > BODY_LIMIT:  # GitHub counts UTF-16
            return JSONResponse(
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "IssueComment", "code": "custom", "field": "body",
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
        if request.state.token == ACTIONS_TOKEN:
            return JSONResponse({"message": "Resource not accessible by integration"}, status_code=403)
        return JSONResponse({"login": request.state.login})

    async def _issue_comments(self, request: Request) -> Response:
        number = request.path_params["number"]
        if request.method == "GET":
            return self._page(request, sorted(self.comments_on(number), key=lambda c: c["id"]))
        payload = await self._body(request)
        if isinstance(payload, Response):
            return payload
        self.add_comment(number, request.state.login, payload["body"])
        return JSONResponse(self.comments[max(self.comments)], status_code=201)

    async def _edit_comment(self, request: Request) -> Response:
        comment = self.comments.get(request.path_params["comment_id"])
        if comment is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if comment["user"]["login"] != request.state.login:
            return JSONResponse({"message": "Must have admin rights to Repository."}, status_code=403)
        payload = await self._body(request)
        if isinstance(payload, Response):
            return payload
        comment["body"] = payload["body"]
        return JSONResponse(comment)

    async def _pulls_for_commit(self, request: Request) -> Response:
        return JSONResponse(self.commit_pulls.get(request.path_params["sha"], []))

    async def _issues(self, request: Request) -> Response:
        if request.method == "GET":
            state = request.query_params.get("state", "open")
            label = request.query_params.get("labels")
            found = [
                i for i in self.issues.values()
                if (state == "all" or i["state"] == state) and (label is None or label in i["labels"])
            ]  # fmt: skip
            return self._page(request, sorted(found, key=lambda i: i["number"]))
        payload = await self._body(request)
        if isinstance(payload, Response):
            return payload
        number = len(self.issues) + 1
        self.issues[number] = {
            "number": number, "title": payload["title"], "body": payload["body"], "state": "open",
            "labels": payload.get("labels", []), "user": {"login": request.state.login},
        }  # fmt: skip
        return JSONResponse(self.issues[number], status_code=201)

    async def _edit_issue(self, request: Request) -> Response:
        issue = self.issues.get(request.path_params["number"])
        if issue is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        payload = await self._body(request)
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
