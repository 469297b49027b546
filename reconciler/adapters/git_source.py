"""The `ManifestSource` port: manifests from the working tree, or from any Git ref read straight from the
object database (no checkout). Both refuse symlinks, non-regular files and anything outside the root, and
never read more than the size limit. Only this module imports gitpython.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from reconciler.adapters.selection import Entry, Selected, select
from reconciler.domain.config import (
    CASE_INSENSITIVE_HOSTS,
    CONFIG_FILE,
    RepositoryIdentity,
    canonical_remote,
    is_local_remote,
)
from reconciler.domain.errors import UsageError
from reconciler.domain.ports import ManifestSource, SourceFile
from reconciler.manifests.yaml_loader import MAX_FILE_BYTES

_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"
_TREE_MODE = "040000"
_REMOTE_REPO = re.compile(r"[:/]([^/:]+/[^/]+?)(?:\.git)?/?$")
_KIND_OF_MODE = {_SYMLINK_MODE: Entry.SYMLINK, _SUBMODULE_MODE: Entry.SUBMODULE, _TREE_MODE: Entry.DIRECTORY}
_SYMLINK = "symbolic links are not allowed; commit the file itself"
_SUBMODULE = (
    "a Git submodule (or nested repository): its manifests are not part of this repository's commits, and a "
    "clone without --recurse-submodules has none of them, so its accounts would read as deleted; move the "
    "manifests into this repository or the submodule out of the configured paths"
)
_UNREADABLE = {Entry.SYMLINK: _SYMLINK, Entry.SUBMODULE: _SUBMODULE, Entry.OTHER: "not a regular file"}
_FETCH_HINT = (
    "fetch the history it needs (`git fetch --deepen=<commits>`, or `git fetch --unshallow`); in GitHub Actions, "
    "check out with `fetch-depth: 0`"
)


def open_source(root: str, ref: str | None) -> ManifestSource:
    """The manifests under `root`, from the working tree or, with `ref`, from that Git commit."""
    root_path = Path(root)
    if not root_path.is_dir():
        raise UsageError(f"{root}: no such directory")
    if ref is None:
        return WorkTreeSource(root_path)
    return GitRefSource(root_path, ref)


def manifests_root(path: Path) -> Path:
    """The manifests repository a file or folder belongs to: the nearest folder holding reconciler.yaml, from
    the path upwards but never above the Git work tree's top; else that top; else the path's own folder."""
    start = Path(os.path.realpath(path if path.is_dir() else path.parent))
    top = _find_git_root(start)
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
        if candidate == top:
            break
    return top if top is not None else start


def _too_large(size: int) -> str:
    return f"file is {size} bytes, larger than the {MAX_FILE_BYTES // 1024} KiB limit; split it"


def _find_git_root(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _unreadable(shown: str, kind: Entry) -> SourceFile:
    return SourceFile(shown, None, _UNREADABLE[kind])


class WorkTreeSource:
    """Manifests as the working tree holds them (`os.scandir`, `lstat`: links are never followed)."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        git_root = _find_git_root(self._root)
        base = git_root if git_root is not None else self._root
        self._git_root = git_root
        self._prefix = self._root.relative_to(base).as_posix()
        self._base = base
        self.revision = None
        self.description = f"working tree {root}"

    def location(self, path: str) -> Path:
        """Where a file this source listed (by its shown `path`) lies on disk."""
        return self._base / path

    @property
    def identity(self) -> RepositoryIdentity:
        if self._git_root is None:
            return repository_identity(None, self._root)
        return repository_identity(_ConfiguredRemotes(self._git_root), self._git_root)

    def _display(self, relative: str) -> str:
        return relative if self._prefix == "." else f"{self._prefix}/{relative}"

    def display(self, path: Path) -> str:
        """How positions name `path` (a file or folder under the root), symlinks in its last part kept as
        given. Raises UsageError for a path outside the root."""
        real = Path(os.path.realpath(path)) if path.is_dir() else Path(os.path.realpath(path.parent)) / path.name
        try:
            relative = real.relative_to(self._root).as_posix()
        except ValueError as exc:
            raise UsageError(f"{path}: outside the manifests repository {self._root}") from exc
        return self._prefix if relative == "." else self._display(relative)

    def read_config(self, name: str) -> SourceFile | None:
        if not os.path.lexists(self._root / name):
            return None
        return self._read(name, Entry.SYMLINK if os.path.islink(self._root / name) else Entry.FILE)

    def files(self, paths: Sequence[str]) -> Iterator[SourceFile]:
        listed = self.readable(paths)
        return (listed.read(index) for index in range(len(listed)))

    def readable(self, paths: Sequence[str]) -> _Listed:
        """Each file opens on its own (no shared handle): any process may read any of them."""
        return _Listed(self, select(_WorkTree(self._root, self._git_root, self._display), paths))

    def _read(self, relative: str, kind: Entry) -> SourceFile:
        shown = self._display(relative)
        if kind != Entry.FILE:
            return _unreadable(shown, kind)
        try:
            # O_NOFOLLOW refuses a symlink swapped in since the walk; the walk never descends into one.
            descriptor = os.open(f"{self._root}/{relative}", os.O_RDONLY | os.O_NOFOLLOW)  # no Path: 5 µs a file
        except OSError as exc:
            return SourceFile(shown, None, f"cannot open: {exc.strerror}")
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                return SourceFile(shown, None, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return SourceFile(shown, None, _too_large(info.st_size))
            # Ask for the size fstat gave (+1 to notice growth): asking for MAX_FILE_BYTES + 1 made every read
            # allocate a 256 KiB buffer, about 14 µs of each file's 24.
            content = os.read(descriptor, info.st_size + 1)
            if len(content) > info.st_size:  # it grew since fstat: read on, up to the limit
                content += os.read(descriptor, MAX_FILE_BYTES + 1 - len(content))
            return SourceFile(shown, content)
        finally:
            os.close(descriptor)


@dataclass(frozen=True)
class _Listed:
    """`ReadableFiles` of a working tree: the selected entries, each read from disk when asked."""

    source: WorkTreeSource
    selected: list[Selected]

    def __len__(self) -> int:
        return len(self.selected)

    def read(self, index: int) -> SourceFile:
        entry = self.selected[index]
        return self.source._read(entry.path, entry.kind)


class _WorkTree:
    """`TreeView` of a working tree. A folder is a submodule when it holds its own `.git`, or when it is empty
    and the Git index records a gitlink there (an uninitialised submodule: what a plain clone leaves)."""

    def __init__(self, root: Path, git_root: Path | None, display: Callable[[str], str]) -> None:
        self._root = root
        self._git_root = git_root
        self._display = display

    def kind(self, path: str) -> Entry:
        try:
            mode = os.lstat(self._root / path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return Entry.MISSING
        if stat.S_ISLNK(mode):
            return Entry.SYMLINK
        if stat.S_ISDIR(mode):
            return self._folder(path)
        return Entry.FILE if stat.S_ISREG(mode) else Entry.OTHER

    def children(self, folder: str) -> Iterator[tuple[str, Entry]]:
        with os.scandir(self._root / folder) as listing:
            entries = [(entry.name, entry) for entry in listing]
        for name, entry in entries:
            path = name if folder == "." else f"{folder}/{name}"
            if entry.is_symlink():
                yield name, Entry.SYMLINK
            elif entry.is_dir(follow_symlinks=False):
                yield name, self._folder(path)
            else:
                yield name, Entry.FILE if entry.is_file(follow_symlinks=False) else Entry.OTHER

    def missing(self, path: str) -> str:
        return f"{self._display(path)}: configured path does not exist"

    def _folder(self, path: str) -> Entry:
        folder = self._root / path
        if os.path.lexists(folder / ".git"):
            return Entry.SUBMODULE
        with os.scandir(folder) as listing:
            empty = next(listing, None) is None
        return Entry.SUBMODULE if empty and self._gitlink(folder) else Entry.DIRECTORY

    def _gitlink(self, folder: Path) -> bool:
        """Whether the Git index records a submodule at `folder` (asked only for empty folders)."""
        if self._git_root is None:
            return False
        import git  # heavy import: only for an empty folder inside a repository

        relative = folder.relative_to(self._git_root).as_posix()
        listing: str = git.Git(self._git_root).ls_files("--stage", "-z", "--", f":(literal){relative}")
        return any(record.startswith(_SUBMODULE_MODE) for record in listing.split("\0"))


class GitRefSource:
    """Files at a commit, listed with `git ls-tree` and read through gitpython's persistent
    `git cat-file --batch` (the fast path measured in reference/performance-notes.md). Pathspecs are literal
    (GIT_LITERAL_PATHSPECS): a configured path is never a glob or pathspec magic."""

    def __init__(self, root: Path, ref: str) -> None:
        import git  # heavy import: only when a ref is read

        try:
            self._repo: Any = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise UsageError(f"{root}: not inside a Git repository, so --ref cannot be read") from exc
        self._repo.git.update_environment(GIT_LITERAL_PATHSPECS="1")
        try:
            commit = self._repo.commit(ref)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            hint = f" (this clone is shallow: if the ref is older than the history it holds, {_FETCH_HINT})"
            raise UsageError(f"unknown Git ref '{ref}'{hint if self._shallow else ''}") from exc
        self._require_objects(ref, commit.hexsha)
        top = Path(str(self._repo.working_tree_dir)).resolve()
        self._prefix = PurePosixPath(root.resolve().relative_to(top).as_posix())
        self.revision: str | None = commit.hexsha
        self.identity = repository_identity(self._repo, top)
        self.description = f"Git ref {ref} ({commit.hexsha[:12]})"

    @property
    def _shallow(self) -> bool:
        return Path(self._repo.git_dir, "shallow").exists()

    def _require_objects(self, ref: str, sha: str) -> None:
        """A usage error, saying how to fetch them, when the commit or its tree is not in this clone (a
        shallow clone knows the parents' ids, not the parents: `HEAD~1` resolves and cannot be read)."""
        import git

        try:
            self._repo.git.cat_file("-e", f"{sha}^{{tree}}")
        except git.GitCommandError as exc:
            if self._shallow:
                why = f"this clone is shallow and does not hold it: {_FETCH_HINT}"
            else:
                why = f"its objects are not in this clone (a partial clone?): `git fetch origin {sha}`"
            raise UsageError(f"Git ref '{ref}' names commit {sha[:12]}, but {why}") from exc

    def _full(self, relative: str) -> str:
        return os.path.normpath((self._prefix / relative).as_posix())

    def read_config(self, name: str) -> SourceFile | None:
        entries = list(self._ls_tree([self._full(name)], recursive=False))
        return self._read(*entries[0]) if entries else None

    def readable(self, paths: Sequence[str]) -> None:
        """None: every blob comes through this process's one `git cat-file --batch`, which a forked process
        must not share; `files` reads them here, in order."""
        return None

    def files(self, paths: Sequence[str]) -> Iterator[SourceFile]:
        tree = _RefTree(self._ls_tree, self._full, str(self._prefix))
        for selected in select(tree, paths):
            full = self._full(selected.path)
            if selected.kind != Entry.FILE:
                yield _unreadable(full, selected.kind)
            else:
                yield self._read(*tree.blob(selected.path))

    def _ls_tree(self, pathspecs: list[str], recursive: bool) -> Iterator[tuple[str, str, int, str]]:
        """(mode, object id, size, path) of each entry; `recursive` lists everything below, folders included."""
        flags = ["-r", "-t"] if recursive else []
        specs = [spec for spec in pathspecs if spec != "."]
        output: str = self._repo.git.ls_tree(*flags, "-l", "-z", "--full-tree", self.revision, "--", *specs)
        for record in output.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, _kind, sha, size = meta.split()
            yield mode, sha, int(size) if size.isdigit() else 0, path

    def _read(self, mode: str, sha: str, size: int, path: str) -> SourceFile:
        if mode == _SYMLINK_MODE:
            return SourceFile(path, None, _SYMLINK)
        if size > MAX_FILE_BYTES:
            return SourceFile(path, None, _too_large(size))
        try:
            return SourceFile(path, self._repo.odb.stream(bytes.fromhex(sha)).read())
        except (ValueError, OSError) as exc:  # a blob a partial clone never fetched
            raise UsageError(f"{path}: its content is not in this clone (a partial clone?): `git fetch`") from exc


Listing = Callable[[list[str], bool], Iterator[tuple[str, str, int, str]]]


def _within(path: str, folder: str) -> bool:
    """Whether `path` (relative to the manifests root) is `folder` or below it; never the root itself."""
    if path == "." or path.startswith("../"):
        return False
    return folder == "." or path == folder or path.startswith(f"{folder}/")


class _RefTree:
    """`TreeView` of a commit: one non-recursive `ls-tree` per path asked about, one recursive listing per
    folder walked. `full` turns a path relative to the manifests root (`prefix` in the repository) into a
    repository path."""

    def __init__(self, ls_tree: Listing, full: Callable[[str], str], prefix: str) -> None:
        self._ls_tree = ls_tree
        self._full = full
        self._prefix = prefix
        self._entries: dict[str, tuple[str, str, int, str]] = {}  # relative path -> ls-tree entry
        self._children: dict[str, dict[str, Entry]] = {}  # folder -> name -> kind
        self._listed: set[str] = set()

    def _relative(self, full: str) -> str:
        return full if self._prefix == "." else posixpath.relpath(full, self._prefix)

    def kind(self, path: str) -> Entry:
        if path not in self._entries:
            for listed in self._ls_tree([self._full(path)], False):
                self._entries[self._relative(listed[3])] = listed
        entry = self._entries.get(path)
        return Entry.MISSING if entry is None else _KIND_OF_MODE.get(entry[0], Entry.FILE)

    def children(self, folder: str) -> list[tuple[str, Entry]]:
        if folder not in self._listed:
            self._list(folder)
        return list(self._children.get(folder, {}).items())

    def missing(self, path: str) -> str:
        return f"{self._full(path)}: configured path does not exist at this ref"

    def blob(self, path: str) -> tuple[str, str, int, str]:
        """The ls-tree entry of a selected file: (mode, object id, size, repository path)."""
        if path not in self._entries:
            self.kind(path)
        return self._entries[path]

    def _list(self, folder: str) -> None:
        for entry in self._ls_tree([self._full(folder)], True):
            path = self._relative(entry[3])
            if not _within(path, folder):
                continue  # `-t` lists the trees above the folder too: they are not its children, nor listed
            self._entries[path] = entry
            parent, name = posixpath.split(path)
            self._children.setdefault(parent or ".", {})[name] = _KIND_OF_MODE.get(entry[0], Entry.FILE)
            if entry[0] == _TREE_MODE:
                self._listed.add(path)
        self._listed.add(folder)


def repository_identity(repo: Any | None, top: Path, environ: Mapping[str, str] = os.environ) -> RepositoryIdentity:
    """The repository's identity (`config.RepositoryIdentity`): its origin remote, normalized
    (`config.canonical_remote`; a local path made absolute), else, inside GitHub Actions, GITHUB_REPOSITORY on
    GITHUB_SERVER_URL's host, else none. The origin wins over GITHUB_REPOSITORY: a workflow may check out
    another repository's manifests. `former` is what earlier releases used: the URL's last two segments, else
    the folder name."""
    url = _origin_url(repo)
    hosts = CASE_INSENSITIVE_HOSTS | _actions_host(environ)
    if url is None:
        canonical = _actions_identity(environ, hosts)
    elif is_local_remote(url):
        local = url.strip().removeprefix("file://")
        canonical = canonical_remote(str((top / local).resolve()), hosts)
    else:
        canonical = canonical_remote(url, hosts)
    old = _REMOTE_REPO.search(url) if url else None
    return RepositoryIdentity(canonical, (old.group(1) if old else top.name,), top.name)


@dataclass(frozen=True)
class _Remote:
    name: str
    url: str


class _ConfiguredRemotes:
    """A work tree's remotes as `repository_identity` reads them (`.remotes`, each with `.name` and `.url`), from
    one `git config` call: about 5 ms, where importing gitpython and opening the repository for them cost about
    0.1-0.2 s of every plan and validate without an ownership tag_value."""

    def __init__(self, top: Path) -> None:
        found = subprocess.run(
            ["git", "-C", str(top), "config", "--get-regexp", r"^remote\..*\.url$"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        self.remotes: list[_Remote] = []
        for line in found.stdout.splitlines():
            key, _, url = line.partition(" ")
            name = key.removeprefix("remote.").removesuffix(".url")
            if all(r.name != name for r in self.remotes):  # a remote's first url, as gitpython reads it
                self.remotes.append(_Remote(name, url))


def _origin_url(repo: Any | None) -> str | None:
    """The URL of `origin`, else of the only remote; None without one."""
    if repo is None:
        return None
    remotes = list(repo.remotes)
    chosen = next((r for r in remotes if r.name == "origin"), remotes[0] if len(remotes) == 1 else None)
    url = chosen.url if chosen is not None else None
    return str(url) if url else None


def _actions_host(environ: Mapping[str, str]) -> frozenset[str]:
    """GitHub's host inside Actions (github.com, or a GitHub Enterprise Server's), case-insensitive as GitHub is."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return frozenset()
    return frozenset({urlsplit(environ.get("GITHUB_SERVER_URL") or "https://github.com").hostname or "github.com"})


def _actions_identity(environ: Mapping[str, str], hosts: frozenset[str]) -> str:
    repository = environ.get("GITHUB_REPOSITORY", "")
    host = next(iter(_actions_host(environ)), "")
    return canonical_remote(f"https://{host}/{repository}", hosts) if host and repository else ""


def open_base_source(root: str, base: str) -> ManifestSource:
    """The manifests (and reconciler.yaml) of a pull request's base branch `base` (GITHUB_BASE_REF), to read the
    policy the change under review may not relax. Tried in order: `origin/<base>`, `<base>`, and, when HEAD is
    a merge commit (actions/checkout's `refs/pull/N/merge`), its first parent, which is the base branch's head.
    Fails closed, saying how to fetch the base, when none is in the clone."""
    candidates = [f"origin/{base}", base]
    try:
        import git

        repo = git.Repo(root, search_parent_directories=True)
        if len(repo.head.commit.parents) == 2:
            candidates.append("HEAD^1")
    except Exception:  # noqa: BLE001 - not a repository, no HEAD, a shallow clone: the candidates decide
        pass
    for candidate in candidates:
        try:
            return GitRefSource(Path(root), candidate)
        except UsageError:
            continue
    raise UsageError(
        f"the policy must come from the base branch '{base}', which this clone does not hold: fetch it "
        f"(actions/checkout with fetch-depth: 2, or `git fetch origin {base}`), or name it with --policy-ref"
    )


def unignored_work_tree(folder: Path) -> Path | None:
    """The Git work tree holding `folder` when Git does not ignore it there (a token written in it could be
    committed), else None: outside any work tree, or ignored (`.gitignore`, `.git/info/exclude`)."""
    target = folder.absolute()
    start = next((p for p in (target, *target.parents) if p.is_dir()), None)
    if start is None:
        return None
    import git

    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or repo.working_tree_dir is None:
        return None
    top = Path(repo.working_tree_dir).resolve()
    try:
        inside = target.resolve().relative_to(top)
    except ValueError:
        return None
    if inside == Path("."):
        return top
    try:
        repo.git.check_ignore("-q", f"{inside.as_posix()}/")  # exit 0: ignored
    except git.GitCommandError:
        return top
    return None


@dataclass(frozen=True)
class Checkout:
    """What Git says about the folder apply runs in: the branch checked out (None: detached), the commit a ref
    (or HEAD) names, and the default branch (origin/HEAD's target; None: no remote, or unknown) with its
    commit here."""

    branch: str | None
    head: str | None
    default_branch: str | None
    default_head: str | None


def checkout_of(root: str, ref: str | None) -> Checkout:
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return Checkout(None, None, None, None)

    def commit(name: str) -> str | None:
        try:
            return str(repo.commit(name).hexsha)
        except (git.BadName, ValueError, git.GitCommandError):
            return None

    branch = None if repo.head.is_detached or ref not in (None, "HEAD") else repo.active_branch.name
    if ref is not None and ref != "HEAD" and commit(f"refs/heads/{ref}") is not None:
        branch = ref  # --ref names a local branch
    try:
        default = repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD").removeprefix("origin/")
    except git.GitCommandError:
        default = None
    default_head = (commit(f"refs/remotes/origin/{default}") or commit(f"refs/heads/{default}")) if default else None
    return Checkout(branch, commit(ref or "HEAD"), default or None, default_head)
