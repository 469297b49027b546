"""Which files are manifests: one set of rules for every reader, so the working tree and any Git ref select
exactly the same files (a property test compares the two on generated trees).

Each reader only lists what it holds through `TreeView` (entry kinds by path, a folder's children); `select`
alone decides. The rules:
- configured paths (reconciler.yaml `paths`) are literal paths relative to the manifests root: never globs
  or Git pathspec magic; `accounts/`, `./accounts` and `accounts` are one path;
- a configured path names a folder (walked), or one file (read whatever its suffix: it was named);
- inside a folder, files ending in `.yaml` or `.yml` are manifests, except the root's reconciler.yaml (the
  configuration, never a manifest); files and folders whose name starts with
  `.` are never read, and a configured path with such a part is refused, so that no rule depends on how a
  path was reached;
- symbolic links, submodules (a gitlink, or a folder holding its own `.git`, or the empty folder of an
  uninitialised submodule) and special files are selected so that reading reports them: a link is never
  followed, and a submodule's manifests are not part of this repository's commits, so skipping it would
  make its accounts read as deleted. A submodule is selected whatever its name, a link or special file when
  its name is a manifest's.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from reconciler.domain.config import CONFIG_FILE
from reconciler.domain.errors import UsageError

MANIFEST_SUFFIXES = (".yaml", ".yml")


class Entry(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    SUBMODULE = "submodule"
    OTHER = "other"  # a FIFO, socket or device: only a working tree holds them
    MISSING = "missing"


class TreeView(Protocol):
    """What a reader holds, by posix path relative to the manifests root (`.` is the root itself)."""

    def kind(self, path: str) -> Entry:
        """The entry at `path` (never `.`), without following links; MISSING when there is none."""
        ...

    def children(self, folder: str) -> Iterable[tuple[str, Entry]]:
        """(name, kind) of each entry directly in `folder`, in any order."""
        ...

    def missing(self, path: str) -> str:
        """The message for a configured path that does not exist."""
        ...


@dataclass(frozen=True, order=True)
class Selected:
    """A selected path (relative to the manifests root) and what it is: FILE is read; anything else is
    reported as unreadable."""

    path: str
    kind: Entry


def is_manifest(name: str) -> bool:
    """`.yaml` or `.yml` in any letter case (`A.YAML` from a Windows editor is a manifest too)."""
    return name.lower().endswith(MANIFEST_SUFFIXES)


def select(tree: TreeView, configured: Sequence[str]) -> list[Selected]:
    """Every selected entry under the configured paths, each once, sorted by path. Raises `UsageError` for
    a configured path that does not exist or names a hidden file or folder."""
    found: dict[str, Entry] = {}
    for path in configured:
        found.update(_select_one(tree, literal_path(path)))
    found.pop(CONFIG_FILE, None)
    return [Selected(path, kind) for path, kind in sorted(found.items())]


def literal_path(configured: str) -> str:
    """`configured` normalised (`./a/` -> `a`, `a//b` -> `a/b`), refused when it leaves the root or has a
    part starting with `.` (the config schema already refuses absolute paths and `..`)."""
    path = posixpath.normpath(configured)
    if path.startswith(("/", "../")) or path == "..":
        raise UsageError(f"paths: {configured} is outside the repository")
    if path != "." and any(part.startswith(".") for part in path.split("/")):
        raise UsageError(
            f"paths: {configured} names a hidden file or folder (a name starting with '.'); those are never "
            "read: rename it"
        )
    return path


def _select_one(tree: TreeView, path: str) -> Iterator[tuple[str, Entry]]:
    if path == ".":
        yield from _walk(tree, ".")
        return
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        kind = tree.kind(prefix)
        last = depth == len(parts)
        if kind == Entry.DIRECTORY and not last:
            continue
        if kind == Entry.MISSING or (kind in (Entry.FILE, Entry.OTHER) and not last):
            raise UsageError(tree.missing(path))
        if kind == Entry.DIRECTORY:
            yield from _walk(tree, prefix)
        else:
            yield prefix, kind  # a named file, or a link or submodule on the way: reading reports it
        return


def _walk(tree: TreeView, start: str) -> Iterator[tuple[str, Entry]]:
    """The selected entries below folder `start`, with an explicit stack (no recursion limit to hit)."""
    pending = [start]
    while pending:
        folder = pending.pop()
        for name, kind in tree.children(folder):
            if name.startswith("."):
                continue
            path = name if folder == "." else f"{folder}/{name}"
            if kind == Entry.DIRECTORY:
                pending.append(path)
            elif kind == Entry.SUBMODULE or is_manifest(name):
                yield path, kind
