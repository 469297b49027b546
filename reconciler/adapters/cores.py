"""Running independent CPU-bound tasks on every core: this process and forked workers take task numbers from
one shared counter until none is left, so the work splits by each process's speed on a shared machine.

Forked, not spawned: a spawned worker would import everything again (about 0.1 s) and need its input pickled;
a forked one starts with this process's memory, and only its results travel back (pickled as each task ends,
so that cost counts in the split, and sent once at the end). No thread: `concurrent.futures` feeds and drains
its workers from a thread of this process, and that thread's turns at the GIL slowed this process's own tasks
(a 6,000-file validate: 0.46-0.52 s against 0.43-0.45 s with a counter and one pipe; benchmarks/parallel.py).

Only on Linux (fork is unsafe on macOS, absent on Windows), and only before any thread or event loop starts.
Nothing is lost: a worker that fails or dies sends nothing and its tasks run again here; where a worker cannot
start (no fork: a process limit; no shared memory: no writable /dev/shm) every task runs here.
"""

from __future__ import annotations

import math
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
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
    by running its tasks again here, as are those of a worker that died."""
    import multiprocessing  # about 5 ms: only when a run is large enough to share

    # (multiprocessing flushes sys.stdout and sys.stderr before it forks: no buffered output is written twice)
    context = multiprocessing.get_context("fork")
    pipes: list[tuple[BaseProcess, Connection]] = []
    results: dict[int, T] = {}
    taken: Synchronized[int] | None = None
    try:
        try:
            taken = context.Value("i", 0)  # a semaphore and shared memory: /dev/shm
            for _ in range(workers):
                pipes.append(_start(context, tasks, run, taken, [receive for _, receive in pipes]))
        except (OSError, ImportError):  # no fork (a process limit), no shared memory, no working sem_open
            _stop(pipes)  # no worker at all: every task runs here
            pipes, taken = [], None
        for number in _take(tasks, taken):
            results[number] = run(number)
            after_each()
        for _, receive in pipes:
            results.update(_received(receive))
    except BaseException:
        _stop(pipes)  # this run failed here (or Ctrl-C): the workers' results are not wanted
        raise
    finally:
        for worker, receive in pipes:
            receive.close()  # a worker still writing gets EPIPE and ends
            worker.join()
    return [results[number] if number in results else run(number) for number in range(tasks)]


def _start(
    context: ForkContext,
    tasks: int,
    run: Callable[[int], T],
    taken: Synchronized[int],
    others: list[Connection],
) -> tuple[BaseProcess, Connection]:
    """A started worker and the end its results arrive on. `others`: the reading ends of workers started
    before, which the fork copies and the new worker closes (a reading end left open in a worker would keep a
    pipe writable after this process died, and a worker writing into it would wait for ever)."""
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(tasks, run, taken, send, [*others, receive]), daemon=True)
    try:
        worker.start()
    except BaseException:
        receive.close()
        raise
    finally:
        send.close()  # the worker's end: this process keeps only the reading one
    return worker, receive


def _stop(pipes: list[tuple[BaseProcess, Connection]]) -> None:
    for worker, receive in pipes:
        worker.kill()  # SIGKILL: a SIGTERM this process ignores, its forks ignore too
        receive.close()
        worker.join()


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


def _work(
    tasks: int, run: Callable[[int], object], taken: Synchronized[int], send: Connection, readers: list[Connection]
) -> None:
    """A worker: its tasks' results, each pickled as it ends, sent as one message once none is left."""
    for reader in readers:
        reader.close()  # only this process's parent reads results: see `_start`
    try:
        done = [(number, pickle.dumps(run(number), pickle.HIGHEST_PROTOCOL)) for number in _take(tasks, taken)]
        send.send_bytes(pickle.dumps(done, pickle.HIGHEST_PROTOCOL))
    except BaseException:  # noqa: BLE001 - nothing sent: this process runs the tasks again and reports what fails
        pass  # (Ctrl-C reaches the whole process group: this process reports it, no worker traceback)
    finally:
        send.close()


def _received(receive: Connection) -> dict[int, T]:
    """A worker's results by task number; none when it died before sending (its tasks run again here)."""
    try:
        done: list[tuple[int, bytes]] = pickle.loads(receive.recv_bytes())
    except (EOFError, OSError):
        return {}
    finally:
        receive.close()
    return {number: pickle.loads(data) for number, data in done}
