"""Who owns what, and where a created token goes.

- An account belongs to this repository when it carries the ownership tag (`tags[key] == value`); an account
  with another value of that key belongs to another repository; without the key it is unmanaged.
- Token delivery to a token directory is write-ahead: the account is created with the bookkeeping tag
  `va-reconciler-token-delivery: pending`, the token is written, then the tag is removed. A pending account
  means a token nobody received (reference/security-and-reliability.md §5.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from reconciler.domain.config import OwnershipTag
from reconciler.domain.values import JsonValue, Manifest, mapping

TOKEN_DELIVERY_TAG = "va-reconciler-token-delivery"
PENDING = "pending"
BOOKKEEPING_TAGS = frozenset({TOKEN_DELIVERY_TAG})


class Holder(StrEnum):
    OURS = "ours"
    OTHER = "other"  # another repository's ownership tag
    NOBODY = "nobody"  # no ownership tag at all; for a role binding: none of its subjects is ours
    SHARED = "shared"  # a role binding naming accounts this repository owns and subjects it does not


@dataclass(frozen=True)
class Ownership:
    """Who holds a live resource: this repository, another one (named by its tag value), nobody, or, for a role
    binding, this repository and others together (`other` then names the subjects that are not ours)."""

    holder: Holder
    other: str = ""

    @property
    def ours(self) -> bool:
        return self.holder == Holder.OURS


def tags_of(manifest: Manifest) -> Mapping[str, JsonValue]:
    return mapping(manifest.get("tags"))


def ownership_of(manifest: Manifest, tag: OwnershipTag) -> Ownership:
    value = tags_of(manifest).get(tag.key)
    if value == tag.value:
        return Ownership(Holder.OURS)
    if value is None:
        return Ownership(Holder.NOBODY)
    return Ownership(Holder.OTHER, str(value))


def claims(manifest: Manifest, tag: OwnershipTag) -> bool:
    """The manifest itself carries this repository's tag: taking over the live account is intended."""
    return tags_of(manifest).get(tag.key) == tag.value


def with_ownership_tag(manifest: Manifest, tag: OwnershipTag) -> dict[str, JsonValue]:
    """The manifest as this repository sends it: its tags plus the ownership tag."""
    return {**manifest, "tags": {**tags_of(manifest), tag.key: tag.value}}


def carries_tags(live: Manifest, sent: Manifest) -> bool:
    """`live` holds every tag `sent` set, with the same value: what tells our own write from someone else's."""
    held = tags_of(live)
    return all(held.get(key) == value for key, value in tags_of(sent).items())


def token_pending(manifest: Manifest) -> bool:
    return tags_of(manifest).get(TOKEN_DELIVERY_TAG) == PENDING


def with_pending_token(manifest: Manifest) -> dict[str, JsonValue]:
    """The manifest for a write-ahead create: delivery is pending until the token reaches its sink."""
    return {**manifest, "tags": {**tags_of(manifest), TOKEN_DELIVERY_TAG: PENDING}}


def token_destination(manifest: Manifest, token_dir: bool) -> str | None:
    """Where a created account's one-time token goes, in words, or None when it has nowhere safe to go."""
    store = manifest.get("secret_store_config")
    if isinstance(store, dict) and store.get("type") == "tfy-secrets":
        return (
            f"TrueFoundry secret group {store.get('secret_group')}, key {store.get('key')} "
            "(synced by the control plane)"
        )
    if isinstance(store, dict):
        where = f"secret store {store.get('integration_fqn')} at {store.get('secret_path')}"
        return f"{where} (synced by the control plane)"
    if token_dir:
        return f"--token-dir, file {manifest.get('name')}.token (mode 0600)"
    return None


def synced_by_control_plane(manifest: Manifest) -> bool:
    """The control plane writes this account's token to a secret store itself; we never hold it."""
    return isinstance(manifest.get("secret_store_config"), dict)
