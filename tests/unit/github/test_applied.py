"""Which pull requests an apply carried and which accounts each touched, with an in-memory history."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.app.applied import accounts_touched, applied_range, pull_request_scopes
from reconciler.domain.ports import IssueRef, Posted
from reconciler.render.views import ApplyScope

HISTORY = ["s4", "s3", "s2", "s1"]  # newest first


def test_the_range_starts_after_the_last_applied_revision() -> None:
    assert applied_range(HISTORY, "s2", before="s3", trigger="s3").commits == ("s4", "s3")


def test_without_it_after_the_push_s_previous_head_then_from_the_triggering_commit() -> None:
    assert applied_range(HISTORY, None, before="s2", trigger="s3").commits == ("s4", "s3")
    assert applied_range(HISTORY, None, before=None, trigger="s2").commits == ("s4", "s3", "s2")
    assert applied_range(HISTORY, "elsewhere", before="0" * 40, trigger="unknown").commits == ("s4",)


class MemoryHistory:
    def __init__(self, commits: dict[str, dict[str, bytes]]) -> None:
        self.commits = commits  # sha -> files, oldest first
        self.order = list(commits)

    def head(self) -> str | None:
        return self.order[-1]

    def first_parents(self, start: str, limit: int) -> list[str]:
        return list(reversed(self.order[: self.order.index(start) + 1]))[:limit]

    def changed_files(self, sha: str) -> tuple[str, ...]:
        index = self.order.index(sha)
        before = self.commits[self.order[index - 1]] if index else {}
        after = self.commits[sha]
        return tuple(sorted(p for p in {*before, *after} if before.get(p) != after.get(p)))

    def read(self, sha: str, path: str) -> bytes | None:
        return self.commits[sha].get(path)


def account(name: str) -> bytes:
    return f"type: virtual-account\nname: {name}\n".encode()


def test_accounts_touched_include_deleted_and_renamed_ones_but_not_other_documents() -> None:
    history = MemoryHistory({
        "s1": {"a.yaml": account("old-bot"), "t.yaml": b"type: team\nname: data\n"},
        "s2": {"b.yaml": account("new-bot") + b"---\n" + account("other-bot"), "t.yaml": b"type: team\nname: x\n",
               "README.md": b"# hi"},
    })  # fmt: skip
    assert accounts_touched(history, "s2") == {"old-bot", "new-bot", "other-bot"}
    assert accounts_touched(history, "s1") == {"old-bot"}


class Pulls:
    """A publisher that only knows which pull requests commits came from."""

    def __init__(self, pulls: dict[str, tuple[int, ...]]) -> None:
        self.pulls = pulls

    def pull_requests_of(self, sha: str) -> tuple[int, ...]:
        return self.pulls.get(sha, ())

    def upsert_comment(self, number: int, marker: str, body: str) -> Posted:
        raise AssertionError("not used")

    def find_issue(self, label: str, marker: str) -> IssueRef | None:
        raise AssertionError("not used")

    def create_issue(self, title: str, body: str, label: str, marker: str) -> int:
        raise AssertionError("not used")

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        raise AssertionError("not used")

    def comment(self, number: int, marker: str, body: str) -> None:
        raise AssertionError("not used")

    def last_applied(self, context: str, candidates: Sequence[str]) -> str | None:
        raise AssertionError("not used")

    def mark_applied(self, sha: str, context: str, converged: bool, description: str, url: str) -> None:
        raise AssertionError("not used")


def test_one_scope_per_pull_request_with_every_commit_it_was_merged_as() -> None:
    """A rebase merge puts two commits of pull request 11 on main; a direct push (s4) has none."""
    files: dict[str, bytes] = {}
    commits = {}
    for sha, (path, name) in zip(
        ("s1", "s2", "s3", "s4"),
        (("a.yaml", "a-bot"), ("b.yaml", "b-bot"), ("c.yaml", "c-bot"), ("d.yaml", "d-bot")),
        strict=True,
    ):
        files = {**files, path: account(name)}
        commits[sha] = files
    history = MemoryHistory(commits)
    scopes = pull_request_scopes(Pulls({"s1": (10,), "s2": (11,), "s3": (11,)}), history, ["s4", "s3", "s2", "s1"])
    assert scopes == [
        ApplyScope(10, ("s1",), frozenset({"a-bot"})),
        ApplyScope(11, ("s2", "s3"), frozenset({"b-bot", "c-bot"})),
    ]
