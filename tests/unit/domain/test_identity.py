"""The ownership identity: one canonical spelling per repository, unique across groups, none without a
remote; and what the planner does with a provisional or a former identity, or an incomplete read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.domain.config import (
    NO_REMOTE,
    OwnershipTag,
    RepositoryIdentity,
    canonical_remote,
    config_from_data,
    is_local_remote,
)
from reconciler.domain.planner import hold_deletes, make_changes
from reconciler.domain.vocabulary import Action
from tests.unit.domain.builders import config, desired, live, options


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:acme/accounts.git",
        "git@GitHub.com:Acme/Accounts.git",
        "ssh://git@github.com/acme/accounts",
        "ssh://git@github.com:22/acme/accounts.git/",
        "https://github.com/Acme/accounts",
        "https://x-access-token:ghs_secret@github.com/acme/accounts.git",
        "https://github.com//acme/accounts/",
    ],
)
def test_every_spelling_of_one_github_repository_is_one_identity(url: str) -> None:
    assert canonical_remote(url) == "github.com/acme/accounts"


def test_the_whole_path_counts_and_case_is_kept_where_the_host_may_care() -> None:
    a = canonical_remote("https://gitlab.example.com/teama/infra/accounts.git")
    b = canonical_remote("git@gitlab.example.com:teamb/infra/accounts.git")
    assert (a, b) == ("gitlab.example.com/teama/infra/accounts", "gitlab.example.com/teamb/infra/accounts")
    assert canonical_remote("https://Git.Example.com/Team/Repo") == "git.example.com/Team/Repo"
    assert canonical_remote("https://ghe.acme.io/Team/Repo", frozenset({"ghe.acme.io"})) == "ghe.acme.io/team/repo"
    # a path on this machine is taken as it is (a bare accounts.git and a folder accounts are two repositories)
    assert canonical_remote("/srv/git/accounts.git") == "file:///srv/git/accounts.git"
    assert canonical_remote("file:///srv/git/accounts.git/") == "file:///srv/git/accounts.git"


def test_local_remotes_are_told_from_network_ones() -> None:
    assert [is_local_remote(u) for u in ("/srv/a", "../a", "file:///srv/a")] == [True, True, True]
    assert [is_local_remote(u) for u in ("git@h:a/b", "https://h/a", "ssh://h/a")] == [False, False, False]


def test_the_default_tag_comes_from_the_identity_and_remembers_the_former_one() -> None:
    identity = RepositoryIdentity("github.com/acme/accounts", ("acme/accounts",), "accounts")
    ownership = config_from_data(None, identity).ownership
    assert ownership == OwnershipTag("managed-by", "va-reconciler:github.com/acme/accounts")
    assert ownership.former == ("va-reconciler:acme/accounts",)
    assert ownership.provisional == ""
    assert config_from_data({"ownership": {"tag_value": "mine"}}, identity).ownership.former == ()


def test_without_a_remote_the_tag_is_provisional() -> None:
    ownership = config_from_data(None, RepositoryIdentity("", ("accounts",), "accounts")).ownership
    assert ownership.value == "va-reconciler:accounts"
    assert ownership.provisional == NO_REMOTE


def _with(**changes: object) -> object:
    base = config(prune=True, adopt=("legacy-bot",))
    return replace(base, ownership=replace(base.ownership, **changes))


def test_a_provisional_identity_neither_prunes_nor_adopts() -> None:
    settings = _with(provisional=NO_REMOTE)
    changes = make_changes(
        [desired("mine"), desired("legacy-bot")],
        [live("mine"), live("gone"), live("legacy-bot", owner=None)],
        settings,  # type: ignore[arg-type]
        options(),
    )
    by_name = {c.name: (c.action, c.reason) for c in changes}
    assert by_name["gone"] == (Action.BLOCKED, f"not deleted: {NO_REMOTE}")
    assert by_name["legacy-bot"] == (Action.CONFLICT, f"legacy-bot is not ours to adopt: {NO_REMOTE}")
    assert by_name["mine"][0] == Action.NO_OP


def test_an_account_under_the_former_identity_is_named_with_the_migration_step() -> None:
    settings = _with(former=("va-reconciler:acme/old",))
    (change,) = make_changes([desired("moved")], [live("moved", owner="va-reconciler:acme/old")], settings, options())  # type: ignore[arg-type]
    assert change.action == Action.CONFLICT
    assert "carries managed-by=va-reconciler:acme/old, this repository's ownership identity before" in change.reason
    assert "set ownership.tag_value: va-reconciler:acme/old in reconciler.yaml" in change.reason


def test_an_incomplete_read_holds_every_delete_and_names_why() -> None:
    unread = replace(options(), unread=("a.yaml:1:1: cannot open", "b.yaml:1:1: x", "c.yaml:1:1: y", "d.yaml:1:1: z"))
    changes = make_changes([desired("kept")], [live("kept"), live("gone")], config(prune=True), unread)
    gone = next(c for c in changes if c.name == "gone")
    assert gone.action == Action.BLOCKED
    assert gone.reason == (
        "not deleted: the manifests were not all read (a.yaml:1:1: cannot open; b.yaml:1:1: x; c.yaml:1:1: y "
        "and 1 more)"
    )
    assert hold_deletes(changes, ("", "")) == changes
