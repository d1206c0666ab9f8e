"""Bounded fan-out: map an async function over many inputs, a few at a time.

:func:`bounded_map` keeps at most ``limit`` calls in flight, pulls inputs lazily
(100,000 inputs never mean 100,000 tasks), yields results as they complete, and
cancels whatever is still running when the consumer stops early or a call
raises.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar, cast

from ._closing import AsyncClosing
from .errors import UsageError

__all__ = ["FanOut", "bounded_map", "read_ahead"]

T = TypeVar("T")
R = TypeVar("R")

_DONE: Any = object()
_RESULT, _ERROR, _END = 0, 1, 2


class FanOut(AsyncClosing, Generic[T, R], AsyncIterator[R]):
    """The running map returned by :func:`bounded_map`.

    ``limit`` worker tasks each take the next input, await ``func`` on it, and
    hand the result to the consumer through a queue of ``limit`` slots; so the
    number of tasks, of calls in flight and of results waiting are all bounded by
    ``limit``, whatever the number of inputs.

    Iterate it with ``async for``. Use it as ``async with`` (or call
    :meth:`aclose`) to be sure in-flight calls are cancelled when you stop early;
    breaking out of a plain ``async for`` leaves that to garbage collection.

    Attributes:
        max_in_flight: The most calls that ran at once.
        started: Calls started so far.
    """

    def __init__(
        self,
        func: Callable[[T], Awaitable[R]],
        items: Iterable[T] | AsyncIterable[T],
        limit: int,
    ) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise UsageError(f"limit must be a positive int, got {limit!r}")
        self._func = func
        self._async_source: AsyncIterator[T] | None = None
        self._sync_source: Iterator[T] | None = None
        if isinstance(items, AsyncIterable):
            self._async_source = aiter(items)
        else:
            self._sync_source = iter(items)
        self._limit = limit
        self._results: asyncio.Queue[tuple[int, Any]] = asyncio.Queue(maxsize=limit)
        self._source_lock = asyncio.Lock()
        self._workers: list[asyncio.Task[None]] = []
        self._live = 0
        self._exhausted = False
        self._closed = False
        self._running = 0
        self.started = 0
        self.max_in_flight = 0

    @property
    def in_flight(self) -> int:
        """Calls running now."""
        return self._running

    def __aiter__(self) -> FanOut[T, R]:
        return self

    async def __anext__(self) -> R:
        if self._closed:
            raise StopAsyncIteration
        if not self._workers:
            self._live = self._limit
            self._workers = [asyncio.ensure_future(self._work()) for _ in range(self._limit)]
        try:
            kind, payload = await self._results.get()
        except BaseException:
            await self.aclose()
            raise
        if kind == _RESULT:
            return cast(R, payload)
        await self.aclose()
        if kind == _ERROR:
            raise payload
        raise StopAsyncIteration

    async def _next_input(self) -> tuple[bool, T | None]:
        if self._sync_source is not None:
            item = next(self._sync_source, _DONE)
            return (False, None) if item is _DONE else (True, cast(T, item))
        assert self._async_source is not None
        async with self._source_lock:  # an async iterator must not be advanced concurrently
            if self._exhausted:
                return False, None
            try:
                return True, await anext(self._async_source)
            except StopAsyncIteration:
                self._exhausted = True
                return False, None

    async def _work(self) -> None:
        cancelled = False
        try:
            while True:
                try:
                    more, item = await self._next_input()
                except Exception as exc:  # the input failed: hand its error to the consumer
                    if not self._closed:
                        await self._results.put((_ERROR, exc))
                    return
                if not more:
                    return
                self.started += 1
                self._running += 1
                self.max_in_flight = max(self.max_in_flight, self._running)
                outcome: tuple[int, Any]
                try:
                    outcome = (_RESULT, await self._func(cast(T, item)))
                except Exception as exc:
                    outcome = (_ERROR, exc)
                finally:
                    self._running -= 1
                if self._closed:
                    # aclose() cancelled this call but the call swallowed the cancellation (and
                    # returned): no one reads the queue any more, so waiting on it would hang aclose().
                    return
                await self._results.put(outcome)
                if outcome[0] == _ERROR:
                    return
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            self._live -= 1
            # A cancelled worker must not wait for room in the queue: no one may be reading it
            # (asyncio.run cancels every task at exit, consumer included).
            if self._live == 0 and not self._closed and not cancelled:
                await self._results.put((_END, None))

    async def aclose(self) -> None:
        """Cancel the calls in flight and wait for them to end."""
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            worker.cancel()
        if self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self._async_source is not None and hasattr(self._async_source, "aclose"):
            await self._async_source.aclose()


def bounded_map(
    func: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    limit: int,
) -> FanOut[T, R]:
    """Call ``func`` on each of ``items`` with at most ``limit`` calls in flight.

    Results are yielded in the order the calls complete. Inputs are pulled only
    when a worker is free, and one worker's pull (a slow paginated listing) runs
    alongside the other workers' calls. A consumer slower than the calls makes the
    workers wait, so results never pile up. The first exception from a call or
    from the input ends the map: everything still running is cancelled and the
    exception propagates to the consumer.

    Example::

        async with bounded_map(fetch, ids, limit=16) as results:
            async for value in results:
                ...

    Args:
        func: The async function to call.
        items: An iterable or async iterable of inputs.
        limit: The most calls in flight at once.
    """
    return FanOut(func, items, limit)


async def read_ahead(source: AsyncIterator[T], *, size: int) -> AsyncIterator[T]:
    """Yield from ``source`` while a background task reads up to ``size`` items ahead.

    Lets a paginated listing fetch its next page while the consumer is still
    working through the current one. An error in ``source`` is raised to the
    consumer after the items read before it; closing this generator cancels the
    reader.

    The reader, once ``size`` items are waiting, sleeps until half of them were taken (not
    until the next one is): a full buffer costs one wake-up per ``size // 2`` items, not one
    per item.
    """
    if size < 1:
        raise UsageError(f"size must be >= 1, got {size!r}")
    buffer: collections.deque[tuple[bool, Any]] = collections.deque()
    room, ready = asyncio.Event(), asyncio.Event()
    room.set()
    low = size // 2

    async def reader() -> None:
        try:
            async for item in source:
                buffer.append((True, item))
                ready.set()
                if len(buffer) >= size:
                    room.clear()
                    await room.wait()
        except Exception as exc:  # handed to the consumer, in order
            buffer.append((False, exc))
        else:
            buffer.append((False, _DONE))
        ready.set()

    task = asyncio.ensure_future(reader())
    try:
        while True:
            while not buffer:
                ready.clear()
                await ready.wait()
            ok, item = buffer.popleft()
            if len(buffer) <= low and not room.is_set():
                room.set()
            if ok:
                yield item
            elif item is _DONE:
                return
            else:
                raise item
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if hasattr(source, "aclose"):
            await source.aclose()
