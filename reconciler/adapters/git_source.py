"""The `ManifestSource` port: manifests from the working tree, or from any Git ref read straight from the
object database (no checkout). Both refuse symlinks, non-regular files and anything outside the root, and
never read more than the size limit. Only this module imports gitpython.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.domain.config import CONFIG_FILE
from reconciler.domain.errors import UsageError
from reconciler.domain.ports import ManifestSource, SourceFile
from reconciler.manifests.yaml_loader import MAX_FILE_BYTES

MANIFEST_SUFFIXES = (".yaml", ".yml")
_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"
_REMOTE_REPO = re.compile(r"[:/]([^/:]+/[^/]+?)(?:\.git)?/?$")


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


def _is_manifest(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES)


def _hidden(relative: PurePosixPath) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in relative.parts)


def _too_large(size: int) -> str:
    return f"file is {size} bytes, larger than the {MAX_FILE_BYTES // 1024} KiB limit; split it"


def _find_git_root(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


class WorkTreeSource:
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
    def repository_id(self) -> str:
        if self._git_root is None:
            return self._root.name
        import git  # heavy import: only when the ownership tag needs a default

        return _repository_id(git.Repo(self._git_root), self._git_root)

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
        return self._read(name, is_symlink=os.path.islink(self._root / name))

    def files(self, paths: Sequence[str]) -> Iterator[SourceFile]:
        seen: set[str] = set()
        for configured in paths:
            for relative, is_symlink in self._walk(os.path.normpath(configured)):
                if relative not in seen:
                    seen.add(relative)
                    yield self._read(relative, is_symlink)

    def _walk(self, start: str) -> Iterator[tuple[str, bool]]:
        """(path, is it a symlink) for each manifest under `start`, sorted. Symlinks are never followed,
        only yielded so that reading rejects them; `start` itself is checked component by component."""
        parts = [] if start == "." else start.split("/")
        for depth in range(1, len(parts) + 1):
            if os.path.islink(self._root.joinpath(*parts[:depth])):
                yield "/".join(parts[:depth]), True
                return
        target = self._root / start
        if target.is_file():
            yield start, False
            return
        if not target.is_dir():
            raise UsageError(f"{self._display(start)}: configured path does not exist")
        pending = [start]
        while pending:
            folder = pending.pop()
            with os.scandir(self._root / folder) as entries:
                found = sorted(entries, key=lambda e: e.name, reverse=True)
            for entry in found:
                if entry.name.startswith("."):
                    continue
                relative = entry.name if folder == "." else f"{folder}/{entry.name}"
                if entry.is_symlink():
                    if _is_manifest(entry.name):
                        yield relative, True
                elif entry.is_dir():
                    pending.append(relative)
                elif _is_manifest(entry.name):
                    yield relative, False

    def _read(self, relative: str, is_symlink: bool) -> SourceFile:
        shown = self._display(relative)
        if is_symlink:
            return SourceFile(shown, None, "symbolic links are not allowed; commit the file itself")
        try:
            # O_NOFOLLOW refuses a symlink swapped in since the walk; the walk never descends into one.
            descriptor = os.open(self._root / relative, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            return SourceFile(shown, None, f"cannot open: {exc.strerror}")
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                return SourceFile(shown, None, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return SourceFile(shown, None, _too_large(info.st_size))
            return SourceFile(shown, os.read(descriptor, MAX_FILE_BYTES + 1))
        finally:
            os.close(descriptor)


class GitRefSource:
    """Files at a commit, listed with one `git ls-tree` and read through gitpython's persistent
    `git cat-file --batch` (the fast path measured in reference/performance-notes.md)."""

    def __init__(self, root: Path, ref: str) -> None:
        import git  # heavy import: only when a ref is read

        try:
            self._repo: Any = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise UsageError(f"{root}: not inside a Git repository, so --ref cannot be read") from exc
        try:
            commit = self._repo.commit(ref)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            raise UsageError(f"unknown Git ref '{ref}'") from exc
        top = Path(str(self._repo.working_tree_dir)).resolve()
        self._prefix = PurePosixPath(root.resolve().relative_to(top).as_posix())
        self.revision: str | None = commit.hexsha
        self.repository_id = _repository_id(self._repo, top)
        self.description = f"Git ref {ref} ({commit.hexsha[:12]})"

    def _full(self, relative: str) -> str:
        return os.path.normpath((self._prefix / relative).as_posix())

    def read_config(self, name: str) -> SourceFile | None:
        entries = list(self._ls_tree([self._full(name)], recursive=False))
        return self._read(*entries[0]) if entries else None

    def files(self, paths: Sequence[str]) -> Iterator[SourceFile]:
        for configured in paths:
            if not any(self._ls_tree([self._full(configured)], recursive=False)):
                raise UsageError(f"{self._full(configured)}: configured path does not exist at this ref")
        listing = self._ls_tree([self._full(p) for p in paths], recursive=True)
        seen: set[str] = set()
        for mode, sha, size, path in sorted(listing, key=lambda entry: entry[3]):
            relative = (
                PurePosixPath(path).relative_to(self._prefix) if str(self._prefix) != "." else (PurePosixPath(path))
            )
            if path in seen or _hidden(relative) or not _is_manifest(path):
                continue
            seen.add(path)
            if mode != _SUBMODULE_MODE:
                yield self._read(mode, sha, size, path)

    def _ls_tree(self, pathspecs: list[str], recursive: bool) -> Iterator[tuple[str, str, int, str]]:
        flags = ["-r"] if recursive else []
        output: str = self._repo.git.ls_tree(*flags, "-l", "-z", "--full-tree", self.revision, "--", *pathspecs)
        for record in output.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, _kind, sha, size = meta.split()
            yield mode, sha, int(size) if size.isdigit() else 0, path

    def _read(self, mode: str, sha: str, size: int, path: str) -> SourceFile:
        if mode == _SYMLINK_MODE:
            return SourceFile(path, None, "symbolic links are not allowed; commit the file itself")
        if size > MAX_FILE_BYTES:
            return SourceFile(path, None, _too_large(size))
        return SourceFile(path, self._repo.odb.stream(bytes.fromhex(sha)).read())


def _repository_id(repo: Any, top: Path) -> str:
    """`owner/name` from the origin remote when there is one, else the folder name."""
    try:
        url = repo.remotes.origin.url
    except (AttributeError, IndexError):
        return top.name
    match = _REMOTE_REPO.search(url)
    return match.group(1) if match else top.name


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
