"""Pure: what kind of document a manifest is, by its `type`. A managed kind is validated and planned; any other
type (a team, a workspace, ...) is listed as skipped; a type close to a managed kind is a typo (an error),
because skipping `Virtual-Account` would silently drop an account from the plan."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

from reconciler.domain.vocabulary import Kind

NEAR_MISS_RATIO = 0.8


class DocumentClass(StrEnum):
    MANAGED = "managed"
    TYPO = "typo"
    OTHER = "other"
    UNTYPED = "untyped"  # no string `type`: validated as the default kind, so the schema names what is wrong


@dataclass(frozen=True)
class Classified:
    verdict: DocumentClass
    kind: Kind  # the managed kind it is, or the one it almost names; the default kind otherwise


def classify(type_value: object) -> Classified:
    if not isinstance(type_value, str):
        return Classified(DocumentClass.UNTYPED, Kind.VIRTUAL_ACCOUNT)
    for kind in Kind:
        if type_value == kind:
            return Classified(DocumentClass.MANAGED, kind)
    folded = type_value.lower().replace("_", "-").replace(" ", "-")
    for kind in Kind:
        if difflib.SequenceMatcher(None, folded, kind.value).ratio() >= NEAR_MISS_RATIO:
            return Classified(DocumentClass.TYPO, kind)
    return Classified(DocumentClass.OTHER, Kind.VIRTUAL_ACCOUNT)
