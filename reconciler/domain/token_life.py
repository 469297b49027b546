"""Pure: how long an account's active token lives, which is not always how long the account does.

Each token carries its own `expiry` (`jwts[].expiry`, reference/control-plane-api.md §6); `expiration_date` is
the account's. Extending the account's date leaves the active token's expiry where it was [I] (the emulator
does so, docs/architecture.md), so an account can look fine in Git while its token stops working. A rotation
due before the token expires replaces it in time, with a token issued under the new date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reconciler.domain.resources import LiveResource
from reconciler.domain.values import Manifest

RENEW = (
    "regenerate the token (TrueFoundry: the account's Regenerate Token, or POST "
    "/api/svc/v1/virtual-accounts/{id}/regenerate-token) and hand the new one to its consumers"
)


def parse_instant(raw: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones read as UTC), or None."""
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def account_last_day(manifest: Manifest) -> date | None:
    """The account's `expiration_date`, or None without one (or when it is not a date: the schema says so)."""
    raw = manifest.get("expiration_date")
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def token_last_day(live: LiveResource) -> date | None:
    """The last UTC day the active token works, when that matters: None when the response does not say, or
    when a scheduled rotation replaces the token before it expires."""
    expiry = parse_instant(live.token_expiry)
    if expiry is None:
        return None
    rotation = parse_instant(live.next_rotation)
    if rotation is not None and rotation < expiry:
        return None
    return (expiry - timedelta(microseconds=1)).date()


def dies_first(live: LiveResource) -> date | None:
    """The active token's last day when it comes before the account's own (or the account has none)."""
    day = token_last_day(live)
    account = account_last_day(live.manifest)
    if day is None or (account is not None and day >= account):
        return None
    return day


def extension_warning(desired: Manifest, live: LiveResource) -> str | None:
    """What to say when `desired` moves the account's expiration later (or removes it) than the date the
    active token dies: the edit alone does not keep the token working."""
    new, old = account_last_day(desired), account_last_day(live.manifest)
    if old is None or (new is not None and new <= old):
        return None  # not an extension
    until = f"to {new}" if new is not None else "(removes it)"
    if live.token_invalid:
        return f"extends expiration_date {until}, but the active token no longer works (expired or revoked): {RENEW}"
    day = token_last_day(live)
    if day is None or (new is not None and day >= new):
        return None
    return (
        f"extends expiration_date {until}, but the active token keeps its own expiry, {day}: the edit does not "
        f"re-issue it [I], so from {day + timedelta(days=1)} its consumers are refused (401) unless you {RENEW} "
        "after apply, or turn on auto_rotate"
    )
