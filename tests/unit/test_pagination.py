"""The paginator over a fake in-memory listing: clamping, empty pages, shifting rows, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_async import Paginator, UsageError


class FakeListing:
    """A server-side list that clamps limits and can change between page requests."""

    def __init__(self, n: int, *, clamp: int = 100, report_total: bool = True) -> None:
        self.rows: list[str] = [f"r{i:05d}" for i in range(n)]
        self.clamp = clamp
        self.report_total = report_total
        self.calls: list[tuple[int, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.before_page: dict[int, Any] = {}

    async def fetch(self, offset: int, limit: int) -> tuple[list[Any], int | None]:
        self.calls.append((offset, limit))
        hook = self.before_page.get(len(self.calls))
        if hook:
            hook(self.rows)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001 * (len(self.calls) % 3))  # out-of-order completion
        finally:
            self.in_flight -= 1
        page = self.rows[offset : offset + min(limit, self.clamp)]
        return [{"id": r} for r in page], (len(self.rows) if self.report_total else None)


def paginate(listing: FakeListing, **kwargs: Any) -> Paginator[str]:
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


def test_bad_arguments() -> None:
    listing = FakeListing(1)
    with pytest.raises(UsageError, match="page_size"):
        paginate(listing, page_size=0)
    with pytest.raises(UsageError, match="max_items"):
        paginate(listing, max_items=-1)
