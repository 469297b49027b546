"""Use cases: regenerate the JSON Schemas from their sources (the documented manifest, the hand-written config
schema, the typed output documents) or check they are current; export them into a user's repository."""

from __future__ import annotations

from pathlib import Path

from reconciler.domain.errors import UsageError
from reconciler.manifests.yaml_loader import load_trusted
from reconciler.schema import (
    ANY_MANIFEST_SCHEMA_FILE,
    CONFIG_SCHEMA_FILE,
    PUBLISHED_SCHEMAS,
    SCHEMA_FILES,
    packaged_text,
)
from reconciler.schema.generate import build_any_manifest_schema, build_manifest_schema, render_json
from reconciler.schema.outputs import OUTPUT_DOCUMENTS, build_output_schema

EXAMPLE_SCHEMAS = Path("manifests-example/schemas")  # the example is laid out as a user's repository


def _source_of(schema_file: str) -> Path:
    """`virtual-account.schema.json` is generated from `schemas/virtual-account.manifest.yaml`."""
    return Path("schemas") / schema_file.replace(".schema.json", ".manifest.yaml")


def generated_schemas(project: Path) -> dict[str, str]:
    """Every published schema's text, by file name, computed from the sources in the checkout `project`: one
    per resource kind from its transcribed manifest, the hand-written config schema, the output documents."""
    texts: dict[str, str] = {}
    for schema_file in SCHEMA_FILES.values():
        source = project / _source_of(schema_file)
        if not source.is_file():
            raise UsageError(f"{source}: not found; run this from a va-reconciler checkout or pass --project")
        texts[schema_file] = render_json(build_manifest_schema(load_trusted(source.read_text(encoding="utf-8"))))
    texts[ANY_MANIFEST_SCHEMA_FILE] = render_json(
        build_any_manifest_schema({str(k): f for k, f in SCHEMA_FILES.items()})
    )
    texts[CONFIG_SCHEMA_FILE] = (project / "schemas" / CONFIG_SCHEMA_FILE).read_text(encoding="utf-8")
    texts.update({name: render_json(build_output_schema(document)) for name, document in OUTPUT_DOCUMENTS.items()})
    return {name: texts[name] for name in PUBLISHED_SCHEMAS}


def expected_artifacts(project: Path) -> dict[Path, str]:
    """Every generated file and the text it must hold: the published copies in schemas/, the packaged copies
    in reconciler/data/ (what `schema export` writes), and the example repository's exported copies."""
    texts = generated_schemas(project)
    artifacts: dict[Path, str] = {}
    for folder in (Path("schemas"), Path("reconciler/data"), EXAMPLE_SCHEMAS):
        artifacts.update({project / folder / name: text for name, text in texts.items()})
    return artifacts


def stale_artifacts(project: Path) -> list[Path]:
    return [
        path
        for path, text in expected_artifacts(project).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write_artifacts(project: Path) -> list[Path]:
    return _write_changed(expected_artifacts(project))


def export_schemas(folder: Path) -> list[Path]:
    """Write every published schema, as this installed version ships it, into `folder` (created if missing),
    for modelines relative to a user's manifests. Returns the files written (unchanged ones are left)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return _write_changed({folder / name: packaged_text(name) for name in PUBLISHED_SCHEMAS})


def _write_changed(artifacts: dict[Path, str]) -> list[Path]:
    written = []
    for path, text in artifacts.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
