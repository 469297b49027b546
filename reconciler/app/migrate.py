"""Use case: `reconciler migrate`. Move every virtual account's deprecated `permissions` into a role-binding
document after it (reconciler/manifests/rewrite.py), in the working tree only, writing each file atomically
with its mode and line endings kept."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reconciler.adapters.git_source import WorkTreeSource
from reconciler.app.validate import load_repository
from reconciler.domain.errors import InvalidDesiredState
from reconciler.domain.vocabulary import Kind
from reconciler.manifests.rewrite import migrate_text


@dataclass(frozen=True)
class FileMigration:
    path: str  # as shown (relative to the repository root)
    diff: str  # unified diff of the file, before -> after
    bindings: tuple[str, ...]


def migrate(root: Path, today: date, write: bool) -> list[FileMigration]:
    """Every file to migrate, with its diff; written only when `write`. Refuses an invalid repository (a
    migration must start from manifests that mean what they say)."""
    source = WorkTreeSource(root)
    repository = load_repository(source, today)
    if repository.report.errors:
        first = repository.report.errors[0]
        raise InvalidDesiredState(
            f"the manifests are invalid ({len(repository.report.errors)} problem(s), first: {first.position}: "
            f"{first.message}); fix them before migrating"
        )
    taken = {r.name for r in repository.report.of_kind(Kind.ROLE_BINDING)}
    migrations = []
    for file in source.files(repository.config.paths):
        if file.content is None:
            continue
        before = file.content.decode("utf-8")
        migration = migrate_text(before.replace("\r\n", "\n"), taken)
        if migration is None:
            continue
        taken |= set(migration.bindings)
        after = migration.text.replace("\n", "\r\n") if "\r\n" in before else migration.text
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{file.path}", f"b/{file.path}"
            )
        )
        migrations.append(FileMigration(file.path, diff, migration.bindings))
        if write:
            _replace(source.location(file.path), after)
    return migrations


def _replace(target: Path, text: str) -> None:
    """Write `text` over `target` atomically: a temporary file beside it, its mode, then a rename."""
    mode = stat.S_IMODE(target.stat().st_mode)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=target.parent, prefix=".migrate-", suffix=".yaml", delete=False
    )
    try:
        with handle:
            handle.write(text)
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
