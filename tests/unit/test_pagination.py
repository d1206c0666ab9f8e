"""The paginator over a fake in-memory listing: clamping, empty pages, shifting rows, concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airflow_async import Paginator, UsageError, pagination


class FakeListing:
    """A server-side list that clamps limits and can change between page requests."""

    def __init__(
        self, n: int, *, clamp: int = 100, report_total: bool = True, short: dict[int, int] | None = None
    ) -> None:
        self.rows: list[str] = [f"r{i:05d}" for i in range(n)]
        self.clamp = clamp
        self.report_total = report_total
        self.short = short or {}  # call number (1-based) -> rows that call returns at most
        self.calls: list[tuple[int, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.before_page: dict[int, Any] = {}

    async def fetch(self, offset: int, limit: int) -> tuple[list[Any], int | None]:
        self.calls.append((offset, limit))
        call = len(self.calls)
        hook = self.before_page.get(call)
        if hook:
            hook(self.rows)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001 * (call % 3))  # out-of-order completion
        finally:
            self.in_flight -= 1
        page = self.rows[offset : offset + min(limit, self.clamp, self.short.get(call, limit))]
        return [{"id": r} for r in page], (len(self.rows) if self.report_total else None)


#: Whether paginate() declares the fake's order total (its rows sort on unique ids): set by the
#: fixture below, so that every paging test runs with exact dedupe and with the windowed one.
TOTAL_ORDER = False


@pytest.fixture(autouse=True, params=[False, True], ids=["exact-dedupe", "windowed-dedupe"])
def _dedupe_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test twice: every key checked, and (total order) only the last page's keys
    while the count holds still: the smallest window, so a test that passes here does not rely
    on the window's size but on the exact check taking over when the listing changes."""
    monkeypatch.setattr(sys.modules[__name__], "TOTAL_ORDER", request.param)
    monkeypatch.setattr(pagination, "_window_pages", lambda prefetch: 1)


def paginate(listing: FakeListing, **kwargs: Any) -> Paginator[str]:
    kwargs.setdefault("total_order", TOTAL_ORDER)
    return Paginator(listing.fetch, lambda raw: raw["id"], lambda item: item, **kwargs)


async def test_follows_the_servers_clamp() -> None:
    listing = FakeListing(250, clamp=25)
    items = await paginate(listing, page_size=100).all()
    assert items == listing.rows
    assert [off for off, _ in listing.calls] == list(range(0, 250, 25))


async def test_stops_on_an_empty_page_when_no_total() -> None:
    listing = FakeListing(30, clamp=10, report_total=False)
    p = paginate(listing)
    assert await p.all() == listing.rows
    assert listing.calls[-1][0] == 30  # the empty page ended it
    assert p.total_entries is None


async def test_empty_listing() -> None:
    listing = FakeListing(0)
    p = paginate(listing)
    assert await p.all() == []
    assert len(listing.calls) == 1


async def test_max_items() -> None:
    listing = FakeListing(500, clamp=100)
    assert await paginate(listing, max_items=130).all() == listing.rows[:130]
    assert len(listing.calls) == 2


async def test_pages_expose_totals_and_offsets() -> None:
    listing = FakeListing(120, clamp=50)
    pages = [p async for p in paginate(listing).pages()]
    assert [(p.offset, len(p.items), p.total_entries) for p in pages] == [
        (0, 50, 120),
        (50, 50, 120),
        (100, 20, 120),
    ]


async def test_concurrent_offsets_yield_in_order_within_the_bound() -> None:
    listing = FakeListing(1000, clamp=20)
    p = paginate(listing, concurrent=True, prefetch=4)
    items = [i async for i in p]
    assert items == listing.rows
    assert listing.max_in_flight <= 4
    assert listing.max_in_flight > 1
    assert p.total_entries == 1000 and p.pages_fetched == 50


async def test_rows_inserted_at_the_front_are_found_and_not_duplicated() -> None:
    listing = FakeListing(100, clamp=10)

    def insert_two(rows: list[str]) -> None:
        rows[0:0] = ["new-a", "new-b"]

    listing.before_page[4] = insert_two
    p = paginate(listing)
    items = await p.all()
    assert sorted(items) == sorted(listing.rows)
    assert len(items) == len(set(items)) == 102
    assert p.duplicates >= 2 and p.rescans == 1 and p.shortfall == 0


async def test_rows_deleted_at_the_front_do_not_make_others_skipped() -> None:
    listing = FakeListing(100, clamp=10)
    listing.before_page[3] = lambda rows: rows.pop(0)
    p = paginate(listing)
    items = await p.all()
    # r00000 was yielded before it was deleted; r00020 slid back past the offset and is
    # found by the re-scan; every row still present was yielded exactly once.
    assert set(listing.rows) <= set(items)
    assert len(items) == len(set(items)) == 100
    assert p.rescans == 1


async def test_without_dedupe_a_shortfall_is_reported() -> None:
    listing = FakeListing(100, clamp=10)
    listing.before_page[3] = lambda rows: [rows.pop(0) for _ in range(5)]
    p = paginate(listing, dedupe=False)
    items = await p.all()
    assert len(items) < 100
    assert p.changed_while_paging and p.rescans == 0


async def test_early_exit_cancels_prefetched_pages() -> None:
    listing = FakeListing(2000, clamp=10)
    p = paginate(listing, concurrent=True, prefetch=8)
    async for item in p:
        if item == "r00015":
            break
    await p.aclose()
    await asyncio.sleep(0.01)
    assert listing.in_flight == 0
    assert len(listing.calls) <= 2 + 8 + 1


async def test_a_short_first_page_does_not_shrink_the_later_requests() -> None:
    # The first answer holds 10 rows (rows deleted between the count and the page query) while
    # the server clamps to 100 and counts 3,000: the walk must not go on 10 rows at a time.
    listing = FakeListing(3000, clamp=100, short={1: 10})
    p = paginate(listing, page_size=100, concurrent=True, prefetch=8)
    items = [i async for i in p]
    assert items == listing.rows
    assert len(listing.calls) <= 3000 // 100 + 8 + 2  # it was 300
    assert p.pages_fetched == len(listing.calls)
    assert listing.max_in_flight > 1


async def test_a_short_first_page_under_a_clamp_below_the_page_size() -> None:
    listing = FakeListing(3000, clamp=25, short={1: 5})
    p = paginate(listing, page_size=100, concurrent=True, prefetch=8)
    assert [i async for i in p] == listing.rows
    assert len(listing.calls) <= 3000 // 25 + 8 + 2  # it was 600


async def test_a_clamp_below_the_page_size_is_walked_concurrently_with_one_request_a_page() -> None:
    listing = FakeListing(3000, clamp=25)
    p = paginate(listing, page_size=100, concurrent=True, prefetch=8)
    assert [i async for i in p] == listing.rows
    offsets = [off for off, _ in listing.calls]
    assert sorted(offsets) == list(range(0, 3000, 25))  # every page once, none fetched twice
    assert listing.max_in_flight > 1 and p.pages_fetched == 120 and p.duplicates == 0


async def test_later_pages_shorter_than_the_first_are_filled_in() -> None:
    # every 4th request is cut to 7 rows: the rows it left out are fetched, none twice
    listing = FakeListing(1000, clamp=50, short={n: 7 for n in range(4, 200, 4)})
    p = paginate(listing, concurrent=True, prefetch=4)
    assert [i async for i in p] == listing.rows
    assert p.duplicates == 0 and p.rescans == 0 and p.pages_fetched == len(listing.calls)


async def test_concurrent_max_items_plans_no_more_pages_than_it_needs() -> None:
    listing = FakeListing(5000, clamp=100)
    p = paginate(listing, concurrent=True, prefetch=8, max_items=130)
    assert [i async for i in p] == listing.rows[:130]
    assert len(listing.calls) == 2 and p.pages_fetched == 2


async def test_concurrent_max_items_plans_more_when_pages_held_duplicates() -> None:
    listing = FakeListing(300, clamp=10)

    def insert_four(rows: list[str]) -> None:
        rows[0:0] = ["new-a", "new-b", "new-c", "new-d"]

    listing.before_page[3] = insert_four
    p = paginate(listing, concurrent=True, prefetch=8, max_items=50)
    items = [i async for i in p]
    # the first page leaves 40 to go and 4 pages are planned for them; the 4 rows inserted at
    # the front come back as duplicates, so a fifth page is planned for the rows still wanted
    assert len(items) == len(set(items)) == 50 and set(items) <= set(listing.rows)
    assert p.duplicates == 4 and len(listing.calls) == 6


class SlowListing:
    """Pages that take long to come back, after two quick ones; notes how each call ended."""

    SLOW = 0.5  # seconds: far longer than the few loop turns between a page coming back and a break

    def __init__(self, n: int, *, clamp: int = 10) -> None:
        self.rows = [f"r{i:05d}" for i in range(n)]
        self.clamp = clamp
        self.calls: list[dict[str, Any]] = []  # offset, and outcome: None (running), done, cancelled

    async def fetch(self, offset: int, limit: int) -> tuple[list[Any], int | None]:
        call: dict[str, Any] = {"offset": offset, "outcome": None}
        self.calls.append(call)
        try:
            await asyncio.sleep(0 if len(self.calls) <= 2 else self.SLOW)
        except asyncio.CancelledError:
            call["outcome"] = "cancelled"
            raise
        call["outcome"] = "done"
        page = self.rows[offset : offset + min(limit, self.clamp)]
        return [{"id": r} for r in page], len(self.rows)

    def outcomes(self) -> list[Any]:
        return [c["outcome"] for c in self.calls]


def fetch_tasks(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Tasks started since ``before`` that still run, leaving out the test's own."""
    me = asyncio.current_task()
    return [t for t in asyncio.all_tasks() - before if t is not me and not t.done()]


async def _exit_via_aclosing(p: Paginator[str]) -> list[str]:
    got: list[str] = []
    async with contextlib.aclosing(p):
        async for item in p:
            got.append(item)
            if item == "r00012":
                break
    return got


async def _exit_via_async_with(p: Paginator[str]) -> list[str]:
    got: list[str] = []
    async with p as items:
        assert items is p
        async for item in items:
            got.append(item)
            if item == "r00012":
                break
    assert [i async for i in p] == []  # a closed paginator yields nothing more
    return got


async def _exit_via_pages_and_paginator_aclose(p: Paginator[str]) -> list[str]:
    got: list[str] = []
    pages = p.pages()
    async for page in pages:
        got += page.items
        if len(got) >= 20:
            break
    await p.aclose()  # closes the pages() generator left open above
    return got


async def _exit_via_aclosing_pages(p: Paginator[str]) -> list[str]:
    got: list[str] = []
    async with contextlib.aclosing(p.pages()) as pages:
        async for page in pages:
            got += page.items
            if len(got) >= 20:
                break
    return got


EXITS: dict[str, Callable[[Paginator[str]], Awaitable[list[str]]]] = {
    "aclosing": _exit_via_aclosing,
    "async_with": _exit_via_async_with,
    "pages_then_paginator_aclose": _exit_via_pages_and_paginator_aclose,
    "aclosing_pages": _exit_via_aclosing_pages,
}


@pytest.mark.parametrize("exit_via", list(EXITS))
async def test_leaving_a_concurrent_walk_early_ends_every_fetch_and_starts_none(exit_via: str) -> None:
    listing = SlowListing(2000, clamp=10)
    p = Paginator(
        listing.fetch, lambda raw: raw["id"], lambda item: item, page_size=10, concurrent=True, prefetch=4
    )
    before = asyncio.all_tasks()
    got = await EXITS[exit_via](p)
    # right after the exit: no fetch runs any more, none is left as a pending task
    assert got == listing.rows[: len(got)] and len(got) >= 13
    assert None not in listing.outcomes(), listing.calls
    assert fetch_tasks(before) == []
    assert "cancelled" in listing.outcomes()  # slow pages were in flight, and were cancelled
    at_exit = [dict(c) for c in listing.calls]
    await asyncio.sleep(2 * SlowListing.SLOW)
    assert listing.calls == at_exit  # no fetch started, or ended, after the exit


async def test_aclose_before_iterating_is_harmless() -> None:
    listing = FakeListing(50, clamp=10)
    p = paginate(listing, concurrent=True)
    before = asyncio.all_tasks()
    await p.aclose()
    assert fetch_tasks(before) == []
    assert [i async for i in p] == [] and listing.calls == []
    assert await p.all() == listing.rows  # all() and pages() start a walk of their own


def test_bad_arguments() -> None:
    listing = FakeListing(1)
    with pytest.raises(UsageError, match="page_size"):
        paginate(listing, page_size=0)
    with pytest.raises(UsageError, match="max_items"):
        paginate(listing, max_items=-1)


# -- cursor (keyset) paging -------------------------------------------------------------------


class KeysetListing:
    """A sorted server-side list paged by cursor: each page starts after the cursor's row."""

    def __init__(self, n: int, *, clamp: int = 100) -> None:
        self.rows: list[str] = [f"r{i:05d}" for i in range(0, 2 * n, 2)]
        self.clamp = clamp
        self.cursors: list[str] = []
        self.before_page: dict[int, Callable[[list[str]], None]] = {}

    async def fetch_after(self, cursor: str, limit: int) -> tuple[list[Any], int | None, str | None]:
        self.cursors.append(cursor)
        hook = self.before_page.get(len(self.cursors))
        if hook:
            hook(self.rows)
        after = [r for r in sorted(self.rows) if r > cursor] if cursor else sorted(self.rows)
        page = after[: min(limit, self.clamp)]
        more = len(after) > len(page)
        return list(page), len(self.rows), page[-1] if more and page else None

    async def no_offsets(self, offset: int, limit: int) -> tuple[list[Any], int | None]:
        raise AssertionError("a cursor walk must not page by offset")


def _by_cursor(listing: KeysetListing, **kwargs: Any) -> Paginator[str]:
    return Paginator(listing.no_offsets, str, str, fetch_after=listing.fetch_after, **kwargs)


async def test_a_cursor_walk_follows_next_cursor_until_there_is_none() -> None:
    listing = KeysetListing(250, clamp=100)
    pager = _by_cursor(listing, page_size=500)
    assert pager.by_cursor
    assert await pager.all() == sorted(listing.rows)
    assert listing.cursors == ["", "r00198", "r00398"]  # each page after the last row of the one before
    assert pager.pages_fetched == 3 and pager.total_entries == 250 and pager.rescans == 0


async def test_rows_inserted_or_deleted_during_a_cursor_walk_never_repeat_or_skip_the_rest() -> None:
    listing = KeysetListing(300, clamp=50)
    original = sorted(listing.rows)
    # Before page 3: rows inserted before the cursor (an offset walk would repeat rows) and rows
    # deleted before it (an offset walk would skip rows).
    listing.before_page[3] = lambda rows: (rows.extend(["r00001", "r00003", "r00005"]), rows.remove("r00000"))
    # Offset paging would now repeat two rows; by cursor, the walk goes on after its last row.
    got = await _by_cursor(listing).all()
    assert got == original


async def test_a_cursor_walk_stops_at_max_items_and_on_an_empty_first_page() -> None:
    listing = KeysetListing(250, clamp=100)
    assert await _by_cursor(listing, max_items=120).all() == sorted(listing.rows)[:120]
    assert listing.cursors == ["", "r00198"]
    assert await _by_cursor(KeysetListing(0)).all() == []


@pytest.mark.parametrize("kwargs", [{"start": 5}, {"concurrent": True}])
async def test_a_cursor_walk_refuses_offsets_and_concurrency(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="cursor paging"):
        _by_cursor(KeysetListing(3), **kwargs)


# -- what dedupe remembers ---------------------------------------------------------------------


def test_the_seen_keys_answer_like_a_set_across_chunks() -> None:
    import random

    from airflow_async.pagination import _SeenKeys

    rng = random.Random(7)
    added = [rng.getrandbits(64) - (1 << 63) for _ in range(5_000)]
    seen, reference = _SeenKeys(batch=512), set()
    for h in added:
        assert (h in seen) == (h in reference)
        seen.add(h)
        reference.add(h)
    assert len(seen) == len(reference) == 5_000
    assert all(h in seen for h in added)
    assert not any(rng.getrandbits(64) - (1 << 63) in seen for _ in range(5_000))


def test_dedupe_remembers_about_8_bytes_per_key_not_a_python_set() -> None:
    import tracemalloc

    from airflow_async.pagination import _SeenKeys

    n = 300_000
    tracemalloc.start()
    try:
        seen = _SeenKeys()
        for i in range(n):
            seen.add(hash(("dag", f"run {i}", "task", i, "key")))
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 8 bytes a key in the sorted chunks, a 1 MB bitmap, and at most one batch in a set (a
    # set of Python ints alone would take ~70 bytes a key: 21 MB here).
    assert current < n * 8 + (1 << 20) + (1 << 16) * 80


def test_a_walk_in_a_total_order_remembers_a_window_not_every_key() -> None:
    import tracemalloc

    from airflow_async.pagination import _Dedupe, _SeenKeys

    n, page = 300_000, 100

    def walk(seen: _Dedupe | _SeenKeys) -> int:
        tracemalloc.start()
        try:
            for start in range(0, n, page):
                hashes = [hash(("dag", f"run {i}", "task", i, "key")) for i in range(start, start + page)]
                if isinstance(seen, _Dedupe):
                    assert all(seen.fresh(hashes))
                else:
                    for h in hashes:
                        seen.add(h)
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    windowed = _Dedupe(window=20)
    try:
        # The last 20 pages' keys in sets, and at most one spill buffer (64k keys, 8 bytes each).
        assert walk(windowed) < 20 * page * 80 + (1 << 16) * 8 + (1 << 16)
        assert windowed.windowed and windowed.spilled >= n - (1 << 16)
    finally:
        windowed.close()
    assert walk(_SeenKeys()) > n * 8  # what every key checked costs


async def test_a_change_seen_long_after_the_window_still_yields_each_row_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow_async.pagination import _Dedupe

    monkeypatch.setattr(_Dedupe, "_SPILL", 64)  # spill to the file every 64 keys
    listing = FakeListing(3_000, clamp=10)
    # After 200 pages (2,000 rows, far behind a window of one page), 5 rows at the front go:
    # the rest slide back by 5, so 5 rows slip behind the offset and only a re-scan from the
    # start finds them; that re-scan meets 2,000 rows seen long ago, known only from the file.
    listing.before_page[201] = lambda rows: rows.__delitem__(slice(0, 5))
    p = paginate(listing, total_order=True)
    items = await p.all()
    assert len(items) == len(set(items)) == 3_000
    assert set(listing.rows) <= set(items)
    assert p.rescans == 1 and p.duplicates >= 2_000 and p.shortfall == 0
