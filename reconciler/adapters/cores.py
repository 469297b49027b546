"""Running independent CPU-bound tasks on every core: this process and forked workers take task numbers from
one shared counter until none is left, so the work splits by each process's speed on a shared machine.

Forked, not spawned: a spawned worker would import everything again (about 0.1 s) and need its input pickled;
a forked one starts with this process's memory, and only its results travel back (pickled as each task ends,
so that cost counts in the split, and sent once at the end). No thread: `concurrent.futures` feeds and drains
its workers from a thread of this process, and that thread's turns at the GIL slowed this process's own tasks
(a 6,000-file validate: 0.46-0.52 s against 0.43-0.45 s with a counter and one pipe; benchmarks/parallel.py).

Only on Linux (fork is unsafe on macOS, absent on Windows), and only before any thread or event loop starts.
A worker that dies sends nothing: its tasks are run again here, so a result never goes missing.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.sharedctypes import Synchronized

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on (`sched_getaffinity`: a container's CPU set, not the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform == "linux"


def on_every_core(tasks: int, run: Callable[[int], T], workers: int, after_each: Callable[[], None]) -> list[T]:
    """`[run(0), ..., run(tasks - 1)]`, computed by this process and `workers` forked ones (`run` must be
    safe to call in a fork of this process; its results must pickle). `after_each` runs here after each task
    this process ran (`running.settled`). Exceptions raised by `run` here propagate; a worker's are re-raised
    by running its tasks again here, as are those of a worker that died."""
    import multiprocessing  # about 5 ms: only when a run is large enough to share

    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)
    # (multiprocessing flushes sys.stdout and sys.stderr before it forks: no buffered output is written twice)
    pipes = []
    for _ in range(workers):
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(target=_work, args=(tasks, run, taken, send), daemon=True)
        worker.start()
        send.close()  # the worker's end: this process keeps only the reading one
        pipes.append((worker, receive))
    results: dict[int, T] = {}
    try:
        for number in _take(tasks, taken):
            results[number] = run(number)
            after_each()
        for _, receive in pipes:
            results.update(_received(receive))
    except BaseException:
        for worker, _ in pipes:
            worker.terminate()  # this run failed here (or Ctrl-C): the workers' results are not wanted
        raise
    finally:
        for worker, receive in pipes:
            receive.close()
            worker.join()
    return [results[number] if number in results else run(number) for number in range(tasks)]


def _take(tasks: int, taken: Synchronized[int]) -> Iterator[int]:
    """The task numbers this process takes from the shared counter, until none is left."""
    while True:
        with taken.get_lock():
            number = taken.value
            taken.value = number + 1
        if number >= tasks:
            return
        yield number


def _work(tasks: int, run: Callable[[int], object], taken: Synchronized[int], send: Connection) -> None:
    """A worker: its tasks' results, each pickled as it ends, sent as one message once none is left."""
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
