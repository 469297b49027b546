"""Pure checks a JSON Schema cannot express: across files, across fields, and against today's date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from reconciler.domain.kinds import DEFAULT_AUTO_ROTATE
from reconciler.domain.resources import DesiredResource
from reconciler.domain.values import Manifest, Problem, format_json_path
from reconciler.domain.vocabulary import Kind


def check_resources(resources: Sequence[DesiredResource], today: date) -> list[Problem]:
    """Problems across the whole repository: names defined twice (per kind), and per account the rotation
    window, an expiry in the past and a rotation-notification recipient listed twice."""
    problems: list[Problem] = []
    for kind in Kind:
        problems.extend(_duplicate_names([r for r in resources if r.kind == kind]))
    for resource in resources:
        if resource.kind == Kind.VIRTUAL_ACCOUNT:
            problems.extend(_rotation_window(resource))
            problems.extend(_expiry_in_past(resource, today))
            problems.extend(_repeated_recipients(resource))
    return problems


def rotation_settings(manifest: Manifest) -> tuple[int, int] | None:
    """(interval, grace) in days with the server's defaults filled in, or None without auto_rotate."""
    settings = manifest.get("auto_rotate")
    if not isinstance(settings, dict):
        return None
    interval = settings.get("auto_rotate_interval", DEFAULT_AUTO_ROTATE["auto_rotate_interval"])
    grace = settings.get("grace_period", DEFAULT_AUTO_ROTATE["grace_period"])
    if not isinstance(interval, int) or not isinstance(grace, int):
        return None  # the schema reports the type
    return interval, grace


def _duplicate_names(accounts: Sequence[DesiredResource]) -> list[Problem]:
    by_name: dict[str, list[DesiredResource]] = defaultdict(list)
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


def _rotation_window(account: DesiredResource) -> list[Problem]:
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


def _expiry_in_past(account: DesiredResource, today: date) -> list[Problem]:
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


def _repeated_recipients(account: DesiredResource) -> list[Problem]:
    """`to_emails` entries that repeat an earlier one, letter case ignored (mail domains and, in practice,
    mailboxes are case-insensitive: `Ops@acme.com` and `ops@acme.com` are one recipient, notified twice)."""
    target = account.manifest.get("notification_target")
    emails = target.get("to_emails") if isinstance(target, dict) else None
    if not isinstance(emails, list):
        return []
    first: dict[str, int] = {}
    problems = []
    for index, email in enumerate(emails):
        if not isinstance(email, str):
            continue
        earlier = first.setdefault(email.casefold(), index)
        if earlier == index:
            continue
        path = ("notification_target", "to_emails", index)
        where = account.position_of(("notification_target", "to_emails", earlier))
        problems.append(
            Problem(
                account.position_of(path),
                f"To Emails lists {email[:80]} twice (also at line {where.line}, column {where.col}, "
                "letter case ignored); keep one",
                format_json_path(path),
            )
        )
    return problems
