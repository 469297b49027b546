"""Use case: regenerate the JSON Schemas from the documented manifest, or check they are current."""

from __future__ import annotations

from pathlib import Path

from reconciler.domain.errors import UsageError
from reconciler.manifests.yaml_loader import load_trusted
from reconciler.schema import CONFIG_SCHEMA_FILE, SCHEMA_FILES
from reconciler.schema.generate import build_manifest_schema, render_json


def _source_of(schema_file: str) -> Path:
    """`virtual-account.schema.json` is generated from `schemas/virtual-account.manifest.yaml`."""
    return Path("schemas") / schema_file.replace(".schema.json", ".manifest.yaml")


def expected_artifacts(project: Path) -> dict[Path, str]:
    """Every generated file and the text it must hold, computed from the sources in `project`: one schema per
    resource kind (in `schemas/` for editors and in the package for run time) and the packaged config schema."""
    artifacts: dict[Path, str] = {}
    for schema_file in SCHEMA_FILES.values():
        source = project / _source_of(schema_file)
        if not source.is_file():
            raise UsageError(f"{source}: not found; run this from a va-reconciler checkout or pass --project")
        generated = render_json(build_manifest_schema(load_trusted(source.read_text(encoding="utf-8"))))
        artifacts[project / "schemas" / schema_file] = generated
        artifacts[project / "reconciler" / "data" / schema_file] = generated
    config = (project / "schemas" / CONFIG_SCHEMA_FILE).read_text(encoding="utf-8")
    artifacts[project / "reconciler" / "data" / CONFIG_SCHEMA_FILE] = config
    return artifacts


def stale_artifacts(project: Path) -> list[Path]:
    return [
        path
        for path, text in expected_artifacts(project).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write_artifacts(project: Path) -> list[Path]:
    written = []
    for path, text in expected_artifacts(project).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
