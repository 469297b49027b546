"""The pure mapping of `reconciler import`: live resources -> files (paths, documents, key order, header),
what is left out and why. Expected documents are written out by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.domain.config import OwnershipTag
from reconciler.domain.importing import (
    ImportPlan,
    ImportReport,
    ImportSettings,
    KeyOrder,
    NotImported,
    Why,
    config_file,
    file_for,
    header,
    plan_import,
)
from reconciler.domain.kinds import ROLE_BINDINGS, VIRTUAL_ACCOUNTS
from reconciler.domain.resources import LiveResource
from reconciler.domain.scope import Scope
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Kind
from tests.unit.domain.builders import RB, TAG, VA, desired, desired_binding

ACCOUNT_ORDER = KeyOrder(
    ("name", "type", "permissions", "expiration_date", "auto_rotate", "secret_store_config", "ownedBy", "tags"),
    {
        "auto_rotate": KeyOrder(("auto_rotate_interval", "grace_period")),
        "secret_store_config": KeyOrder(("type", "integration_fqn", "secret_path")),
        "ownedBy": KeyOrder(("team", "account")),
        "tags": KeyOrder(open=True),
        "permissions": KeyOrder(("resource_fqn", "resource_type", "role_id")),
    },
)
BINDING_ORDER = KeyOrder(
    ("type", "name", "subjects", "permissions"),
    {"subjects": KeyOrder(("type", "name")), "permissions": KeyOrder(("resourceType", "resourceFqn", "role"))},
)
SETTINGS = ImportSettings(
    tag=TAG,
    folder="accounts",
    orders={VA: ACCOUNT_ORDER, RB: BINDING_ORDER},
    modeline="# yaml-language-server: $schema=https://example.com/manifest.schema.json",
    source="https://acme.truefoundry.cloud",
    imported_at="2026-11-30 09:15 UTC",
)
HEADER = (
    "# yaml-language-server: $schema=https://example.com/manifest.schema.json",
    "# Imported by `reconciler import` from https://acme.truefoundry.cloud on 2026-11-30 09:15 UTC.",
)
STORE = {"secret_path": "ci/bot", "type": "secret-store", "integration_fqn": "acme:aws:secrets-manager"}


def account(name: str, **fields: Any) -> LiveResource:
    """As the control plane lists it: keys in its own (alphabetical) order, type included."""
    manifest = {"name": name, "type": "virtual-account", **fields}
    return LiveResource(VA, f"id-{name}", name, dict(sorted(manifest.items())), "t1")


def binding(name: str, subjects: list[tuple[str, str]], role: str = "workspace-viewer") -> LiveResource:
    manifest = {
        "name": name,
        "permissions": [{"resourceFqn": "c:w", "resourceType": "workspace", "role": role}],
        "subjects": [{"name": n, "type": t} for t, n in subjects],
        "type": "role-binding",
    }
    return LiveResource(RB, f"rb-{name}", name, manifest, "t1")


def imported(*live: LiveResource, in_git: list[Any] | None = None, existing: frozenset[str] = frozenset(),
             settings: ImportSettings = SETTINGS) -> ImportPlan:  # fmt: skip
    return plan_import(list(live), in_git or [], existing, settings)


def test_one_file_per_account_in_its_teams_folder_keys_in_the_documented_order() -> None:
    live = account(
        "ci-bot",
        auto_rotate={"grace_period": 7, "auto_rotate_interval": 90},
        expiration_date="2027-06-30",
        ownedBy={"account": "acme", "team": "platform"},
        secret_store_config=STORE,
        tags={"env": "prod"},
    )
    plan = imported(live)
    assert len(plan.files) == 1
    file = plan.files[0]
    assert (file.path, file.header, file.accounts, file.bindings) == (
        "accounts/platform/ci-bot.yaml", HEADER, ("ci-bot",), ()
    )  # fmt: skip
    (document,) = file.documents
    assert list(document.items()) == [
        ("name", "ci-bot"),
        ("type", "virtual-account"),
        ("expiration_date", "2027-06-30"),
        ("auto_rotate", {"auto_rotate_interval": 90, "grace_period": 7}),
        ("secret_store_config", {"type": "secret-store", "integration_fqn": "acme:aws:secrets-manager",
                                 "secret_path": "ci/bot"}),
        ("ownedBy", {"team": "platform", "account": "acme"}),
        ("tags", {"env": "prod", "managed-by": "va-reconciler:acme/accounts"}),
    ]  # fmt: skip
    assert list(document["auto_rotate"]) == ["auto_rotate_interval", "grace_period"]  # type: ignore[arg-type]
    assert list(document["ownedBy"]) == ["team", "account"]  # type: ignore[arg-type]
    assert (plan.skipped, plan.dropped, plan.excluded, plan.accounts, plan.bindings) == ((), (), 0, 1, 0)


def test_server_defaults_bookkeeping_and_nulls_are_left_out() -> None:
    live = account(
        "rotating-bot",
        auto_rotate={"auto_rotate_interval": 360, "grace_period": 30},
        expiration_date=None,
        tags={"va-reconciler-token-delivery": "pending"},
    )
    (document,) = imported(live).files[0].documents
    assert document == {"name": "rotating-bot", "type": "virtual-account", "auto_rotate": {},
                        "tags": {TAG.key: TAG.value}}  # fmt: skip
    half = imported(account("half-bot", auto_rotate={"auto_rotate_interval": 360, "grace_period": 5}))
    assert half.files[0].documents[0]["auto_rotate"] == {"grace_period": 5}
    assert imported(account("plain-bot")).files[0].path == "accounts/plain-bot.yaml"  # no team, no folder


def test_deprecated_permissions_become_a_binding_after_the_account() -> None:
    grants = [
        {"resource_type": "workspace", "role_id": "workspace-member", "resource_fqn": "acme-prod-cluster:platform"},
        {"resource_type": "cluster", "role_id": "cluster-viewer", "resource_fqn": "acme-prod-cluster"},
    ]
    plan = imported(account("ci-bot", permissions=grants), binding("va-other", [("virtualaccount", "other")]))
    file = plan.files[0]
    assert file.bindings == ("va-ci-bot",)
    account_document, binding_document = file.documents
    assert "permissions" not in account_document
    assert list(binding_document.items()) == [
        ("type", "role-binding"),
        ("name", "va-ci-bot"),
        ("subjects", [{"type": "virtualaccount", "name": "ci-bot"}]),
        ("permissions", [
            {"resourceType": "workspace", "resourceFqn": "acme-prod-cluster:platform", "role": "workspace-member"},
            {"resourceType": "cluster", "resourceFqn": "acme-prod-cluster", "role": "cluster-viewer"},
        ]),
    ]  # fmt: skip
    taken = imported(account("ci-bot", permissions=grants), binding("va-ci-bot", [("virtualaccount", "x")]))
    assert taken.files[0].bindings == ("va-ci-bot-2",)  # the live name is someone else's
    empty = imported(account("ci-bot", permissions=[]))
    assert empty.files[0].bindings == () and "permissions" not in empty.files[0].documents[0]


def test_bindings_follow_the_first_account_they_name_and_shared_ones_stay_out() -> None:
    plan = imported(
        account("a-bot"),
        account("b-bot"),
        binding("both", [("virtualaccount", "b-bot"), ("virtualaccount", "a-bot")]),
        binding("b-only", [("virtualaccount", "b-bot")]),
        binding("with-team", [("virtualaccount", "a-bot"), ("team", "platform")]),
        binding("with-stranger", [("virtualaccount", "b-bot"), ("virtualaccount", "stranger")]),
        binding("unrelated", [("virtualaccount", "stranger")]),
    )
    assert {f.path: f.bindings for f in plan.files} == {"accounts/a-bot.yaml": ("both",),
                                                        "accounts/b-bot.yaml": ("b-only",)}  # fmt: skip
    assert list(plan.files[0].documents[1]["subjects"]) == [  # type: ignore[arg-type]
        {"type": "virtualaccount", "name": "b-bot"},
        {"type": "virtualaccount", "name": "a-bot"},
    ]  # the live order, each subject's keys in the documented order
    assert plan.skipped == (
        NotImported(RB, "with-stranger", Why.SHARED,
                    "also names virtualaccount:stranger, which this repository will not own: it stays as it is"),
        NotImported(RB, "with-team", Why.SHARED,
                    "also names team:platform, which this repository will not own: it stays as it is"),
    )  # fmt: skip


def test_accounts_git_defines_count_as_owned_for_bindings_and_are_not_imported_again() -> None:
    in_git = [desired("old-bot"), desired_binding("declared", ["new-bot"], [("workspace-viewer", "workspace", "c:w")])]
    plan = imported(
        account("old-bot"),
        account("new-bot"),
        binding("pair", [("virtualaccount", "new-bot"), ("virtualaccount", "old-bot")]),
        binding("declared", [("virtualaccount", "new-bot")]),
        in_git=in_git,
    )
    assert [(f.path, f.bindings) for f in plan.files] == [("accounts/new-bot.yaml", ("pair",))]
    assert plan.skipped == (
        NotImported(VA, "old-bot", Why.IN_GIT, "already defined in Git"),
        NotImported(RB, "declared", Why.IN_GIT, "already defined in Git"),
    )


def test_another_repositorys_accounts_existing_files_and_unsafe_names_are_left_out() -> None:
    former = replace(SETTINGS, tag=OwnershipTag(TAG.key, TAG.value, former=("va-reconciler:old",)))
    plan = imported(
        account("theirs", tags={TAG.key: "va-reconciler:acme/other"}),
        account("ours", tags={TAG.key: TAG.value, "env": "prod"}),
        account("renamed", tags={TAG.key: "va-reconciler:old"}),
        account("kept", ownedBy={"team": "sre"}),
        account("Bad/Name"),
        existing=frozenset({"accounts/sre/kept.yaml"}),
        settings=former,
    )
    assert [f.accounts for f in plan.files] == [("ours",), ("renamed",)]
    assert plan.files[0].documents[0]["tags"] == {"env": "prod", TAG.key: TAG.value}
    assert plan.files[1].documents[0]["tags"] == {TAG.key: TAG.value}  # this repository's, before the rule changed
    assert plan.skipped == (
        NotImported(VA, "Bad/Name", Why.UNSAFE_NAME, "its name cannot be a file name"),
        NotImported(VA, "kept", Why.FILE_EXISTS, "accounts/sre/kept.yaml exists (import never overwrites a file)"),
        NotImported(VA, "theirs", Why.OWNED_ELSEWHERE,
                    "owned by another repository (managed-by=va-reconciler:acme/other)"),
    )  # fmt: skip


def test_the_selection_and_the_scope_both_choose() -> None:
    live = [
        account("ci-a", ownedBy={"team": "platform"}),
        account("ci-b", ownedBy={"team": "data"}),
        account("ml-a", ownedBy={"team": "platform"}),
        account("ci-legacy", ownedBy={"team": "platform"}),
    ]
    selected = replace(SETTINGS, selection=Scope(include=("ci-*",), teams=("platform",)))
    plan = imported(*live, settings=selected)
    assert [f.accounts for f in plan.files] == [("ci-a",), ("ci-legacy",)] and plan.excluded == 2
    scoped = replace(selected, scope=Scope(exclude=("*-legacy",)))
    plan = imported(*live, settings=scoped)
    assert [f.accounts for f in plan.files] == [("ci-a",)] and plan.excluded == 3


def test_fields_the_documentation_does_not_know_are_reported_not_written() -> None:
    live = account("new-bot", future_field=1, secret_store_config={**STORE, "rotation": "x"})
    (document,) = imported(live).files[0].documents
    assert "future_field" not in document and "rotation" not in document["secret_store_config"]  # type: ignore[operator]
    assert imported(live).dropped == ("new-bot.secret_store_config.rotation", "new-bot.future_field")


def test_paths_spell_teams_as_folders_that_every_reader_reads() -> None:
    assert file_for("accounts", "ci-bot", "platform") == "accounts/platform/ci-bot.yaml"
    assert file_for(".", "ci-bot", None) == "ci-bot.yaml"
    assert file_for("teams/accounts", "ci-bot", "Data Science") == "teams/accounts/Data-Science/ci-bot.yaml"
    assert file_for("accounts", "ci-bot", "../..") == "accounts/ci-bot.yaml"  # nothing left of it
    assert file_for("accounts", "ci-bot", ".hidden") == "accounts/hidden/ci-bot.yaml"  # a dot-folder is never read


def test_header_and_the_configuration_of_a_new_repository() -> None:
    assert header(SETTINGS) == HEADER
    selected = replace(SETTINGS, selection=Scope(include=("ci-*",), teams=("platform",)))
    config = config_file(selected, ("accounts",), "# yaml-language-server: $schema=config.json")
    assert config.path == "reconciler.yaml"
    assert config.header == (
        "# yaml-language-server: $schema=config.json",
        "# Written by `reconciler import` from https://acme.truefoundry.cloud on 2026-11-30 09:15 UTC. The imported",
        "# manifests carry ownership.tag_value in their tags: that is how this repository adopts them.",
    )
    assert config.documents == ({
        "version": 1,
        "paths": ["accounts"],
        "ownership": {"tag_key": "managed-by", "tag_value": "va-reconciler:acme/accounts"},
        "scope": {"include": ["ci-*"], "teams": ["platform"]},
    },)  # fmt: skip
    assert "scope" not in config_file(SETTINGS, None, "#").documents[0]
    assert "paths" not in config_file(SETTINGS, None, "#").documents[0]


def test_the_report_as_data() -> None:
    plan = imported(account("a-bot"), account("theirs", tags={TAG.key: "x"}))
    problem = Problem(Position("repo/accounts/a-bot.yaml", 3, 7), "bad")
    report = ImportReport(plan, "https://acme.truefoundry.cloud", TAG, False,
                          shown={"accounts/a-bot.yaml": "repo/accounts/a-bot.yaml"}, problems=(problem,))  # fmt: skip
    assert report.to_data() == {
        "version": 1,
        "dry_run": False,
        "control_plane": "https://acme.truefoundry.cloud",
        "ownership": {"key": "managed-by", "value": "va-reconciler:acme/accounts"},
        "config": None,
        "files": [{"path": "repo/accounts/a-bot.yaml", "accounts": ["a-bot"], "role_bindings": [], "written": True}],
        "skipped": [{"kind": "virtual-account", "name": "theirs", "reason": "owned-elsewhere",
                     "detail": "owned by another repository (managed-by=x)"}],
        "excluded": 0,
        "dropped": [],
        "problems": [{"file": "repo/accounts/a-bot.yaml", "line": 3, "col": 7, "severity": "error",
                      "message": "bad", "path": ""}],
    }  # fmt: skip
    assert report.errors == (problem,)
    unwritten = ImportReport(plan, "x", TAG, False, not_written=frozenset({"accounts/a-bot.yaml"}))
    assert not unwritten.written(plan.files[0])
    assert not ImportReport(plan, "x", TAG, True).written(plan.files[0])  # a dry run writes nothing


# -- declared: what a person writes, and what the server holds, compare equal ---------------------------------

_text = st.text(alphabet="abcdefghij-:/", min_size=1, max_size=12)
_rotation = st.fixed_dictionaries(
    {}, optional={"auto_rotate_interval": st.sampled_from([30, 90, 360, 400]),
                  "grace_period": st.sampled_from([1, 7, 30])}
)  # fmt: skip
_manifests = st.fixed_dictionaries(
    {"name": _text},
    optional={
        "type": st.just("virtual-account"),
        "auto_rotate": _rotation,
        "expiration_date": st.none() | st.just("2027-01-01"),
        "tags": st.dictionaries(st.sampled_from(["env", "va-reconciler-token-delivery", "managed-by"]), _text),
        "secret_store_config": st.fixed_dictionaries({"integration_fqn": _text, "secret_path": _text},
                                                     optional={"type": st.just("secret-store")}),
        "token_type": st.sampled_from(["jwt", "opaque"]),
        "ownedBy": st.fixed_dictionaries({"team": _text}, optional={"account": st.none() | _text}),
    },
)  # fmt: skip


@given(_manifests)
def test_a_declared_manifest_means_what_the_server_holds(manifest: dict[str, Any]) -> None:
    declared = VIRTUAL_ACCOUNTS.declared(manifest)
    assert declared["type"] == "virtual-account"
    unset = {k: v for k, v in manifest.items() if v is not None}
    if "ownedBy" in unset:
        unset["ownedBy"] = {k: v for k, v in unset["ownedBy"].items() if v is not None}
    assert VIRTUAL_ACCOUNTS.normalize(declared) == VIRTUAL_ACCOUNTS.normalize(unset)
    rotation = declared.get("auto_rotate")
    assert not isinstance(rotation, dict) or (
        rotation.get("auto_rotate_interval") != 360 and rotation.get("grace_period") != 30
    )
    assert "va-reconciler-token-delivery" not in (declared.get("tags") or {})  # type: ignore[operator]


def test_a_declared_binding_is_the_binding() -> None:
    manifest = {"name": "b", "subjects": [{"type": "virtualaccount", "name": "x"}], "permissions": []}
    assert ROLE_BINDINGS.declared(manifest) == {**manifest, "type": "role-binding"}
    assert Kind.ROLE_BINDING == ROLE_BINDINGS.kind
