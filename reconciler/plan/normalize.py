"""Pure: a manifest -> the fields a user controls, in a canonical form, so that desired and live compare equal
exactly when applying would change nothing.

- server defaults are filled (`auto_rotate` 360/30);
- order that carries no meaning is removed (permissions, recipients, channels, mappings are sets);
- the legacy untyped `secret_store_config` is the typed `secret-store` one;
- fields the server keeps when the manifest omits them are not compared (`permissions`: omitting it keeps
  access; `token_type`: the platform default);
- the reconciler's own bookkeeping tags are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model import canonical_json

DEFAULT_AUTO_ROTATE = {"auto_rotate_interval": 360, "grace_period": 30}
KEPT_WHEN_OMITTED = ("permissions", "token_type")
TOKEN_DELIVERY_TAG = "va-reconciler-token-delivery"  # "pending" until a created token reached its sink
BOOKKEEPING_TAGS = frozenset({TOKEN_DELIVERY_TAG})


def _as_set(items: Iterable[Any]) -> list[Any]:
    unique = {canonical_json(item): item for item in items}
    return [unique[key] for key in sorted(unique)]


def normalize(manifest: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {k: v for k, v in manifest.items() if k != "type"}
    if "auto_rotate" in result and isinstance(result["auto_rotate"], Mapping):
        result["auto_rotate"] = {**DEFAULT_AUTO_ROTATE, **result["auto_rotate"]}
    if isinstance(result.get("permissions"), list):
        result["permissions"] = _as_set(result["permissions"])
    if isinstance(result.get("identity_provider_mapping"), list):
        result["identity_provider_mapping"] = _as_set(result["identity_provider_mapping"])
    target = result.get("notification_target")
    if isinstance(target, Mapping):
        result["notification_target"] = {
            k: _as_set(v) if k in ("to_emails", "channels") and isinstance(v, list) else v for k, v in target.items()
        }
    store = result.get("secret_store_config")
    if isinstance(store, Mapping) and "type" not in store:
        result["secret_store_config"] = {"type": "secret-store", **store}
    if isinstance(result.get("tags"), Mapping):
        tags = {k: v for k, v in result["tags"].items() if k not in BOOKKEEPING_TAGS}
        if tags:
            result["tags"] = tags
        else:
            del result["tags"]
    return result


def comparable(desired: Mapping[str, Any], live: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides normalised, with the fields the server keeps when desired omits them dropped from live."""
    wanted, have = normalize(desired), normalize(live)
    for key in KEPT_WHEN_OMITTED:
        if key not in wanted:
            have.pop(key, None)
    return wanted, have
