"""New files in a working tree, never over an existing one (`reconciler import`).

Each file is written to a temporary file beside it and linked into place: the link fails when the name exists,
so a file that appeared since it was planned (or one the plan missed, on a case-insensitive file system) is
left as it was and reported, and no reader ever sees half a file. Folders are created as needed, never through
a symbolic link, and never outside the root."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from reconciler.domain.errors import SourceError


def existing_files(root: Path, folder: str) -> frozenset[str]:
    """Every entry (file, link, anything but a folder) under `root/folder`, as paths relative to `root`, posix
    style; links are listed, never followed."""
    base = root / folder
    if not base.is_dir():
        return frozenset()
    found: set[str] = set()
    for current, folders, files in os.walk(base, followlinks=False):
        folders[:] = [name for name in folders if not name.startswith(".")]  # .git: never a manifest's folder
        relative = Path(current).relative_to(root)
        found.update((relative / name).as_posix() for name in files)
        found.update((relative / name).as_posix() for name in folders if (Path(current) / name).is_symlink())
    return frozenset(path.removeprefix("./") for path in found)


def write_new(root: Path, files: Sequence[tuple[str, str]]) -> frozenset[str]:
    """Write each `(path relative to root, text)` that does not exist yet; returns the paths that existed (not
    written). Raises SourceError when a folder cannot be created or a file cannot be written."""
    existed: set[str] = set()
    for relative, text in files:
        target = root / relative
        try:
            _make_folders(root, PurePosixPath(relative).parent)
            if not _link_new(target, text.encode("utf-8")):
                existed.add(relative)
        except OSError as exc:
            raise SourceError(f"{target}: cannot write ({exc.strerror or exc}); nothing was overwritten") from exc
    return frozenset(existed)


def _make_folders(root: Path, folder: PurePosixPath) -> None:
    """Create `root/folder` part by part; refuse `..`, a symbolic link or a file on the way."""
    if folder.is_absolute() or ".." in folder.parts:
        raise SourceError(f"{folder}: outside the manifests repository {root}")
    current = root
    for part in folder.parts:
        current = current / part
        if os.path.islink(current):
            raise SourceError(f"{current}: a symbolic link; import writes into real folders only")
        if not os.path.lexists(current):
            os.mkdir(current)
        elif not current.is_dir():
            raise SourceError(f"{current}: not a folder")


def _link_new(target: Path, content: bytes) -> bool:
    """Write `content` under a temporary name beside `target`, then link it to `target`: False when `target`
    exists (it is left untouched). The file gets the usual mode (0666 less the umask)."""
    staged = target.with_name(f".{target.name}.import-{os.getpid()}.tmp")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        try:
            os.link(staged, target, follow_symlinks=False)
        except FileExistsError:
            return False
    finally:
        os.unlink(staged)
    return True
