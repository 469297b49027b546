"""Running a use case's coroutine to completion from synchronous code."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, with the result kept out of the main task.

    Python 3.11's `asyncio.run` restores its SIGINT handler on exit through `signal.getsignal`, which builds
    the repr of a `functools.partial` holding the main task, and with it the repr of the task's result: a
    whole plan or report, formatted and thrown away (about 7% of `plan` at 10,000 accounts, measured with
    py-spy; reference/performance-notes.md). The top coroutine here returns None."""
    results: list[T] = []

    async def main_task() -> None:
        results.append(await main)

    asyncio.run(main_task())
    return results[0]
