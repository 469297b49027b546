"""Running a use case's coroutine to completion from synchronous code."""

from __future__ import annotations

import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, with the result kept out of the main task.

    Python 3.11's `asyncio.run` restores its SIGINT handler on exit through `signal.getsignal`, which builds
    the repr of a `functools.partial` holding the main task, and with it the repr of the task's result: a
    whole plan or report, formatted and thrown away (about 7% of `plan` at 10,000 accounts, measured with
    py-spy; reference/performance-notes.md). The top coroutine here returns None."""
    import asyncio  # about 13 ms: validate never needs it

    results: list[T] = []

    async def main_task() -> None:
        results.append(await main)

    asyncio.run(main_task())
    return results[0]


def settled() -> None:
    """Mark every object alive now as kept until the process ends (`gc.freeze`): the cyclic garbage collector
    stops re-scanning them. The desired state is millions of small dicts and lists that live until exit and
    hold no cycles; re-scanning them on every full collection was most of the collector's 6.5 s of CPU in plan
    at 100,000 accounts (28.6 s against 22.0 s with it off, which instead kept cycles alive: 619 MB). Called
    after each chunk of files read, never while HTTP responses (which do hold cycles) are alive."""
    gc.freeze()
