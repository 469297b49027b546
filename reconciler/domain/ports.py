"""The ports: what the domain needs from the outside world, as Protocols the edges implement
(`reconciler.adapters`). Tests pass in-memory implementations; the real adapters are tested against the
emulator, real Git repositories and a fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from reconciler.domain.config import RepositoryIdentity
from reconciler.domain.resources import LiveResource
from reconciler.domain.values import Manifest, Token
from reconciler.domain.vocabulary import Kind


@dataclass(frozen=True)
class Created:
    """The result of a create: the resource, its one-time token (None when the PUT returned none: the name
    was taken, so it updated instead), and whether the create's response was lost and the token came from
    GET .../token."""

    resource: LiveResource
    token: Token | None
    recovered: bool = False


class ControlPlane(Protocol):
    """The control plane, kind by kind (TrueFoundry's API: reference/control-plane-api.md)."""

    @property
    def requests_sent(self) -> int: ...

    async def list_all(self, kind: Kind) -> list[LiveResource]:
        """Every resource of `kind`, proven complete, or an error: never a partial listing."""
        ...

    async def get(self, kind: Kind, resource_id: str) -> LiveResource: ...

    async def dry_run(self, kind: Kind, manifest: Manifest) -> None:
        """Has the server validate a write without persisting it; raises `Rejected` when it refuses."""
        ...

    async def create(self, kind: Kind, manifest: Manifest) -> Created:
        """A write that creates. Never repeated blindly: the token comes back only once."""
        ...

    async def update(self, kind: Kind, manifest: Manifest) -> LiveResource: ...

    async def delete(self, kind: Kind, resource_id: str) -> None: ...

    async def token(self, account_id: str) -> Token:
        """The active token of a virtual account (GET .../token)."""
        ...


class TokenSink(Protocol):
    """Where one-time tokens of accounts without a secret store go (a token directory)."""

    def deliver(self, name: str, token: Token) -> str:
        """Stores the token for account `name`; returns where, in words. Idempotent for the same token;
        raises `TokenSinkError` rather than overwrite a different one."""
        ...


@dataclass(frozen=True)
class SourceFile:
    """A candidate manifest file. `path` is relative to the repository root (or to the root folder outside
    Git), posix style, ready for `file:line:col`. `problem` says why it could not be read safely."""

    path: str
    content: bytes | None
    problem: str | None = None


class ManifestSource(Protocol):
    """Manifests from the working tree or from a Git commit."""

    @property
    def description(self) -> str: ...

    @property
    def identity(self) -> RepositoryIdentity:
        """Who the repository is (its normalized remote), for the default ownership tag."""
        ...

    @property
    def revision(self) -> str | None:
        """The commit read, or None for a working tree."""
        ...

    def read_config(self, name: str) -> SourceFile | None: ...

    def files(self, paths: Sequence[str]) -> Iterator[SourceFile]: ...


@dataclass(frozen=True)
class IssueRef:
    """An issue found by marker: its number and body."""

    number: int
    body: str


class Publisher(Protocol):
    """Where plans, apply reports and drift are published for people: a pull request and its issues."""

    def upsert_comment(self, number: int, marker: str, body: str) -> tuple[str, int]:
        """The one comment with `marker` by us on issue or pull request `number`, created or edited in place;
        returns ("created" | "updated", comment id)."""
        ...

    def pull_request_of(self, sha: str) -> int | None: ...

    def find_issue(self, label: str, marker: str) -> IssueRef | None: ...

    def create_issue(self, title: str, body: str, label: str) -> int: ...

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None: ...

    def comment(self, number: int, body: str) -> None: ...
