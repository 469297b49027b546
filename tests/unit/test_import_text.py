"""What `reconciler import` writes, as text: the documented key order read from the published schemas, and files
that read back as exactly the values written, by our strict loader and by TrueFoundry's (PyYAML, YAML 1.1)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifests.yaml_loader import load_documents
from reconciler.manifests.yaml_writer import manifest_text
from reconciler.schema import packaged_schema
from reconciler.schema.order import documented_order


def test_the_documented_order_comes_from_the_published_schemas() -> None:
    account = documented_order(packaged_schema("virtual-account.schema.json"))
    assert account.keys == (
        "name", "type", "permissions", "expiration_date", "auto_rotate", "notification_target", "secret_store_config",
        "ownedBy", "tags", "identity_provider_mapping", "token_type",
    )  # fmt: skip
    assert account.inner["permissions"].keys == ("resource_fqn", "resource_type", "role_id")
    assert account.inner["auto_rotate"].keys == ("auto_rotate_interval", "grace_period")
    assert account.inner["notification_target"].keys == ("type", "notification_channel", "to_emails", "channels")
    assert account.inner["secret_store_config"].keys == (
        "type", "integration_fqn", "secret_path", "secret_group", "key"
    )  # fmt: skip
    assert account.inner["ownedBy"].keys == ("team", "account")
    assert account.inner["tags"].open
    assert account.inner["identity_provider_mapping"].keys == ("identity_provider", "value")
    binding = documented_order(packaged_schema("role-binding.schema.json"))
    assert binding.keys == ("type", "name", "subjects", "permissions")
    assert binding.inner["subjects"].keys == ("type", "name")
    assert binding.inner["permissions"].keys == ("resourceType", "resourceFqn", "role")


def test_a_file_is_the_header_then_the_documents() -> None:
    text = manifest_text(
        ["# yaml-language-server: $schema=x.json", "# Imported."],
        [{"name": "ci-bot", "type": "virtual-account", "expiration_date": "2027-01-31", "tags": {"tier": "1"}},
         {"type": "role-binding", "name": "va-ci-bot", "subjects": [{"type": "virtualaccount", "name": "ci-bot"}]}],
    )  # fmt: skip
    assert text == (
        "# yaml-language-server: $schema=x.json\n"
        "# Imported.\n"
        "name: ci-bot\n"
        "type: virtual-account\n"
        "expiration_date: '2027-01-31'\n"
        "tags:\n"
        "  tier: '1'\n"
        "---\n"
        "type: role-binding\n"
        "name: va-ci-bot\n"
        "subjects:\n"
        "- type: virtualaccount\n"
        "  name: ci-bot\n"
    )


# Strings YAML readers like to retype, or that need quoting for other reasons, and ordinary ones.
_TRICKY = st.sampled_from([
    "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "true", "False", "", " ", "0755", "0o17", "0x1F", "1_000",
    "1:30", "1.10", "1e3", ".5", ".inf", "-.NaN", "2027-01-31", "2027-01-31T10:00:00Z", "=", "<<", "- x", "? x",
    "a: b", "a #b", "#x", "@x", "`x", "!tag", "&a", "*a", "|", ">", "'q'", '"q"', "%x", "{a}", "[a]", "a,b",
    "multi\nline", "trailing ", " leading", "tab\there", "é", "日本", "x" * 300, "acme:aws:parameter-store:prod",
])  # fmt: skip
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn")), max_size=20)
_SCALAR = _TRICKY | _TEXT | st.integers(-(2**53) + 1, 2**53 - 1) | st.booleans()
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY | _TEXT, inner, max_size=3),
    max_leaves=12,
)
_DOCUMENT = st.dictionaries(_TRICKY | _TEXT, _VALUE, min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DOCUMENT, min_size=1, max_size=3))
def test_what_is_written_reads_back_as_written_by_both_readers(documents: list[dict[str, Any]]) -> None:
    text = manifest_text(["# header"], documents)
    loaded = load_documents(text.encode("utf-8"), "x.yaml")
    assert not loaded.problems, loaded.problems
    assert [d.value for d in loaded.documents] == documents
    assert all(d.clean and not d.retyped for d in loaded.documents)  # no "tfy apply reads it as ..." warning
    assert list(yaml.safe_load_all(text)) == documents  # TrueFoundry's CLI reads the same values
    assert text.startswith("# header\n")
