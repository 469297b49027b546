"""The planner: one change per resource, decided by ownership, prune, policy and token destinations."""

from __future__ import annotations

from reconciler.domain.config import RepoConfig
from reconciler.domain.diff import FieldDiff
from reconciler.domain.ownership import TOKEN_DELIVERY_TAG
from reconciler.domain.plan import Change
from reconciler.domain.planner import PlanOptions, make_changes
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.vocabulary import Action, DiffKind
from tests.unit.domain.builders import TAG, config, desired, live, options

NO_DESTINATION = (
    "the one-time token has nowhere safe to go: add secret_store_config to the manifest or pass --token-dir"
)


def plan(
    wanted: list[DesiredResource],
    held: list[LiveResource],
    settings: RepoConfig | None = None,
    how: PlanOptions | None = None,
) -> dict[str, Change]:
    changes = make_changes(wanted, held, settings or config(), how or options())
    assert [c.name for c in changes] == sorted(c.name for c in changes)
    return {c.name: c for c in changes}


def test_a_new_account_is_created_with_the_ownership_tag_and_its_token_destination() -> None:
    [change] = plan([desired("new-bot", tags={"env": "prod"})], []).values()
    assert change.action == Action.CREATE
    assert change.desired is not None and change.desired["tags"] == {"env": "prod", TAG.key: TAG.value}
    assert change.token_destination == (
        "secret store acme:aws:secrets-manager at ci/new-bot (synced by the control plane)"
    )
    assert change.resource_id is None and change.live_fingerprint is None
    assert change.position is not None and str(change.position) == "accounts/new-bot.yaml:1:1"


def test_a_create_without_a_token_destination_is_blocked_unless_a_token_dir_is_given() -> None:
    bare = desired("bare-bot", secret_store_config=None)
    blocked = plan([bare], [])["bare-bot"]
    assert (blocked.action, blocked.reason) == (Action.BLOCKED, NO_DESTINATION)
    created = plan([bare], [], how=options(token_dir=True))["bare-bot"]
    assert created.action == Action.CREATE
    assert created.token_destination == "--token-dir, file bare-bot.token (mode 0600)"
    lenient = plan([bare], [], settings=config(require_token_destination=False))["bare-bot"]
    assert lenient.action == Action.CREATE and lenient.token_destination is None


def test_an_unchanged_owned_account_is_a_no_op() -> None:
    change = plan([desired("same-bot")], [live("same-bot")])["same-bot"]
    assert (change.action, change.diffs, change.warnings, change.reason) == (Action.NO_OP, (), (), "")
    assert change.resource_id == "id-same-bot" and change.live_fingerprint == live("same-bot").fingerprint


def test_an_owned_account_that_differs_is_updated_field_by_field() -> None:
    change = plan([desired("bot", tags={"env": "prod"})], [live("bot", tags={"env": "dev"})])["bot"]
    assert change.action == Action.UPDATE
    assert change.diffs == (FieldDiff("tags.env", DiffKind.CHANGE, "dev", "prod"),)
    assert change.warnings == () and change.token_destination is None and not change.deliver_token


def test_a_field_removed_from_git_is_a_diff() -> None:
    change = plan([desired("bot")], [live("bot", expiration_date="2027-01-01")])["bot"]
    assert change.diffs == (FieldDiff("expiration_date", DiffKind.REMOVE, "2027-01-01", None),)


def test_changing_auto_rotate_warns() -> None:
    change = plan(
        [desired("bot", auto_rotate={"auto_rotate_interval": 120})],
        [live("bot", auto_rotate={"auto_rotate_interval": 90, "grace_period": 30})],
    )["bot"]
    assert change.diffs == (FieldDiff("auto_rotate.auto_rotate_interval", DiffKind.CHANGE, 90, 120),)
    assert change.warnings == (
        "changes auto_rotate on an existing account: TrueFoundry's UI does not allow this edit; "
        "through the API the new schedule applies from the current token",
    )


def test_an_untagged_live_account_is_a_conflict_with_zero_writes() -> None:
    change = plan([desired("legacy-bot")], [live("legacy-bot", owner=None)])["legacy-bot"]
    assert change.action == Action.CONFLICT and not change.writes
    assert change.reason == (
        "an account named legacy-bot already exists without the ownership tag managed-by; "
        "list it under adopt: in reconciler.yaml to take it over"
    )


def test_an_account_of_another_repository_is_a_conflict_naming_its_owner() -> None:
    change = plan([desired("shared-bot")], [live("shared-bot", owner="va-reconciler:acme/other")])["shared-bot"]
    assert change.action == Action.CONFLICT
    assert change.reason == "an account named shared-bot is owned by managed-by=va-reconciler:acme/other"


def test_adoption_by_config_or_by_the_manifests_own_tag_adds_the_ownership_tag() -> None:
    adopted = plan([desired("legacy-bot")], [live("legacy-bot", owner=None)], config(adopt=["legacy-bot"]))
    change = adopted["legacy-bot"]
    assert change.action == Action.ADOPT and change.writes and not change.unresolved
    assert change.diffs == (FieldDiff("tags", DiffKind.ADD, None, {TAG.key: TAG.value}),)  # it had no tags
    assert change.warnings == ("adopts an account this repository did not create: the ownership tag is added",)
    claimed = plan([desired("legacy-bot", tags={TAG.key: TAG.value})], [live("legacy-bot", owner=None)])
    assert claimed["legacy-bot"].action == Action.ADOPT
    tagged = plan([desired("old-bot", tags={"env": "prod"})], [live("old-bot", owner=None, tags={"env": "prod"})],
                  config(adopt=["old-bot"]))["old-bot"]  # fmt: skip
    assert tagged.action == Action.ADOPT
    assert tagged.diffs == (FieldDiff(f"tags.{TAG.key}", DiffKind.ADD, None, TAG.value),)
    other = plan([desired("x-bot")], [live("x-bot", owner="va-reconciler:acme/other")], config(adopt=["x-bot"]))
    assert other["x-bot"].action == Action.ADOPT  # adopt: says take it over, whoever held it
    retagged = FieldDiff(f"tags.{TAG.key}", DiffKind.CHANGE, "va-reconciler:acme/other", TAG.value)
    assert other["x-bot"].diffs == (retagged,)


def test_adopting_an_account_that_also_changes_is_an_update() -> None:
    wanted = [desired("legacy-bot", expiration_date="2027-06-30")]
    change = plan(wanted, [live("legacy-bot", owner=None)], config(adopt=["legacy-bot"]))["legacy-bot"]
    assert change.action == Action.UPDATE
    assert [d.path for d in change.diffs] == ["expiration_date", "tags"]
    assert change.warnings[0] == "adopts an account this repository did not create: the ownership tag is added"
    removed = plan([desired("legacy-bot")], [live("legacy-bot", owner=None, tags={"env": "prod"})],
                   config(adopt=["legacy-bot"]))["legacy-bot"]  # fmt: skip
    assert removed.action == Action.UPDATE  # its tag env goes: more than the ownership tag changes


def test_policy_blocks_with_every_reason_and_keeps_warnings() -> None:
    grants = [{"resource_fqn": "acme", "resource_type": "tenant", "role_id": "tenant-admin"}]
    change = plan([desired("admin-bot", permissions=grants)], [])["admin-bot"]
    assert change.action == Action.BLOCKED and not change.writes and change.unresolved
    assert change.reason == "grants role tenant-admin on acme, which policy.denied_roles forbids"
    both = plan([desired("admin-bot", permissions=grants, tags={TAG.key: "x"})], [live("admin-bot")])["admin-bot"]
    assert both.action == Action.BLOCKED
    assert both.reason == (
        f"the manifest sets the ownership tag {TAG.key}=x; this repository's is {TAG.value}; "
        "grants role tenant-admin on acme, which policy.denied_roles forbids"
    )


def test_a_pending_token_is_recovered_with_a_token_dir_and_blocked_without() -> None:
    pending = live("bot", secret_store_config=None, tags={TOKEN_DELIVERY_TAG: "pending"})
    blocked = plan([desired("bot", secret_store_config=None)], [pending])["bot"]
    assert blocked.action == Action.BLOCKED
    assert blocked.reason == "its one-time token was never delivered: pass --token-dir to recover it"
    recover = plan([desired("bot", secret_store_config=None)], [pending], how=options(token_dir=True))["bot"]
    assert (recover.action, recover.deliver_token, recover.diffs) == (Action.RECOVER_TOKEN, True, ())
    assert recover.token_destination == "--token-dir, file bot.token (mode 0600)"
    assert recover.warnings == ("recovers the token a crashed run never delivered (GET .../token) into --token-dir",)
    changed = plan(
        [desired("bot", secret_store_config=None, expiration_date="2027-01-01")], [pending], how=options(token_dir=True)
    )["bot"]
    assert changed.action == Action.UPDATE and changed.deliver_token


def test_owned_accounts_gone_from_git_stay_while_prune_is_off() -> None:
    change = plan([desired("kept")], [live("kept"), live("gone")])["gone"]
    assert change.action == Action.NO_OP and not change.writes
    assert change.reason == "owned by this repository but no longer in Git; prune is off, so it stays"
    assert change.resource_id == "id-gone"


def test_prune_deletes_only_owned_accounts_gone_from_git() -> None:
    held = [live("kept"), live("gone"), live("clicked", owner=None), live("theirs", owner="va-reconciler:x/y")]
    changes = plan([desired("kept")], held, config(prune=True))
    assert set(changes) == {"kept", "gone"}
    assert changes["gone"].action == Action.DELETE
    assert changes["gone"].reason == "owned by this repository and no longer in Git"
    assert changes["gone"].live_fingerprint == live("gone").fingerprint


def test_mass_deletes_are_blocked_at_the_thresholds() -> None:
    held = [live(f"bot-{i:02d}") for i in range(20)]
    keep = [desired(f"bot-{i:02d}") for i in range(14)]
    # 6 of 20 owned: above max_deletes=5
    over_count = plan(keep, held, config(prune=True, max_deletes=5, max_delete_percent=100))
    deletes = [c for c in over_count.values() if c.reason.startswith("would delete")]
    assert len(deletes) == 6 and all(c.action == Action.BLOCKED for c in deletes)
    assert deletes[0].reason == "would delete 6 accounts, more than prune.max_deletes=5 (pass --allow-mass-delete)"
    # 6 of 20 is 30%: at the percent threshold, not above it
    at_percent = plan(keep, held, config(prune=True, max_deletes=10, max_delete_percent=30))
    assert sum(c.action == Action.DELETE for c in at_percent.values()) == 6
    over_percent = plan(keep, held, config(prune=True, max_deletes=10, max_delete_percent=29))
    assert {c.reason for c in over_percent.values() if c.action == Action.BLOCKED} == {
        "would delete 6 of 20 owned accounts, more than prune.max_delete_percent=29% (pass --allow-mass-delete)"
    }
    allowed = plan(keep, held, config(prune=True, max_deletes=1), options(allow_mass_delete=True))
    assert sum(c.action == Action.DELETE for c in allowed.values()) == 6


def test_the_percent_guard_needs_ten_owned_accounts() -> None:
    nine = [live(f"bot-{i}") for i in range(9)]
    changes = plan(
        [desired(f"bot-{i}") for i in range(4)], nine, config(prune=True, max_deletes=5, max_delete_percent=1)
    )
    assert sum(c.action == Action.DELETE for c in changes.values()) == 5
    ten = [live(f"bot-{i}") for i in range(10)]
    changes = plan([desired(f"bot-{i}") for i in range(9)], ten, config(prune=True, max_delete_percent=9))
    assert [c.action for c in changes.values() if c.name == "bot-9"] == [Action.BLOCKED]


def test_an_empty_repository_never_prunes_everything() -> None:
    changes = plan([], [live("a"), live("b")], config(prune=True))
    assert {c.action for c in changes.values()} == {Action.BLOCKED}
    assert changes["a"].reason == (
        "Git holds no account at all: refusing to prune every owned account (pass --allow-mass-delete)"
    )


def test_warnings_stay_on_blocked_and_created_accounts() -> None:
    soon = "2026-12-01"  # 9 days after TODAY
    grants = [{"resource_fqn": "acme", "resource_type": "tenant", "role_id": "tenant-admin"}]
    blocked = plan(
        [desired("a", permissions=grants, expiration_date=soon)], [live("a")], config(expiry_warning_days=30)
    )
    assert blocked["a"].warnings == ("the token expires in 9 days (2026-12-01)",)
    blocked_create = plan([desired("b", permissions=grants, expiration_date=soon)], [], config(expiry_warning_days=30))
    assert blocked_create["b"].warnings == ("the token expires in 9 days (2026-12-01)",)
    created = plan([desired("c", expiration_date=soon)], [], config(expiry_warning_days=30))
    assert created["c"].action == Action.CREATE
    assert created["c"].warnings == ("the token expires in 9 days (2026-12-01)",)


def test_a_blocked_create_gives_every_reason() -> None:
    grants = [{"resource_fqn": "acme", "resource_type": "tenant", "role_id": "tenant-admin"}]
    change = plan([desired("bare", permissions=grants, secret_store_config=None)], [])["bare"]
    assert change.reason == f"grants role tenant-admin on acme, which policy.denied_roles forbids; {NO_DESTINATION}"


def test_a_past_expiry_blocks_the_change_that_sets_it_and_only_warns_on_an_account_that_has_it() -> None:
    past = "2026-01-31"  # before TODAY
    changes = plan(
        [
            desired("new-bot", expiration_date=past),  # a new account created already expired
            desired("moved-bot", expiration_date=past),  # the date changed to a past one
            desired("old-bot", expiration_date=past),  # unchanged: it has simply expired
        ],
        [live("moved-bot", expiration_date="2027-01-01"), live("old-bot", expiration_date=past)],
    )
    reason = f"sets expiration_date {past}, which is in the past (today is 2026-11-22 UTC)"
    assert changes["new-bot"].action == Action.BLOCKED and changes["new-bot"].reason == reason
    assert changes["moved-bot"].action == Action.BLOCKED and changes["moved-bot"].reason == reason
    assert changes["old-bot"].action == Action.NO_OP
    assert changes["old-bot"].warnings == (
        f"expired on {past} (today is 2026-11-22 UTC): move expiration_date forward",
    )
