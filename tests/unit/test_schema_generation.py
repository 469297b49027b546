"""The committed JSON Schemas are what the documented manifest generates, and valid 2020-12."""

from __future__ import annotations

import json

import jsonschema
import pytest

from reconciler.app.schema import expected_artifacts, stale_artifacts
from reconciler.manifests.yaml_loader import load_trusted
from reconciler.schema.generate import build_manifest_schema, parse_annotations
from tests.conftest import REPO_ROOT


def test_committed_schemas_are_current() -> None:
    assert stale_artifacts(REPO_ROOT) == [], "run `reconciler schema generate`"


@pytest.mark.parametrize("path", sorted(expected_artifacts(REPO_ROOT)), ids=lambda p: p.name)
def test_each_schema_is_valid_2020_12(path: object) -> None:
    schema = json.loads(expected_artifacts(REPO_ROOT)[path])  # type: ignore[index]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_annotation_lines_parse_like_the_docs_mean_them() -> None:
    parsed = parse_annotations(
        '+label=Team Name +sort=2 +usage=The name of the team +uiProps={"optionTypes": ["teams"], "maxAllowedUsers": 1}'
    )
    assert parsed == {
        "label": "Team Name",
        "sort": "2",
        "usage": "The name of the team",
        "uiProps": '{"optionTypes": ["teams"], "maxAllowedUsers": 1}',
    }


def test_schema_covers_every_documented_field_and_variant() -> None:
    source = load_trusted((REPO_ROOT / "schemas/virtual-account.manifest.yaml").read_text("utf-8"))
    schema = build_manifest_schema(source)
    properties = schema["properties"]
    assert list(properties) == [
        "name", "type", "permissions", "expiration_date", "auto_rotate", "notification_target",
        "secret_store_config", "ownedBy", "tags", "identity_provider_mapping", "token_type",
    ]  # fmt: skip
    assert schema["required"] == ["name", "type"]
    assert schema["additionalProperties"] is False
    assert properties["name"]["title"] == "Name"
    assert properties["name"]["x-message"].startswith("3 to 36 lower case characters")
    assert properties["auto_rotate"]["properties"]["auto_rotate_interval"]["minimum"] == 30
    assert properties["auto_rotate"]["properties"]["grace_period"]["minimum"] == 1
    assert properties["auto_rotate"]["x-ui-props"] == {"disableEdit": True}
    assert properties["notification_target"]["properties"]["type"]["enum"] == [
        "email", "slack-webhook", "slack-bot", "pagerduty", "ms-teams-webhook",
    ]  # fmt: skip
    assert properties["secret_store_config"]["properties"]["type"]["enum"] == ["secret-store", "tfy-secrets"]
    assert "required" not in properties["secret_store_config"]  # the legacy untyped form
    assert properties["token_type"]["enum"] == ["jwt", "opaque"]
    assert properties["ownedBy"]["required"] == ["team"]
    assert set(schema["$defs"]) == {
        "notification_target.email", "notification_target.slack-webhook", "notification_target.slack-bot",
        "notification_target.pagerduty", "notification_target.ms-teams-webhook",
        "secret_store_config.secret-store", "secret_store_config.tfy-secrets",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("abc", True),
        ("a" * 36, True),
        ("a" * 37, False),
        ("ab", False),
        ("a-b", True),
        ("-ab", False),
        ("ab-", False),
        ("1ab", False),
        ("aBc", False),
        ("a_b", False),
        ("a1-2", True),
    ],
)
def test_name_rule(name: str, valid: bool) -> None:
    schema = json.loads((REPO_ROOT / "schemas/virtual-account.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"type": "virtual-account", "name": name}) is valid


def test_editors_get_the_documented_messages_defaults_and_examples() -> None:
    schema = json.loads((REPO_ROOT / "schemas/virtual-account.schema.json").read_text("utf-8"))
    properties = schema["properties"]
    documented = (
        "3 to 36 lower case characters long alphanumeric word, may contain - in between, cannot start with a number"
    )
    assert properties["name"]["patternErrorMessage"] == documented  # shown instead of "does not match pattern"
    assert properties["name"]["x-message"] == documented  # the documentation's text, kept verbatim
    expiry = properties["expiration_date"]
    assert expiry["errorMessage"] == "Expiration date of the virtual account: should be a date in the format yyyy-mm-dd"
    assert "tfy apply" in expiry["markdownDescription"] and expiry["examples"] == ["2027-01-31"]
    interval = properties["auto_rotate"]["properties"]["auto_rotate_interval"]
    assert interval["default"] == 360 and "Default: `360`" in interval["markdownDescription"]
    assert "errorMessage" not in properties["auto_rotate"]  # an object's +message is its usage, not an error


def test_the_config_schema_documents_the_defaults_the_code_applies() -> None:
    from reconciler.domain.config import RepoConfig

    schema = json.loads((REPO_ROOT / "schemas/reconciler-config.schema.json").read_text("utf-8"))
    properties, defaults = schema["properties"], RepoConfig()
    assert properties["paths"]["default"] == list(defaults.paths)
    assert properties["ownership"]["properties"]["tag_key"]["default"] == defaults.ownership.key
    assert properties["prune"]["properties"]["enabled"]["default"] is defaults.prune.enabled
    assert properties["prune"]["properties"]["max_deletes"]["default"] == defaults.prune.max_deletes
    assert properties["prune"]["properties"]["max_delete_percent"]["default"] == defaults.prune.max_delete_percent
    policy = properties["policy"]["properties"]
    assert policy["require_token_destination"]["default"] is defaults.policy.require_token_destination
    assert policy["denied_roles"]["default"] == list(defaults.policy.denied_roles)
    assert policy["expiry_warning_days"]["default"] == defaults.policy.expiry_warning_days
    assert "default" not in policy["max_expiry_days"] and defaults.policy.max_expiry_days is None
    assert properties["concurrency"]["default"] == defaults.concurrency
    for name in ("paths", "concurrency"):
        assert properties[name]["markdownDescription"]
    assert properties["paths"]["items"]["patternErrorMessage"]


def test_signature_fields_are_fields_of_their_kind_only() -> None:
    from reconciler.domain.documents import SIGNATURE_FIELDS
    from reconciler.schema import SCHEMA_FILES

    assert set(SIGNATURE_FIELDS) == set(SCHEMA_FILES)
    for kind, fields in SIGNATURE_FIELDS.items():
        schema = json.loads((REPO_ROOT / "schemas" / SCHEMA_FILES[kind]).read_text("utf-8"))
        assert fields <= set(schema["properties"]), kind
        assert fields.isdisjoint({"name", "type", "ownedBy", "tags"})


def test_published_urls_are_versioned_and_derive_from_the_project_url() -> None:
    from reconciler import PROJECT_URL, __version__
    from reconciler.schema import PUBLISHED_SCHEMAS, SCHEMA_BASE_URL, modeline, schema_url

    assert PROJECT_URL == "https://github.com/va-reconciler/va-reconciler"
    assert SCHEMA_BASE_URL == f"https://raw.githubusercontent.com/va-reconciler/va-reconciler/v{__version__}/schemas/"
    for name in PUBLISHED_SCHEMAS:
        assert (REPO_ROOT / "schemas" / name).is_file()  # the URL's path exists in the tagged tree
        assert schema_url(name) == SCHEMA_BASE_URL + name
    assert modeline() == f"# yaml-language-server: $schema={SCHEMA_BASE_URL}manifest.schema.json"
    assert modeline("virtual-account.schema.json").endswith("/schemas/virtual-account.schema.json")
    with pytest.raises(ValueError, match="not a published schema"):
        schema_url("nope.json")
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    assert SCHEMA_BASE_URL in readme
