"""Destinations: half-filled ones are none, paths keep their letters, and the guard names every holder, keeps
every reason and warning, and counts every write the plan makes."""

from __future__ import annotations

from reconciler.domain.destinations import Destination, DestinationKind, destinations_of, guard_destinations
from reconciler.domain.plan import Change
from reconciler.domain.planner import make_changes
from reconciler.domain.resources import DesiredResource, LiveResource
from reconciler.domain.vocabulary import Action, Kind
from tests.unit.domain.builders import STORE, config, desired, live, manifest, options

SHARED = {**STORE, "secret_path": "ci/shared"}
OKTA = "acme:okta"
SYNCS = "its token syncs to secret store acme:aws:secrets-manager at ci/shared, as {}'s does: each rotation of one "
STILL_HELD = (
    "overwrites the other's token; another account still holds it after this plan: give this one its own, or remove "
    "it from the other first"
)


def plan(wanted: list[DesiredResource], held: list[LiveResource], prune: bool = False) -> dict[str, Change]:
    return {c.name: c for c in make_changes(wanted, held, config(prune=prune), options())}


def mapping(value: str) -> list[dict[str, str]]:
    return [{"identity_provider": OKTA, "value": value}]


def test_a_secret_group_without_both_group_and_key_is_no_destination() -> None:
    assert destinations_of({"secret_store_config": {"type": "tfy-secrets", "secret_group": "acme:prod"}}) == ()
    assert destinations_of({"secret_store_config": {"type": "tfy-secrets", "key": "BOT_TOKEN"}}) == ()


def test_a_secret_store_without_both_integration_and_path_is_no_destination() -> None:
    assert destinations_of({"secret_store_config": {"integration_fqn": "acme:aws:secrets-manager"}}) == ()
    assert destinations_of({"secret_store_config": {"secret_path": "ci/bot"}}) == ()


def test_only_leading_slashes_are_dropped_from_a_secret_path() -> None:
    assert destinations_of(
        {"secret_store_config": {"integration_fqn": "acme:aws", "secret_path": "/X-bot/tokenX"}}
    ) == (
        (Destination(DestinationKind.SECRET_STORE, "acme:aws", "X-bot/tokenX"), ("secret_store_config", "secret_path")),
    )


def test_an_identity_mapping_without_both_provider_and_value_is_no_destination() -> None:
    assert destinations_of({"identity_provider_mapping": [{"identity_provider": OKTA}]}) == ()
    assert destinations_of({"identity_provider_mapping": [{"value": "sa@acme.com"}]}) == ()


def test_a_create_blocked_by_two_live_holders_names_both() -> None:
    held = [live("x", owner=None, secret_store_config=SHARED), live("y", owner=None, secret_store_config=SHARED)]
    change = plan([desired("new", secret_store_config=SHARED)], held)["new"]
    assert (change.action, change.reason) == (Action.BLOCKED, SYNCS.format("x, y") + STILL_HELD)


def test_an_update_already_sharing_with_two_accounts_names_both_in_its_warning() -> None:
    held = [
        live("a", secret_store_config=SHARED, tags={"env": "x"}),
        live("b", owner=None, secret_store_config=SHARED),
        live("c", owner=None, secret_store_config=SHARED),
    ]
    change = plan([desired("a", secret_store_config=SHARED, tags={"env": "y"})], held)["a"]
    assert change.action == Action.UPDATE
    assert change.warnings == (SYNCS.format("b, c") + "overwrites the other's token (already so before this plan)",)


def test_a_create_taking_two_held_destinations_gives_both_reasons() -> None:
    held = [
        live("x", owner=None, secret_store_config=SHARED),
        live("y", owner=None, identity_provider_mapping=mapping("v")),
    ]
    change = plan([desired("new", secret_store_config=SHARED, identity_provider_mapping=mapping("v"))], held)["new"]
    assert change.reason == (
        SYNCS.format("x") + STILL_HELD + "; it is mapped from identity provider acme:okta, claim value v, as y is: "
        "that external identity would resolve to either account; another account still holds it after this plan: "
        "give this one its own, or remove it from the other first"
    )


def test_a_blocked_write_keeps_the_reason_it_already_had() -> None:
    create = Change(Kind.VIRTUAL_ACCOUNT, "new", Action.CREATE, desired=manifest("new", secret_store_config=SHARED),
                    reason="asked for by the migration")  # fmt: skip
    [blocked] = guard_destinations([create], [live("x", owner=None, secret_store_config=SHARED)])
    assert blocked.reason == SYNCS.format("x") + STILL_HELD + "; asked for by the migration"


def test_a_blocked_update_keeps_its_earlier_and_its_new_warnings() -> None:
    held = [
        live("a", secret_store_config=SHARED),
        live("b", owner=None, secret_store_config=SHARED),
        live("c", owner=None, identity_provider_mapping=mapping("v")),
    ]
    wanted = desired("a", secret_store_config=SHARED, identity_provider_mapping=mapping("v"),
                     expiration_date="2026-12-01")  # fmt: skip
    change = make_changes([wanted], held, config(expiry_warning_days=30), options())[0]
    assert change.action == Action.BLOCKED
    assert change.warnings == (
        "the token expires in 9 days (2026-12-01)",
        SYNCS.format("b") + "overwrites the other's token (already so before this plan)",
    )


def test_a_warned_write_is_warned_once_when_another_write_is_blocked() -> None:
    held = [
        live("a", secret_store_config=SHARED, tags={"env": "x"}),
        live("b", owner=None, secret_store_config=SHARED),
        live("held", owner=None, secret_store_config={**STORE, "secret_path": "ci/taken"}),
    ]
    wanted = [
        desired("a", secret_store_config=SHARED, tags={"env": "y"}),
        desired("new", secret_store_config={**STORE, "secret_path": "ci/taken"}),
    ]
    changes = plan(wanted, held)
    assert changes["new"].action == Action.BLOCKED
    assert changes["a"].warnings == (SYNCS.format("b") + "overwrites the other's token (already so before this plan)",)


def test_a_secret_handed_over_by_two_deleted_accounts_names_both() -> None:
    held = [live("old-1", secret_store_config=SHARED), live("old-2", secret_store_config=SHARED)]
    change = plan([desired("new", secret_store_config=SHARED)], held, prune=True)["new"]
    assert change.action == Action.CREATE
    assert change.warnings == (
        "takes over secret store acme:aws:secrets-manager at ci/shared from old-1, old-2, which this plan deletes or "
        "moves elsewhere; deleting an account may leave, or remove, the secret it synced [I]: run drift after apply",
    )


def test_an_account_moving_onto_a_secret_a_create_wants_blocks_the_create() -> None:
    changes = plan([desired("mover", secret_store_config=SHARED), desired("new", secret_store_config=SHARED)],
                   [live("mover")])  # fmt: skip
    assert changes["new"].action == Action.BLOCKED
    assert changes["new"].reason == SYNCS.format("mover") + STILL_HELD


def test_two_creates_wanting_one_secret_are_both_blocked() -> None:
    changes = plan([desired("one", secret_store_config=SHARED), desired("two", secret_store_config=SHARED)], [])
    assert (changes["one"].action, changes["one"].reason) == (Action.BLOCKED, SYNCS.format("two") + STILL_HELD)
    assert (changes["two"].action, changes["two"].reason) == (Action.BLOCKED, SYNCS.format("one") + STILL_HELD)
