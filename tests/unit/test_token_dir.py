"""The token directory is proven writable before any write is planned, and a failed token write fails that
account (with the way to recover it), never the run."""

from __future__ import annotations

import asyncio
import errno
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.adapters.token_dir import TokenDir
from reconciler.domain.errors import TokenSinkError
from reconciler.domain.executor import execute
from reconciler.domain.ownership import TOKEN_DELIVERY_TAG
from reconciler.domain.planner import make_changes
from reconciler.domain.values import Token
from reconciler.domain.vocabulary import Action, OutcomeStatus
from tests.unit.domain.builders import VA, config, desired, options
from tests.unit.domain.fakes import InMemoryControlPlane

BARE = {"secret_store_config": None}


def test_probe_creates_a_private_folder_and_leaves_nothing_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "tokens"
    TokenDir(folder).probe()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(folder.iterdir()) == []


def test_probe_refuses_a_folder_that_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(TokenSinkError) as refused:
        TokenDir(tmp_path / "afile" / "tokens").probe()
    assert str(refused.value) == (
        f"--token-dir {tmp_path}/afile/tokens cannot be written (Not a directory): one-time tokens of created "
        "accounts would be lost; make it a writable folder or pass another one"
    )


def test_a_token_is_written_whole_with_mode_0600_and_only_once(tmp_path: Path) -> None:
    sink = TokenDir(tmp_path / "t")
    where = sink.deliver("ci-bot", Token("tfy-secret-1"))
    assert where == f"{tmp_path}/t/ci-bot.token"
    assert Path(where).read_text() == "tfy-secret-1"
    assert stat.S_IMODE(Path(where).stat().st_mode) == 0o600
    assert sink.deliver("ci-bot", Token("tfy-secret-1")) == where  # the same token again: already delivered
    with pytest.raises(TokenSinkError, match="already holds a different token"):
        sink.deliver("ci-bot", Token("tfy-secret-2"))
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["ci-bot.token"]


def _full_disk(_descriptor: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_an_io_error_names_the_recovery_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", _full_disk)
    with pytest.raises(TokenSinkError) as failed:
        TokenDir(tmp_path / "t").deliver("ci-bot", Token("tfy-secret-1"))
    assert str(failed.value) == (
        f"the token could not be written to {tmp_path}/t/ci-bot.token (No space left on device); the account "
        "stays marked token-delivery pending: make the folder writable, then run `reconciler apply --token-dir "
        f"{tmp_path}/t` again to recover it"
    )
    assert "tfy-secret-1" not in str(failed.value)
    assert list((tmp_path / "t").iterdir()) == []


def test_a_failed_write_fails_that_account_only_and_the_next_run_recovers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    control, sink = InMemoryControlPlane(), TokenDir(tmp_path / "t")
    wanted = [desired("bare-bot", **BARE), desired("store-bot")]

    def run() -> list[tuple[str, Action, OutcomeStatus]]:
        changes = make_changes(wanted, control.snapshot(), config(), options(token_dir=True))
        outcomes = asyncio.run(execute(changes, control, sink))
        return [(o.name, o.action, o.status) for o in outcomes]

    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", _full_disk)
        assert run() == [
            ("bare-bot", Action.CREATE, OutcomeStatus.FAILED),
            ("store-bot", Action.CREATE, OutcomeStatus.APPLIED),
        ]
    assert control.records["bare-bot"].manifest["tags"][TOKEN_DELIVERY_TAG] == "pending"
    assert run() == [("bare-bot", Action.RECOVER_TOKEN, OutcomeStatus.APPLIED)]
    assert (tmp_path / "t" / "bare-bot.token").read_text() == control.records["bare-bot"].token


def test_an_unwritable_token_dir_blocks_what_needs_it_and_nothing_else() -> None:
    unwritable = replace(options(token_dir=True), unwritable_token_dir="--token-dir t cannot be written")
    changes = make_changes([desired("bare-bot", **BARE), desired("store-bot")], [], config(), unwritable)
    assert [(c.name, c.action, c.reason) for c in changes] == [
        ("bare-bot", Action.BLOCKED, "--token-dir t cannot be written"),
        ("store-bot", Action.CREATE, ""),
    ]
    assert all(c.kind == VA for c in changes)
