"""The JSON Schemas shipped with the package (written to reconciler/data by `reconciler schema generate`)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from reconciler.domain.vocabulary import Kind

MANIFEST_SCHEMA_FILE = "virtual-account.schema.json"
ROLE_BINDING_SCHEMA_FILE = "role-binding.schema.json"
CONFIG_SCHEMA_FILE = "reconciler-config.schema.json"
SCHEMA_FILES = {Kind.VIRTUAL_ACCOUNT: MANIFEST_SCHEMA_FILE, Kind.ROLE_BINDING: ROLE_BINDING_SCHEMA_FILE}


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    text = resources.files("reconciler.data").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
