"""Fixtures of the fault suite: a fresh fake server per test, and a leak check around every test.

The leak check fails a test that leaves a task running, an exception no one retrieved, an
unclosed session or connector, or a ``ResourceWarning`` behind. It is set up before any
other fixture of the test and torn down after them, so it looks once the server has stopped.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.faults.helpers import FaultsServer, serve

_BAD_MESSAGES = (
    "Task exception was never retrieved",
    "Task was destroyed but it is pending",
    "Unclosed client session",
    "Unclosed connector",
    "Unclosed connection",
)


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[list[dict[str, Any]]]:
    """Fail the test if it leaks tasks, unretrieved exceptions, sessions or ResourceWarnings."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    before = asyncio.all_tasks()
    yield reported
    try:
        me = asyncio.current_task()
        leftover: set[asyncio.Task[Any]] = set()
        for _ in range(100):  # let cancelled tasks and closing transports finish
            leftover = {t for t in asyncio.all_tasks() - before if t is not me and not t.done()}
            if not leftover:
                break
            await asyncio.sleep(0.01)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()
            await asyncio.sleep(0)
            gc.collect()
        assert not leftover, f"tasks still running after the test: {sorted(map(_describe, leftover))}"
        resource = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
        assert not resource, f"ResourceWarnings: {resource}"
        bad = [c.get("message", "") for c in reported]
        assert not [m for m in bad if m.startswith(_BAD_MESSAGES)], f"event loop reported: {reported}"
    finally:
        loop.set_exception_handler(previous)


def _describe(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    return getattr(coro, "__qualname__", repr(coro))


@pytest.fixture
async def srv() -> AsyncIterator[FaultsServer]:
    """A fake Airflow server with the small data set, no faults, basic auth admin/admin."""
    async with serve() as server:
        yield server
