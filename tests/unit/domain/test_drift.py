"""Drift: every kind of finding, and a fingerprint that changes only when the findings do."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from reconciler.domain.diff import FieldDiff
from reconciler.domain.drift import DriftReport, Finding, detect_drift
from reconciler.domain.ownership import TOKEN_DELIVERY_TAG
from reconciler.domain.vocabulary import DiffKind, DriftKind
from tests.unit.domain.builders import TODAY, VA, config, desired, live


def kinds(*found: Finding) -> dict[str, DriftKind]:
    return {f.name: f.kind for f in found}


def drift(wanted: list[object], held: list[object], **policy: object) -> tuple[Finding, ...]:
    return detect_drift(wanted, held, config(**policy), TODAY)  # type: ignore[arg-type]


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def test_a_matching_control_plane_has_no_drift() -> None:
    assert drift([desired("a")], [live("a")]) == ()


def test_every_kind_of_finding() -> None:
    found = drift(
        [desired("changed", tags={"env": "prod"}), desired("missing"), desired("taken")],
        [
            live("changed", tags={"env": "dev"}),
            live("taken", owner=None),
            live("orphan"),
            live("clicked", owner=None),
            live("elsewhere", owner="va-reconciler:acme/other"),
        ],
    )
    assert kinds(*found) == {
        "changed": DriftKind.MODIFIED,
        "missing": DriftKind.MISSING,
        "taken": DriftKind.CONFLICT,
        "orphan": DriftKind.ORPHANED,
        "clicked": DriftKind.UNMANAGED,
        "elsewhere": DriftKind.MANAGED_ELSEWHERE,
    }
    by_name = {f.name: f for f in found}
    assert by_name["changed"].diffs == (FieldDiff("tags.env", DiffKind.CHANGE, "prod", "dev"),)  # Git, then live
    assert by_name["changed"].detail == "changed outside Git: tags.env"
    assert by_name["elsewhere"].detail == (
        "managed elsewhere (managed-by=va-reconciler:acme/other); for information, not drift"
    )
    assert by_name["clicked"].detail == "not managed from Git"
    assert [f.name for f in found] == sorted(f.name for f in found)


def test_expiry_of_owned_accounts_only() -> None:
    found = drift(
        [desired("soon", expiration_date=day(3)), desired("later", expiration_date=day(31))],
        [
            live("soon", expiration_date=day(3)),
            live("later", expiration_date=day(31)),
            live("past", expiration_date=day(-1)),
            replace(live("flagged"), is_expired=True),
            live("not-ours", owner=None, expiration_date=day(-5)),
        ],
        expiry_warning_days=30,
    )
    expiry = {f.name: (f.kind, f.detail) for f in found if f.kind in (DriftKind.EXPIRED, DriftKind.EXPIRING)}
    assert expiry == {
        "soon": (DriftKind.EXPIRING, f"the token expires in 3 days ({day(3)})"),
        "past": (DriftKind.EXPIRED, f"the token expired on {day(-1)}"),
        "flagged": (DriftKind.EXPIRED, "the token expired (None)"),
    }


def test_an_undelivered_token() -> None:
    found = drift([desired("bot")], [live("bot", tags={TOKEN_DELIVERY_TAG: "pending"})])
    assert kinds(*found) == {"bot": DriftKind.UNDELIVERED}


def test_the_fingerprint_follows_the_findings_not_the_run() -> None:
    one = Finding(DriftKind.MODIFIED, VA, "a", "x", (FieldDiff("p", DiffKind.CHANGE, 1, 2),))
    report = DriftReport((one,), "rev", "cp", "today")
    same = DriftReport((replace(one, detail="reworded"),), "other", "cp2", "tomorrow")
    assert report.fingerprint == same.fingerprint
    moved = DriftReport((replace(one, diffs=(FieldDiff("p", DiffKind.CHANGE, 1, 3),)),), "rev", "cp", "today")
    assert report.fingerprint != moved.fingerprint
    assert DriftReport((), None, "cp", "t").fingerprint != report.fingerprint
    assert report.has_drift and not DriftReport((), None, "cp", "t").has_drift


def test_counts_and_data() -> None:
    findings = (Finding(DriftKind.MISSING, VA, "a", "x"), Finding(DriftKind.MISSING, VA, "b", "y"),
                Finding(DriftKind.UNMANAGED, VA, "c", "z"))  # fmt: skip
    report = DriftReport(findings, "rev", "cp", "now")
    assert report.kind_counts() == {DriftKind.MISSING: 2, DriftKind.UNMANAGED: 1}
    data = report.to_data()
    assert data["fingerprint"] == report.fingerprint and data["revision"] == "rev"
    assert data["findings"][0] == {  # type: ignore[index]
        "kind": "missing",
        "resource_kind": "virtual-account",
        "name": "a",
        "detail": "x",
        "diffs": [],
    }


def test_every_finding_in_full() -> None:
    found = drift(
        [desired("changed", tags={"env": "prod", "team": "a"}), desired("missing"), desired("taken"),
         desired("pending")],
        [
            live("changed", tags={"env": "dev", "team": "b"}),
            live("taken", owner=None),
            live("orphan"),
            live("pending", tags={TOKEN_DELIVERY_TAG: "pending"}),
            live("clicked", owner=None),
        ],
    )  # fmt: skip
    assert found == (
        Finding(DriftKind.MODIFIED, VA, "changed", "changed outside Git: tags.env, tags.team", (
            FieldDiff("tags.env", DiffKind.CHANGE, "prod", "dev"), FieldDiff("tags.team", DiffKind.CHANGE, "a", "b"))),
        Finding(DriftKind.UNMANAGED, VA, "clicked", "not managed from Git"),
        Finding(DriftKind.MISSING, VA, "missing",
                "in Git, but not in the control plane (deleted out of band, or not applied yet)"),
        Finding(DriftKind.ORPHANED, VA, "orphan", "carries this repository's ownership tag but is not in Git"),
        Finding(DriftKind.UNDELIVERED, VA, "pending", "created, but its token never reached --token-dir"),
        Finding(DriftKind.CONFLICT, VA, "taken",
                "an account with this name exists without this repository's ownership tag managed-by"),
    )  # fmt: skip


def test_expiry_boundaries() -> None:
    def expiry(offset: int) -> list[Finding]:
        when = day(offset)
        return list(drift([desired("bot", expiration_date=when)], [live("bot", expiration_date=when)],
                          expiry_warning_days=30))  # fmt: skip

    assert expiry(0) == [Finding(DriftKind.EXPIRING, VA, "bot", f"the token expires in 0 days ({day(0)})")]
    assert expiry(-1) == [Finding(DriftKind.EXPIRED, VA, "bot", f"the token expired on {day(-1)}")]
    assert expiry(30) == [Finding(DriftKind.EXPIRING, VA, "bot", f"the token expires in 30 days ({day(30)})")]
    assert expiry(31) == []
    found = drift(
        [desired("bot", expiration_date=day(9))], [replace(live("bot", expiration_date=day(9)), is_expired=True)]
    )
    assert found == (Finding(DriftKind.EXPIRED, VA, "bot", f"the token expired ({day(9)})"),)


def test_the_fingerprint_includes_the_kind_of_finding() -> None:
    missing = DriftReport((Finding(DriftKind.MISSING, VA, "a", "x"),), None, "cp", "t")
    orphan = DriftReport((Finding(DriftKind.ORPHANED, VA, "a", "x"),), None, "cp", "t")
    assert missing.fingerprint != orphan.fingerprint


def test_the_report_as_data_every_key() -> None:
    report = DriftReport((), "rev", "https://tfy.example", "2026-11-22 10:00 UTC")
    assert report.to_data() == {
        "version": 1,
        "revision": "rev",
        "control_plane": "https://tfy.example",
        "checked_at": "2026-11-22 10:00 UTC",
        "fingerprint": report.fingerprint,
        "findings": [],
    }


def test_access_granted_outside_git_is_drift() -> None:
    from tests.unit.domain.builders import ADMIN, RB, VIEWER, desired_binding, live_binding

    perms = [{"resource_fqn": "c:w", "resource_type": "workspace", "role_id": "workspace-viewer"}]
    found = drift(
        [desired("ours", permissions=perms), desired("plain"), desired_binding("declared", ["ours"], [VIEWER])],
        [
            live("ours", permissions=perms),
            live("plain", permissions=perms),
            live_binding("declared", ["ours"], [VIEWER]),
            live_binding("sneaky", ["ours", "plain"], [ADMIN]),
            live_binding("shared", ["ours", "theirs"], [VIEWER]),
            live_binding("unrelated", ["theirs"], [ADMIN]),
        ],
    )
    assert found == (
        Finding(DriftKind.UNDECLARED_ACCESS, VA, "plain",
                "holds workspace-viewer on c:w through its permissions, which Git declares nowhere"),
        Finding(DriftKind.UNDECLARED_ACCESS, RB, "shared",
                "grants workspace-viewer on c:w to ours (owned by this repository) and is not in Git; it also names "
                "virtualaccount:theirs"),
        Finding(DriftKind.UNDECLARED_ACCESS, RB, "sneaky",
                "grants workspace-admin on c:w to ours, plain (owned by this repository) and is not in Git"),
    )  # fmt: skip


def test_declared_bindings_drift_like_accounts() -> None:
    from tests.unit.domain.builders import ADMIN, RB, VIEWER, desired_binding, live_binding

    found = drift(
        [desired("a"), desired_binding("changed", ["a"], [VIEWER]), desired_binding("missing", ["a"], [VIEWER]),
         desired_binding("taken", ["a"], [VIEWER])],
        [live("a"), live_binding("changed", ["a"], [ADMIN]), live_binding("taken", ["someone"], [VIEWER])],
    )  # fmt: skip
    assert [(f.kind, f.resource_kind, f.name) for f in found] == [
        (DriftKind.MODIFIED, RB, "changed"),
        (DriftKind.MISSING, RB, "missing"),
        (DriftKind.CONFLICT, RB, "taken"),
    ]
    assert found[2].detail == (
        "a role binding with this name exists and grants access to subjects this repository does not own"
    )


def test_an_orphaned_account_is_orphaned_not_undeclared_and_grants_are_listed_together() -> None:
    from tests.unit.domain.builders import RB, live_binding

    perms = [{"resource_fqn": "c:w", "resource_type": "workspace", "role_id": "workspace-viewer"},
             {"resource_fqn": "c:x", "resource_type": "workspace", "role_id": "workspace-admin"}]  # fmt: skip
    two = live_binding("two", ["kept"], [("r1", "t", "f1"), ("r2", "t", "f2")])
    found = drift([desired("kept")], [live("kept", permissions=perms), live("orphan", permissions=perms), two])
    assert [(f.kind, f.name) for f in found] == [
        (DriftKind.UNDECLARED_ACCESS, "kept"),
        (DriftKind.ORPHANED, "orphan"),
        (DriftKind.UNDECLARED_ACCESS, "two"),
    ]
    assert found[0].detail == (
        "holds workspace-admin on c:x, workspace-viewer on c:w through its permissions, which Git declares nowhere"
    )
    assert found[2].resource_kind == RB and found[2].detail.startswith("grants r1 on f1, r2 on f2 to kept")


def test_accounts_managed_elsewhere_are_listed_but_are_not_drift() -> None:
    """A shared tenant: another repository's accounts are information, never drift (exit code, issue)."""
    findings = detect_drift([], [live("theirs", owner="va-reconciler:acme/other")], config(), TODAY)
    report = DriftReport(findings, None, "cp", "now")
    assert [f.kind for f in report.findings] == [DriftKind.MANAGED_ELSEWHERE]
    assert not report.has_drift and report.drift == ()
    assert report.fingerprint == DriftReport((), None, "cp", "now").fingerprint
