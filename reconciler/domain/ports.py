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

    async def exists(self, kind: Kind, name: str) -> bool:
        """Whether a resource of `kind` has this name, tenant-wide, visible to this credential or not
        (GET .../exists?name=)."""
        ...

    async def find(self, kind: Kind, name: str) -> LiveResource | None:
        """The resource of `kind` with this name among those this credential may see, or None."""
        ...

    async def dry_run(self, kind: Kind, manifest: Manifest) -> None:
        """Has the server validate a write without persisting it; raises `Rejected` when it refuses."""
        ...

    async def create(self, kind: Kind, manifest: Manifest) -> Created:
        """A write that creates. Never repeated blindly: the token comes back only once. After a lost response
        the resource is looked up by name and returned `recovered`, without a token: the caller decides whether
        it is the one it sent before asking for its token."""
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

    def discard(self, name: str) -> str | None:
        """Removes the token of account `name`, deleted (its token died with it); returns where it was, or
        None when there was none. Raises `TokenSinkError` when it cannot."""
        ...


@dataclass(frozen=True)
class SourceFile:
    """A candidate manifest file. `path` is relative to the repository root (or to the root folder outside
    Git), posix style, ready for `file:line:col`. `problem` says why it could not be read safely."""

    path: str
    content: bytes | None
    problem: str | None = None


class ReadableFiles(Protocol):
    """A listing of manifest files: how many, and the file at a position, read when asked."""

    def __len__(self) -> int: ...

    def read(self, index: int) -> SourceFile: ...


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

    def readable(self, paths: Sequence[str]) -> ReadableFiles | None:
        """The files `files` reads, in its order, each read on demand in whichever process asks (a forked
        worker reads its share of a large repository); None when every read must happen in this process, in
        order (one helper process or handle serves them all)."""
        ...


@dataclass(frozen=True)
class IssueRef:
    """An issue found by marker: its number and body."""

    number: int
    body: str


@dataclass(frozen=True)
class Posted:
    """A comment we wrote: `action` is "created" or "updated", `id` GitHub's comment id, `author` the login
    GitHub recorded as its author (what the next run looks for)."""

    action: str
    id: int
    author: str


class Publisher(Protocol):
    """Where plans, apply reports and drift are published for people: a pull request and its issues.

    Writes that create something (a comment, an issue) are never repeated blindly: after a lost answer the
    implementation looks for what it wrote (marker and author) before writing again."""

    def upsert_comment(self, number: int, marker: str, body: str) -> Posted:
        """The one comment with `marker` by us on issue or pull request `number`, created or edited in place."""
        ...

    def pull_requests_of(self, sha: str) -> tuple[int, ...]:
        """The merged pull requests commit `sha` of the default branch came from (merge, squash or rebase
        commit), oldest first; empty for a direct push."""
        ...

    def find_issue(self, label: str, marker: str) -> IssueRef | None:
        """Our one open issue with `label` and `marker`, or None."""
        ...

    def create_issue(self, title: str, body: str, label: str, marker: str) -> int:
        """Opens an issue (body holding `marker`) and returns its number."""
        ...

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None: ...

    def comment(self, number: int, marker: str, body: str) -> None:
        """Adds a comment (body holding `marker`) to issue or pull request `number`, once."""
        ...

    def last_applied(self, context: str, candidates: Sequence[str]) -> str | None:
        """The first commit of `candidates` (newest first) carrying our commit status `context`, or None
        (none does, or the statuses cannot be read)."""
        ...

    def mark_applied(self, sha: str, context: str, converged: bool, description: str, url: str) -> None:
        """Records on commit `sha` that apply ran on it: commit status `context`, success when `converged`."""
        ...


class History(Protocol):
    """The commits of the repository holding the manifests (Git), for reporting what an apply contained."""

    def head(self) -> str | None:
        """The checked-out commit, or None outside Git."""
        ...

    def first_parents(self, start: str, limit: int) -> list[str]:
        """`start` and its first-parent ancestors, newest first, at most `limit`; fewer in a shallow clone."""
        ...

    def changed_files(self, sha: str) -> tuple[str, ...]:
        """Paths (from the repository root) commit `sha` changed against its first parent; every file of a
        root commit."""
        ...

    def read(self, sha: str, path: str) -> bytes | None:
        """The content of `path` at commit `sha`, or None when it is absent there."""
        ...
