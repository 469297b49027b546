"""Pure checks a JSON Schema cannot express: across files, across fields, against policy and today's date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from reconciler.domain.config import RepoConfig
from reconciler.domain.destinations import DESTINATION_FIELDS, repository_clashes
from reconciler.domain.grants import VIRTUAL_ACCOUNT_SUBJECT, subjects_of
from reconciler.domain.kinds import DEFAULT_AUTO_ROTATE, in_scope, rules_for
from reconciler.domain.policy import violations
from reconciler.domain.resources import DesiredResource
from reconciler.domain.values import Manifest, Problem, format_json_path
from reconciler.domain.vocabulary import Kind, Severity

SHAPE_RULE = (
    "Use either one subject and many permissions, or many subjects and one permission. "
    "A binding cannot have many of both."
)
MIGRATE_HINT = "permissions is deprecated (TrueFoundry grants access with role bindings); run `reconciler migrate`"


def check_resources(
    resources: Sequence[DesiredResource], today: date, config: RepoConfig, policy: bool = True
) -> list[Problem]:
    """Problems across the whole repository: `across_resources`, then `check_resource` for each one."""
    problems = across_resources(resources, config)
    for resource in resources:
        problems.extend(check_resource(resource, today, config, policy))
    return problems


# All that `across_resources` reads of a manifest besides its name: where its token and identity go
# (`destinations.py`), its team and the accounts a binding names (`scope.py`).
ACROSS_FIELDS = (*DESTINATION_FIELDS, "ownedBy", "subjects")


def across_resources(resources: Sequence[DesiredResource], config: RepoConfig) -> list[Problem]:
    """What only the whole repository shows: names defined twice (per kind), a token secret or identity
    mapping two accounts hold (`destinations.py`), and manifests outside the repository's `scope:`. Reads
    names, positions and `ACROSS_FIELDS` only, so validate may keep just those of each resource
    (`DesiredResource.listed`)."""
    problems: list[Problem] = []
    for kind in Kind:
        problems.extend(_duplicate_names([r for r in resources if r.kind == kind]))
    problems.extend(repository_clashes(resources))
    problems.extend(_out_of_scope(resources, config))
    return problems


def check_resource(resource: DesiredResource, today: date, config: RepoConfig, policy: bool = True) -> list[Problem]:
    """What one resource alone can get wrong: per account the rotation window, an expiry in the past, a
    rotation-notification recipient listed twice and the deprecated `permissions`; per binding its shape and
    subjects; and, with `policy`, every policy violation where it stands (plan leaves those to the planner,
    which blocks only the resources concerned and plans the rest)."""
    problems: list[Problem] = []
    if resource.kind == Kind.VIRTUAL_ACCOUNT:
        problems.extend(_rotation_window(resource))
        problems.extend(_expiry_in_past(resource, today))
        problems.extend(_repeated_recipients(resource))
        problems.extend(_deprecated_permissions(resource))
    else:
        problems.extend(_binding_shape(resource))
        problems.extend(_binding_subjects(resource))
    if policy:
        problems.extend(
            Problem(resource.position_of(v.path), v.message, format_json_path(v.path))
            for v in violations(resource, config.policy, config.ownership, today)
        )
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


def _out_of_scope(resources: Sequence[DesiredResource], config: RepoConfig) -> list[Problem]:
    """A warning at each manifest outside the repository's own `scope:`: plan, apply and drift ignore it."""
    kept = set(map(id, in_scope(resources, (), config.scope).desired))
    return [
        Problem(
            r.position_of(("name",)),
            f"{r.name} is outside this repository's scope ({config.scope.describe()}): plan, apply and drift "
            "ignore it; widen scope: in reconciler.yaml or remove the manifest",
            format_json_path(("name",)),
            Severity.WARNING,
        )
        for r in resources
        if id(r) not in kept
    ]


def _duplicate_names(resources: Sequence[DesiredResource]) -> list[Problem]:
    by_name: dict[str, list[DesiredResource]] = defaultdict(list)
    for resource in resources:
        by_name[resource.name].append(resource)
    problems = []
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        noun = rules_for(same[0].kind).noun.removesuffix("s")
        for resource in same:
            others = ", ".join(str(o.position_of(("name",))) for o in same if o is not resource)
            problems.append(
                Problem(
                    resource.position_of(("name",)),
                    f"{noun} '{name}' is defined more than once (also at {others}); keep one",
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


def past_expiry(manifest: Manifest, today: date) -> str | None:
    """The manifest's `expiration_date` when it is before `today`, else None (also for a malformed date, which
    the schema reports)."""
    raw = manifest.get("expiration_date")
    if not isinstance(raw, str):
        return None
    try:
        return raw if date.fromisoformat(raw) < today else None
    except ValueError:
        return None


def _expiry_in_past(account: DesiredResource, today: date) -> list[Problem]:
    """A warning, not an error: whether a past date is a mistake depends on the control plane, which validate
    does not read. Plan refuses it where the change sets it (a new account, a changed date); for an account
    that already carries it, plan warns and drift reports the account as expired."""
    raw = past_expiry(account.manifest, today)
    if raw is None:
        return []
    path = ("expiration_date",)
    return [
        Problem(
            account.position_of(path),
            f"Expiration date of the virtual account {raw} is in the past (today is {today} UTC): plan refuses "
            "to set it on a new account or as a new date; an account that already has it has expired (drift "
            "reports it). Move it forward or remove the account",
            format_json_path(path),
            Severity.WARNING,
        )
    ]


def _deprecated_permissions(account: DesiredResource) -> list[Problem]:
    if "permissions" not in account.manifest:
        return []
    path = ("permissions",)
    return [Problem(account.position_of(path), MIGRATE_HINT, format_json_path(path), Severity.WARNING)]


def _binding_shape(binding: DesiredResource) -> list[Problem]:
    subjects, permissions = binding.manifest.get("subjects"), binding.manifest.get("permissions")
    if isinstance(subjects, list) and isinstance(permissions, list) and len(subjects) > 1 and len(permissions) > 1:
        found = f" (this one has {len(subjects)} subjects and {len(permissions)} permissions)"
        return [Problem(binding.position_of(("subjects",)), SHAPE_RULE + found, format_json_path(("subjects",)))]
    return []


def _binding_subjects(binding: DesiredResource) -> list[Problem]:
    """This tool manages the access of virtual accounts: a binding in Git may name only virtual accounts."""
    problems = []
    for index, subject in enumerate(subjects_of(binding.manifest)):
        if subject.type != VIRTUAL_ACCOUNT_SUBJECT:
            path = ("subjects", index, "type")
            message = (
                f"subject {subject} is not a virtual account: va-reconciler manages the access of virtual accounts; "
                "grant users, teams and agents in TrueFoundry's Access Control or another repository"
            )
            problems.append(Problem(binding.position_of(path), message, format_json_path(path)))
    return problems


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
