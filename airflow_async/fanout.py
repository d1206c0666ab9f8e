"""Bounded fan-out: map an async function over many inputs, a few at a time.

:func:`bounded_map` keeps at most ``limit`` calls in flight, pulls inputs lazily
(100,000 inputs never mean 100,000 tasks), yields results as they complete, and
cancels whatever is still running when the consumer stops early or a call
raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Generic, TypeVar

from .errors import UsageError

__all__ = ["FanOut", "bounded_map", "read_ahead"]

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()


async def _aiter_of(items: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


class FanOut(Generic[T, R], AsyncIterator[R]):
    """The running map returned by :func:`bounded_map`.

    Iterate it with ``async for``. Use it as ``async with`` (or call
    :meth:`aclose`) to be sure in-flight calls are cancelled when you stop early;
    breaking out of a plain ``async for`` leaves that to garbage collection.

    Attributes:
        in_flight: Calls running now.
        max_in_flight: The most calls that ran at once.
        started: Calls started so far.
    """

    def __init__(
        self,
        func: Callable[[T], Awaitable[R]],
        items: Iterable[T] | AsyncIterable[T],
        limit: int,
    ) -> None:
        if not isinstance(limit, int) or limit < 1:
            raise UsageError(f"limit must be a positive int, got {limit!r}")
        self._func = func
        self._source = _aiter_of(items)
        self._limit = limit
        self._running: set[asyncio.Task[R]] = set()
        self._pull: asyncio.Task[T] | None = None
        self._exhausted = False
        self._closed = False
        self._ready: list[asyncio.Task[R]] = []
        self.started = 0
        self.max_in_flight = 0

    @property
    def in_flight(self) -> int:
        """Calls running now."""
        return len(self._running)

    def __aiter__(self) -> FanOut[T, R]:
        return self

    async def __anext__(self) -> R:
        if self._closed:
            raise StopAsyncIteration
        try:
            while not self._ready:
                self._refill()
                if not self._running and self._pull is None:
                    await self.aclose()
                    raise StopAsyncIteration
                waiting: set[asyncio.Future[Any]] = set(self._running)
                if self._pull is not None:
                    waiting.add(self._pull)
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if self._pull is not None and self._pull in done:
                    self._take_pulled()
                finished = [t for t in done if t is not self._pull and t in self._running]
                for task in finished:
                    self._running.discard(task)
                self._ready.extend(finished)
            task = self._ready.pop(0)
            return task.result()
        except BaseException:
            await self.aclose()
            raise

    def _refill(self) -> None:
        """Start a pull of the next input if there is room and none is pending."""
        if self._exhausted or self._pull is not None:
            return
        if len(self._running) < self._limit:
            self._pull = asyncio.ensure_future(anext(self._source, _DONE))  # type: ignore[arg-type]

    def _take_pulled(self) -> None:
        assert self._pull is not None
        pull, self._pull = self._pull, None
        item = pull.result()  # an error in the input iterator propagates
        if item is _DONE:
            self._exhausted = True
            return
        task = asyncio.ensure_future(self._func(item))
        self._running.add(task)
        self.started += 1
        self.max_in_flight = max(self.max_in_flight, len(self._running))

    async def aclose(self) -> None:
        """Cancel the calls in flight and the pending input pull, and wait for them to end."""
        if self._closed:
            return
        self._closed = True
        pending: list[asyncio.Future[Any]] = [*self._running, *self._ready]
        if self._pull is not None:
            pending.append(self._pull)
        for fut in pending:
            fut.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._running.clear()
        self._ready.clear()
        self._pull = None
        source = self._source
        if hasattr(source, "aclose"):
            await source.aclose()

    async def __aenter__(self) -> FanOut[T, R]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def bounded_map(
    func: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    limit: int,
) -> FanOut[T, R]:
    """Call ``func`` on each of ``items`` with at most ``limit`` calls in flight.

    Results are yielded in the order the calls complete. Inputs are pulled only
    when there is room for another call, and the pull itself runs alongside the
    calls, so a slow async input (a paginated listing) and the calls overlap. The
    first exception from a call or from the input ends the map: everything still
    running is cancelled and the exception propagates to the consumer.

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
    """
    if size < 1:
        raise UsageError(f"size must be >= 1, got {size!r}")
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue(maxsize=size)

    async def reader() -> None:
        try:
            async for item in source:
                await queue.put((True, item))
        except Exception as exc:  # handed to the consumer, in order
            await queue.put((False, exc))
            return
        await queue.put((False, _DONE))

    task = asyncio.ensure_future(reader())
    try:
        while True:
            ok, item = await queue.get()
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
