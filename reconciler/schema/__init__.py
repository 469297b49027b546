"""The JSON Schemas shipped with the package (written to reconciler/data by `reconciler schema generate`), and
where each is published.

`SCHEMA_BASE_URL` is the one place the published location is spelled: every schema of a release is served at
`<SCHEMA_BASE_URL><file>`, from the release's Git tag, so a URL never changes meaning once published. Modelines
that commands write into manifests (`modeline()`, for the coming `import` and `migrate`) use it; `reconciler
schema export DIR` writes the same files into a user's repository for relative modelines.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from reconciler import PROJECT_URL, __version__
from reconciler.domain.vocabulary import Kind

ANY_MANIFEST_SCHEMA_FILE = "manifest.schema.json"  # any managed kind, by `type`: for files holding several
MANIFEST_SCHEMA_FILE = "virtual-account.schema.json"
ROLE_BINDING_SCHEMA_FILE = "role-binding.schema.json"
CONFIG_SCHEMA_FILE = "reconciler-config.schema.json"
SCHEMA_FILES = {Kind.VIRTUAL_ACCOUNT: MANIFEST_SCHEMA_FILE, Kind.ROLE_BINDING: ROLE_BINDING_SCHEMA_FILE}
PLAN_SCHEMA_FILE = "plan.schema.json"
APPLY_REPORT_SCHEMA_FILE = "apply-report.schema.json"
DRIFT_SCHEMA_FILE = "drift.schema.json"
IMPORT_REPORT_SCHEMA_FILE = "import-report.schema.json"
PUBLISHED_SCHEMAS = (
    ANY_MANIFEST_SCHEMA_FILE,
    MANIFEST_SCHEMA_FILE,
    ROLE_BINDING_SCHEMA_FILE,
    CONFIG_SCHEMA_FILE,
    PLAN_SCHEMA_FILE,
    APPLY_REPORT_SCHEMA_FILE,
    DRIFT_SCHEMA_FILE,
    IMPORT_REPORT_SCHEMA_FILE,
)

SCHEMA_BASE_URL = PROJECT_URL.replace("https://github.com/", "https://raw.githubusercontent.com/", 1) + (
    f"/v{__version__}/schemas/"
)
"""`https://raw.githubusercontent.com/<owner>/<repository>/v<version>/schemas/`: this release's tag."""

MODELINE_PREFIX = "# yaml-language-server: $schema="


def schema_url(name: str) -> str:
    """The stable, versioned URL of the published schema `name` (one of PUBLISHED_SCHEMAS)."""
    if name not in PUBLISHED_SCHEMAS:
        raise ValueError(f"{name!r} is not a published schema; choose one of {', '.join(PUBLISHED_SCHEMAS)}")
    return SCHEMA_BASE_URL + name


def modeline(name: str = ANY_MANIFEST_SCHEMA_FILE) -> str:
    """The first line of a manifest written for editors: `# yaml-language-server: $schema=<url>`."""
    return MODELINE_PREFIX + schema_url(name)


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(packaged_text(name))
    return loaded


def packaged_text(name: str) -> str:
    """The schema `name` as shipped in the package (reconciler/data), byte for byte.

    Read through the package's loader, as `pkgutil.get_data` does (from a zip archive too): importing
    `importlib.resources` took about 10 ms of every command's start, a fifth of a small validate."""
    import reconciler.data as package

    assert package.__file__ is not None and package.__spec__ is not None
    loader: Any = package.__spec__.loader  # a ResourceLoader: the file system's or zipimport's
    data: bytes = loader.get_data(os.path.join(os.path.dirname(package.__file__), name))
    return data.decode("utf-8")
