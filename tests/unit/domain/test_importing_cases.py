"""`reconciler import`: key order inside lists, file paths, scope by team, shared bindings, legacy binding names,
live bindings as written, the configuration's scope, and the report's paths and configuration."""

from __future__ import annotations

from dataclasses import replace

from reconciler.domain.importing import ImportReport, KeyOrder, NotImported, Why, config_file, file_for
from reconciler.domain.resources import LiveResource
from reconciler.domain.scope import Scope
from tests.unit.domain.builders import RB, TAG
from tests.unit.domain.test_importing import SETTINGS, account, binding, imported

GRANT = {"resource_type": "workspace", "resource_fqn": "acme:platform", "role_id": "workspace-member"}


def test_objects_in_a_list_get_the_documented_key_order_and_other_items_stay_as_they_are() -> None:
    order = KeyOrder(("items",), {"items": KeyOrder(("a", "b"))})
    dropped: list[str] = []
    arranged = order.arrange({"items": [{"c": 3, "b": 2, "a": 1}, 5, "text"]}, "doc", dropped)
    assert arranged == {"items": [{"a": 1, "b": 2}, 5, "text"]}
    assert list(arranged["items"][0]) == ["a", "b"]  # type: ignore[index, arg-type]
    assert dropped == ["doc.items[].c"]


def test_an_empty_or_dot_folder_puts_files_at_the_root() -> None:
    assert file_for("", "ci-bot", None) == "ci-bot.yaml"
    assert file_for("", "ci-bot", "platform") == "platform/ci-bot.yaml"


def test_a_folder_is_written_without_its_surrounding_slashes_only() -> None:
    assert file_for("/accounts/", "ci-bot", None) == "accounts/ci-bot.yaml"
    assert file_for("teams/X", "ci-bot", None) == "teams/X/ci-bot.yaml"


def test_a_team_folder_loses_only_leading_dots_and_dashes() -> None:
    assert file_for("accounts", "ci-bot", "Xray") == "accounts/Xray/ci-bot.yaml"
    assert file_for("accounts", "ci-bot", "-.X-team") == "accounts/X-team/ci-bot.yaml"


def test_a_team_folder_is_cut_to_200_characters() -> None:
    assert file_for("accounts", "ci-bot", "t" * 250) == "accounts/" + "t" * 200 + "/ci-bot.yaml"


def test_the_repositorys_scope_judges_an_account_by_its_team() -> None:
    scoped = replace(SETTINGS, scope=Scope(teams=("platform",)))
    plan = imported(account("ci-a", ownedBy={"team": "platform"}), account("ci-b", ownedBy={"team": "data"}),
                    settings=scoped)  # fmt: skip
    assert [f.accounts for f in plan.files] == [("ci-a",)]
    assert plan.excluded == 1


def test_a_shared_binding_names_every_subject_the_repository_will_not_own() -> None:
    plan = imported(account("a-bot"), binding("mixed", [("virtualaccount", "a-bot"), ("team", "sre"), ("user", "jo")]))
    assert plan.skipped == (
        NotImported(RB, "mixed", Why.SHARED,
                    "also names team:sre, user:jo, which this repository will not own: it stays as it is"),
    )  # fmt: skip


def test_legacy_bindings_of_accounts_spelled_alike_get_distinct_names() -> None:
    plan = imported(account("ci-bot", permissions=[GRANT]), account("ci.bot", permissions=[GRANT]))
    assert [f.bindings for f in plan.files] == [("va-ci-bot",), ("va-ci-bot-2",)]
    assert [f.documents[1]["name"] for f in plan.files] == ["va-ci-bot", "va-ci-bot-2"]


def test_a_legacy_binding_field_the_documentation_does_not_know_is_reported_under_the_binding_name() -> None:
    undocumented = {**SETTINGS.orders, RB: KeyOrder(("type", "name", "subjects"))}
    plan = imported(account("ci-bot", permissions=[GRANT]), settings=replace(SETTINGS, orders=undocumented))
    assert plan.dropped == ("va-ci-bot.permissions",)
    assert plan.files[0].documents[1] == {
        "type": "role-binding",
        "name": "va-ci-bot",
        "subjects": [{"type": "virtualaccount", "name": "ci-bot"}],
    }


def test_a_live_binding_is_written_under_its_own_name_and_its_unknown_fields_reported_by_it() -> None:
    live = binding("pair", [("virtualaccount", "a-bot")])
    live = LiveResource(RB, live.id, live.name, {**live.manifest, "future": 1}, live.updated_at)
    plan = imported(account("a-bot"), live)
    assert plan.files[0].documents[1] == {
        "type": "role-binding",
        "name": "pair",
        "subjects": [{"type": "virtualaccount", "name": "a-bot"}],
        "permissions": [{"resourceType": "workspace", "resourceFqn": "c:w", "role": "workspace-viewer"}],
    }
    assert plan.dropped == ("pair.future",)


def test_a_live_binding_without_a_name_in_its_manifest_is_written_with_its_name() -> None:
    live = binding("pair", [("virtualaccount", "a-bot")])
    nameless = LiveResource(RB, live.id, "pair", {k: v for k, v in live.manifest.items() if k != "name"}, "t1")
    plan = imported(account("a-bot"), nameless)
    assert plan.files[0].documents[1]["name"] == "pair"
    assert list(plan.files[0].documents[1])[:2] == ["type", "name"]
    assert plan.dropped == ()


def test_a_selection_of_teams_only_is_the_configurations_scope() -> None:
    teams = replace(SETTINGS, selection=Scope(teams=("platform",)))
    assert config_file(teams, None, "#").documents[0]["scope"] == {"teams": ["platform"]}


def test_a_selection_of_names_only_is_the_configurations_scope() -> None:
    names = replace(SETTINGS, selection=Scope(include=("ci-*",)))
    assert config_file(names, None, "#").documents[0]["scope"] == {"include": ["ci-*"]}


def test_a_selection_that_only_excludes_writes_an_empty_scope() -> None:
    excluding = replace(SETTINGS, selection=Scope(exclude=("*-legacy",)))
    assert config_file(excluding, None, "#").documents[0]["scope"] == {}


def test_a_file_output_does_not_rename_is_shown_by_its_own_path() -> None:
    plan = imported(account("a-bot"))
    report = ImportReport(plan, "x", TAG, False, shown={"other.yaml": "repo/other.yaml"})
    assert report.shown_path(plan.files[0]) == "accounts/a-bot.yaml"
    assert report.to_data()["files"][0]["path"] == "accounts/a-bot.yaml"


def test_the_report_describes_the_configuration_it_wrote() -> None:
    plan = imported(account("a-bot"))
    config = config_file(SETTINGS, None, "#")
    report = ImportReport(plan, "x", TAG, True, config=config, shown={"reconciler.yaml": "repo/reconciler.yaml"})
    assert report.to_data()["config"] == {
        "path": "repo/reconciler.yaml",
        "accounts": [],
        "role_bindings": [],
        "written": False,
    }
    assert report.files == (plan.files[0], config)
