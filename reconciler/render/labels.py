"""Words and symbols for people, one place for every view."""

from __future__ import annotations

from reconciler.domain.vocabulary import Action, DriftKind

SYMBOLS: dict[Action, str] = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.ADOPT: "<",
    Action.DELETE: "-",
    Action.RECOVER_TOKEN: "*",
    Action.NO_OP: "=",
    Action.CONFLICT: "!",
    Action.BLOCKED: "x",
}

DRIFT_LABELS: dict[DriftKind, str] = {
    DriftKind.MODIFIED: "Modified out of band",
    DriftKind.MISSING: "Missing from the control plane",
    DriftKind.CONFLICT: "Managed name, not ours",
    DriftKind.ORPHANED: "Owned, not in Git",
    DriftKind.UNMANAGED: "Unmanaged",
    DriftKind.EXPIRED: "Token expired",
    DriftKind.EXPIRING: "Token expiring soon",
    DriftKind.UNDELIVERED: "Token never delivered",
    DriftKind.UNDECLARED_ACCESS: "Access granted outside Git",
    DriftKind.SHARED_DESTINATION: "Token secret or identity shared",
    DriftKind.MANAGED_ELSEWHERE: "Managed elsewhere (information)",
}
