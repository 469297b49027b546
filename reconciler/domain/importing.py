"""Pure: a live tenant -> the files `reconciler import` writes, as a person would write them (Terraform's `import`
with `-generate-config-out`, octoDNS's `octodns-dump`; reference/anchors.md).

- **What**: every live virtual account the selection (name patterns, owning teams) and the repository's scope
  include, except those another repository owns (another value of the ownership tag), those Git already
  defines, and those whose file exists; and every live role binding naming them whose subjects are all
  accounts this repository will own (imported now or defined in Git). A binding naming other subjects too is
  shared: it is left out and stays as it is (the planner never writes a shared binding).
- **Adoption**: each imported account carries the ownership tag in its manifest, so the repository's first
  plan adopts it (the tag is added, nothing else changes) and no `adopt:` list has to be kept and removed.
- **Access**: an account's deprecated `permissions` become a role binding after it, named and laid out as
  `reconciler migrate` writes them (`legacy.py`); no `permissions` field is written. The grants persist on the
  account, so the plan adopts the binding (no access change).
- **Layout**: one file per account, `<folder>/<ownedBy.team>/<account>.yaml` (`<folder>/<account>.yaml`
  without a team), its bindings after it as `tfy migrate-gitops` lays them out; a binding naming several
  imported accounts goes with the first of them by name. Keys in the documented order (`KeyOrder`, from the
  published schemas); only fields a user controls (`ResourceRules.declared`); a header comment with the schema
  modeline and where and when the file was imported.
- **Never overwrite**: a file that exists is never written; its account is reported instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

from reconciler.domain.config import OwnershipTag
from reconciler.domain.grants import VIRTUAL_ACCOUNT_SUBJECT, subjects_of
from reconciler.domain.kinds import rules_for
from reconciler.domain.legacy import binding_name, legacy_binding
from reconciler.domain.ownership import tags_of
from reconciler.domain.plan import OwnershipData
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.scope import Scope, team_of
from reconciler.domain.values import JsonValue, Problem, ProblemData
from reconciler.domain.vocabulary import Kind, Severity, Why

IMPORT_VERSION = 1

_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class KeyOrder:
    """The documented order of an object's keys (the published schema's `properties`), and the order inside each
    of its objects or lists of objects, by key. A key it does not list is not in the documented manifest."""

    keys: tuple[str, ...] = ()
    inner: Mapping[str, KeyOrder] = field(default_factory=dict)
    open: bool = False  # a map of free keys (`tags`): every key is kept, in its own order

    def arrange(self, value: Mapping[str, JsonValue], path: str, dropped: list[str]) -> dict[str, JsonValue]:
        """`value` with its keys in the documented order, at every depth; a key the documentation does not know is
        left out and its dotted path added to `dropped`."""
        if self.open:
            return dict(value)
        arranged: dict[str, JsonValue] = {}
        for key in self.keys:
            if key in value:
                arranged[key] = self._inner(key, value[key], f"{path}.{key}", dropped)
        dropped.extend(f"{path}.{key}" for key in value if key not in self.keys)
        return arranged

    def _inner(self, key: str, value: JsonValue, path: str, dropped: list[str]) -> JsonValue:
        order = self.inner.get(key)
        if order is None:
            return value
        if isinstance(value, dict):
            return order.arrange(value, path, dropped)
        if isinstance(value, list):
            return [order.arrange(v, f"{path}[]", dropped) if isinstance(v, dict) else v for v in value]
        return value


@dataclass(frozen=True)
class ImportSettings:
    """One run of import: the ownership tag imported accounts carry, the folder files go to (relative to the
    manifests root, posix), the documented key order of each kind, what to select, and the header's parts."""

    tag: OwnershipTag
    folder: str
    orders: Mapping[Kind, KeyOrder]
    modeline: str
    source: str  # where the accounts were read: the control plane, in words (never a credential)
    imported_at: str  # when, in words ("2026-11-30 13:06 UTC")
    selection: Scope = field(default_factory=Scope)  # --select (names) and --team (teams)
    scope: Scope = field(default_factory=Scope)  # reconciler.yaml's: the default holds everything


@dataclass(frozen=True)
class NotImported:
    kind: Kind
    name: str
    why: Why
    detail: str


@dataclass(frozen=True)
class ImportedFile:
    """One file to write: its path (relative to the manifests root, posix), its header comment lines, its
    documents in order, and which accounts and bindings it holds."""

    path: str
    header: tuple[str, ...]
    documents: tuple[dict[str, JsonValue], ...]
    accounts: tuple[str, ...] = ()
    bindings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    files: tuple[ImportedFile, ...]
    skipped: tuple[NotImported, ...] = ()
    dropped: tuple[str, ...] = ()  # `account.field` paths the documented manifest does not know: not written
    excluded: int = 0  # live accounts the selection or the scope leaves out

    @property
    def accounts(self) -> int:
        return sum(len(f.accounts) for f in self.files)

    @property
    def bindings(self) -> int:
        return sum(len(f.bindings) for f in self.files)


def header(settings: ImportSettings) -> tuple[str, ...]:
    """The comment every imported file starts with: the schema modeline (first, for editors), then where and when."""
    return (
        settings.modeline,
        f"# Imported by `reconciler import` from {settings.source} on {settings.imported_at}.",
    )


def file_for(folder: str, name: str, team: str | None) -> str:
    """`<folder>/<team>/<name>.yaml`; a team name that cannot be a folder name is spelled with `-` for what it
    cannot hold (never starting with `.`, which would hide the folder from every reader)."""
    parts = [] if folder in ("", ".") else [folder.strip("/")]
    if team is not None:
        spelled = _UNSAFE_RUN.sub("-", team).lstrip(".-")[:200]
        parts += [spelled] if spelled else []
    return "/".join([*parts, f"{name}.yaml"])


def plan_import(
    live: Sequence[LiveResource],
    in_git: Sequence[DesiredResource],
    existing_files: frozenset[str],
    settings: ImportSettings,
) -> ImportPlan:
    """The files to write for the live resources `live` into a repository defining `in_git`, whose files
    `existing_files` (paths relative to the manifests root) are never overwritten."""
    accounts = sorted((r for r in live if r.kind == Kind.VIRTUAL_ACCOUNT), key=lambda r: r.name)
    bindings = sorted((r for r in live if r.kind == Kind.ROLE_BINDING), key=lambda r: r.name)
    git_names = {kind: {d.name for d in in_git if d.kind == kind} for kind in Kind}
    skipped: list[NotImported] = []
    dropped: list[str] = []
    chosen: list[tuple[LiveResource, str]] = []
    excluded = 0
    for account in accounts:
        team = team_of(account.manifest)
        if not _considered(account.name, team, settings):
            excluded += 1
            continue
        path = file_for(settings.folder, account.name, team)
        why = _why_not(account, path, settings.tag, git_names[Kind.VIRTUAL_ACCOUNT], existing_files)
        if why is None:
            chosen.append((account, path))
        else:
            skipped.append(NotImported(Kind.VIRTUAL_ACCOUNT, account.name, *why))
    imported = {account.name for account, _ in chosen}
    will_own = imported | git_names[Kind.VIRTUAL_ACCOUNT]
    placed = _place_bindings(bindings, imported, will_own, git_names[Kind.ROLE_BINDING], skipped)
    taken = {b.name for b in bindings} | git_names[Kind.ROLE_BINDING]
    files = []
    for account, path in chosen:
        documents, names = _account_documents(account, settings, taken, dropped)
        for binding in placed.get(account.name, []):
            documents.append(_arranged(binding, settings, dropped))
            names.append(binding.name)
        file = ImportedFile(path, header(settings), tuple(documents), (account.name,), tuple(names))
        files.append(file)
    return ImportPlan(tuple(files), tuple(skipped), tuple(dropped), excluded)


def _considered(name: str, team: str | None, settings: ImportSettings) -> bool:
    """Selected on the command line, and within the repository's scope."""
    return settings.scope.includes(name, team) and settings.selection.includes(name, team)


def _why_not(
    account: LiveResource, path: str, tag: OwnershipTag, in_git: set[str], existing: frozenset[str]
) -> tuple[Why, str] | None:
    owner = tags_of(account.manifest).get(tag.key)
    if owner is not None and owner != tag.value and owner not in tag.former:
        return Why.OWNED_ELSEWHERE, f"owned by another repository ({tag.key}={owner})"
    if account.name in in_git:
        return Why.IN_GIT, "already defined in Git"
    if _SAFE_SEGMENT.fullmatch(account.name) is None:
        return Why.UNSAFE_NAME, "its name cannot be a file name"
    if path in existing:
        return Why.FILE_EXISTS, f"{path} exists (import never overwrites a file)"
    return None


def _place_bindings(
    bindings: Sequence[LiveResource],
    imported: set[str],
    will_own: set[str],
    in_git: set[str],
    skipped: list[NotImported],
) -> dict[str, list[LiveResource]]:
    """Account name -> the live bindings to write after it: those naming an imported account whose subjects are
    all accounts this repository will own; the first of them by name holds the binding."""
    placed: dict[str, list[LiveResource]] = {}
    for binding in bindings:
        subjects = subjects_of(binding.manifest)
        named = sorted({s.name for s in subjects if s.type == VIRTUAL_ACCOUNT_SUBJECT} & imported)
        if not named:
            continue  # names none of the accounts imported now: not this run's business
        if binding.name in in_git:
            skipped.append(NotImported(Kind.ROLE_BINDING, binding.name, Why.IN_GIT, "already defined in Git"))
            continue
        others = [str(s) for s in subjects if s.type != VIRTUAL_ACCOUNT_SUBJECT or s.name not in will_own]
        if others:
            detail = f"also names {', '.join(others)}, which this repository will not own: it stays as it is"
            skipped.append(NotImported(Kind.ROLE_BINDING, binding.name, Why.SHARED, detail))
            continue
        placed.setdefault(named[0], []).append(binding)
    return placed


def _account_documents(
    account: LiveResource, settings: ImportSettings, taken: set[str], dropped: list[str]
) -> tuple[list[dict[str, JsonValue]], list[str]]:
    """The account's document, claimed with the ownership tag, and the binding its `permissions` become."""
    manifest = rules_for(Kind.VIRTUAL_ACCOUNT).declared(account.manifest)
    manifest["name"] = account.name
    permissions = manifest.pop("permissions", None)
    tags = {k: v for k, v in tags_of(manifest).items() if k != settings.tag.key}
    manifest["tags"] = {**tags, settings.tag.key: settings.tag.value}
    documents = [settings.orders[Kind.VIRTUAL_ACCOUNT].arrange(manifest, account.name, dropped)]
    names: list[str] = []
    if isinstance(permissions, list) and permissions:
        name = binding_name(account.name, taken)
        taken.add(name)
        binding = rules_for(Kind.ROLE_BINDING).declared(legacy_binding(name, account.name, permissions))
        documents.append(settings.orders[Kind.ROLE_BINDING].arrange(binding, name, dropped))
        names.append(name)
    return documents, names


def _arranged(binding: LiveResource, settings: ImportSettings, dropped: list[str]) -> dict[str, JsonValue]:
    manifest = rules_for(Kind.ROLE_BINDING).declared(binding.manifest)
    manifest["name"] = binding.name
    return settings.orders[Kind.ROLE_BINDING].arrange(manifest, binding.name, dropped)


def config_file(settings: ImportSettings, paths: tuple[str, ...] | None, modeline: str) -> ImportedFile:
    """reconciler.yaml for a repository that has none: the ownership tag the imported manifests carry, pinned
    (so they keep meaning "ours" whatever happens to the remote), the folder they went to (`paths`, None to keep
    the default `.`), and, when the import selected accounts, that selection as the repository's `scope`, so a
    tenant shared by several repositories splits the way it was imported. `modeline` names the configuration's
    schema."""
    document: dict[str, JsonValue] = {"version": 1}
    if paths is not None:
        document["paths"] = list(paths)
    document["ownership"] = {"tag_key": settings.tag.key, "tag_value": settings.tag.value}
    chosen = settings.selection
    if not chosen.everything:
        scope: dict[str, JsonValue] = {"include": list(chosen.include)} if chosen.include else {}
        document["scope"] = {**scope, **({"teams": list(chosen.teams)} if chosen.teams else {})}
    lines = (
        modeline,
        f"# Written by `reconciler import` from {settings.source} on {settings.imported_at}. The imported",
        "# manifests carry ownership.tag_value in their tags: that is how this repository adopts them.",
    )
    return ImportedFile("reconciler.yaml", lines, (document,))


class ImportedFileData(TypedDict):
    """A file import writes (or, on a dry run, would write)."""

    path: Annotated[str, "Relative to the repository root (or the manifests folder outside Git), posix style."]
    accounts: list[str]
    role_bindings: list[str]
    written: Annotated[bool, "False on a dry run, or when the file appeared meanwhile (never overwritten)."]


class NotImportedData(TypedDict):
    """A live resource the import left out, and why."""

    kind: Annotated[str, Kind]
    name: str
    reason: Annotated[str, Why]
    detail: str


class ImportReportData(TypedDict):
    """What `reconciler import` did (`--out`, `--format json`)."""

    version: int
    dry_run: bool
    control_plane: Annotated[str, "Where the accounts were read, in words (never a credential)."]
    ownership: Annotated[OwnershipData, "The ownership tag every imported account carries: the first plan adopts it."]
    config: Annotated[ImportedFileData | None, "reconciler.yaml, when the repository had none."]
    files: list[ImportedFileData]
    skipped: list[NotImportedData]
    excluded: Annotated[int, "Live accounts the selection (--select, --team) or the scope leaves out."]
    dropped: Annotated[list[str], "Fields (`account.path`) the documented manifest does not know: not written."]
    problems: Annotated[list[ProblemData], "What validation finds in the imported files."]


@dataclass(frozen=True)
class ImportReport:
    """A run of import: its plan, reconciler.yaml when one was written, how output names each file (`shown`,
    by path relative to the manifests root), the files not written, and the problems validation finds."""

    plan: ImportPlan
    control_plane: str
    ownership: OwnershipTag
    dry_run: bool
    config: ImportedFile | None = None
    shown: Mapping[str, str] = field(default_factory=dict)
    not_written: frozenset[str] = frozenset()
    problems: tuple[Problem, ...] = ()

    @property
    def files(self) -> tuple[ImportedFile, ...]:
        return (*self.plan.files, *((self.config,) if self.config else ()))

    def shown_path(self, file: ImportedFile) -> str:
        return self.shown.get(file.path, file.path)

    def written(self, file: ImportedFile) -> bool:
        return not self.dry_run and file.path not in self.not_written

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == Severity.ERROR)

    def _file_data(self, file: ImportedFile) -> ImportedFileData:
        return {
            "path": self.shown_path(file),
            "accounts": list(file.accounts),
            "role_bindings": list(file.bindings),
            "written": self.written(file),
        }

    def to_data(self) -> ImportReportData:
        return {
            "version": IMPORT_VERSION,
            "dry_run": self.dry_run,
            "control_plane": self.control_plane,
            "ownership": {"key": self.ownership.key, "value": self.ownership.value},
            "config": self._file_data(self.config) if self.config else None,
            "files": [self._file_data(f) for f in self.plan.files],
            "skipped": [
                {"kind": str(s.kind), "name": s.name, "reason": str(s.why), "detail": s.detail}
                for s in self.plan.skipped
            ],
            "excluded": self.plan.excluded,
            "dropped": list(self.plan.dropped),
            "problems": [p.to_data() for p in self.problems],
        }
