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
