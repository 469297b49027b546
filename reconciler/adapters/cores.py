"""Running independent CPU-bound tasks on every core: this process and forked workers take task numbers from
one shared counter until none is left, so the work splits by each process's speed on a shared machine.

Forked, not spawned: a spawned worker would import everything again (about 0.1 s) and need its input pickled;
a forked one starts with this process's memory, and only its results travel back: each pickled as its task
ends into the worker's own spool file (an unnamed temporary file), read back here once the worker is done.
A file, not a pipe: a worker never waits for this process to read (nor for ever, if this process was killed),
and neither process holds the results as one message (validate of 50,000 files: 150 MB peak over both
processes with one message at the end, 130 MB spooled). No thread:
`concurrent.futures` feeds and drains its workers from a thread of this process, and that thread's turns at
the GIL slowed this process's own tasks (a 6,000-file validate: 0.46-0.52 s against 0.43-0.45 s).

Only on Linux (fork is unsafe on macOS, absent on Windows), and only before any thread or event loop starts.
Nothing is lost: a task a worker did not finish (it failed, or died) runs again here; where a worker cannot
start (no fork: a process limit; no shared memory for the counter: no writable /dev/shm; no temporary file)
every task runs here.
"""

from __future__ import annotations

import math
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext
    from multiprocessing.process import BaseProcess
    from multiprocessing.sharedctypes import Synchronized

T = TypeVar("T")
_CPU_MAX = "/sys/fs/cgroup/cpu.max"  # cgroup v2: "<quota> <period>" in µs, or "max <period>"


def cores() -> int:
    """The cores this process may use: its CPU set (`sched_getaffinity`), capped by the container's CPU quota
    (cgroup v2 `cpu.max`, as `docker --cpus` sets it), rounded up."""
    found = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        with open(_CPU_MAX, encoding="ascii") as limits:
            quota, period = limits.read().split()[:2]
        return max(1, min(found, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2, or no quota ("max")
        return found


def can_fork() -> bool:
    return sys.platform == "linux"


def on_every_core(tasks: int, run: Callable[[int], T], workers: int, after_each: Callable[[], None]) -> list[T]:
    """`[run(0), ..., run(tasks - 1)]`, computed by this process and up to `workers` forked ones (`run` must be
    safe to call in a fork of this process; its results must pickle). `after_each` runs here after each task
    this process ran (`running.settled`). Exceptions raised by `run` here propagate; a worker's are re-raised
    by running its unfinished tasks again here, as are those of a worker that died."""
    import multiprocessing  # about 5 ms: only when a run is large enough to share

    # (multiprocessing flushes sys.stdout and sys.stderr before it forks: no buffered output is written twice)
    context = multiprocessing.get_context("fork")
    started: list[tuple[BaseProcess, IO[bytes]]] = []
    results: dict[int, T] = {}
    taken: Synchronized[int] | None = None
    try:
        try:
            taken = context.Value("i", 0)  # a semaphore and shared memory: /dev/shm
            for _ in range(workers):
                started.append(_start(context, tasks, run, taken))  # noqa: PERF401 - a failure part-way stops them
        except (OSError, ImportError):  # no fork (a process limit), no shared memory or sem_open, no temp file
            _stop(started)  # no worker at all: every task runs here
            started, taken = [], None
        for number in _take(tasks, taken):
            results[number] = run(number)
            after_each()
        for worker, spool in started:
            worker.join()
            results.update(_spooled(spool, complete=worker.exitcode == 0))
    except BaseException:
        _stop(started)  # this run failed here (or Ctrl-C): the workers' results are not wanted
        raise
    finally:
        for worker, spool in started:
            spool.close()
            worker.join()
    return [results[number] if number in results else run(number) for number in range(tasks)]


def _start(
    context: ForkContext, tasks: int, run: Callable[[int], T], taken: Synchronized[int]
) -> tuple[BaseProcess, IO[bytes]]:
    """A started worker and the spool file its results are written to."""
    spool = tempfile.TemporaryFile()
    try:
        worker = context.Process(target=_work, args=(tasks, run, taken, spool.fileno()), daemon=True)
        worker.start()
    except BaseException:
        spool.close()
        raise
    return worker, spool


def _stop(started: list[tuple[BaseProcess, IO[bytes]]]) -> None:
    for worker, spool in started:
        worker.kill()  # SIGKILL: a SIGTERM this process ignores, its forks ignore too
        worker.join()
        spool.close()


def _take(tasks: int, taken: Synchronized[int] | None) -> Iterator[int]:
    """The task numbers this process takes from the shared counter, until none is left (every one, without a
    counter)."""
    if taken is None:
        yield from range(tasks)
        return
    while True:
        with taken.get_lock():
            number = taken.value
            taken.value = number + 1
        if number >= tasks:
            return
        yield number


def _work(tasks: int, run: Callable[[int], object], taken: Synchronized[int], spool: int) -> None:
    """A worker: each task's number and result pickled into the spool as the task ends."""
    try:
        with open(spool, "wb", closefd=False) as out:
            for number in _take(tasks, taken):
                pickle.dump((number, run(number)), out, pickle.HIGHEST_PROTOCOL)
                out.flush()  # on disk as the task ends: what a worker finished stands even if it dies next
    except BaseException:  # noqa: BLE001 - what is spooled stands; this process runs the rest again and reports
        pass  # what fails (Ctrl-C reaches the whole process group: this process reports it, no worker traceback)


def _spooled(spool: IO[bytes], complete: bool) -> dict[int, T]:
    """A worker's results by task number, read back from its spool. `complete`: the worker ended normally, so
    every record is whole; otherwise reading stops at the first broken one (it was killed mid-write)."""
    spool.seek(0)
    found: dict[int, T] = {}
    while True:
        try:
            number, result = pickle.load(spool)
        except EOFError:
            return found
        except Exception:  # noqa: BLE001 - a record cut short by the worker's death: run it again here
            if complete:
                raise
            return found
        found[number] = result
