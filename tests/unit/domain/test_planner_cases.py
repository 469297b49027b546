"""The planner's edges: token-dir blocks on creates and recoveries, adoption that changes more than the tag,
conflicts under a provisional or former identity, held deletes, and what is not an account's token rule."""

from __future__ import annotations

from dataclasses import replace

from reconciler.domain.config import OwnershipTag, RepoConfig
from reconciler.domain.ownership import TOKEN_DELIVERY_TAG
from reconciler.domain.plan import Change
from reconciler.domain.planner import PlanOptions, hold_deletes
from reconciler.domain.vocabulary import Action, Kind
from tests.unit.domain.builders import (
    RB,
    TAG,
    TODAY,
    VIEWER,
    config,
    desired,
    desired_binding,
    live,
    live_binding,
)
from tests.unit.domain.test_planner import plan

UNWRITABLE = "--token-dir /tokens is not writable (permission denied)"
LEFT_BEHIND = (
    "--token-dir already holds {0}.token, left by an earlier account of this name: a new account's token must not "
    "replace it unseen; move that file away (or delete it, if its account is gone), then re-plan"
)


def token_dir(unwritable: str = "", unread: tuple[str, ...] = (), files: frozenset[str] = frozenset()) -> PlanOptions:
    return PlanOptions(TODAY, token_dir=True, unwritable_token_dir=unwritable, unread=unread, token_files=files)


def test_a_token_dir_create_is_blocked_by_an_unwritable_token_dir() -> None:
    change = plan([desired("bare", secret_store_config=None)], [], how=token_dir(UNWRITABLE))["bare"]
    assert (change.action, change.reason) == (Action.BLOCKED, UNWRITABLE)


def test_a_create_synced_by_the_control_plane_ignores_an_unwritable_token_dir() -> None:
    change = plan([desired("stored")], [], how=token_dir(UNWRITABLE))["stored"]
    assert change.action == Action.CREATE and change.reason == ""


def test_an_unwritable_token_dir_blocks_a_create_even_when_no_destination_is_required() -> None:
    lenient = config(require_token_destination=False)
    how = PlanOptions(TODAY, unwritable_token_dir=UNWRITABLE)
    assert plan([desired("stored")], [], lenient, how)["stored"].action == Action.CREATE
    blocked = plan([desired("bare", secret_store_config=None)], [], lenient, how)["bare"]
    assert (blocked.action, blocked.reason) == (Action.BLOCKED, UNWRITABLE)


def test_a_token_file_left_by_an_earlier_account_blocks_a_token_dir_create() -> None:
    change = plan([desired("bare", secret_store_config=None)], [], how=token_dir(files=frozenset({"bare"})))["bare"]
    assert (change.action, change.reason) == (Action.BLOCKED, LEFT_BEHIND.format("bare"))


def test_a_token_file_of_the_same_name_does_not_block_an_account_synced_by_the_control_plane() -> None:
    change = plan([desired("stored")], [], how=token_dir(files=frozenset({"stored"})))["stored"]
    assert change.action == Action.CREATE


def test_recovering_a_pending_token_is_blocked_by_an_unwritable_token_dir() -> None:
    pending = live("bot", secret_store_config=None, tags={TOKEN_DELIVERY_TAG: "pending"})
    change = plan([desired("bot", secret_store_config=None)], [pending], how=token_dir(UNWRITABLE))["bot"]
    assert (change.action, change.reason) == (Action.BLOCKED, UNWRITABLE)


def test_adopting_an_untagged_account_that_gains_another_tag_too_is_an_update() -> None:
    change = plan(
        [desired("legacy-bot", tags={"env": "prod"})], [live("legacy-bot", owner=None)], config(adopt=["legacy-bot"])
    )["legacy-bot"]
    assert change.action == Action.UPDATE
    assert [(d.path, d.after) for d in change.diffs] == [("tags", {"env": "prod", TAG.key: TAG.value})]


def provisional(former: tuple[str, ...] = ()) -> RepoConfig:
    tag = OwnershipTag(TAG.key, TAG.value, provisional="this repository has no remote", former=former)
    return replace(config(), ownership=tag)


def test_under_a_provisional_identity_an_account_not_asked_for_is_an_ordinary_conflict() -> None:
    change = plan([desired("legacy-bot")], [live("legacy-bot", owner=None)], provisional())["legacy-bot"]
    assert change.action == Action.CONFLICT
    assert change.reason == (
        "an account named legacy-bot already exists without the ownership tag managed-by; "
        "list it under adopt: in reconciler.yaml to take it over"
    )


def test_under_a_provisional_identity_an_account_asked_for_is_not_ours_to_adopt() -> None:
    settings = replace(provisional(), adopt=frozenset({"legacy-bot"}))
    change = plan([desired("legacy-bot")], [live("legacy-bot", owner=None)], settings)["legacy-bot"]
    assert change.reason == "legacy-bot is not ours to adopt: this repository has no remote"


def test_an_account_tagged_with_a_former_identity_is_a_conflict_explaining_both_ways_out() -> None:
    tag = OwnershipTag(TAG.key, TAG.value, former=("accounts",))
    change = plan([desired("old-bot")], [live("old-bot", owner="accounts")], replace(config(), ownership=tag))
    assert change["old-bot"].reason == (
        "an account named old-bot carries managed-by=accounts, this repository's ownership identity before it "
        "became va-reconciler:acme/accounts (the whole normalized remote): to keep the old identity, set "
        "ownership.tag_value: accounts in reconciler.yaml; to move to the new one, list the account under adopt: "
        "for one apply"
    )


def test_held_deletes_name_every_reason_joined() -> None:
    deleting = Change(Kind.VIRTUAL_ACCOUNT, "gone", Action.DELETE)
    [held] = hold_deletes([deleting], ["no unique identity", "", "files unread"])
    assert (held.action, held.reason) == (Action.BLOCKED, "not deleted: no unique identity; files unread")


def unread_reason(*unread: str) -> str:
    changes = plan([desired("kept")], [live("kept"), live("gone")], config(prune=True), token_dir(unread=unread))
    return changes["gone"].reason


def test_unread_files_hold_deletes_listing_up_to_three() -> None:
    assert unread_reason("a.yaml") == "not deleted: the manifests were not all read (a.yaml)"
    assert unread_reason("a.yaml", "b.yaml", "c.yaml") == (
        "not deleted: the manifests were not all read (a.yaml; b.yaml; c.yaml)"
    )
    assert unread_reason("a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml") == (
        "not deleted: the manifests were not all read (a.yaml; b.yaml; c.yaml and 2 more)"
    )


def test_a_role_binding_is_not_judged_by_an_accounts_expiration_date() -> None:
    """Only kinds that issue tokens have an expiry: a stray expiration_date on a binding blocks nothing."""
    binding = desired_binding("va-a", ["a"], [VIEWER], expiration_date="2020-01-01")
    change = plan([desired("a"), binding], [])["va-a"]
    assert change.kind == RB and change.action == Action.CREATE and change.reason == ""


def test_a_role_binding_update_gets_no_token_extension_warning() -> None:
    held = replace(live_binding("va-a", ["a"], [VIEWER], expiration_date="2026-12-01"), token_invalid=True)
    binding = desired_binding("va-a", ["a"], [VIEWER], expiration_date="2027-06-01")
    change = plan([desired("a"), binding], [live("a"), held])["va-a"]
    assert change.action == Action.UPDATE and change.warnings == ()
