"""bounded_map: the bound, completion order, laziness, cancellation."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from airflow_async import bounded_map
from airflow_async.fanout import read_ahead


async def test_bound_is_respected_and_results_come_as_they_complete() -> None:
    running = 0
    peak = 0

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02 if n == 0 else 0.001)
        running -= 1
        return n

    results = [r async for r in bounded_map(work, range(20), limit=4)]
    assert sorted(results) == list(range(20))
    assert peak == 4
    assert results[0] != 0  # the slow first call did not hold back the others


async def test_inputs_are_pulled_lazily() -> None:
    pulled = 0

    def numbers() -> itertools.count[int]:
        return itertools.count()

    def counted() -> object:
        nonlocal pulled
        for n in numbers():
            pulled += 1
            yield n

    async def work(n: int) -> int:
        await asyncio.sleep(0)
        return n

    fan = bounded_map(work, counted(), limit=8)  # type: ignore[arg-type]
    async with fan:
        async for r in fan:
            if r >= 50:
                break
    # at most: what was consumed, the results waiting in the queue, and the calls running
    assert pulled <= 51 + 8 + 8
    assert fan.max_in_flight <= 8


async def test_async_input_overlaps_with_work() -> None:
    async def source() -> AsyncIterator[int]:
        for i in range(10):
            await asyncio.sleep(0.001)
            yield i

    async def work(n: int) -> int:
        await asyncio.sleep(0.001)
        return n * 2

    assert sorted([r async for r in bounded_map(work, source(), limit=3)]) == [i * 2 for i in range(10)]


async def test_early_exit_cancels_what_is_in_flight() -> None:
    cancelled = 0

    async def work(n: int) -> int:
        nonlocal cancelled
        try:
            await asyncio.sleep(0 if n == 0 else 10)
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return n

    fan = bounded_map(work, range(100), limit=5)
    async with fan:
        async for r in fan:
            assert r == 0
            break
    assert fan.started == 6  # 0 finished, its worker took 5; the other four took 1..4
    assert cancelled == fan.started - 1
    assert fan.in_flight == 0


async def test_an_error_cancels_the_rest_and_propagates() -> None:
    cancelled = 0

    async def work(n: int) -> int:
        nonlocal cancelled
        if n == 3:
            raise ValueError("boom")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return n

    with pytest.raises(ValueError, match="boom"):
        async for _ in bounded_map(work, range(100), limit=6):
            pass
    assert cancelled == 5


async def test_an_error_in_the_input_propagates() -> None:
    async def source() -> AsyncIterator[int]:
        yield 1
        raise RuntimeError("listing failed")

    async def work(n: int) -> int:
        return n

    with pytest.raises(RuntimeError, match="listing failed"):
        async for _ in bounded_map(work, source(), limit=2):
            pass


async def test_hundred_thousand_inputs_do_not_mean_hundred_thousand_tasks() -> None:
    async def work(n: int) -> int:
        return n

    before = len(asyncio.all_tasks())
    peak = 0
    total = 0
    async for _ in bounded_map(work, range(100_000), limit=16):
        total += 1
        if total % 5000 == 0:
            peak = max(peak, len(asyncio.all_tasks()) - before)
    assert total == 100_000
    assert peak <= 16 + 1


async def test_read_ahead_preserves_order_and_errors() -> None:
    async def source() -> AsyncIterator[int]:
        for i in range(5):
            yield i
        raise KeyError("late")

    got: list[int] = []
    with pytest.raises(KeyError):
        async for i in read_ahead(source(), size=2):
            got.append(i)
    assert got == [0, 1, 2, 3, 4]


async def test_read_ahead_refills_in_bursts_not_one_wake_up_per_item() -> None:
    consumed = 0
    produced_at: list[int] = []  # how many items the consumer had taken when each was read

    async def source() -> AsyncIterator[int]:
        for i in range(1_000):
            produced_at.append(consumed)
            yield i

    got = []
    async for i in read_ahead(source(), size=10):
        got.append(i)
        consumed += 1
        await asyncio.sleep(0)  # a consumer that yields to the loop, as a harvest worker does
    assert got == list(range(1_000))
    # Never more than 10 ahead (plus the one being handed over) ...
    assert all(i - at <= 11 for i, at in enumerate(produced_at))
    # ... and refilled when half were taken: ~200 bursts of 5, not ~1,000 wake-ups of the reader.
    assert len(set(produced_at)) <= 1_000 // 5 + 2
