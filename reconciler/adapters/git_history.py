"""The `History` port on gitpython: the first-parent history of the checked-out repository, what each commit
changed, and files at a commit. Everything degrades to "unknown" (None, empty) rather than fail: the history
only decides which pull requests hear about an apply, never what is applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git

from reconciler.manifests.yaml_loader import MAX_FILE_BYTES

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # Git's well-known empty tree


class GitHistory:
    def __init__(self, root: Path) -> None:
        try:
            self._repo: Any = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            self._repo = None

    def head(self) -> str | None:
        if self._repo is None:
            return None
        try:
            return str(self._repo.head.commit.hexsha)
        except (ValueError, git.GitCommandError):
            return None  # no commit yet

    def first_parents(self, start: str, limit: int) -> list[str]:
        if self._repo is None:
            return []
        try:
            output: str = self._repo.git.rev_list("--first-parent", f"--max-count={limit}", start)
        except git.GitCommandError:
            return []
        return output.split()

    def changed_files(self, sha: str) -> tuple[str, ...]:
        if self._repo is None:
            return ()
        try:
            parents = self._repo.git.rev_list("--parents", "-n", "1", sha).split()[1:]
            base = parents[0] if parents else EMPTY_TREE
            output: str = self._repo.git.diff("--name-only", "--no-renames", "-z", base, sha)
        except git.GitCommandError:
            return ()
        return tuple(path for path in output.split("\0") if path)

    def read(self, sha: str, path: str) -> bytes | None:
        if self._repo is None:
            return None
        try:
            blob = self._repo.commit(sha).tree / path
        except (KeyError, ValueError, git.GitCommandError, git.BadName):
            return None
        if blob.type != "blob" or blob.size > MAX_FILE_BYTES:
            return None
        data: bytes = blob.data_stream.read()
        return data
