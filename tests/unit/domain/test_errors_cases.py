"""errors.py: the exit code of a usage error, with and without --detailed-exitcode."""

from __future__ import annotations

from reconciler.domain.errors import usage_exit_code


def test_a_usage_error_exits_2_like_click_and_posix_tools() -> None:
    assert usage_exit_code(False) == 2


def test_under_detailed_exitcode_a_usage_error_exits_1_so_it_never_reads_as_changes() -> None:
    assert usage_exit_code(True) == 1
