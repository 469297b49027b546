"""Use case: regenerate the JSON Schemas from the documented manifest, or check they are current."""

from __future__ import annotations

from pathlib import Path

from reconciler.domain.errors import UsageError
from reconciler.manifests.yaml_loader import load_trusted
from reconciler.schema import CONFIG_SCHEMA_FILE, MANIFEST_SCHEMA_FILE
from reconciler.schema.generate import build_manifest_schema, render_json

MANIFEST_SOURCE = Path("schemas/virtual-account.manifest.yaml")


def expected_artifacts(project: Path) -> dict[Path, str]:
    """Every generated file and the text it must hold, computed from the sources in `project`."""
    source = project / MANIFEST_SOURCE
    if not source.is_file():
        raise UsageError(f"{source}: not found; run this from a va-reconciler checkout or pass --project")
    manifest = render_json(build_manifest_schema(load_trusted(source.read_text(encoding="utf-8"))))
    config = (project / "schemas" / CONFIG_SCHEMA_FILE).read_text(encoding="utf-8")
    return {
        project / "schemas" / MANIFEST_SCHEMA_FILE: manifest,
        project / "reconciler" / "data" / MANIFEST_SCHEMA_FILE: manifest,
        project / "reconciler" / "data" / CONFIG_SCHEMA_FILE: config,
    }


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
