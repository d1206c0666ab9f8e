"""Offset pagination over the API's collection endpoints.

Every list method returns a :class:`Paginator`. It advances by the number of
items actually returned (servers clamp ``limit`` silently), stops on an empty
page or when it reaches the reported total, and can fetch the remaining pages
concurrently once the first page has told it the total. The concurrent offsets are
planned a window at a time, each page as long as the longest page seen so far (at most the
``limit`` asked), so one short page does not shrink every later request.

Rows that shift under a live server are handled by natural-key dedupe and a
re-scan: items seen twice are yielded once, and when ``total_entries`` changed
during the walk (rows were inserted before the current offset, or deleted so
that others slid past it) or the walk ends with fewer distinct items than the
server counts, the paginator walks the listing once more and yields only what it
had not seen. A change that leaves the total unchanged (one row deleted, another
inserted, between two page requests) cannot be seen from the counts.

What dedupe remembers depends on the listing's order. Where rows may tie in it (Airflow 2's
task-instance listing sorts on ``map_index`` alone), a row can turn up anywhere in a later
page, so every key yielded is checked (about 8 bytes each, :class:`_SeenKeys`). Where the order
is total (``total_order=True``: XCom listings, sorted on their whole key by both versions), a
row moves only by the rows inserted or deleted before it, so while the count holds still a
repeat can only come from the pages near the ones in flight: only those keys are checked, and
the rest go to an anonymous temporary file, 8 bytes each. The moment the count changes (or the
walk ends short and must re-scan), the file is read back and every key is checked from then on,
exactly as above. A stable listing of a million rows so takes the same memory as one of a
thousand.

Keyset (cursor) paging, which Airflow 3.2.2+ offers for DAG runs and task instances, cannot
shift at all: each page starts after the last row of the one before, whatever was inserted or
deleted meanwhile. Given a ``fetch_after`` function, the paginator walks that way, one page
after the other (each needs the cursor the previous one returned): no dedupe set is kept, no
re-scan is needed, and the walk ends when the server returns no next cursor. A row inserted
behind the cursor (before the page the walk is on, in the listing's order) is not seen by that
walk: it lists each row that existed throughout exactly once, and the new ones after the cursor.
"""

from __future__ import annotations

import array
import asyncio
import bisect
import collections
import contextlib
import logging
import tempfile
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

import attrs

from ._closing import AsyncClosing
from .errors import UsageError
from .models._convert import Page

__all__ = ["FetchAfter", "FetchPage", "Paginator"]

log = logging.getLogger("airflow_async")

T = TypeVar("T")

#: ``fetch(offset, limit)`` returns the raw items of one page and the reported total.
FetchPage = Callable[[int, int], Awaitable[tuple[list[Any], int | None]]]
#: ``fetch_after(cursor, limit)`` returns the raw items of the page after ``cursor`` (``""``
#: for the first page), the reported total, and the cursor of the next page (``None`` at the end).
FetchAfter = Callable[[str, int], Awaitable[tuple[list[Any], int | None, str | None]]]
_Raw = tuple[list[Any], int | None]


class _SeenKeys:
    """The hashes of the natural keys a walk has yielded, in about 8 bytes each.

    A set of Python ints costs about 70 bytes per key: 69 MB for a 1,000,000-row listing.
    Here new hashes go to a small set; every ``batch`` of them is sorted into an array of
    64-bit ints (a chunk, never merged again), and a fixed 1 MB bitmap answers "never seen"
    for most new keys without searching the chunks. The same listing remembers its keys in
    about 8 MB, plus the bitmap and the batch not yet sorted (at most ~5 MB).
    """

    _BITS = 1 << 23

    def __init__(self, batch: int = 1 << 16) -> None:
        self._recent: set[int] = set()
        self._chunks: list[array.array[int]] = []
        self._bitmap = bytearray(self._BITS >> 3)
        self._batch = batch

    def __contains__(self, h: int) -> bool:
        bit = h & (self._BITS - 1)
        if not self._bitmap[bit >> 3] & (1 << (bit & 7)):
            return False
        if h in self._recent:
            return True
        for chunk in self._chunks:
            i = bisect.bisect_left(chunk, h)
            if i < len(chunk) and chunk[i] == h:
                return True
        return False

    def add(self, h: int) -> None:
        """Remember one hash."""
        bit = h & (self._BITS - 1)
        self._bitmap[bit >> 3] |= 1 << (bit & 7)
        self._recent.add(h)
        if len(self._recent) >= self._batch:
            self._chunks.append(array.array("q", sorted(self._recent)))
            self._recent = set()

    def add_sorted(self, chunk: array.array[int]) -> None:
        """Remember a chunk of distinct hashes at once (sorted here, kept as one chunk)."""
        chunk = array.array("q", sorted(chunk))
        for h in chunk:
            bit = h & (self._BITS - 1)
            self._bitmap[bit >> 3] |= 1 << (bit & 7)
        self._chunks.append(chunk)

    def __len__(self) -> int:
        return sum(map(len, self._chunks)) + len(self._recent)


def _window_pages(prefetch: int) -> int:
    """How many of the last pages' keys a walk in a total order checks while the count holds.

    Pages are fetched up to ``prefetch`` at a time, so two pages fetched at different moments
    are at most that far apart; twice that, and a margin for the pages a clamp splits.
    """
    return 2 * prefetch + 4


class _Dedupe:
    """What an offset walk remembers to yield each key once (see the module docstring).

    Exact (every key checked in memory) unless built with ``window``; then only the keys of the
    last ``window`` pages are checked while all are written to a temporary file, until
    :meth:`exact` reads them back, after which it is exact for the rest of the walk.
    """

    _SPILL = 1 << 16  # keys buffered before they are written out

    def __init__(self, window: int | None = None) -> None:
        self._exact: _SeenKeys | None = _SeenKeys() if window is None else None
        self._window: collections.deque[set[int]] = collections.deque()
        self._window_size = window or 1
        self._recent: set[int] = set()  # the keys of the pages in the window, one lookup
        self._buffer = array.array("q")
        self._file: Any = None  # a tempfile.TemporaryFile, made at the first spill
        self.spilled = 0

    @property
    def windowed(self) -> bool:
        """Whether only the last pages' keys are checked (the listing has held still so far)."""
        return self._exact is None

    def fresh(self, hashes: Iterable[int]) -> list[bool]:
        """For each hash of one page, in order: whether it was not seen before; remember them."""
        page: set[int] = set()
        flags = []
        exact = self._exact
        for h in hashes:
            new = h not in page and h not in (exact if exact is not None else self._recent)
            flags.append(new)
            if new:
                page.add(h)
        if exact is not None:
            for h in page:
                exact.add(h)
        else:
            self._window.append(page)
            self._recent |= page  # fresh keys: no page in the window holds them yet
            if len(self._window) > self._window_size:
                self._recent -= self._window.popleft()
            self._buffer.extend(page)
            if len(self._buffer) >= self._SPILL:
                self._spill()
        return flags

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="airflow-async-keys-")
        self._buffer.tofile(self._file)
        self.spilled += len(self._buffer)
        self._buffer = array.array("q")

    def exact(self) -> None:
        """Check every key from now on: read back the keys written out."""
        if self._exact is not None:
            return
        seen = _SeenKeys()
        if self._file is not None:
            self._file.seek(0)
            for _ in range(0, self.spilled, self._SPILL):
                chunk = array.array("q")
                try:
                    chunk.fromfile(self._file, self._SPILL)
                except EOFError:
                    pass  # the last, shorter chunk: fromfile kept what it read
                seen.add_sorted(chunk)
            self.close()
        if self._buffer:
            seen.add_sorted(self._buffer)
            self._buffer = array.array("q")
        self._window.clear()
        self._recent = set()
        self._exact = seen

    def close(self) -> None:
        """Remove the temporary file, if one was made."""
        if self._file is not None:
            self._file.close()
            self._file = None


@attrs.define
class _PassState:
    """What the walk has seen so far: items left to yield, items yielded, totals."""

    budget: int | None
    yielded: int = 0
    last_total: int | None = None
    pass_total: int | None = None
    changed: bool = False


@attrs.define
class _Plan:
    """Where the concurrent offsets stand: the next one to plan, and how long a page to plan.

    ``step`` is the span given to the next planned page: the longest page seen so far, never more
    than ``page_size`` (the ``limit`` asked). It starts at the first page's length, which is
    usually the server's clamp, and only grows: a first page cut short by rows deleted between
    the server's count and its page query (or by an odd clamp) costs at most the pages planned
    before a longer page came back, instead of shrinking every later request to its length.
    """

    page_size: int
    next: int
    total: int
    step: int

    def saw(self, length: int, total: int | None) -> None:
        """Note one page's length and reported total."""
        self.step = max(self.step, min(length, self.page_size))
        if total is not None:
            self.total = total


class Paginator(AsyncClosing, Generic[T], AsyncIterator[T]):
    """Iterate a listing: ``async for item in paginator``, ``.pages()``, or ``await .all()``.

    Args:
        fetch: Fetches one page; see :data:`FetchPage`.
        build: Turns one raw item into a model.
        key: The natural key of an item, for dedupe.
        page_size: The ``limit`` asked for (the server may return fewer).
        start: The offset of the first item wanted (skip this many).
        max_items: Stop after this many items.
        concurrent: After the first page, fetch the remaining offsets concurrently
            (still yielding in order). Each request covers as many rows as the longest page
            seen so far (at most ``page_size``); a page that comes back shorter is filled in.
        prefetch: With ``concurrent``, the most pages in flight.
        dedupe: Yield each natural key once and re-scan after a short count; costs
            about 8 bytes per item listed (a sorted array of key hashes), or, with
            ``total_order``, only the keys of the pages near the ones in flight while the
            listing holds still. Turn it off for huge listings that do not change while they are
            read. Not used with ``fetch_after``: keyset pages cannot shift.
        total_order: The listing sorts on a unique key (no ties), so a row moves only by the
            rows inserted or deleted before it: dedupe checks only the last ``2 * prefetch + 4``
            pages' keys until the count changes (see the module docstring).
        fetch_after: Walk by cursor instead of by offset (see :data:`FetchAfter`); then
            ``start`` must be 0 and ``concurrent`` False, and ``total_entries`` is what the
            server counted up to its cap (Airflow's ``total_entries_limit``).

    Attributes:
        total_entries: The total the first page reported (``None`` before it).
        pages_fetched: Page requests made so far.
        duplicates: Items skipped because they had been yielded already.
        rescans: Re-scans made because the count came up short.
        shortfall: Items the server counted but the listing never yielded.
        changed_while_paging: The total changed during a pass made without dedupe.

    To stop early without leaving page fetches running, iterate inside ``async with
    paginator:`` (or ``contextlib.aclosing(paginator)``), or call :meth:`aclose`.
    """

    def __init__(
        self,
        fetch: FetchPage,
        build: Callable[[Any], T],
        key: Callable[[T], Hashable],
        *,
        page_size: int = 100,
        start: int = 0,
        max_items: int | None = None,
        concurrent: bool = False,
        prefetch: int = 8,
        dedupe: bool = True,
        total_order: bool = False,
        fetch_after: FetchAfter | None = None,
    ) -> None:
        if fetch_after is not None and (start or concurrent):
            raise UsageError(
                "cursor paging walks from the first row, one page after the other: it takes neither "
                "an offset nor concurrent=True (leave them out, or ask for offset paging)"
            )
        if not isinstance(page_size, int) or page_size < 1:
            raise UsageError(f"page_size must be a positive int, got {page_size!r}")
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise UsageError(f"offset must be an int >= 0, got {start!r}")
        if max_items is not None and (not isinstance(max_items, int) or max_items < 0):
            raise UsageError(f"max_items must be None or an int >= 0, got {max_items!r}")
        if prefetch < 1:
            raise UsageError(f"prefetch must be >= 1, got {prefetch!r}")
        self._fetch = fetch
        self._fetch_after = fetch_after
        self._build = build
        self._key = key
        self.page_size = page_size
        self.start = start
        self.max_items = max_items
        self.concurrent = concurrent
        self.prefetch = prefetch
        self.dedupe = dedupe
        self.total_order = total_order
        self.total_entries: int | None = None
        self.pages_fetched = 0
        self.duplicates = 0
        self.rescans = 0
        self.shortfall = 0
        self.changed_while_paging = False
        self._iter: AsyncGenerator[T, None] | None = None
        self._closed = False
        # The generators pages() returned that are still referenced: aclose() closes them too.
        self._open_pages: weakref.WeakSet[AsyncGenerator[Page[T], None]] = weakref.WeakSet()

    # -- the three ways to consume ------------------------------------------------------------

    def __aiter__(self) -> Paginator[T]:
        """The paginator itself: ``async for item in paginator`` walks the listing once."""
        return self

    async def __anext__(self) -> T:
        """The next item; ``StopAsyncIteration`` at the end or after :meth:`aclose`."""
        if self._closed:
            raise StopAsyncIteration
        if self._iter is None:
            self._iter = self._items()
        return await anext(self._iter)

    async def aclose(self) -> None:
        """Stop the iteration and cancel page fetches in flight, waiting until they have ended.

        It covers ``async for item in paginator`` (after it, the paginator yields nothing more)
        and every :meth:`pages` generator of this paginator that is still open. Call it when you
        stop early, or use ``async with paginator`` (or ``contextlib.aclosing``) to have it called;
        a generator from :meth:`pages` can also be closed on its own with its ``aclose()``.
        Do not call it from another task while that task is inside the iteration.
        """
        self._closed = True
        if self._iter is not None:
            await self._iter.aclose()
        for gen in list(self._open_pages):
            await gen.aclose()

    async def all(self) -> list[T]:
        """Every item (up to ``max_items``) as a list."""
        return [item async for item in self._items()]

    async def _items(self) -> AsyncGenerator[T, None]:
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield pages in offset order, each holding only items not yielded before.

        Each call starts a new walk. To stop early, close the generator (``async with
        contextlib.aclosing(paginator.pages()) as pages:``) or call the paginator's
        :meth:`aclose`, which closes every open generator of this method too.
        """
        gen = self._pages()
        self._open_pages.add(gen)
        return gen

    @property
    def by_cursor(self) -> bool:
        """Whether this paginator walks by cursor (keyset paging) rather than by offset."""
        return self._fetch_after is not None

    async def _pages(self) -> AsyncGenerator[Page[T], None]:
        state = _PassState(budget=self.max_items)
        if self._fetch_after is not None:
            async with contextlib.aclosing(self._cursor_pass(self._fetch_after, state)) as pages:
                async for page in pages:
                    yield page
            return
        seen = _Dedupe(_window_pages(self.prefetch) if self.total_order else None) if self.dedupe else None
        try:
            async with contextlib.aclosing(self._offset_walk(seen, state)) as pages:
                async for page in pages:
                    yield page
        finally:
            if seen is not None:
                seen.close()

    async def _offset_walk(self, seen: _Dedupe | None, state: _PassState) -> AsyncGenerator[Page[T], None]:
        """The first pass over the offsets and, if the listing changed under it, the re-scan."""
        async with contextlib.aclosing(self._pass(seen, state, first=True)) as first_pass:
            async for page in first_pass:
                yield page
        short = state.last_total is not None and state.yielded < state.last_total - self.start
        if state.budget == 0 or not (state.changed or short):
            return
        if seen is None:
            self.changed_while_paging = state.changed
            self.shortfall = max(0, (state.last_total or 0) - self.start - state.yielded)
            log.warning(
                "the listing changed while it was paged (%d yielded, the server now counts %s); "
                "rows may have been missed or repeated: dedupe is off, so no re-scan was made",
                state.yielded,
                state.last_total,
            )
            return
        self.rescans += 1
        log.info("the listing changed while it was paged; re-scanning for rows not yet seen")
        seen.exact()
        state.changed = False
        async with contextlib.aclosing(self._pass(seen, state, first=False)) as second_pass:
            async for page in second_pass:
                yield page
        if state.last_total is not None and state.yielded < state.last_total - self.start:
            self.shortfall = state.last_total - self.start - state.yielded
            log.warning("listing still %d short of total_entries after a re-scan", self.shortfall)

    # -- one pass over the offsets ------------------------------------------------------------

    async def _pass(
        self, seen: _Dedupe | None, state: _PassState, *, first: bool
    ) -> AsyncGenerator[Page[T], None]:
        """One walk over the offsets, yielding filtered pages and noting changes in ``state``."""
        raw, total = await self._get(self.start, first=first)
        state.pass_total = total
        if not raw:
            state.last_total = total
            return
        yield self._page(raw, total, self.start, seen, state)
        offset = self.start + len(raw)
        if self.concurrent and state.budget != 0 and total is not None and offset < total:
            plan = _Plan(self.page_size, next=offset, total=total, step=min(len(raw), self.page_size))
            async with contextlib.aclosing(self._ordered(plan, state)) as pages:
                async for off, span, (raw, total) in pages:
                    # Each planned page stands for the ``span`` rows from its offset: rows past
                    # them belong to the next planned page, and rows a shorter page left out (a
                    # server that clamps some pages harder than others) are fetched here.
                    end = off + span
                    while raw:
                        yield self._page(raw[: end - off], total, off, seen, state)
                        off += min(len(raw), end - off)
                        if state.budget == 0:
                            return
                        if off >= end or (total is not None and off >= total):
                            break
                        raw, total = await self._get(off, first=False)
                        plan.saw(len(raw), total)
                    if not raw:
                        state.last_total = total
                        return
            offset = plan.next
        while state.budget != 0 and (total is None or offset < total):
            raw, total = await self._get(offset, first=False)
            if not raw:
                state.last_total = total
                return
            yield self._page(raw, total, offset, seen, state)
            offset += len(raw)

    async def _cursor_pass(self, fetch_after: FetchAfter, state: _PassState) -> AsyncGenerator[Page[T], None]:
        """One walk by cursor: each page after the last row of the one before, until no cursor."""
        cursor, offset = "", 0
        while state.budget != 0:
            raw, total, after = await fetch_after(cursor, self.page_size)
            self.pages_fetched += 1
            if self.total_entries is None:
                self.total_entries = total
            state.pass_total = total  # a keyset walk does not re-scan: a changed count is no sign
            if not raw:
                return
            yield self._page(raw, total, offset, None, state)
            offset += len(raw)
            if after is None or after == cursor:
                return
            cursor = after

    async def _get(self, offset: int, *, first: bool) -> _Raw:
        raw, total = await self._fetch(offset, self.page_size)
        self.pages_fetched += 1
        if first and self.total_entries is None:
            self.total_entries = total
        return raw, total

    def _page(
        self, raw: list[Any], total: int | None, offset: int, seen: _Dedupe | None, state: _PassState
    ) -> Page[T]:
        state.last_total = total
        if total != state.pass_total:
            state.changed = True
            if seen is not None:
                seen.exact()  # rows may have shifted by more than the window: check every key
        items = [self._build(r) for r in raw]
        if seen is not None:
            flags = seen.fresh([hash(self._key(item)) for item in items])
            fresh = [item for item, new in zip(items, flags, strict=True) if new]
            self.duplicates += len(items) - len(fresh)
            items = fresh
        if state.budget is not None:
            items = items[: state.budget]
            state.budget -= len(items)
        state.yielded += len(items)
        return Page(items=items, total_entries=total, offset=offset)

    async def _ordered(self, plan: _Plan, state: _PassState) -> AsyncGenerator[tuple[int, int, _Raw], None]:
        """Fetch the offsets ``plan`` lays out, up to ``prefetch`` in flight, yielding in order.

        Yields ``(offset, span, (raw, total))``. Offsets are planned lazily, each time a page
        has come back, so every new one uses the longest page seen so far as its span (see
        :class:`_Plan`); no more rows are planned ahead than ``max_items`` still needs (a page
        whose items were all duplicates makes room for more). It ends once the window is empty
        and nothing more is to be planned (the offsets reached the total); the caller goes on
        from ``plan.next``. On an early exit (the caller closes it, or an error), the pages in
        flight are cancelled and waited for.
        """
        window: collections.deque[tuple[int, int, asyncio.Task[_Raw]]] = collections.deque()

        def fill(ahead: int) -> None:
            # ``ahead``: rows planned that the caller has not been given yet, not in the window
            ahead += sum(span for _, span, _ in window)
            while len(window) < self.prefetch and plan.next < plan.total:
                if state.budget is not None and ahead >= state.budget:
                    break
                off, span = plan.next, plan.step
                window.append((off, span, asyncio.ensure_future(self._fetch(off, self.page_size))))
                plan.next += span
                ahead += span

        try:
            while True:
                fill(0)
                if not window:
                    return
                off, span, task = window.popleft()
                result = await task
                self.pages_fetched += 1
                plan.saw(len(result[0]), result[1])
                fill(span)  # keep the window full while the caller reads this page
                yield off, span, result
        finally:
            for _, _, task in window:
                task.cancel()
            if window:
                await asyncio.gather(*(t for _, _, t in window), return_exceptions=True)
