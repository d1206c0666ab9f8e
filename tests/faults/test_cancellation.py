"""Stopping early: breaking out, cancelling the task, aborting. Nothing keeps running, nothing leaks."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airflow_async import Harvest, HarvestAborted, HarvestResult, HarvestStats
from tests.fakes.fault_server import DataSpec, FaultRule
from tests.faults.helpers import FaultsServer, Tally, client, serve

pytestmark = pytest.mark.filterwarnings("error")

REPO = Path(__file__).resolve().parents[2]


def assert_accounted(tally: Tally, stats: HarvestStats) -> None:
    assert tally.repeats == []
    assert stats.delivered == len(tally.values) and stats.failed == len(tally.failures)
    assert stats.balanced
    assert stats.listed == stats.delivered + stats.failed + stats.cancelled + stats.skipped


async def test_breaking_out_of_the_harvest_stops_everything(srv: FaultsServer) -> None:
    before = asyncio.all_tasks()
    tally = Tally()
    async with client(srv, max_concurrency=8) as af:
        async with af.xcom.harvest() as harvest:
            async for result in harvest:
                tally.add(result)
                if len(tally.values) == 50:
                    break
        # right after the harvest closed: nothing of it runs any more
        assert client_tasks(before) == []
        requests_after_close = srv.stats.total_requests
        await asyncio.sleep(0.05)
        assert srv.stats.total_requests == requests_after_close
    assert len(tally.values) == 50
    assert harvest.stats.cancelled > 0  # listed, never fetched: counted, not lost
    assert_accounted(tally, harvest.stats)


async def test_cancelling_the_task_that_runs_the_harvest(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="hang", route="xcom_get", every=7, hang_seconds=30))
    tally = Tally()
    got_some = asyncio.Event()
    started: list[Harvest] = []

    async def consume() -> None:
        async with client(srv) as af:
            async with af.xcom.harvest() as harvest:
                started.append(harvest)
                async for result in harvest:
                    tally.add(result)
                    if len(tally.values) >= 20:
                        got_some.set()

    before = asyncio.all_tasks()
    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_some.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client_tasks(before) == []
    stats = started[0].stats
    assert stats.finished is not None and stats.cancelled > 0
    assert_accounted(tally, stats)


async def test_breaking_out_without_async_with_is_cleaned_up_when_the_client_closes(
    srv: FaultsServer,
) -> None:
    received = 0
    async with client(srv) as af:
        harvest = af.xcom.harvest()
        async for result in harvest:
            received += 1
            if result.ok:
                break
    # the client's exit closed the harvest it had left running
    assert harvest.stats.finished is not None and harvest.stats.balanced
    assert harvest.stats.delivered + harvest.stats.failed == received
    assert harvest.stats.delivered >= 1 and harvest.stats.cancelled > 0


async def test_an_aborted_harvest_stops_its_requests_even_without_async_with() -> None:
    async with serve(data=DataSpec.for_entries(1_000)) as srv:
        srv.faults.add(FaultRule(kind="disconnect", route="xcom_get"))
        async with client(srv) as af:
            harvest = af.xcom.harvest()
            seen: list[HarvestResult] = []
            with pytest.raises(HarvestAborted) as info:
                async for result in harvest:
                    seen.append(result)
            count = srv.stats.total_requests
            await asyncio.sleep(0.05)
            assert srv.stats.total_requests == count  # nothing left running after the abort
    assert info.value.stats is harvest.stats and harvest.stats.balanced
    assert all(not r.ok for r in seen) and len(seen) == harvest.stats.failed


async def test_breaking_out_of_a_concurrent_listing(srv: FaultsServer) -> None:
    async with client(srv) as af:
        n = 0
        async for _ in af.xcom.list(page_size=10, concurrent=True):
            n += 1
            if n == 35:
                break
        await asyncio.sleep(0.05)
    assert n == 35


@pytest.mark.parametrize("close_client", [True, False])
def test_a_program_that_breaks_out_of_a_harvest_exits(close_client: bool) -> None:
    """asyncio.run() cancels what is left at exit; the harvest's workers must let it finish."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from airflow_async import AirflowClient, BasicAuth
        from tests.fakes.fault_server import DataSpec, start_fault_server

        async def main():
            async with start_fault_server(data=DataSpec.for_entries(2000)) as srv:
                af = AirflowClient(srv.url, auth=BasicAuth("admin", "admin"))
                await af.__aenter__()
                async for result in af.xcom.harvest():
                    break
                print("broke out", flush=True)
                await asyncio.sleep(0.2)  # the workers fill the result queue and wait
                if {close_client}:
                    await af.aclose()

        asyncio.run(main())
        print("exited", flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=30
    )
    assert proc.stdout.split() == ["broke", "out", "exited"], proc.stderr[-2000:]


def client_tasks(before: set[asyncio.Task[object]]) -> list[str]:
    """Tasks started since ``before`` that are still running, leaving out the server's own."""
    names = [_name(t) for t in asyncio.all_tasks() - before if not t.done()]
    return sorted(n for n in names if not n.startswith(SERVER_TASKS))


# the fake server's handlers, and its hang faults (asyncio.wait_for on an Event wraps it in a task)
SERVER_TASKS = ("RequestHandler.", "BaseSelectorEventLoop._accept_connection", "Event.wait")


def _name(task: asyncio.Task[object]) -> str:
    return str(getattr(task.get_coro(), "__qualname__", task.get_coro()))
