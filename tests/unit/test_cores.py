"""Tasks shared between this process and forked workers (`adapters.cores.on_every_core`): every result comes back,
in order, exactly once, whatever happens to a worker."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reconciler.adapters.cores import on_every_core

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def _logged(log: Path, slow: float = 0.0):  # type: ignore[no-untyped-def]
    """A task that notes which process ran it (one line each, appended: both processes write the one file)."""

    def run(number: int) -> tuple[int, str]:
        time.sleep(slow)
        with log.open("a") as out:
            out.write(f"{os.getpid()} {number}\n")
        return number, f"result {number}"

    return run


def _runs(log: Path) -> list[tuple[int, int]]:
    return [(int(pid), int(number)) for pid, number in (line.split() for line in log.read_text().splitlines())]


def test_every_result_comes_back_in_order_each_task_run_once_on_both_processes(tmp_path: Path) -> None:
    log = tmp_path / "runs.txt"
    after: list[int] = []

    results = on_every_core(20, _logged(log, slow=0.02), 1, lambda: after.append(1))

    assert results == [(n, f"result {n}") for n in range(20)]
    runs = _runs(log)
    assert sorted(number for _, number in runs) == list(range(20))  # each once: none lost, none twice
    here = [number for pid, number in runs if pid == os.getpid()]
    assert here and len(here) < 20  # 20 tasks of 20 ms: the worker took some, this process too
    assert len(after) == len(here)  # after_each follows the tasks run here only


def test_a_worker_that_dies_loses_nothing_its_tasks_run_again_here(tmp_path: Path) -> None:
    log = tmp_path / "runs.txt"
    logged = _logged(log, slow=0.02)
    parent = os.getpid()

    def run(number: int) -> tuple[int, str]:
        result = logged(number)
        if os.getpid() != parent:
            os._exit(9)  # killed after its first task, before sending anything
        return result

    results = on_every_core(10, run, 1, lambda: None)

    assert results == [(n, f"result {n}") for n in range(10)]
    worker_ran = [number for pid, number in _runs(log) if pid != parent]
    assert len(worker_ran) == 1  # it did die, after one task, and that task ran here again
    assert [number for pid, number in _runs(log) if pid == parent].count(worker_ran[0]) == 1


def test_a_failing_task_fails_the_run_here_without_a_worker_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def run(number: int) -> int:
        time.sleep(0.01)
        if number == 7:
            raise ValueError("task 7 is broken")
        return number

    with pytest.raises(ValueError, match="task 7 is broken"):
        on_every_core(12, run, 1, lambda: None)
    assert capfd.readouterr().err == ""  # the worker that met task 7 (if one did) said nothing


def test_buffered_output_is_written_once_not_again_by_a_worker(capfd: pytest.CaptureFixture[str]) -> None:
    print("before the workers", end="")  # buffered, not yet written: a fork would copy it
    on_every_core(4, lambda number: number, 1, lambda: None)
    print()
    assert capfd.readouterr().out == "before the workers\n"


def test_no_workers_runs_everything_here(tmp_path: Path) -> None:
    log = tmp_path / "runs.txt"
    assert on_every_core(3, _logged(log), 0, lambda: None) == [(n, f"result {n}") for n in range(3)]
    assert {pid for pid, _ in _runs(log)} == {os.getpid()}
