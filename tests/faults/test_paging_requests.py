"""How many page requests a walk makes through the fake server, and that stopping early stops them.

A concurrent walk plans its offsets from the pages it has seen: one short page (the first one,
cut to 2 rows) must not make every later request cover 2 rows only, and a server that clamps
below the ``limit`` asked is still walked with one request a page. Leaving a concurrent walk
early (``async with``, ``break``) ends the page requests in flight and starts none.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

import pytest

from airflow_async import Paginator
from tests.fakes.fault_server import FaultRule
from tests.faults.helpers import client, serve
from tests.faults.test_paging import LISTINGS, SPEC, rows_now, walk

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("listing", list(LISTINGS))
async def test_a_short_first_page_does_not_shrink_the_later_requests(listing: str) -> None:
    route, page_size, _, _ = LISTINGS[listing]
    async with serve(data=SPEC) as srv:
        expected = rows_now(srv, listing)
        srv.faults.add(FaultRule(kind="clamp_page", route=route, page_limit=2, max_faults=1))
        async with client(srv, max_concurrency=8) as af:
            got, paginator = await walk(af, listing, concurrent=True)
    assert got == expected
    requests = srv.stats.count(route)
    # one request a page, plus at most the window planned before a full page came back
    # (before the fix: a request every 2 rows, 1,440 for the 2,880 XComs)
    assert requests <= math.ceil(len(expected) / page_size) + 8 + 2, requests
    assert paginator.pages_fetched == requests


@pytest.mark.parametrize("listing", ["xcom", "task_instances"])
async def test_a_clamp_below_the_page_size_costs_one_request_a_page(listing: str) -> None:
    route, page_size, _, _ = LISTINGS[listing]
    clamp = page_size // 4
    async with serve(data=SPEC) as srv:
        expected = rows_now(srv, listing)
        srv.faults.add(FaultRule(kind="clamp_page", route=route, page_limit=clamp))
        async with client(srv, max_concurrency=8) as af:
            got, paginator = await walk(af, listing, concurrent=True)
    assert got == expected and paginator.duplicates == 0
    assert srv.stats.count(route) == math.ceil(len(expected) / clamp)


async def _break_in(runs: Paginator[Any], seen: list[Any]) -> None:
    async for run in runs:
        seen.append(run)
        if len(seen) == 10:  # in the second page: concurrent pages are in flight
            break


HANG = 0.3  # seconds each listing page takes to come back


@pytest.mark.parametrize("exit_via", ["async_with", "aclosing", "pages_aclose"])
async def test_leaving_a_concurrent_listing_early_ends_its_requests(exit_via: str) -> None:
    async with serve(data=SPEC) as srv:
        srv.faults.add(FaultRule(kind="hang", route="dag_runs_list", hang_seconds=HANG))
        async with client(srv, max_concurrency=2) as af:
            before = asyncio.all_tasks()
            seen: list[Any] = []
            runs = af.dag_runs.list(page_size=7, concurrent=True)
            if exit_via == "async_with":
                async with runs as listed:
                    await _break_in(listed, seen)
            elif exit_via == "aclosing":
                async with contextlib.aclosing(runs):
                    await _break_in(runs, seen)
            else:
                async with contextlib.aclosing(runs.pages()) as pages:
                    async for page in pages:
                        seen += page.items
                        if len(seen) >= 10:
                            break
            # right after the exit: no request of the listing is left running
            assert client_tasks(before) == []
            requests_at_exit = srv.stats.total_requests
            await asyncio.sleep(2 * HANG)
            assert srv.stats.total_requests == requests_at_exit  # and none started since
    assert len(seen) >= 10


def client_tasks(before: set[asyncio.Task[Any]]) -> list[str]:
    """Tasks started since ``before`` that still run, leaving out the fake server's own."""
    me = asyncio.current_task()
    names = [
        str(getattr(t.get_coro(), "__qualname__", t.get_coro()))
        for t in asyncio.all_tasks() - before
        if t is not me and not t.done()
    ]
    return sorted(n for n in names if not n.startswith(SERVER_TASKS))


# the fake server's handlers and its hang faults
SERVER_TASKS = ("RequestHandler.", "BaseSelectorEventLoop._accept_connection", "Event.wait")
