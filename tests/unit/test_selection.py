"""The one selection of manifest files (adapters/selection.py) on an in-memory tree, and the repository's
identity as the Git source derives it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.adapters.git_source import repository_identity
from reconciler.adapters.selection import Entry, Selected, literal_path, select
from reconciler.domain.config import RepositoryIdentity
from reconciler.domain.errors import UsageError


class Tree:
    """A tree as a mapping of paths to kinds; folders are implied by their children or named."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.entries = dict(entries)
        for path in list(entries):
            parts = path.split("/")
            for depth in range(1, len(parts)):
                self.entries.setdefault("/".join(parts[:depth]), Entry.DIRECTORY)

    def kind(self, path: str) -> Entry:
        return self.entries.get(path, Entry.MISSING)

    def children(self, folder: str) -> Iterator[tuple[str, Entry]]:
        for path, kind in self.entries.items():
            parent, _, name = path.rpartition("/")
            if (parent or ".") == folder:
                yield name, kind

    def missing(self, path: str) -> str:
        return f"{path}: missing"


F, D, L, S = Entry.FILE, Entry.DIRECTORY, Entry.SYMLINK, Entry.SUBMODULE


def test_the_rules() -> None:
    tree = Tree({
        "reconciler.yaml": F, "top.yaml": F, "notes.txt": F, ".hidden.yaml": F, ".github/ci.yml": F,
        "accounts/a.yaml": F, "accounts/b.yml": F, "accounts/c.YAML": F, "accounts/.d.yaml": F,
        "accounts/deep/e.yaml": F, "accounts/link.yaml": L, "accounts/link-dir": L, "accounts/shared": S,
        "accounts/empty": D,
    })  # fmt: skip
    assert select(tree, ["."]) == [
        Selected("accounts/a.yaml", F), Selected("accounts/b.yml", F), Selected("accounts/c.YAML", F),
        Selected("accounts/deep/e.yaml", F),
        Selected("accounts/link.yaml", L), Selected("accounts/shared", S), Selected("top.yaml", F),
    ]  # fmt: skip
    assert select(tree, ["accounts/", "./accounts/a.yaml", "notes.txt"]) == [
        Selected("accounts/a.yaml", F), Selected("accounts/b.yml", F), Selected("accounts/c.YAML", F),
        Selected("accounts/deep/e.yaml", F),
        Selected("accounts/link.yaml", L), Selected("accounts/shared", S), Selected("notes.txt", F),
    ]  # fmt: skip
    assert select(tree, ["accounts/link-dir/x.yaml"]) == [Selected("accounts/link-dir", L)]
    assert select(tree, ["accounts/shared/one.yaml"]) == [Selected("accounts/shared", S)]


@pytest.mark.parametrize("path", ["nowhere", "top.yaml/x", "accounts/*.yaml", ":(glob)accounts"])
def test_a_configured_path_is_literal_and_must_exist(path: str) -> None:
    with pytest.raises(UsageError, match="missing"):
        select(Tree({"accounts/a.yaml": F, "top.yaml": F}), [path])


@pytest.mark.parametrize("path", [".github", "accounts/.team", "./.x.yaml"])
def test_a_configured_hidden_path_is_refused(path: str) -> None:
    with pytest.raises(UsageError, match="names a hidden file or folder"):
        literal_path(path)


def test_the_identity_comes_from_origin_then_from_actions(tmp_path: Path) -> None:
    class Remote:
        def __init__(self, name: str, url: str) -> None:
            self.name, self.url = name, url

    class Repo:
        def __init__(self, *remotes: Remote) -> None:
            self.remotes = list(remotes)

    folder = tmp_path / "accounts"
    actions = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "Acme/Accounts",
        "GITHUB_SERVER_URL": "https://GHE.acme.io",
    }
    origin = Repo(Remote("upstream", "git@x.io:u/v.git"), Remote("origin", "git@gitlab.com:Team/Sub/Accounts.git"))
    assert repository_identity(origin, folder, {}) == RepositoryIdentity(
        "gitlab.com/team/sub/accounts", ("Sub/Accounts",), "accounts"
    )
    assert repository_identity(origin, folder, actions).canonical == "gitlab.com/team/sub/accounts"
    assert repository_identity(Repo(), folder, actions) == RepositoryIdentity(
        "ghe.acme.io/acme/accounts", ("accounts",), "accounts"
    )
    assert repository_identity(None, folder, {}) == RepositoryIdentity("", ("accounts",), "accounts")
    local = repository_identity(Repo(Remote("origin", "../upstream.git")), folder, {})
    assert local.canonical == f"file://{tmp_path}/upstream.git"
