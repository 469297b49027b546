"""config.py: the canonical remote of a local path, the default ownership tag, and reconciler.yaml's apply:."""

from __future__ import annotations

from reconciler.domain.config import (
    NO_REMOTE,
    OwnershipTag,
    RepositoryIdentity,
    canonical_remote,
    config_from_data,
    ownership_from,
)

GITHUB = "github.com/acme/accounts"


def test_a_file_url_naming_localhost_is_a_local_path() -> None:
    assert canonical_remote("file://localhost/srv/git/accounts.git") == "file:///srv/git/accounts.git"


def test_a_local_path_keeps_a_hash_sign_in_a_folder_name() -> None:
    assert canonical_remote("/srv/git/team#1/accounts.git") == "file:///srv/git/team#1/accounts.git"


def test_a_local_path_keeps_a_leading_x_in_a_folder_name() -> None:
    assert canonical_remote("/Xfiles/accounts-X/") == "file:///Xfiles/accounts-X"


def test_former_identities_equal_to_the_canonical_one_or_empty_are_not_former_values() -> None:
    identity = RepositoryIdentity(GITHUB, former=(GITHUB, "", "acme/accounts"))
    tag = ownership_from("managed-by", None, identity)
    assert tag == OwnershipTag("managed-by", f"va-reconciler:{GITHUB}")
    assert tag.former == ("va-reconciler:acme/accounts",)
    assert tag.provisional == ""


def test_without_a_remote_the_tag_is_the_folder_name_provisional_and_keeps_former_values() -> None:
    identity = RepositoryIdentity("", former=("acme/accounts",), folder="accounts")
    tag = ownership_from("owner", None, identity)
    assert tag.key == "owner"
    assert tag.value == "va-reconciler:accounts"
    assert tag.provisional == NO_REMOTE
    assert tag.former == ("va-reconciler:acme/accounts",)


def test_apply_branch_is_read_from_reconciler_yaml() -> None:
    assert config_from_data({"apply": {"branch": "release"}}, GITHUB).apply_branch == "release"
    assert config_from_data({"apply": {}}, GITHUB).apply_branch is None
    assert config_from_data(None, GITHUB).apply_branch is None
