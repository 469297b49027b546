"""One destination, one account: token secrets and identity mappings, in Git, against live, in drift."""

from __future__ import annotations

from dataclasses import replace

from reconciler.domain.checks import check_resources
from reconciler.domain.destinations import Destination, DestinationKind, destinations_of
from reconciler.domain.drift import detect_drift
from reconciler.domain.planner import make_changes
from reconciler.domain.vocabulary import Action, DriftKind
from tests.unit.domain.builders import STORE, TODAY, config, desired, live, options

SHARED = {**STORE, "secret_path": "ci/shared"}
GROUP = {"type": "tfy-secrets", "secret_group": "acme:prod-secrets", "key": "BOT_TOKEN"}
OKTA = "acme:okta"


def mapping(value: str) -> list[dict[str, str]]:
    return [{"identity_provider": OKTA, "value": value}]


def test_each_kind_of_destination_is_read_with_the_path_that_names_it() -> None:
    assert destinations_of({"secret_store_config": {**STORE, "secret_path": "/ci/x"}}) == (
        (Destination(DestinationKind.SECRET_STORE, "acme:aws:secrets-manager", "ci/x"),
         ("secret_store_config", "secret_path")),
    )  # fmt: skip
    assert destinations_of({"secret_store_config": GROUP, "identity_provider_mapping": mapping("sa@acme.com")}) == (
        (Destination(DestinationKind.SECRET_GROUP, "acme:prod-secrets", "BOT_TOKEN"), ("secret_store_config", "key")),
        (Destination(DestinationKind.IDENTITY, OKTA, "sa@acme.com"), ("identity_provider_mapping", 0, "value")),
    )
    assert destinations_of({}) == ()
    assert destinations_of({"secret_store_config": {"type": "secret-store", "secret_path": 3}}) == ()


def test_two_accounts_in_git_with_one_secret_path_are_an_error_at_the_second_naming_the_first() -> None:
    one = replace(desired("one", secret_store_config=SHARED),
                  value_positions={("secret_store_config", "secret_path"): (5, 16)})  # fmt: skip
    two = replace(desired("two", secret_store_config={**SHARED, "secret_path": "/ci/shared"}),
                  value_positions={("secret_store_config", "secret_path"): (6, 16)})  # fmt: skip
    found = [(str(p.position), p.json_path, p.message) for p in check_resources([one, two], TODAY, config())]
    assert found == [
        ("accounts/two.yaml:6:16", "$.secret_store_config.secret_path",
         "its token syncs to secret store acme:aws:secrets-manager at ci/shared, as one's does: each rotation of one "
         "overwrites the other's token (accounts/one.yaml:5:16); give each account its own secret"),
    ]  # fmt: skip


def test_secret_groups_and_identity_mappings_are_unique_too() -> None:
    group = [desired("a", secret_store_config=GROUP), desired("b", secret_store_config=GROUP)]
    [problem] = check_resources(group, TODAY, config())
    assert problem.message.startswith("its token syncs to TrueFoundry secret group acme:prod-secrets, key BOT_TOKEN")
    idp = [desired("c", identity_provider_mapping=mapping("x")), desired("d", identity_provider_mapping=mapping("x"))]
    [problem] = check_resources(idp, TODAY, config())
    assert problem.message == (
        "it is mapped from identity provider acme:okta, claim value x, as c is: that external identity would "
        "resolve to either account (accounts/c.yaml:1:1); give each account its own mapping"
    )
    assert (
        str(problem.position) == "accounts/d.yaml:1:1" and problem.json_path == "$.identity_provider_mapping[0].value"
    )
    different = [
        desired("e", identity_provider_mapping=mapping("x")),
        desired("f", identity_provider_mapping=mapping("y")),
    ]
    assert check_resources(different, TODAY, config()) == []


def test_a_create_whose_secret_a_live_account_keeps_is_blocked() -> None:
    """The rename case: old-bot stays live (prune off), new-bot would sync to old-bot's secret."""
    rename = [desired("new-bot", secret_store_config=SHARED)], [live("old-bot", secret_store_config=SHARED)]
    changes = make_changes(*rename, config(), options())
    by_name = {c.name: c for c in changes}
    assert by_name["new-bot"].action == Action.BLOCKED
    assert by_name["new-bot"].reason == (
        "its token syncs to secret store acme:aws:secrets-manager at ci/shared, as old-bot's does: each rotation of "
        "one overwrites the other's token; another account still holds it after this plan: give this one its own, "
        "or remove it from the other first"
    )
    assert by_name["old-bot"].action == Action.NO_OP


def test_an_unmanaged_live_holder_blocks_as_well() -> None:
    [change] = [c for c in make_changes([desired("mine", secret_store_config=SHARED)],
                                        [live("clicked", owner=None, secret_store_config=SHARED)], config(), options())
                if c.name == "mine"]  # fmt: skip
    assert change.action == Action.BLOCKED


def test_a_rename_with_prune_hands_the_secret_over_and_says_so() -> None:
    rename = [desired("new-bot", secret_store_config=SHARED)], [live("old-bot", secret_store_config=SHARED)]
    changes = make_changes(*rename, config(prune=True), options())
    by_name = {c.name: c for c in changes}
    assert by_name["old-bot"].action == Action.DELETE
    assert by_name["new-bot"].action == Action.CREATE
    assert by_name["new-bot"].warnings == (
        "takes over secret store acme:aws:secrets-manager at ci/shared from old-bot, which this plan deletes or "
        "moves elsewhere; deleting an account may leave, or remove, the secret it synced [I]: run drift after apply",
    )


def test_a_holder_moving_away_hands_over_and_a_blocked_move_keeps_it() -> None:
    held = [live("mover", secret_store_config=SHARED), live("newcomer-free")]
    moving = [desired("mover", secret_store_config={**STORE, "secret_path": "ci/elsewhere"}),
              desired("taker", secret_store_config=SHARED)]  # fmt: skip
    by_name = {c.name: c for c in make_changes(moving, held, config(), options())}
    assert by_name["mover"].action == Action.UPDATE and by_name["taker"].action == Action.CREATE
    assert (
        by_name["taker"]
        .warnings[0]
        .startswith("takes over secret store acme:aws:secrets-manager at ci/shared from mover")
    )
    # the move itself is blocked (its new path is a third account's): the taker must wait, which is found on the
    # second pass
    held.append(live("third", secret_store_config={**STORE, "secret_path": "ci/elsewhere"}))
    by_name = {c.name: c for c in make_changes(moving, held, config(), options())}
    assert by_name["mover"].action == Action.BLOCKED and "as third's does" in by_name["mover"].reason
    assert by_name["taker"].action == Action.BLOCKED and "as mover's does" in by_name["taker"].reason


def test_an_update_already_sharing_its_secret_is_warned_not_blocked() -> None:
    held = [live("a", secret_store_config=SHARED, tags={"env": "x"}), live("b", owner=None, secret_store_config=SHARED)]
    [change] = [c for c in make_changes([desired("a", secret_store_config=SHARED, tags={"env": "y"})], held, config(),
                                        options()) if c.name == "a"]  # fmt: skip
    assert change.action == Action.UPDATE
    assert change.warnings == (
        "its token syncs to secret store acme:aws:secrets-manager at ci/shared, as b's does: each rotation of one "
        "overwrites the other's token (already so before this plan)",
    )


def test_drift_reports_each_owned_or_declared_account_sharing_a_destination() -> None:
    found = detect_drift(
        [desired("new-bot", secret_store_config=SHARED)],
        [live("new-bot", secret_store_config=SHARED), live("old-bot", secret_store_config=SHARED),
         live("x", owner=None, identity_provider_mapping=mapping("v")),
         live("y", owner=None, identity_provider_mapping=mapping("v"))],
        config(), TODAY,
    )  # fmt: skip
    shared = [(f.name, f.detail) for f in found if f.kind == DriftKind.SHARED_DESTINATION]
    tail = (": each rotation of one overwrites the other's token; give each account its own, or delete the one no "
            "longer used")  # fmt: skip
    assert shared == [
        ("new-bot", f"its token syncs to secret store acme:aws:secrets-manager at ci/shared, as old-bot's does{tail}"),
        ("old-bot", f"its token syncs to secret store acme:aws:secrets-manager at ci/shared, as new-bot's does{tail}"),
    ]  # x and y are nobody's here: not this repository's finding
