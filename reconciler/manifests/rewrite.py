"""Rewrite manifests the way a person would, keeping comments, key order and layout (ruamel.yaml round trip,
and only here): move a virtual account's deprecated `permissions` into a role-binding document placed right
after it, named and laid out by `domain/legacy.py` (as `tfy migrate-gitops` lays it out, with a stable name).
"""

from __future__ import annotations

import io
from collections.abc import Set
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

from reconciler.domain.legacy import binding_name, legacy_binding


@dataclass(frozen=True)
class Migration:
    """A file's new text, and the role bindings it now holds for the accounts whose permissions moved."""

    text: str
    bindings: tuple[str, ...]


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never wrap long values such as FQNs
    return yaml


def needs_migration(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and document.get("type") == "virtual-account"
        and isinstance(document.get("permissions"), list)
    )


def migrate_text(text: str, taken: Set[str]) -> Migration | None:
    """The file rewritten with every account's `permissions` moved into a role binding after it; None when
    nothing in it needs migrating. `taken`: binding names already used in the repository."""
    yaml = _yaml()
    documents = list(yaml.load_all(text))
    if not any(needs_migration(d) for d in documents):
        return None
    used, created, rewritten = set(taken), [], []
    for document in documents:
        rewritten.append(document)
        if not needs_migration(document):
            continue
        name = binding_name(str(document["name"]), used)
        used.add(name)
        created.append(name)
        rewritten.append(legacy_binding(name, str(document["name"]), document.pop("permissions")))
    out = io.StringIO()
    yaml.dump_all(rewritten, out)
    return Migration(_keep_start(text, out.getvalue()), tuple(created))


def _keep_start(original: str, rewritten: str) -> str:
    """ruamel writes `---` before every document but the first; keep the original's choice for the first."""
    if original.lstrip().startswith("---") and not rewritten.startswith("---"):
        return "---\n" + rewritten
    return rewritten
