"""Property: the working tree and a Git ref select exactly the same manifest files, by the same rules, on
generated trees (hidden files and folders, spaces, non-ASCII and pathspec-like names, nesting, symlinks to
files and to folders, files of other suffixes) and generated configured paths."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.adapters.git_source import GitRefSource, WorkTreeSource
from reconciler.domain.errors import UsageError
from reconciler.domain.ports import ManifestSource, SourceFile

NAMES = st.sampled_from(
    ["a", "b", ".hidden", ".b.yaml", "x.yaml", "y.yml", "z.txt", "with space", "é", "日本.yaml", "*", "[ab]",
     ":(glob)*", ":(exclude)a", "a.YAML", "accounts", "-dash.yaml"]
)  # fmt: skip
PATHS = st.lists(NAMES, min_size=1, max_size=3).map("/".join)
KINDS = st.sampled_from(["file", "file", "file", "link-file", "link-folder", "link-outside"])
TREES = st.dictionaries(PATHS, KINDS, min_size=1, max_size=12)
CONFIGURED = st.lists(st.one_of(PATHS, st.sampled_from([".", "./a", "a/", "a//x.yaml"])), min_size=1, max_size=3)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _build(root: Path, tree: dict[str, str]) -> None:
    for path, kind in sorted(tree.items()):
        target = root / path
        if any(parent.is_symlink() or parent.is_file() for parent in target.parents if root in parent.parents):
            continue  # a path below a file or a link cannot exist
        if target.exists() or target.is_symlink():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            target.write_bytes(f"name: {path}\n".encode())
        elif kind == "link-file":
            os.symlink("elsewhere.yaml", target)
        elif kind == "link-folder":
            os.symlink(".", target)
        else:
            os.symlink("/etc/passwd", target)


def _read(source: ManifestSource, paths: list[str]) -> list[SourceFile] | str:
    try:
        return list(source.files(paths))
    except UsageError:
        return "usage error"


def _read_listed(source: ManifestSource, paths: list[str]) -> list[SourceFile] | str:
    try:
        listed = source.readable(paths)
    except UsageError:
        return "usage error"
    assert listed is not None
    return [listed.read(index) for index in reversed(range(len(listed)))][::-1]  # any order: each on its own


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=TREES, configured=CONFIGURED, in_subfolder=st.booleans())
def test_the_work_tree_and_a_ref_select_the_same_files(
    tree: dict[str, str], configured: list[str], in_subfolder: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        _git(repo, "init", "-q")
        root = repo / "sub" if in_subfolder else repo
        root.mkdir(exist_ok=True)
        _build(root, tree)
        (repo / "keep").write_text("so that there is something to commit\n")
        _git(repo, "add", "-A")
        _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "tree")
        from_tree = _read(WorkTreeSource(root), configured)
        at_ref = _read(GitRefSource(root, "HEAD"), configured)
        assert from_tree == at_ref
        assert _read_listed(WorkTreeSource(root), configured) == from_tree  # as forked workers read them
