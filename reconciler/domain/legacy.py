"""Pure: a virtual account's deprecated `permissions` as the role binding that replaces it, named and laid out
as `reconciler migrate` writes it and `reconciler import` imports it: one binding after the account, one subject
(the account), each `{resource_type, resource_fqn, role_id}` renamed `{resourceType, resourceFqn, role}`, as
TrueFoundry's `tfy migrate-gitops` does (reference/role-bindings.md §1), but named `va-<account>`, stable
across runs (tfy adds two random characters, so its output cannot be previewed or repeated)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from reconciler.domain.grants import VIRTUAL_ACCOUNT_SUBJECT
from reconciler.domain.values import JsonValue

NAME_LIMIT = 66  # role-binding names: 3 to 66 characters
_RENAMED = (("resource_type", "resourceType"), ("resource_fqn", "resourceFqn"), ("role_id", "role"))


def binding_name(account: str, taken: Set[str]) -> str:
    """`va-<account>`, or `va-<account>-2`, `-3`... when a binding of that name exists already."""
    stem = re.sub(r"[^a-z0-9-]+", "-", f"va-{account}".lower()).strip("-")[:NAME_LIMIT]
    name, suffix = stem, 2
    while name in taken:
        tail = f"-{suffix}"
        name, suffix = stem[: NAME_LIMIT - len(tail)] + tail, suffix + 1
    return name


def legacy_binding(name: str, account: str, permissions: list[JsonValue]) -> dict[str, JsonValue]:
    """The role binding named `name` granting `account` its `permissions` (entries that are not mappings are
    left out; values are kept as text)."""
    grants: list[JsonValue] = [
        {new: str(entry.get(old)) for old, new in _RENAMED} for entry in permissions if isinstance(entry, Mapping)
    ]
    subjects: list[JsonValue] = [{"type": VIRTUAL_ACCOUNT_SUBJECT, "name": account}]
    return {"type": "role-binding", "name": name, "subjects": subjects, "permissions": grants}
