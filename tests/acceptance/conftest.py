"""Fixtures for the end-to-end tests: a served emulator and the reconciler CLI pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.test_plan_apply import Reconciler
from tests.conftest import commit_all, copy_example, git
from tests.emulator_process import ServedEmulator


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[ServedEmulator]:
    server = ServedEmulator(tmp_path / "cp.db")
    yield server
    server.stop()


@pytest.fixture
def reconciler(git_repo: Path, emulator: ServedEmulator, tmp_path: Path) -> Reconciler:
    return Reconciler(git_repo, emulator, tmp_path / "tokens")


@pytest.fixture
def example(git_repo: Path) -> Path:
    """A Git repository holding a copy of manifests-example (planned against the embedded control plane)."""
    copy_example(git_repo)
    git(git_repo, "remote", "add", "origin", "https://github.com/acme/accounts.git")
    commit_all(git_repo, "example")
    return git_repo
