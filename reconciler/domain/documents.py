"""Pure: what kind of document a manifest is, by its `type`. A managed kind is validated and planned; any other
type (a team, a workspace, ...) is listed as skipped; a type close to a managed kind is a typo (an error),
because skipping `Virtual-Account` would silently drop an account from the plan.

A document without a `type` is not a manifest (`foo: bar`, a workflow, a compose file: skipped), unless it has
a field only a managed kind has (`permissions`, `auto_rotate`, ...): then it is a manifest that forgot its
`type:` line, validated as that kind so the error says so, rather than an account silently left out."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from reconciler.domain.vocabulary import Kind

NEAR_MISS_RATIO = 0.8
# Fields that only a managed kind has (TrueFoundry's other manifests share `name`, `ownedBy`, `tags`): a document
# without `type` that has one of them is taken for that kind, checked in this order (`subjects` makes a role
# binding even with `permissions`). A test keeps each a property of the kind's schema.
SIGNATURE_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.ROLE_BINDING: frozenset({"subjects"}),
    Kind.VIRTUAL_ACCOUNT: frozenset(
        {
            "permissions",
            "expiration_date",
            "auto_rotate",
            "notification_target",
            "secret_store_config",
            "identity_provider_mapping",
            "token_type",
        }
    ),
}


class DocumentClass(StrEnum):
    MANAGED = "managed"
    TYPO = "typo"
    OTHER = "other"
    UNTYPED = "untyped"  # no string `type`, but a manifest: validated as the kind, so the schema names what is wrong
    NOT_A_MANIFEST = "not-a-manifest"  # no `type` key and no field of a managed kind: skipped


@dataclass(frozen=True)
class Classified:
    verdict: DocumentClass
    kind: Kind  # the managed kind it is, or the one it almost names; the default kind otherwise


def classify(type_value: object, fields: Collection[str] = ()) -> Classified:
    """The verdict on a document whose `type` is `type_value` and whose top-level keys are `fields`."""
    if not isinstance(type_value, str):
        return _untyped(fields)
    for kind in Kind:
        if type_value == kind:
            return Classified(DocumentClass.MANAGED, kind)
    folded = type_value.lower().replace("_", "-").replace(" ", "-")
    for kind in Kind:
        if difflib.SequenceMatcher(None, folded, kind.value).ratio() >= NEAR_MISS_RATIO:
            return Classified(DocumentClass.TYPO, kind)
    return Classified(DocumentClass.OTHER, Kind.VIRTUAL_ACCOUNT)


def _untyped(fields: Collection[str]) -> Classified:
    if "type" in fields:
        return Classified(DocumentClass.UNTYPED, Kind.VIRTUAL_ACCOUNT)  # a `type` that is not a string
    for kind, signature in SIGNATURE_FIELDS.items():
        if not signature.isdisjoint(fields):
            return Classified(DocumentClass.UNTYPED, kind)
    return Classified(DocumentClass.NOT_A_MANIFEST, Kind.VIRTUAL_ACCOUNT)
