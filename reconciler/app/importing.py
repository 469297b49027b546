"""Use case: `reconciler import`. Read a tenant (accounts and role bindings, never a token: the client is
read-only and only lists), map it to files (`domain/importing.py`), check them as `validate` would, and write
the ones that do not exist yet (`adapters/new_files.py`); `dry_run` writes nothing."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.adapters.controlplane.client import Connection, ControlPlaneClient
from reconciler.adapters.git_source import WorkTreeSource
from reconciler.adapters.new_files import existing_files, write_new
from reconciler.adapters.selection import is_manifest, literal_path
from reconciler.app.plan import list_live
from reconciler.app.validate import LoadedRepository, load_repository, read_file
from reconciler.domain.checks import check_resources
from reconciler.domain.config import (
    CONFIG_FILE,
    DEFAULT_TAG_KEY,
    OwnershipTag,
    RepoConfig,
    config_from_data,
    default_owner_value,
)
from reconciler.domain.errors import ConfigError, InvalidDesiredState, UsageError
from reconciler.domain.importing import (
    ImportReport,
    ImportSettings,
    config_file,
    plan_import,
)
from reconciler.domain.ports import SourceFile
from reconciler.domain.resources import DesiredResource, LiveResource, SkippedDocument
from reconciler.domain.scope import Scope
from reconciler.domain.values import Problem
from reconciler.manifests.yaml_writer import manifest_text
from reconciler.schema import CONFIG_SCHEMA_FILE, SCHEMA_FILES, modeline, packaged_schema
from reconciler.schema.order import documented_order

NEW_FOLDER = "accounts"  # where a repository without reconciler.yaml gets its accounts


@dataclass(frozen=True)
class ImportRequest:
    root: Path  # the manifests repository: where reconciler.yaml is, or will be
    connection: Connection
    today: date
    now: datetime
    selection: Scope = field(default_factory=Scope)  # --select and --team
    dry_run: bool = False


def import_tenant(request: ImportRequest) -> ImportReport:
    source = WorkTreeSource(request.root)
    repository = load_repository(
        source, request.today, reads=lambda p: os.path.lexists(request.root / p), keep_positions=True
    )
    if repository.report.errors:
        first = repository.report.errors[0]
        raise InvalidDesiredState(
            f"the manifests are invalid ({len(repository.report.errors)} problem(s), first: {first.position}: "
            f"{first.message}); fix them before importing, so that nothing Git defines is imported twice"
        )
    fresh = repository.config_file is None
    tag = _ownership(repository, source) if fresh else _configured_ownership(repository.config)
    folder = NEW_FOLDER if fresh else _folder(repository.config, request.root)
    settings = ImportSettings(
        tag=tag,
        folder=folder,
        orders={kind: documented_order(packaged_schema(name)) for kind, name in SCHEMA_FILES.items()},
        modeline=modeline(),
        source=where(request.connection),
        imported_at=request.now.strftime("%Y-%m-%d %H:%M UTC"),
        selection=request.selection,
        scope=repository.config.scope,
    )
    plan = plan_import(_live(request.connection, repository), repository.report.resources,
                       existing_files(request.root, folder), settings)  # fmt: skip
    config = config_file(settings, (NEW_FOLDER,), modeline(CONFIG_SCHEMA_FILE)) if fresh and plan.files else None
    texts = [(f.path, manifest_text(f.header, f.documents)) for f in (*plan.files, *([config] if config else []))]
    shown = {path: source.display(request.root / path) for path, _ in texts}
    checked = config_from_data(config.documents[0], "") if config else repository.config
    problems = _problems(texts, shown, repository, checked, request.today)
    not_written = frozenset() if request.dry_run else write_new(request.root, texts)
    return ImportReport(plan, settings.source, tag, request.dry_run, config, shown, not_written, problems)


def where(connection: Connection) -> str:
    """The control plane in words for a committed file: its URL without credentials, or the embedded one."""
    if connection.embedded:
        return "the embedded control plane"
    parts = urlsplit(connection.base_url)
    host = parts.hostname or parts.netloc
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def _configured_ownership(config: RepoConfig) -> OwnershipTag:
    if config.ownership.provisional:
        raise ConfigError(f"import makes this repository adopt accounts, and {config.ownership.provisional}")
    return config.ownership


def _ownership(repository: LoadedRepository, source: WorkTreeSource) -> OwnershipTag:
    """The tag a new reconciler.yaml pins: the default from the remote, or, without one, a value unique to this
    repository (its folder's name and random characters), so no other repository reads the accounts as its own."""
    identity = source.identity
    if identity.canonical:
        return OwnershipTag(DEFAULT_TAG_KEY, default_owner_value(identity.canonical))
    return OwnershipTag(DEFAULT_TAG_KEY, default_owner_value(f"{identity.folder or 'accounts'}-{secrets.token_hex(4)}"))


def _folder(config: RepoConfig, root: Path) -> str:
    """Where imported files go: the first configured path that is a folder (or will be one)."""
    for configured in config.paths:
        path = literal_path(configured)
        target = root / path
        if target.is_dir() or (not os.path.lexists(target) and not is_manifest(path)):
            return path
    raise UsageError(
        f"every path in {CONFIG_FILE}'s paths is a file; import writes one file per account into a folder: add one"
    )


def _live(connection: Connection, repository: LoadedRepository) -> list[LiveResource]:
    """Every live account and role binding, read-only. Kept out of the coroutine's return value: asyncio.run
    formats its main task on exit, and the repr of 10,000 resources costs seconds (performance-notes.md)."""
    found: list[LiveResource] = []

    async def read() -> None:
        client = ControlPlaneClient(connection, concurrency=repository.config.concurrency, read_only=True)
        async with client:
            found.extend(await list_live(client))

    asyncio.run(read())
    return found


def _problems(
    texts: list[tuple[str, str]], shown: dict[str, str], repository: LoadedRepository, config: RepoConfig, today: date
) -> tuple[Problem, ...]:
    """What `validate` would report in the files about to be written, read back as any manifest is: the strict
    loader, the schemas, and the checks across files with everything Git already holds."""
    resources: list[DesiredResource] = []
    skipped: list[SkippedDocument] = []
    problems: list[Problem] = []
    for path, text in texts:
        if path != CONFIG_FILE:
            problems += read_file(SourceFile(shown[path], text.encode("utf-8")), resources, skipped)
    new_files = {shown[path] for path, _ in texts}
    across = check_resources([*repository.report.resources, *resources], today, config, policy=True)
    problems += [p for p in across if p.position.file in new_files]
    return tuple(sorted(problems))
