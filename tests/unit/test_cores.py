"""Tasks shared between this process and forked workers (`adapters.cores.on_every_core`): every result comes back,
in order, exactly once, whatever happens to a worker."""

from __future__ import annotations

import multiprocessing.context
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reconciler.adapters import cores as cores_module
from reconciler.adapters.cores import cores, on_every_core

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def _logged(log: Path, wait_for_worker: bool = False):  # type: ignore[no-untyped-def]
    """A task that notes which process ran it (one line each, appended: both processes write the one file).
    `wait_for_worker`: this process's first task waits (up to 20 s) until a worker has noted one, so that both
    surely run some, however loaded the machine."""
    parent = os.getpid()

    def run(number: int) -> tuple[int, str]:
        if wait_for_worker and os.getpid() == parent:
            _wait_for_another_process(log, parent)
        with log.open("a") as out:
            out.write(f"{os.getpid()} {number}\n")
        return number, f"result {number}"

    return run


def _wait_for_another_process(log: Path, parent: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if log.exists() and any(pid != parent for pid, _ in _runs(log)):
            return
        time.sleep(0.01)


def _runs(log: Path) -> list[tuple[int, int]]:
    return [(int(pid), int(number)) for pid, number in (line.split() for line in log.read_text().splitlines())]


def test_every_result_comes_back_in_order_each_task_run_once_on_both_processes(tmp_path: Path) -> None:
    log = tmp_path / "runs.txt"
    after: list[int] = []

    results = on_every_core(20, _logged(log, wait_for_worker=True), 1, lambda: after.append(1))

    assert results == [(n, f"result {n}") for n in range(20)]
    runs = _runs(log)
    assert sorted(number for _, number in runs) == list(range(20))  # each once: none lost, none twice
    here = [number for pid, number in runs if pid == os.getpid()]
    assert here and len(here) < 20  # the worker took some, this process too
    assert len(after) == len(here)  # after_each follows the tasks run here only


def test_a_worker_that_dies_loses_nothing_what_it_finished_stands_the_rest_runs_here(tmp_path: Path) -> None:
    log = tmp_path / "runs.txt"
    logged = _logged(log, wait_for_worker=True)
    parent = os.getpid()
    finished_in_worker: list[int] = []  # the worker's copy counts its own tasks

    def run(number: int) -> tuple[int, str]:
        result = logged(number)
        if os.getpid() != parent:
            if finished_in_worker:
                os._exit(9)  # killed in its second task, before that task's result is spooled
            finished_in_worker.append(number)
        return result

    results = on_every_core(10, run, 1, lambda: None)

    assert results == [(n, f"result {n}") for n in range(10)]
    first, second = [number for pid, number in _runs(log) if pid != parent]  # it did die, in its second task
    here = [number for pid, number in _runs(log) if pid == parent]
    assert first not in here  # its first result came back: not run again
    assert here.count(second) == 1  # the task it died in ran here, once
    assert sorted([first, *here]) == list(range(10))


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


def test_without_a_fork_every_task_runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process limit (EAGAIN from fork) is not an error of the run: this process does the work."""

    def no_fork(self: multiprocessing.context.ForkProcess) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", no_fork)
    log = tmp_path / "runs.txt"
    assert on_every_core(6, _logged(log), 2, lambda: None) == [(n, f"result {n}") for n in range(6)]
    assert sorted(_runs(log)) == [(os.getpid(), n) for n in range(6)]


def test_without_shared_memory_every_task_runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No writable /dev/shm (some sandboxes, `docker --ipc=none`): no counter, so no worker."""

    def no_shared_memory(self: multiprocessing.context.ForkContext, *args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", "/dev/shm")

    monkeypatch.setattr(multiprocessing.context.ForkContext, "Value", no_shared_memory, raising=False)
    log = tmp_path / "runs.txt"
    assert on_every_core(4, _logged(log), 1, lambda: None) == [(n, f"result {n}") for n in range(4)]
    assert sorted(_runs(log)) == [(os.getpid(), n) for n in range(4)]


def test_a_worker_ends_when_the_process_that_forked_it_is_killed(tmp_path: Path) -> None:
    """Killed from outside (SIGKILL, the OOM killer), the parent never collects: its worker must still end
    (it spools its results to a file, and waits for no one), and not hold the caller's output open."""
    pids = tmp_path / "pids.txt"
    script = textwrap.dedent(
        f"""
        import os, time
        from reconciler.adapters.cores import on_every_core

        def run(number):
            with open({str(pids)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            return "x" * 200_000  # more than a pipe would hold

        def slow_here():
            time.sleep(60)  # the parent never gets to read

        on_every_core(4, run, 1, slow_here)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(set(_lines(pids))) < 2 and parent.poll() is None:
        time.sleep(0.05)
    workers = set(_lines(pids)) - {parent.pid}
    if not workers:
        parent.kill()
        pytest.fail(f"no worker ran a task: {_lines(pids)}, {parent.communicate()[1].decode()[-2000:]}")
    parent.send_signal(signal.SIGKILL)
    out, _ = parent.communicate(timeout=15)  # returns once no process holds the output open
    assert out == b""
    for worker in workers:
        assert _gone(worker, within=10)


def _lines(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True  # ended; its parent is gone, so init reaps it
        time.sleep(0.05)
    return False


def test_the_cores_a_container_may_use_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`docker --cpus=1.5` writes `150000 100000` to cgroup v2's cpu.max: two cores, however many the CPU set
    holds; `max` means no quota."""
    cpu_max = tmp_path / "cpu.max"
    monkeypatch.setattr(cores_module, "_CPU_MAX", str(cpu_max))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    cpu_max.write_text("150000 100000\n")
    assert cores() == 2
    cpu_max.write_text("50000 100000\n")
    assert cores() == 1
    cpu_max.write_text("max 100000\n")
    assert cores() == 8
    cpu_max.unlink()
    assert cores() == 8
