"""Offset pagination over the API's collection endpoints.

Every list method returns a :class:`Paginator`. It advances by the number of
items actually returned (servers clamp ``limit`` silently), stops on an empty
page or when it reaches the reported total, and can fetch the remaining pages
concurrently once the first page has told it the total and the real page size.

Rows that shift under a live server are handled by natural-key dedupe and a
final count check: items seen twice are yielded once, and when the listing ends
with fewer distinct items than the server's latest ``total_entries`` (rows were
inserted before the current offset, or deleted so that others slid past it),
the paginator re-scans once and yields only what it had not seen.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from .errors import UsageError
from .models import Page

__all__ = ["FetchPage", "Paginator"]

log = logging.getLogger("airflow_async")

T = TypeVar("T")

#: ``fetch(offset, limit)`` returns the raw items of one page and the reported total.
FetchPage = Callable[[int, int], Awaitable[tuple[list[Any], int | None]]]
_Raw = tuple[list[Any], int | None]


class Paginator(Generic[T], AsyncIterator[T]):
    """Iterate a listing: ``async for item in paginator``, ``.pages()``, or ``await .all()``.

    Args:
        fetch: Fetches one page; see :data:`FetchPage`.
        build: Turns one raw item into a model.
        key: The natural key of an item, for dedupe.
        page_size: The ``limit`` asked for (the server may return fewer).
        max_items: Stop after this many items.
        concurrent: After the first page, fetch the remaining offsets concurrently
            (still yielding in order).
        prefetch: With ``concurrent``, the most pages in flight.
        dedupe: Yield each natural key once and re-scan after a short count; costs
            about 60 bytes per item listed. Turn it off for huge listings that do not
            change while they are read.

    Attributes:
        total_entries: The total the first page reported (``None`` before it).
        pages_fetched: Page requests made so far.
        duplicates: Items skipped because they had been yielded already.
        rescans: Re-scans made because the count came up short.
        shortfall: Items the server counted but the listing never yielded.
    """

    def __init__(
        self,
        fetch: FetchPage,
        build: Callable[[Any], T],
        key: Callable[[T], Hashable],
        *,
        page_size: int = 100,
        max_items: int | None = None,
        concurrent: bool = False,
        prefetch: int = 8,
        dedupe: bool = True,
    ) -> None:
        if not isinstance(page_size, int) or page_size < 1:
            raise UsageError(f"page_size must be a positive int, got {page_size!r}")
        if max_items is not None and (not isinstance(max_items, int) or max_items < 0):
            raise UsageError(f"max_items must be None or an int >= 0, got {max_items!r}")
        if prefetch < 1:
            raise UsageError(f"prefetch must be >= 1, got {prefetch!r}")
        self._fetch = fetch
        self._build = build
        self._key = key
        self.page_size = page_size
        self.max_items = max_items
        self.concurrent = concurrent
        self.prefetch = prefetch
        self.dedupe = dedupe
        self.total_entries: int | None = None
        self.pages_fetched = 0
        self.duplicates = 0
        self.rescans = 0
        self.shortfall = 0
        self._iter: AsyncIterator[T] | None = None

    # -- the three ways to consume ------------------------------------------------------------

    def __aiter__(self) -> Paginator[T]:
        return self

    async def __anext__(self) -> T:
        if self._iter is None:
            self._iter = self._items()
        return await anext(self._iter)

    async def aclose(self) -> None:
        """Stop the iteration and cancel page fetches in flight."""
        if self._iter is not None and hasattr(self._iter, "aclose"):
            await self._iter.aclose()

    async def all(self) -> list[T]:
        """Every item (up to ``max_items``) as a list."""
        return [item async for item in self._items()]

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages in offset order, each holding only items not yielded before."""
        seen: set[int] | None = set() if self.dedupe else None
        budget = [self.max_items]
        last_total: int | None = None
        yielded = 0
        async for page in self._pass(seen, budget, first=True):
            last_total = page.total_entries
            yielded += len(page.items)
            yield page
        if budget[0] == 0 or last_total is None or yielded >= last_total:
            return
        if seen is None:
            self.shortfall = last_total - yielded
            log.warning(
                "listing yielded %d items but the server counts %d (rows changed while paging; "
                "dedupe is off so no re-scan was made)",
                yielded,
                last_total,
            )
            return
        self.rescans += 1
        log.info("listing came up %d short of total_entries; re-scanning", last_total - yielded)
        async for page in self._pass(seen, budget, first=False):
            last_total = page.total_entries
            yielded += len(page.items)
            yield page
        if last_total is not None and yielded < last_total:
            self.shortfall = last_total - yielded
            log.warning("listing still %d short of total_entries after a re-scan", self.shortfall)

    # -- one pass over the offsets ------------------------------------------------------------

    async def _pass(
        self, seen: set[int] | None, budget: list[int | None], *, first: bool
    ) -> AsyncIterator[Page[T]]:
        """One walk over the offsets, yielding filtered pages; ``budget`` holds items left."""
        raw, total, step = await self._get(0, first=first)
        if not raw:
            return
        yield self._page(raw, total, 0, seen, budget)
        offset = len(raw)
        if self.concurrent and budget[0] != 0 and total is not None and offset < total:
            planned = range(offset, total, step)
            async for off, (raw, total) in self._ordered(planned):
                if not raw:
                    return
                yield self._page(raw, total, off, seen, budget)
                if budget[0] == 0:
                    return
            offset = planned[-1] + step if planned else offset
        while budget[0] != 0 and (total is None or offset < total):
            raw, total, _ = await self._get(offset, first=False)
            if not raw:
                return
            yield self._page(raw, total, offset, seen, budget)
            offset += len(raw)

    async def _get(self, offset: int, *, first: bool) -> tuple[list[Any], int | None, int]:
        raw, total = await self._fetch(offset, self.page_size)
        self.pages_fetched += 1
        if first and self.total_entries is None:
            self.total_entries = total
        return raw, total, max(1, len(raw))

    def _page(
        self, raw: list[Any], total: int | None, offset: int, seen: set[int] | None, budget: list[int | None]
    ) -> Page[T]:
        items = [self._build(r) for r in raw]
        if seen is not None:
            fresh = []
            for item in items:
                h = hash(self._key(item))
                if h in seen:
                    self.duplicates += 1
                    continue
                seen.add(h)
                fresh.append(item)
            items = fresh
        left = budget[0]
        if left is not None:
            items = items[:left]
            budget[0] = left - len(items)
        return Page(items=items, total_entries=total, offset=offset)

    async def _ordered(self, offsets: range) -> AsyncIterator[tuple[int, _Raw]]:
        """Fetch ``offsets`` with up to ``prefetch`` in flight, yielding in offset order."""
        window: collections.deque[tuple[int, asyncio.Task[tuple[list[Any], int | None]]]] = (
            collections.deque()
        )
        pending = iter(offsets)
        try:
            for off in pending:
                window.append((off, asyncio.ensure_future(self._fetch(off, self.page_size))))
                if len(window) >= self.prefetch:
                    break
            while window:
                off, task = window.popleft()
                result = await task
                self.pages_fetched += 1
                nxt = next(pending, None)
                if nxt is not None:
                    window.append((nxt, asyncio.ensure_future(self._fetch(nxt, self.page_size))))
                yield off, result
        finally:
            for _, task in window:
                task.cancel()
            if window:
                await asyncio.gather(*(t for _, t in window), return_exceptions=True)
