"""Pure checks a JSON Schema cannot express: across files, across fields, and against today's date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from reconciler.model import DesiredAccount, Problem, format_json_path

DEFAULT_ROTATE_INTERVAL_DAYS = 360
DEFAULT_GRACE_PERIOD_DAYS = 30


def check_accounts(accounts: Sequence[DesiredAccount], today: date) -> list[Problem]:
    problems = _duplicate_names(accounts)
    for account in accounts:
        problems.extend(_rotation_window(account))
        problems.extend(_expiry_in_past(account, today))
    return problems


def rotation_settings(manifest: object) -> tuple[int, int] | None:
    """(interval, grace) in days with the server's defaults filled in, or None without auto_rotate."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("auto_rotate"), dict):
        return None
    settings = manifest["auto_rotate"]
    return (
        settings.get("auto_rotate_interval", DEFAULT_ROTATE_INTERVAL_DAYS),
        settings.get("grace_period", DEFAULT_GRACE_PERIOD_DAYS),
    )


def _duplicate_names(accounts: Sequence[DesiredAccount]) -> list[Problem]:
    by_name: dict[str, list[DesiredAccount]] = defaultdict(list)
    for account in accounts:
        by_name[account.name].append(account)
    problems = []
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        for account in same:
            others = ", ".join(str(o.position_of(("name",))) for o in same if o is not account)
            problems.append(
                Problem(
                    account.position_of(("name",)),
                    f"account '{name}' is defined more than once (also at {others}); keep one",
                    format_json_path(("name",)),
                )
            )
    return problems


def _rotation_window(account: DesiredAccount) -> list[Problem]:
    settings = rotation_settings(account.manifest)
    if settings is None:
        return []
    interval, grace = settings
    if grace < interval:
        return []
    path = ("auto_rotate", "grace_period")
    return [
        Problem(
            account.position_of(path),
            f"Grace Period in days ({grace}) must be shorter than the Rotation Interval in days "
            f"({interval}), or two tokens stay valid for good",
            format_json_path(path),
        )
    ]


def _expiry_in_past(account: DesiredAccount, today: date) -> list[Problem]:
    raw = account.manifest.get("expiration_date")
    if not isinstance(raw, str):
        return []
    try:
        expires = date.fromisoformat(raw)
    except ValueError:
        return []  # the schema already reported the format
    if expires >= today:
        return []
    path = ("expiration_date",)
    return [
        Problem(
            account.position_of(path),
            f"Expiration date of the virtual account {raw} is in the past (today is {today} UTC); "
            "move it forward or remove the account",
            format_json_path(path),
        )
    ]
