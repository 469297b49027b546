"""Use case: read a repository of manifests (working tree or Git ref) and report every problem at once."""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.adapters.cores import can_fork, cores, on_every_core
from reconciler.adapters.git_source import WorkTreeSource, manifests_root, open_source
from reconciler.app.running import settled
from reconciler.domain.checks import ACROSS_FIELDS, across_resources, check_resource, yaml11_warning
from reconciler.domain.config import CONFIG_FILE, RepoConfig, RepositoryIdentity, config_from_data, policy_from_data
from reconciler.domain.documents import DocumentClass, classify
from reconciler.domain.errors import ConfigError, UsageError
from reconciler.domain.ports import ManifestSource, SourceFile
from reconciler.domain.resources import DesiredResource, SkippedDocument, ValidationReport, merge_reports
from reconciler.domain.values import Position, Problem, format_json_path
from reconciler.domain.vocabulary import Severity, SkipReason
from reconciler.manifests.yaml_loader import LoadedDocument, ValuePositions, load_documents
from reconciler.schema import CONFIG_SCHEMA_FILE, SCHEMA_FILES, packaged_schema
from reconciler.schema.validate import SchemaValidator


@dataclass(frozen=True)
class LoadedRepository:
    """The desired state read from one source, with the config that scoped it and what a reviewer must know
    about the run (e.g. that the change edits policy, which takes effect after merge)."""

    config: RepoConfig
    report: ValidationReport
    description: str
    revision: str | None
    notices: tuple[str, ...] = ()
    candidates: frozenset[str] = field(default_factory=frozenset)  # the manifest files read, as positions name them
    config_file: str | None = None  # reconciler.yaml, as positions name it, when there is one


@cache
def _validator(name: str) -> SchemaValidator:
    return SchemaValidator(packaged_schema(name))


def load_repository(
    source: ManifestSource,
    today: date,
    policy_source: ManifestSource | None = None,
    check_policy: bool = False,
    reads: Callable[[str], bool] | None = None,
    keep_positions: bool = False,
) -> LoadedRepository:
    """Every manifest of `source`, checked. With `policy_source` (a pull request's base branch), the policy comes
    from there: the change under review cannot relax it. With `check_policy` (the validate command), policy
    violations are problems too; plan, apply and drift leave them to the planner. `reads(path)` says which
    configured paths to read (import reads those that exist: it may be about to create one). `keep_positions`
    keeps every value's position after the checks (import checks the repository again with its new files).

    Validate (`check_policy`) keeps of each resource only what checks across resources read
    (`DesiredResource.listed`); plan, apply and drift keep whole manifests, and forget value positions once a
    valid repository's checks ran."""
    config_file, config_data, problems = _read_config(source)
    if problems:
        report = ValidationReport(files=1, resources=(), skipped=(), problems=tuple(problems))
        return LoadedRepository(RepoConfig(), report, source.description, source.revision)
    config = config_from_data(config_data, _lazy_identity(source, config_data))
    notices: tuple[str, ...] = ()
    if policy_source is not None:
        config, notices = _base_policy(config, policy_source)
    configured = [p for p in config.paths if reads is None or reads(p)]
    read = _read_source(source, configured, _Checks(today, config, check_policy, config_file))
    problems += read.problems + across_resources(read.resources, config)
    if not (check_policy or keep_positions):
        _release_positions(read.resources)
    if not read.candidates:
        paths = ", ".join(config.paths)
        message = (
            f"no manifest files (*.yaml, *.yml) under the configured paths ({paths}): nothing is validated, and a "
            "plan would find no account in Git; check paths: in reconciler.yaml and the folder given"
        )
        problems.append(Problem(Position(config_file or CONFIG_FILE, 1, 1), message, severity=Severity.WARNING))
    report = ValidationReport(
        files=len(read.candidates),
        resources=tuple(read.resources),
        skipped=tuple(read.skipped),
        problems=tuple(sorted(problems)),
    )
    return LoadedRepository(
        config, report, source.description, source.revision, notices, frozenset(read.candidates), config_file
    )


@dataclass(frozen=True)
class Validation:
    """What `reconciler validate` shows: one report, what it covers, and the commit read (None: working tree)."""

    report: ValidationReport
    description: str
    revision: str | None
    notices: tuple[str, ...] = ()


# a repository's folder -> where its policy comes from (None: its own reconciler.yaml), and why it could not be
# read from there (a pull request's base branch missing from the clone): an error of the report
PolicyFor = Callable[[str], tuple[ManifestSource | None, Problem | None]]


def validate_paths(paths: Sequence[str], ref: str | None, today: date, policy_for: PolicyFor) -> Validation:
    """Validate a folder (the manifests repository, as plan reads it) or files and folders inside one or more
    repositories, as pre-commit passes them. For files, each repository is read whole, from the nearest folder
    up holding reconciler.yaml (`manifests_root`), so checks across files still see every manifest; problems
    are reported for the given files only. A given file outside the configured paths is listed as skipped.
    `policy_for(folder)` says where a repository's policy comes from."""
    if len(paths) == 1 and (ref is not None or Path(paths[0]).is_dir()):
        loaded = _load_checked(open_source(paths[0], ref), today, policy_for, paths[0])
        return Validation(loaded.report, loaded.description, loaded.revision, loaded.notices)
    if ref is not None:
        raise UsageError("--ref reads one folder: pass the folder with --ref, or the files without it")
    by_root: dict[Path, list[Path]] = defaultdict(list)
    for given in paths:
        if not os.path.lexists(given):
            raise UsageError(f"{given}: no such file or directory")
        by_root[manifests_root(Path(given))].append(Path(given))
    reports, outside, descriptions = [], [], []
    notices: list[str] = []
    for root, selected in by_root.items():
        source = WorkTreeSource(_shown_root(root))
        loaded = _load_checked(source, today, policy_for, str(_shown_root(root)))
        notices += loaded.notices
        chosen = {file for path in selected for file in _chosen(source.display(path), path, loaded.candidates)}
        outside += [
            SkippedDocument(Position(source.display(path), 1, 1), "", SkipReason.OUTSIDE_PATHS)
            for path in selected
            if path.is_file() and source.display(path) not in {*loaded.candidates, loaded.config_file}
        ]
        reports.append(loaded.report.restricted_to(chosen, loaded.candidates))
        descriptions.append(f"{len(selected)} path(s) in {loaded.description}")
    return Validation(merge_reports(reports, outside), "; ".join(descriptions), None, tuple(notices))


def _load_checked(source: ManifestSource, today: date, policy_for: PolicyFor, folder: str) -> LoadedRepository:
    """The repository read with policy checked, and the reason policy could not come from where it must."""
    base, unchecked = policy_for(folder)
    loaded = load_repository(source, today, base, True)
    if unchecked is None:
        return loaded
    return replace(loaded, report=replace(loaded.report, problems=(unchecked, *loaded.report.problems)))


def _shown_root(root: Path) -> Path:
    """The root as the user would write it: relative to the current folder when inside it."""
    relative = os.path.relpath(root)
    return root if relative.startswith("..") else Path(relative)


def _chosen(shown: str, path: Path, candidates: frozenset[str]) -> set[str]:
    """The candidate files a given path selects: itself, or every candidate under a given folder."""
    if not path.is_dir():
        return {shown}
    return {c for c in candidates if shown == "." or c.startswith(shown + "/")}


@dataclass(frozen=True)
class _Checks:
    """What checking one resource on its own needs (`checks.check_resource`)."""

    today: date
    config: RepoConfig
    policy: bool  # validate: policy violations are problems, and resources are kept slim
    config_file: str | None  # reconciler.yaml, as positions name it: never read as a manifest


@dataclass
class _Read:
    """What reading some files found, each resource already checked on its own."""

    candidates: list[str] = field(default_factory=list)  # the files read, as positions name them
    resources: list[DesiredResource] = field(default_factory=list)
    skipped: list[SkippedDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, other: _Read) -> _Read:
        self.candidates += other.candidates
        self.resources += other.resources
        self.skipped += other.skipped
        self.problems += other.problems
        return self


def _release_positions(resources: list[DesiredResource]) -> None:
    """Every check that needs a value's position has run, and each problem holds its own: the resources keep
    only their start (a value's position was never asked for after the checks)."""
    for resource in resources:
        if isinstance(resource.value_positions, ValuePositions):
            resource.value_positions.release()


def _read_chunk(files: Iterable[SourceFile], checks: _Checks) -> _Read:
    read = _Read()
    for file in files:
        if file.path == checks.config_file:
            continue  # reconciler.yaml under a configured path (the default `.`) is the config, not a manifest
        read.candidates.append(file.path)
        found: list[DesiredResource] = []
        read.problems += read_file(file, found, read.skipped)
        for resource in found:
            read.problems += check_resource(resource, checks.today, checks.config, checks.policy)
        # validate keeps only what checks across resources read; plan, apply and drift keep whole manifests
        read.resources += [r.listed(ACROSS_FIELDS) for r in found] if checks.policy else found
    return read


# Files are read in chunks, and the desired state read so far is frozen out of the garbage collector's scans
# after each (`running.settled`).
CHUNK_FILES = 250


def _read_source(source: ManifestSource, paths: list[str], checks: _Checks) -> _Read:
    """Every file under `paths`, in order: validate of a large working tree on every core, else here."""
    listed = source.readable(paths) if checks.policy and can_fork() else None
    read = _Read()
    if listed is not None and len(listed) >= SHARED_FROM and (workers := min(cores() - 1, MAX_WORKERS)) >= 1:
        chunks = range(0, len(listed), CHUNK_FILES)

        def read_chunk(number: int) -> _Read:
            first = chunks[number]
            return _read_chunk((listed.read(i) for i in range(first, min(first + CHUNK_FILES, len(listed)))), checks)

        for part in on_every_core(len(chunks), read_chunk, workers, settled):
            read.add(part)
        settled()  # what the workers read, too
        return read
    files = source.files(paths) if listed is None else (listed.read(i) for i in range(len(listed)))
    for chunk in _chunks(files):
        read.add(_read_chunk(chunk, checks))
        settled()
    return read


# Validate reads a large working tree on every core (`cores.on_every_core`): each process reads its chunks'
# files itself, and workers hand back only what validate keeps of each resource (its name, the fields checks
# across resources read, where it stands). Only validate: plan and apply would have to send whole manifests
# back (about 26 µs each pickled), and at 100,000 accounts a process pool made plan slower (47 s against 34 s).
# Only a working tree: a Git ref's blobs come through one `git cat-file --batch` process, which a fork would
# share. Measured by benchmarks/parallel.py.
SHARED_FROM = 2 * CHUNK_FILES
MAX_WORKERS = 3


def _chunks(files: Iterator[SourceFile]) -> Iterator[list[SourceFile]]:
    while chunk := list(itertools.islice(files, CHUNK_FILES)):
        yield chunk


def _base_policy(config: RepoConfig, base: ManifestSource) -> tuple[RepoConfig, tuple[str, ...]]:
    """`config` with the base branch's policy, and a notice when the change under review edits it."""
    _, data, problems = _read_config(base)
    if problems:
        first = problems[0]
        raise ConfigError(f"the base branch's reconciler.yaml is invalid ({first.position}: {first.message})")
    policy = policy_from_data((data or {}).get("policy", {}))
    if policy == config.policy:
        return config, ()
    notice = (
        "this change edits the policy in reconciler.yaml: it takes effect after merge; this run uses the policy of "
        f"the base branch ({base.description})"
    )
    return replace(config, policy=policy), (notice,)


def _lazy_identity(source: ManifestSource, config_data: dict[str, Any] | None) -> RepositoryIdentity:
    """Only derive the repository's identity (a Git call) when the config does not name the owner itself."""
    ownership = (config_data or {}).get("ownership", {})
    return RepositoryIdentity("") if "tag_value" in ownership else source.identity


def _read_config(source: ManifestSource) -> tuple[str | None, dict[str, Any] | None, list[Problem]]:
    """(where reconciler.yaml is, as positions name it; its data; its problems)."""
    file = source.read_config(CONFIG_FILE)
    if file is None:
        return None, None, []
    documents, problems = _parse(file)
    if problems:
        return file.path, None, problems
    values = [d for d in documents if d.value is not None]
    if len(values) != 1 or not isinstance(values[0].value, dict):
        where = values[1].start_position if len(values) > 1 else Position(file.path, 1, 1)
        return file.path, None, [Problem(where, f"{CONFIG_FILE} must hold exactly one mapping")]
    document = values[0]
    problems = _validator(CONFIG_SCHEMA_FILE).problems(document.value, document.position_of, document.key_position_of)
    return file.path, (None if problems else document.value), problems


def _parse(file: SourceFile) -> tuple[list[LoadedDocument], list[Problem]]:
    if file.content is None:
        return [], [Problem(Position(file.path, 1, 1), file.problem or "unreadable")]
    result = load_documents(file.content, file.path)
    return result.documents, result.problems


def _tfy_warnings(document: LoadedDocument) -> list[Problem]:
    """Warnings where TrueFoundry's own CLI would read this manifest differently (YAML 1.1 typing)."""
    return [
        Problem(
            Position(document.file, *found.position),
            yaml11_warning(found.text, found.read_as, found.breaks_json),
            format_json_path(found.path),
            Severity.WARNING,
        )
        for found in document.retyped
    ]


def read_file(file: SourceFile, resources: list[DesiredResource], skipped: list[SkippedDocument]) -> list[Problem]:
    """The problems of one manifest file; its valid resources and skipped documents are appended."""
    documents, problems = _parse(file)
    for document in documents:
        value = document.value
        if value is None:
            continue  # an empty document, e.g. after a trailing `---`
        if not isinstance(value, dict):
            problems.append(Problem(document.start_position, "a manifest must be a mapping of fields"))
            continue
        kind = value.get("type")
        classified = classify(kind, value.keys())
        if classified.verdict == DocumentClass.OTHER:
            skipped.append(SkippedDocument(document.position_of(("type",)), str(kind)))
            continue
        if classified.verdict == DocumentClass.NOT_A_MANIFEST:
            skipped.append(SkippedDocument(document.start_position, "", SkipReason.NOT_A_MANIFEST))
            continue
        if classified.verdict == DocumentClass.TYPO:
            message = f"type '{str(kind)[:60]}' is not a known type; did you mean '{classified.kind}'?"
            problems.append(Problem(document.position_of(("type",)), message, "$.type"))
            continue
        problems.extend(_tfy_warnings(document))
        if not document.clean:
            continue  # the loader already reported why; its value is not what the author wrote
        found = _validator(SCHEMA_FILES[classified.kind]).problems(
            value, document.position_of, document.key_position_of
        )
        problems.extend(found)
        if not found:
            resources.append(
                DesiredResource(
                    classified.kind, value["name"], value, document.start_position, ValuePositions(document.positions)
                )
            )
    return problems
