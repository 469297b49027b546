"""Use case: read a repository of manifests (working tree or Git ref) and report every problem at once."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from reconciler.app.running import settled
from reconciler.domain.checks import across_resources, check_resource
from reconciler.domain.config import CONFIG_FILE, RepoConfig, RepositoryIdentity, config_from_data, policy_from_data
from reconciler.domain.destinations import DESTINATION_FIELDS
from reconciler.domain.documents import DocumentClass, classify
from reconciler.domain.errors import ConfigError
from reconciler.domain.ports import ManifestSource, SourceFile
from reconciler.domain.resources import DesiredResource, SkippedDocument, ValidationReport
from reconciler.domain.values import Position, Problem
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


@cache
def _validator(name: str) -> SchemaValidator:
    return SchemaValidator(packaged_schema(name))


def load_repository(
    source: ManifestSource, today: date, policy_source: ManifestSource | None = None, check_policy: bool = False
) -> LoadedRepository:
    """Every manifest of `source`, checked. With `policy_source` (a pull request's base branch), the policy comes
    from there: the change under review cannot relax it. With `check_policy` (the validate command), policy
    violations are problems too; plan, apply and drift leave them to the planner.

    Validate (`check_policy`) keeps of each resource only what checks across resources read
    (`DesiredResource.listed`); plan, apply and drift keep whole manifests, and forget value positions once a
    valid repository's checks ran."""
    config_data, problems = _read_config(source)
    if problems:
        report = ValidationReport(files=1, resources=(), skipped=(), problems=tuple(problems))
        return LoadedRepository(RepoConfig(), report, source.description, source.revision)
    config = config_from_data(config_data, _lazy_identity(source, config_data))
    notices: tuple[str, ...] = ()
    if policy_source is not None:
        config, notices = _base_policy(config, policy_source)
    read = _read_all(source.files(config.paths), _Checks(today, config, check_policy), keep_manifests=not check_policy)
    problems += read.problems + across_resources(read.resources)
    if not check_policy:
        _release_positions(read.resources)
    report = ValidationReport(
        files=read.files,
        resources=tuple(read.resources),
        skipped=tuple(read.skipped),
        problems=tuple(sorted(problems)),
    )
    return LoadedRepository(config, report, source.description, source.revision, notices)


@dataclass(frozen=True)
class _Checks:
    """What checking one resource on its own needs (`checks.check_resource`)."""

    today: date
    config: RepoConfig
    policy: bool


@dataclass
class _Read:
    """What reading some files found, each resource already checked on its own."""

    files: int = 0
    resources: list[DesiredResource] = field(default_factory=list)
    skipped: list[SkippedDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, other: _Read) -> _Read:
        self.files += other.files
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


def _read_chunk(files: list[SourceFile], checks: _Checks, keep_manifests: bool) -> _Read:
    read = _Read(files=len(files))
    for file in files:
        found: list[DesiredResource] = []
        read.problems += _read_file(file, found, read.skipped)
        for resource in found:
            read.problems += check_resource(resource, checks.today, checks.config, checks.policy)
        read.resources += found if keep_manifests else [r.listed(DESTINATION_FIELDS) for r in found]
    return read


# Files are read in chunks, and the desired state read so far is frozen out of the garbage collector's scans
# after each (`running.settled`). A process pool over both cores was measured and not kept: on the parsing
# alone it gains 1.3-1.5x when the second core is idle (benchmarks/parallel.py), but a whole `validate` of
# 6,000 files took 0.51 s in one process against 0.67-0.78 s with a forked worker on this shared machine.
CHUNK_FILES = 250


def _read_all(files: Iterator[SourceFile], checks: _Checks, keep_manifests: bool) -> _Read:
    """Every file, in order."""
    read = _Read()
    for chunk in _chunks(files):
        read.add(_read_chunk(chunk, checks, keep_manifests))
        settled()
    return read


def _chunks(files: Iterator[SourceFile]) -> Iterator[list[SourceFile]]:
    while chunk := list(itertools.islice(files, CHUNK_FILES)):
        yield chunk


def _base_policy(config: RepoConfig, base: ManifestSource) -> tuple[RepoConfig, tuple[str, ...]]:
    """`config` with the base branch's policy, and a notice when the change under review edits it."""
    data, problems = _read_config(base)
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


def _read_config(source: ManifestSource) -> tuple[dict[str, Any] | None, list[Problem]]:
    file = source.read_config(CONFIG_FILE)
    if file is None:
        return None, []
    documents, problems = _parse(file)
    if problems:
        return None, problems
    values = [d for d in documents if d.value is not None]
    if len(values) != 1 or not isinstance(values[0].value, dict):
        where = values[1].start_position if len(values) > 1 else Position(file.path, 1, 1)
        return None, [Problem(where, f"{CONFIG_FILE} must hold exactly one mapping")]
    document = values[0]
    problems = _validator(CONFIG_SCHEMA_FILE).problems(document.value, document.position_of, document.key_position_of)
    return (None if problems else document.value), problems


def _parse(file: SourceFile) -> tuple[list[LoadedDocument], list[Problem]]:
    if file.content is None:
        return [], [Problem(Position(file.path, 1, 1), file.problem or "unreadable")]
    result = load_documents(file.content, file.path)
    return result.documents, result.problems


def _read_file(file: SourceFile, resources: list[DesiredResource], skipped: list[SkippedDocument]) -> list[Problem]:
    documents, problems = _parse(file)
    for document in documents:
        value = document.value
        if value is None:
            continue  # an empty document, e.g. after a trailing `---`
        if not isinstance(value, dict):
            problems.append(Problem(document.start_position, "a manifest must be a mapping of fields"))
            continue
        kind = value.get("type")
        classified = classify(kind)
        if classified.verdict == DocumentClass.OTHER:
            skipped.append(SkippedDocument(document.position_of(("type",)), str(kind)))
            continue
        if classified.verdict == DocumentClass.TYPO:
            message = f"type '{str(kind)[:60]}' is not a known type; did you mean '{classified.kind}'?"
            problems.append(Problem(document.position_of(("type",)), message, "$.type"))
            continue
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
