"""Writes are never repeated after a failure that may have reached the server; read-only POSTs are.

After an ambiguous failure (the server may have done the work: a 502, a body cut off, the
connection dropped, no answer in time) a trigger or a create must be reported, not sent again.
Failures that say the server did nothing (429, 503, a connection refused, a request that could
not be written) are safe to retry. The read-only ``POST /dags/~/dagRuns/list`` is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airflow_async import (
    AirflowClient,
    AirflowError,
    DecodeError,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
)
from tests.fakes.fault_server import FaultRule
from tests.faults.helpers import HANG_SECONDS, TIMEOUT, FaultsServer, client

pytestmark = pytest.mark.filterwarnings("error")

# fault (as FaultRule keywords) -> the error a write reports after it, not retried
AMBIGUOUS: dict[str, tuple[dict[str, object], type[AirflowError]]] = {
    "502": (dict(kind="status", status=502), ServerError),
    "500": (dict(kind="status", status=500), ServerError),
    "504": (dict(kind="status", status=504), ServerError),
    "drop_body": (dict(kind="drop_body"), TransportError),
    "disconnect": (dict(kind="disconnect"), TransportError),
    "truncate_json": (dict(kind="truncate_json"), DecodeError),
    "hang": (dict(kind="hang", hang_seconds=HANG_SECONDS), RequestTimeout),
    "stall_body": (dict(kind="stall_body", hang_seconds=HANG_SECONDS), RequestTimeout),
}

WRITES: dict[str, tuple[str, Callable[[AirflowClient], Awaitable[Any]]]] = {
    "trigger": ("dag_run_trigger", lambda af: af.dag_runs.trigger("dag_0000", dag_run_id="manual__once")),
    "create_variable": ("variable_create", lambda af: af.variables.create("k", "v")),
}


def timing_client(srv: FaultsServer) -> AirflowClient:
    """A client whose requests time out on a hang in :data:`TIMEOUT`, which a healthy one beats easily."""
    return client(srv, timeout=TIMEOUT)


@pytest.mark.parametrize("fault", list(AMBIGUOUS))
@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_is_sent_once_after_an_ambiguous_failure(
    srv: FaultsServer, write: str, fault: str
) -> None:
    route, call = WRITES[write]
    rule, error = AMBIGUOUS[fault]
    injected = srv.faults.add(FaultRule(route=route, times=1, **rule))  # type: ignore[arg-type]
    async with timing_client(srv) as af:
        with pytest.raises(error) as info:
            await call(af)
        assert af.stats.retries == 0 and af.stats.failures == 1 and af.stats.requests == 1
    assert srv.stats.total_requests == 1  # exactly one call reached the server
    assert srv.faults.fired(injected) == sum(srv.stats.faults.values()) == 1
    assert info.value.method == "POST"  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_refused_with_429_or_503_is_retried(srv: FaultsServer, write: str, status: int) -> None:
    route, call = WRITES[write]
    srv.faults.add(FaultRule(kind="status", status=status, route=route, times=1))
    async with client(srv) as af:
        await call(af)
        assert af.stats.retries == 1
    assert srv.stats.count(route, status) == 1 and srv.stats.count(route, 200) == 1


async def test_a_write_that_keeps_being_refused_is_reported(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="status", status=429, route="dag_run_trigger"))
    async with client(srv) as af:
        with pytest.raises(RateLimited):
            await af.dag_runs.trigger("dag_0000")
        assert af.stats.retries == af.retry.max_attempts - 1
    assert srv.stats.count("dag_run_trigger") == af.retry.max_attempts
    assert srv.data.trigger_calls == []  # refused every time: no run was made


async def test_a_write_on_a_connection_the_server_closed_is_sent_once(srv: FaultsServer) -> None:
    """The server closes each connection after answering (without saying so): the next request on
    it cannot be written. That request never reached the server, so it is sent again, once."""
    srv.faults.add(FaultRule(kind="close_after"))
    async with client(srv) as af:
        for i in range(5):
            await af.dags.get("dag_0000")  # leaves a connection the server is closing in the pool
            run = await af.dag_runs.trigger("dag_0000", dag_run_id=f"manual__{i}")
            assert run.dag_run_id == f"manual__{i}"
            await af.variables.create(f"key {i}", "v")
    assert [c["body"]["dag_run_id"] for c in srv.data.trigger_calls] == [f"manual__{i}" for i in range(5)]
    assert sorted(srv.data.variables) == [f"key {i}" for i in range(5)]


async def test_a_write_on_a_reused_connection_that_is_reset_is_not_repeated(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="reset_keepalive", route="dag_run_trigger"))
    async with client(srv) as af:
        await af.dags.get("dag_0000")  # opens the connection the trigger will reuse
        with pytest.raises(TransportError, match="POST"):
            await af.dag_runs.trigger("dag_0000")
        assert af.stats.retries == 0
    assert srv.stats.count("dag_run_trigger") == 1


BATCH_FAULTS = {**{k: v[0] for k, v in AMBIGUOUS.items()}, "reset_keepalive": dict(kind="reset_keepalive")}


@pytest.mark.parametrize("fault", list(BATCH_FAULTS))
async def test_the_read_only_batch_listing_is_retried(srv: FaultsServer, fault: str) -> None:
    rule = FaultRule(route="dag_runs_batch", times=1, **BATCH_FAULTS[fault])  # type: ignore[arg-type]
    srv.faults.add(rule)
    # The GET and the retry are healthy and must beat the timeout: TIMEOUT leaves them a wide margin.
    async with timing_client(srv) as af:
        await af.dags.get("dag_0000")  # a connection to reuse, for reset_keepalive
        listing = af.dag_runs.list_batch(dag_ids=["dag_0001"], page_size=3, max_items=3)
        runs = await listing.all()
        assert af.stats.retries == 1 and af.stats.failures == 0
    assert listing.total_entries == 5 and [r.dag_id for r in runs] == ["dag_0001"] * 3
    assert srv.faults.fired(rule) == 1  # the one retry is of the one fault injected
    assert srv.stats.total_requests == 3  # the GET, the failed attempt and its retry
