"""A server that dies under a harvest is not hammered: the harvest gives up, soon, with a clear error.

Times are loose upper bounds on how long the harvest goes on once the server broke (the point is
"it ends", not how fast: no bound here assumes an idle machine); the number of requests the server
saw after it broke is bounded by what was already listed plus the retry budget.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_async import AirflowError, ConnectError, HarvestAborted, ServerError, TransportError
from tests.fakes.fault_server import DataSpec, FaultRule
from tests.faults.helpers import FAST, HANG_SECONDS, TIMEOUT, Tally, client, serve

pytestmark = pytest.mark.filterwarnings("error")

ENTRIES = DataSpec.for_entries(5_000)
#: Requests a harvest may still send once the server is broken: entries listed ahead (about
#: 300), the value fetches in flight, the retry budget (200), the listing's own attempts.
MAX_REQUESTS_AFTER_BREAK = 1_200
#: Seconds a harvest may go on once the server broke. Failing answers end it in 0.2 s on an idle
#: machine (up to 12 s measured at load average 24 on 2 cores); a hanging server is only found out
#: by timeouts, a wave of them per retry round, and the retry budget (2 tokens a timeout) and
#: abort_after end it after about 11 waves of TIMEOUT (17 s, idle or loaded).
DEADLINE = max(60.0, 40 * TIMEOUT)

BREAKS = {
    "503_for_everything": (dict(kind="status", status=503), (ServerError, HarvestAborted)),
    "502_html_from_a_proxy": (dict(kind="status", status=502, html_body=True), (ServerError, HarvestAborted)),
    "500_for_everything": (dict(kind="status", status=500), (ServerError, HarvestAborted)),
    "connections_dropped": (dict(kind="disconnect"), (TransportError, HarvestAborted)),
    "hangs_past_the_timeout": (
        dict(kind="hang", hang_seconds=HANG_SECONDS),
        (TransportError, HarvestAborted),
    ),
}


@pytest.mark.parametrize("breakage", list(BREAKS))
async def test_a_server_that_starts_failing_everything(breakage: str) -> None:
    rule, errors = BREAKS[breakage]
    async with serve(data=ENTRIES) as srv:
        tally = Tally()
        broke_at, broke_time = 0, 0.0
        # Only the hang needs a timeout short enough to end the test: the other breakages answer
        # at once, and there a healthy request slowed by a busy machine must not time out at all.
        hang = rule["kind"] == "hang"
        timeout = TIMEOUT if hang else 30.0
        async with client(srv, timeout=timeout) as af:
            with pytest.raises(errors) as info:
                async with af.xcom.harvest() as harvest:
                    async for result in harvest:
                        tally.add(result)
                        if len(tally.values) == 500 and not broke_at:
                            broke_at, broke_time = srv.stats.total_requests, time.monotonic()
                            srv.faults.add(FaultRule(**rule))  # type: ignore[arg-type]
            gave_up_after = time.monotonic() - broke_time
        after_break = srv.stats.total_requests - broke_at

    assert gave_up_after < DEADLINE
    assert 0 < after_break < MAX_REQUESTS_AFTER_BREAK
    assert len(tally.values) >= 500 and tally.repeats == []
    s = harvest.stats
    assert s.balanced and s.delivered == len(tally.values) and s.failed == len(tally.failures)
    assert s.listed < ENTRIES.total_entries  # it stopped listing, too
    assert isinstance(info.value, AirflowError) and str(info.value)
    if isinstance(info.value, HarvestAborted):
        assert "the server looks down" in str(info.value) and info.value.stats is s


async def test_a_server_that_is_killed_mid_harvest() -> None:
    srv_cm = serve(data=ENTRIES)
    srv = await srv_cm.__aenter__()
    try:
        tally = Tally()
        async with client(srv) as af:
            with pytest.raises((HarvestAborted, ConnectError)) as info:
                async with af.xcom.harvest() as harvest:
                    async for result in harvest:
                        tally.add(result)
                        if len(tally.values) == 500:
                            sent_before = af.stats.requests
                            await srv.stop()
                            stopped = time.monotonic()
            gave_up_after = time.monotonic() - stopped
            sent_after = af.stats.requests - sent_before
    finally:
        await srv_cm.__aexit__(None, None, None)
    assert gave_up_after < DEADLINE
    assert sent_after < MAX_REQUESTS_AFTER_BREAK  # attempts, all refused
    assert harvest.stats.balanced and tally.repeats == []
    err = info.value
    if isinstance(err, HarvestAborted):
        assert "cannot connect to 127.0.0.1" in str(err)
    else:
        assert isinstance(err, ConnectError)
        assert err.url.startswith(srv.url) and "is the server running" in str(err)


async def test_a_server_that_is_down_from_the_start() -> None:
    async with serve() as srv:
        url = srv.url
    started = time.monotonic()
    async with client(url) as af:
        with pytest.raises(ConnectError) as info:
            async with af.xcom.harvest() as harvest:
                async for _ in harvest:
                    pass
        assert af.stats.requests <= 2 * af.retry.max_attempts  # the listing and the run map, each bounded
    assert time.monotonic() - started < DEADLINE
    assert info.value.url.startswith(url + "/api/v1/dags/~/dagRuns")
    assert harvest.stats.listed == 0 and harvest.stats.balanced


async def test_abort_after_bounds_the_failures_a_harvest_collects() -> None:
    async with serve(data=ENTRIES) as srv:
        srv.faults.add(FaultRule(kind="disconnect", route="xcom_get"))
        tally = Tally()
        async with client(srv) as af:
            with pytest.raises(HarvestAborted, match="after 10 consecutive transport failures"):
                async with af.xcom.harvest(abort_after=10) as harvest:
                    async for result in harvest:
                        tally.add(result)
    assert len(tally.failures) == harvest.stats.failed == 10 and not tally.values  # the 10th one too
    assert all(isinstance(e, TransportError) for e in tally.failures.values())
    assert harvest.stats.delivered == 0 and harvest.stats.balanced


async def test_the_retry_budget_caps_retries_against_a_dead_server() -> None:
    async with serve() as srv:
        srv.faults.add(FaultRule(kind="status", status=503))
        async with client(srv) as af:  # the default budget: 200 retries
            results = await asyncio.gather(
                *(af.dags.get("dag_0000") for _ in range(300)), return_exceptions=True
            )
            stats = af.stats
    assert all(isinstance(r, ServerError) and r.status == 503 for r in results)
    assert stats.retries <= FAST.budget == 200  # type: ignore[operator]
    assert stats.budget_exhausted > 0
    assert srv.stats.total_requests == 300 + stats.retries < 300 * FAST.max_attempts
