"""Broken answers to reads: retried when that can help, reported as typed errors when it cannot."""

from __future__ import annotations

import pytest

from airflow_async import AirflowClient, DecodeError, RequestTimeout, RetryPolicy, TransportError
from tests.fakes.fault_server import FaultRule
from tests.faults.helpers import HANG_SECONDS, TIMEOUT, FaultsServer, client

pytestmark = pytest.mark.filterwarnings("error")

RUN0 = "scheduled__2024-01-01T00:00:00+00:00"
THREE = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.01)


async def get_value(af: AirflowClient) -> object:
    xcom = await af.xcom.get("dag_0000", RUN0, "t00_extract", "nested/path/key")
    return xcom.value


EXPECTED = {
    "dag_id": "dag_0000",
    "run_id": RUN0,
    "task_id": "t00_extract",
    "map_index": -1,
    "key": "nested/path/key",
}

# faults that a retry of a read gets past
TRANSIENT = {
    "truncate_json": dict(kind="truncate_json"),
    "drop_body": dict(kind="drop_body"),
    "hang": dict(kind="hang", hang_seconds=HANG_SECONDS),
    "stall_body": dict(kind="stall_body", hang_seconds=HANG_SECONDS),
    "503_html_page": dict(kind="status", status=503, html_body=True),
}


@pytest.mark.parametrize("fault", list(TRANSIENT))
async def test_a_read_gets_past_a_transient_fault(srv: FaultsServer, fault: str) -> None:
    rule = srv.faults.add(FaultRule(route="xcom_get", times=2, **TRANSIENT[fault]))  # type: ignore[arg-type]
    # The third attempt is healthy and must beat the timeout: TIMEOUT leaves it a wide margin.
    async with client(srv, timeout=TIMEOUT) as af:
        value = await get_value(af)
        assert af.stats.retries == 2 and af.stats.failures == 0
        assert af.stats.requests == 3
    assert value == {**EXPECTED, "n": value["n"]}  # type: ignore[index]
    # one retry per fault the server injected, and the server saw each attempt
    assert srv.faults.fired(rule) == sum(srv.stats.faults.values()) == 2
    assert srv.stats.total_requests == 3


async def test_disconnects_are_retried(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="disconnect", route="xcom_get", times=3))
    async with client(srv) as af:
        value = await get_value(af)
        # aiohttp repeats a GET once by itself after a disconnect; the policy does the rest
        assert 1 <= af.stats.retries <= 3
    assert isinstance(value, dict) and value["key"] == "nested/path/key"
    assert srv.stats.faults["disconnect"] == 3


async def test_keepalive_resets_are_retried(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="reset_keepalive", times=1))
    async with client(srv) as af:
        for _ in range(10):  # every request after the first is on a reused connection
            assert await af.dags.get("dag_0001")
        assert af.stats.failures == 0
    assert srv.stats.faults["reset_keepalive"] >= 1


async def test_a_body_always_cut_short_is_a_decode_error_after_the_retries(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="truncate_json", route="xcom_get", fraction=0.4))
    async with client(srv, retry=THREE) as af:
        with pytest.raises(DecodeError) as info:
            await get_value(af)
        assert af.stats.retries == 2
    err = info.value
    assert err.status == 200 and err.method == "GET" and err.content_type.startswith("application/json")
    assert "not valid JSON" in str(err) and "cut short" in str(err)
    assert "body starts '{" in str(err)  # it quotes what came back
    assert srv.stats.count("xcom_get") == 3


async def test_html_with_200_is_a_decode_error_that_says_what_came_back(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="html", route="xcom_get"))
    async with client(srv, retry=THREE) as af:
        with pytest.raises(DecodeError) as info:
            await get_value(af)
        assert af.stats.retries == 0  # a login page does not turn into JSON when asked again
    msg = str(info.value)
    assert "got an HTML page" in msg and "Content-Type text/html" in msg
    assert "<!DOCTYPE html>" in msg and "Sign In - Airflow" in msg
    assert "/xcomEntries/nested%2Fpath%2Fkey" in msg
    assert srv.stats.count("xcom_get") == 1


async def test_a_body_always_dropped_is_a_transport_error(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="drop_body", route="xcom_get"))
    async with client(srv, retry=THREE) as af:
        with pytest.raises(TransportError) as info:
            await get_value(af)
        assert af.stats.retries == 2
    assert type(info.value) is TransportError and "ClientPayloadError" in str(info.value)
    assert srv.stats.count("xcom_get", "dropped") == 3


@pytest.mark.parametrize("kind", ["hang", "stall_body"])
async def test_no_answer_in_time_is_a_request_timeout_after_the_retries(srv: FaultsServer, kind: str) -> None:
    srv.faults.add(FaultRule(kind=kind, route="xcom_get", hang_seconds=HANG_SECONDS))  # type: ignore[arg-type]
    async with client(srv, retry=THREE, timeout=TIMEOUT) as af:
        with pytest.raises(RequestTimeout) as info:
            await get_value(af)
        assert af.stats.retries == 2 and af.stats.failures == 1
    assert f"no complete response within {TIMEOUT}s" in str(info.value)
    assert info.value.url.startswith(srv.url) and "nested%2Fpath%2Fkey" in info.value.url
    # all three attempts reached the server, and each one hung there
    assert srv.stats.faults[kind] == srv.stats.total_requests == 3


async def test_a_listing_page_cut_short_is_fetched_again(srv: FaultsServer) -> None:
    srv.faults.add(FaultRule(kind="truncate_json", route="xcom_list", every=2, times=1))
    srv.faults.add(FaultRule(kind="drop_body", route="xcom_list", every=3, times=1))
    async with client(srv) as af:
        entries = await af.xcom.list(page_size=25).all()
    assert len(entries) == len({e.natural_key for e in entries}) == srv.data.spec.total_entries
