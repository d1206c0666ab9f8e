"""The transport against aioresponses: retries, Retry-After, the semaphore, errors, counters."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from airflow_async import (
    AirflowClient,
    BasicAuth,
    ClientNotOpen,
    ConnectError,
    NotFound,
    RetryPolicy,
    ServerError,
    UsageError,
)

BASE = "http://127.0.0.1:8080"
DAGS = f"{BASE}/api/v1/dags"
FAST = RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_max=0.002)


@pytest.fixture
def mocked() -> AsyncIterator[aioresponses]:
    with aioresponses() as m:
        yield m


def _client(**kwargs: object) -> AirflowClient:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("api_version", "v1")  # these tests pin what v1 requests look like
    return AirflowClient(BASE, auth=BasicAuth("admin", "s3cret-pw"), **kwargs)  # type: ignore[arg-type]


def _dags_page() -> dict[str, object]:
    return {"dags": [{"dag_id": "a"}], "total_entries": 1}


async def test_transient_errors_are_retried_and_counted(mocked: aioresponses) -> None:
    mocked.get(re.compile(r".*/dags\?.*"), status=503)
    mocked.get(re.compile(r".*/dags\?.*"), status=502)
    mocked.get(re.compile(r".*/dags\?.*"), payload=_dags_page())
    async with _client() as af:
        dags = await af.dags.list().all()
    assert [d.dag_id for d in dags] == ["a"]
    assert af.stats.requests == 3
    assert af.stats.retries == 2
    assert af.stats.failures == 0


async def test_client_errors_are_not_retried(mocked: aioresponses) -> None:
    mocked.get(
        f"{DAGS}/nope",
        status=404,
        payload={"title": "DAG not found", "detail": "DAG with dag_id: 'nope' not found", "status": 404},
    )
    async with _client() as af:
        with pytest.raises(NotFound) as info:
            await af.dags.get("nope")
    assert str(info.value) == "404 GET /api/v1/dags/nope: DAG with dag_id: 'nope' not found"
    assert af.stats.requests == 1 and af.stats.retries == 0 and af.stats.failures == 1


async def test_gives_up_after_max_attempts(mocked: aioresponses) -> None:
    for _ in range(4):
        mocked.get(f"{DAGS}/a", status=504)
    async with _client() as af:
        with pytest.raises(ServerError) as info:
            await af.dags.get("a")
    assert info.value.status == 504
    assert af.stats.requests == 4 and af.stats.retries == 3 and af.stats.failures == 1


async def test_500_is_retried_a_bounded_number_of_times(mocked: aioresponses) -> None:
    for _ in range(4):
        mocked.get(f"{DAGS}/a", status=500)
    async with _client(
        retry=RetryPolicy(max_attempts=10, backoff_base=0.001, max_server_error_retries=2)
    ) as af:
        with pytest.raises(ServerError):
            await af.dags.get("a")
    assert af.stats.requests == 3


async def test_trigger_is_not_retried_but_read_only_post_listing_is(mocked: aioresponses) -> None:
    mocked.post(f"{DAGS}/a/dagRuns", status=502)
    mocked.post(f"{DAGS}/~/dagRuns/list", status=503)
    mocked.post(f"{DAGS}/~/dagRuns/list", payload={"dag_runs": [], "total_entries": 0})
    async with _client() as af:
        with pytest.raises(ServerError):
            await af.dag_runs.trigger("a")
        assert af.stats.requests == 1
        listing = af.dag_runs.list_batch()
        runs = await listing.all()
    assert runs == [] and listing.total_entries == 0
    assert af.stats.requests == 3 and af.stats.retries == 1


async def test_retry_after_is_honoured_as_a_minimum(mocked: aioresponses) -> None:
    mocked.get(f"{DAGS}/a", status=429, headers={"Retry-After": "2"})
    mocked.get(f"{DAGS}/a", status=503, headers={"Retry-After": "900"})
    mocked.get(f"{DAGS}/a", payload={"dag_id": "a"})
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async with _client(retry=RetryPolicy(backoff_base=0.001, retry_after_cap=30)) as af:
        af.transport.sleep = record
        dag = await af.dags.get("a")
    assert dag.dag_id == "a"
    assert waits[0] >= 2.0
    assert waits[1] == 30.0  # capped


async def test_semaphore_is_released_while_backing_off(mocked: aioresponses) -> None:
    order: list[str] = []
    mocked.get(f"{DAGS}/slow", status=503, headers={"Retry-After": "0.3"})
    mocked.get(f"{DAGS}/slow", payload={"dag_id": "slow"})
    mocked.get(f"{DAGS}/fast", payload={"dag_id": "fast"})
    async with _client(max_concurrency=1, retry=RetryPolicy(backoff_base=0.001)) as af:

        async def get(dag_id: str) -> None:
            await af.dags.get(dag_id)
            order.append(dag_id)

        slow = asyncio.ensure_future(get("slow"))
        await asyncio.sleep(0.05)  # slow has had its 503 and is backing off
        await get("fast")
        await slow
    assert order == ["fast", "slow"]


async def test_retries_can_be_turned_off(mocked: aioresponses) -> None:
    mocked.get(f"{DAGS}/a", status=503)
    async with _client(retry=None) as af:
        with pytest.raises(ServerError):
            await af.dags.get("a")
    assert af.stats.requests == 1 and af.stats.retries == 0


async def test_connection_refused_is_a_transport_error_naming_the_url() -> None:
    policy = RetryPolicy(max_attempts=2, backoff_base=0.001)
    async with AirflowClient(
        "http://127.0.0.1:1", auth=BasicAuth("a", "b"), retry=policy, api_version="v1"
    ) as af:
        with pytest.raises(ConnectError) as info:
            await af.dags.get("x")
    assert "http://127.0.0.1:1/api/v1/dags/x" in str(info.value)
    assert af.stats.retries == 1


async def test_retries_are_logged_without_credentials(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(f"{DAGS}/a", status=503)
    mocked.get(f"{DAGS}/a", payload={"dag_id": "a"})
    caplog.set_level(logging.DEBUG, logger="airflow_async")
    async with _client() as af:
        await af.dags.get("a")
        text = caplog.text + repr(af) + repr(af.auth)
    assert "retrying GET /api/v1/dags/a" in caplog.text
    assert "s3cret-pw" not in text
    assert base64.b64encode(b"admin:s3cret-pw").decode() not in text


async def test_basic_auth_header_is_sent(mocked: aioresponses) -> None:
    mocked.get(f"{DAGS}/a", payload={"dag_id": "a"})
    async with _client() as af:
        await af.dags.get("a")
    (call,) = next(iter(mocked.requests.values()))
    expected = "Basic " + base64.b64encode(b"admin:s3cret-pw").decode()
    assert call.kwargs["headers"]["Authorization"] == expected


async def test_bytes_are_counted(mocked: aioresponses) -> None:
    mocked.put(f"{BASE}/api/v1/x", body=b'{"ok": true}', content_type="application/json")
    async with _client() as af:
        await af.transport.request("PUT", ["x"], json={"a": 1})
    assert af.stats.bytes_sent == len(b'{"a": 1}')
    assert af.stats.bytes_received == len(b'{"ok": true}')


async def test_response_too_large_is_refused(mocked: aioresponses) -> None:
    mocked.get(f"{DAGS}/a", body=b'{"dag_id": "' + b"x" * 5000 + b'"}', content_type="application/json")
    async with _client(max_response_bytes=1000) as af:
        with pytest.raises(Exception, match="max_response_bytes"):
            await af.dags.get("a")


async def test_using_the_client_outside_its_context_is_a_clear_error() -> None:
    af = _client()
    with pytest.raises(ClientNotOpen, match="async with"):
        await af.dags.get("a")
    async with af:
        pass
    with pytest.raises(ClientNotOpen):
        await af.dags.get("a")


async def test_borrowed_session_is_never_closed(mocked: aioresponses) -> None:
    mocked.get(f"{DAGS}/a", payload={"dag_id": "a"})
    async with aiohttp.ClientSession() as session:
        async with _client(session=session) as af:
            await af.dags.get("a")
        assert not session.closed


def test_bad_constructor_arguments() -> None:
    with pytest.raises(UsageError, match="scheme"):
        AirflowClient("127.0.0.1:8080", auth=BasicAuth("a", "b"), api_version="v1")
    with pytest.raises(UsageError, match="max_concurrency"):
        AirflowClient(BASE, auth=BasicAuth("a", "b"), max_concurrency=0, api_version="v1")
    with pytest.raises(UsageError, match="auth"):
        AirflowClient(BASE, auth=("a", "b"))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="api_version must be one of 'auto', 'v1', 'v2'"):
        AirflowClient(BASE, auth=BasicAuth("a", "b"), api_version="2")
    with pytest.raises(UsageError, match="timeout"):
        AirflowClient(BASE, auth=BasicAuth("a", "b"), timeout=-1, api_version="v1")


async def test_callback_sees_encoded_ids(mocked: aioresponses) -> None:
    seen: list[str] = []

    def callback(url: object, **_: object) -> CallbackResult:
        seen.append(str(url))
        return CallbackResult(payload={"dag_id": "d", "task_id": "t", "key": "a key/x", "value": "v"})

    mocked.get(re.compile(r".*xcomEntries.*"), callback=callback)
    async with _client() as af:
        xcom = await af.xcom.get("d", "manual__2024-01-01T00:00:00+00:00", "t", "a key/x", map_index=2)
    assert xcom.value == "v"
    assert "manual__2024-01-01T00%3A00%3A00%2B00%3A00" in seen[0]
    assert "xcomEntries/a%20key%2Fx?" in seen[0]
    assert "map_index=2" in seen[0] and "stringify=false" in seen[0]
