"""Resources as Git holds them (desired) and as the control plane returns them (live), and what reading a
repository found (the validation report)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from reconciler.domain.values import JsonPath, LineCol, Manifest, Position, Problem, canonical_json, sha256_hex
from reconciler.domain.vocabulary import Kind, Severity, SkipReason

_Fields = tuple[Kind, str, Manifest, Position, Mapping[JsonPath, LineCol]]  # a DesiredResource's, in order


@dataclass(frozen=True, slots=True)
class DesiredResource:
    """One manifest as Git holds it, with where each of its values stands (in `position.file`)."""

    kind: Kind
    name: str
    manifest: Manifest
    position: Position
    value_positions: Mapping[JsonPath, LineCol] = field(default_factory=dict, compare=False)

    def __reduce__(self) -> tuple[type[DesiredResource], _Fields]:
        # pickled by its fields (validate's forked workers send what they read): see `Position.__reduce__`
        return DesiredResource, (self.kind, self.name, self.manifest, self.position, self.value_positions)

    def listed(self, fields: Iterable[str]) -> DesiredResource:
        """This resource as `validate` keeps it once checked on its own: kind, name, positions and only the
        manifest's `fields` that checks across resources read (`checks.across_resources`), so that validate's
        memory does not grow with whole manifests."""
        manifest = {k: self.manifest[k] for k in ("name", *fields) if k in self.manifest}
        return DesiredResource(self.kind, self.name, manifest, self.position, self.value_positions)  # 2x `replace`

    def position_of(self, path: JsonPath) -> Position:
        """The nearest recorded position for `path`, walking up to the document."""
        while path:
            found = self.value_positions.get(path)
            if found is not None:
                return Position(self.position.file, *found)
            path = path[:-1]
        return self.position


@dataclass(frozen=True)
class LiveResource:
    """One resource as the control plane returned it; server-managed fields are kept apart from the manifest.
    `jwt_id`, `is_expired`, `next_rotation` and the active token's fields only mean something for virtual
    accounts: `token_expiry` is the active token's own `expiry` (ISO 8601) when `jwts` lists it, and
    `token_invalid` says `jwts` was listed without it (expired or revoked; reference/control-plane-api.md §6, §8)."""

    kind: Kind
    id: str
    name: str
    manifest: Manifest
    updated_at: str
    jwt_id: str | None = None
    is_expired: bool = False
    next_rotation: str | None = None
    token_expiry: str | None = None
    token_invalid: bool = False

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the resource *as read*: any write by anyone changes it (manifest or updatedAt). sha256
        of canonical JSON, computed once per resource."""
        return sha256_hex(canonical_json({"id": self.id, "manifest": self.manifest, "updatedAt": self.updated_at}))


@dataclass(frozen=True)
class SkippedDocument:
    """A document (or a whole file) that is not a manifest of a managed kind: listed, not validated. `kind` is
    the document's `type` for OTHER_TYPE, else empty."""

    position: Position
    kind: str
    reason: SkipReason = SkipReason.OTHER_TYPE


@dataclass(frozen=True)
class ValidationReport:
    """Everything reading a repository found: the resources, what was skipped, every problem, sorted."""

    files: int
    resources: tuple[DesiredResource, ...]
    skipped: tuple[SkippedDocument, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == Severity.WARNING)

    @property
    def valid(self) -> bool:
        return not self.errors

    def of_kind(self, kind: Kind) -> tuple[DesiredResource, ...]:
        return tuple(r for r in self.resources if r.kind == kind)

    def restricted_to(self, files: Collection[str], candidates: Collection[str]) -> ValidationReport:
        """The report for `files` alone, as pre-commit asks (the files a commit changes). The repository was
        read whole, so checks across files (a name defined twice) kept their verdicts; what they found in the
        other `candidates` is dropped, and what was found outside every candidate (reconciler.yaml) is kept,
        since it concerns them all. Paths are as in positions: relative to the repository root."""
        hidden = frozenset(candidates) - frozenset(files)
        return ValidationReport(
            files=len(frozenset(files) & frozenset(candidates)),
            resources=tuple(r for r in self.resources if r.position.file not in hidden),
            skipped=tuple(s for s in self.skipped if s.position.file not in hidden),
            problems=tuple(p for p in self.problems if p.position.file not in hidden),
        )


def merge_reports(reports: Sequence[ValidationReport], skipped: Sequence[SkippedDocument] = ()) -> ValidationReport:
    """Several repositories' reports as one (files given from two manifest roots), with `skipped` added."""
    return ValidationReport(
        files=sum(r.files for r in reports),
        resources=tuple(resource for r in reports for resource in r.resources),
        skipped=tuple(sorted([*(s for r in reports for s in r.skipped), *skipped], key=lambda s: s.position)),
        problems=tuple(sorted(problem for r in reports for problem in r.problems)),
    )
