"""The vocabulary, as enums: every word the plan, the reports and the views share. Values are the words users
see in plan.json and in output (Terraform's and TrueFoundry's terms), so a `StrEnum` serialises as itself."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A kind of resource the reconciler manages, named as in a manifest's `type`."""

    VIRTUAL_ACCOUNT = "virtual-account"
    ROLE_BINDING = "role-binding"


class Action(StrEnum):
    """What a plan does with one resource."""

    CREATE = "create"
    UPDATE = "update"
    # takes over what exists without changing what it does: an account gets the ownership tag and nothing else,
    # or a role binding is created for grants its accounts already hold through deprecated `permissions`
    ADOPT = "adopt"
    DELETE = "delete"
    RECOVER_TOKEN = "recover-token"  # a crashed run created the account but never delivered its token
    NO_OP = "no-op"
    CONFLICT = "conflict"  # the name is taken by a resource this repository does not own
    BLOCKED = "blocked"  # a policy or a safety rule refuses it

    @property
    def writes(self) -> bool:
        return self in _WRITING

    @property
    def unresolved(self) -> bool:
        """A person must act before this resource converges."""
        return self in (Action.CONFLICT, Action.BLOCKED)


_WRITING = frozenset({Action.CREATE, Action.UPDATE, Action.ADOPT, Action.DELETE, Action.RECOVER_TOKEN})


class DiffKind(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"


class DriftKind(StrEnum):
    """What a drift check can find. Labels for people live in the views."""

    MODIFIED = "modified"  # changed outside Git
    MISSING = "missing"  # in Git, not in the control plane
    CONFLICT = "conflict"  # a managed name held by a resource that is not ours
    ORPHANED = "orphaned"  # ours, not in Git
    UNMANAGED = "unmanaged"  # nobody's, not in Git
    EXPIRED = "expired"
    EXPIRING = "expiring"
    UNDELIVERED = "undelivered"  # a created token never reached its sink
    UNDECLARED_ACCESS = "undeclared-access"  # a grant on an owned account that Git does not declare
    SHARED_DESTINATION = "shared-destination"  # a token secret or identity mapping two live accounts hold
    MANAGED_ELSEWHERE = "managed-elsewhere"  # another repository's tag: listed for information, never drift

    @property
    def is_drift(self) -> bool:
        """Whether a finding of this kind is drift (counts for --detailed-exitcode and the drift issue)."""
        return self != DriftKind.MANAGED_ELSEWHERE


class OutcomeStatus(StrEnum):
    """How applying one change ended."""

    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing written, on purpose (changed since the plan, not approved)


class SkipReason(StrEnum):
    """Why a YAML document or file was not validated (listed as skipped, never an error)."""

    OTHER_TYPE = "other-type"  # a `type` this tool does not manage (team, workspace, ...)
    NOT_A_MANIFEST = "not-a-manifest"  # no `type` and no field only a managed kind has (`foo: bar`)
    OUTSIDE_PATHS = "outside-paths"  # a file given on the command line outside the configured manifest paths


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Why(StrEnum):
    """Why `reconciler import` left a live resource related to the selection out."""

    OWNED_ELSEWHERE = "owned-elsewhere"  # another repository's ownership tag
    IN_GIT = "in-git"  # Git defines it already
    FILE_EXISTS = "file-exists"  # its file exists: import never overwrites
    UNSAFE_NAME = "unsafe-name"  # its name cannot be a file name
    SHARED = "shared"  # a binding naming subjects this repository will not own
