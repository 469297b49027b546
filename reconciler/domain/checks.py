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
    window and an expiry in the past."""
    problems: list[Problem] = []
    for kind in Kind:
        problems.extend(_duplicate_names([r for r in resources if r.kind == kind]))
    for resource in resources:
        if resource.kind == Kind.VIRTUAL_ACCOUNT:
            problems.extend(_rotation_window(resource))
            problems.extend(_expiry_in_past(resource, today))
    return problems


_JSON_FAILURES = {"a date": "date", "a timestamp": "datetime"}


def yaml11_warning(text: str, read_as: str, breaks_json: bool) -> str:
    """The warning for a plain scalar that TrueFoundry's CLI reads differently (`tfy apply` loads YAML 1.1 with
    PyYAML's safe_load, then sends JSON; reference/control-plane-api.md §10), naming the fix: quote it."""
    if breaks_json:
        python_type = _JSON_FAILURES.get(read_as)
        failure = f'("Object of type {python_type} is not JSON serializable")' if python_type else "(no JSON value)"
        consequence = f"and fails {failure}"
    else:
        consequence = f'and sends that, not the string "{text}"'
    return f'tfy apply reads the unquoted {text} as {read_as} (YAML 1.1) {consequence}; quote it: "{text}"'


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
