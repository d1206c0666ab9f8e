"""Bad input gives a typed error whose message says what to fix (each row of docs/errors.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from airflow_async import (
    AirflowClient,
    BasicAuth,
    ClientNotOpen,
    ConnectError,
    DecodeError,
    Forbidden,
    LoginFailed,
    NotFound,
    ResponseTooLarge,
    RetryPolicy,
    SessionAuth,
    Unauthorized,
    UsageError,
)
from tests.fakes.fault_server import DataSpec, ServerConfig
from tests.faults.helpers import FaultsServer, client, serve

pytestmark = pytest.mark.filterwarnings("error")

RUN0 = "scheduled__2024-01-01T00:00:00+00:00"
TWO = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.01)


# -- the URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "localhost:8080", "airflow.example.com"])
def test_a_url_without_a_scheme(url: str) -> None:
    with pytest.raises(UsageError, match=f"needs a scheme and a host, e.g. 'http://{url}'"):
        AirflowClient(url, auth=BasicAuth("admin", "admin"))


def test_a_url_with_another_scheme() -> None:
    with pytest.raises(UsageError, match="must start with http:// or https://"):
        AirflowClient("ftp://127.0.0.1", auth=BasicAuth("admin", "admin"))


def test_a_url_with_credentials_in_it() -> None:
    with pytest.raises(UsageError) as info:
        AirflowClient("http://admin:s3cret-pw@127.0.0.1:8080", auth=BasicAuth("admin", "admin"))
    assert "must not carry a user name or password" in str(info.value)
    assert "auth=BasicAuth(user, password)" in str(info.value)
    assert "s3cret-pw" not in str(info.value) and "s3cret-pw" not in repr(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/?x=1", "http://127.0.0.1:8080/#top"])
def test_a_url_with_a_query_or_fragment(url: str) -> None:
    with pytest.raises(UsageError, match="must not carry a query or fragment"):
        AirflowClient(url, auth=BasicAuth("admin", "admin"))


@pytest.mark.parametrize("suffix", ["/api/v1", "/api/v1/", "/"])
async def test_a_url_that_already_ends_in_the_api_prefix_works(srv: FaultsServer, suffix: str) -> None:
    async with client(srv.url + suffix) as af:
        assert str(af.base_url) == srv.url + "/"
        dag = await af.dags.get("dag_0001")
    assert dag.dag_id == "dag_0001"
    assert srv.stats.count("dag_get", 200) == 1  # one request, to /api/v1/dags/dag_0001


def test_a_url_for_another_api_version() -> None:
    with pytest.raises(UsageError, match="ends in /api/v2 but api_version is 'v1'"):
        AirflowClient("http://127.0.0.1:8080/api/v2", auth=BasicAuth("admin", "admin"), api_version="v1")


# -- reaching the server ------------------------------------------------------------------------


async def test_connection_refused() -> None:
    async with serve() as srv:
        url = srv.url  # a port nothing listens on once the server stopped
    async with client(url, retry=TWO) as af:
        with pytest.raises(ConnectError) as info:
            await af.dags.get("dag_0000")
        assert af.stats.requests == 2  # retried: the request never left
    msg = str(info.value)
    assert msg.startswith(f"GET {url}/api/v1/dags/dag_0000: cannot connect to 127.0.0.1:")
    assert "is the server running and is base_url right?" in msg
    assert info.value.url == f"{url}/api/v1/dags/dag_0000"


async def test_a_host_name_that_does_not_resolve() -> None:
    # .invalid never resolves (RFC 2606/6761): the lookup fails without a request leaving the machine
    async with client("http://airflow-fault-suite.invalid:8080", retry=TWO) as af:
        with pytest.raises(ConnectError) as info:
            await af.dags.get("dag_0000")
    msg = str(info.value)
    assert "cannot connect to airflow-fault-suite.invalid:8080" in msg
    assert info.value.url == "http://airflow-fault-suite.invalid:8080/api/v1/dags/dag_0000"


@pytest.fixture
async def not_airflow() -> AsyncIterator[str]:
    """A web server that is not Airflow: an HTML page for every path, and one JSON path."""

    async def page(request: web.Request) -> web.StreamResponse:
        if request.path == "/api/v1/dags":
            return web.json_response({"hello": "world"})
        return web.Response(text="<html><title>Welcome to nginx!</title></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_server_that_is_not_airflow(not_airflow: str) -> None:
    async with client(not_airflow) as af:
        with pytest.raises(DecodeError) as info:
            await af.dags.get("dag_0000")
        assert af.stats.requests == 1  # not retried: an HTML page does not turn into JSON
        with pytest.raises(DecodeError, match="expected a collection with a 'dags' list") as listing:
            await af.dags.list().all()
    msg = str(info.value)
    assert msg.startswith(f"200 GET {not_airflow}/api/v1/dags/dag_0000: expected JSON from the Airflow API")
    assert "got an HTML page: is base_url the Airflow webserver root" in msg
    assert "Content-Type text/html" in msg and "Welcome to nginx!" in msg
    assert "{'hello': 'world'}" in str(listing.value)


# -- who you are --------------------------------------------------------------------------------


async def test_a_wrong_password_with_basic_auth(srv: FaultsServer) -> None:
    async with client(srv, auth=BasicAuth("admin", "wrong")) as af:
        with pytest.raises(Unauthorized) as info:
            await af.dags.get("dag_0000")
        assert af.stats.requests == 1
    msg = str(info.value)
    assert msg.startswith("401 GET /api/v1/dags/dag_0000")
    assert "wrong username or password" in msg and f"check the credentials for {srv.url}" in msg


async def test_a_wrong_password_with_session_auth(srv: FaultsServer) -> None:
    async with client(srv, auth=SessionAuth("admin", "wrong")) as af:
        with pytest.raises(LoginFailed) as info:
            await af.dags.get("dag_0000")
    assert str(info.value) == (
        f"login at {srv.url}/login/ failed: wrong username or password (the form did not accept them)"
    )


@pytest.mark.parametrize("auth", [BasicAuth("viewer", "viewer"), SessionAuth("viewer", "viewer")])
async def test_a_user_without_the_permission(srv: FaultsServer, auth: BasicAuth | SessionAuth) -> None:
    async with client(srv, auth=auth) as af:
        assert (await af.dags.get("dag_0000")).dag_id == "dag_0000"  # reading is allowed
        with pytest.raises(Forbidden) as info:
            await af.variables.create("key", "value")
        with pytest.raises(Forbidden):
            await af.dag_runs.trigger("dag_0000")
    msg = str(info.value)
    assert msg.startswith("403 POST /api/v1/variables: Your user does not have the required permissions")
    assert "ask an admin for a role that has it" in msg
    assert srv.stats.count("variable_create") == 1 and srv.data.variables == {}


# -- ids ----------------------------------------------------------------------------------------


async def test_ids_that_need_encoding_work_and_round_trip() -> None:
    ids = ("my dag/ü+%41", "manual__2024-01-01T00:00:00+00:00", "group.task?x=1#y", "key with spaces & =")
    async with serve(ServerConfig(echo_unknown=True)) as srv:
        async with client(srv) as af:
            xcom = await af.xcom.get(*ids)
            with pytest.raises(NotFound) as info:
                await af.dags.get(ids[0])
    value = xcom.value
    assert (value["dag_id"], value["dag_run_id"], value["task_id"], value["key"]) == ids
    assert (xcom.dag_id, xcom.task_id, xcom.key) == (ids[0], ids[2], ids[3])
    # the path is encoded segment by segment, and the server's message names the id as given
    assert (
        str(info.value)
        == "404 GET /api/v1/dags/my%20dag%2F%C3%BC%2B%2541: DAG with dag_id: 'my dag/ü+%41' not found"
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda af: af.dags.get(""), "dag_id must be a non-empty string, got ''"),
        (lambda af: af.xcom.get("d", "~", "t", "k"), "dag_run_id cannot be '~' here"),
        (lambda af: af.xcom.get("d", "r", "t", "k", map_index=-2), "map_index must be an int >= -1"),
        (lambda af: af.dag_runs.trigger("d", logical_date=dt.datetime(2024, 1, 1)), "needs a timezone"),
    ],
)
async def test_ids_and_dates_that_cannot_be_sent(
    srv: FaultsServer, call: Callable[[AirflowClient], Any], message: str
) -> None:
    async with client(srv) as af:
        with pytest.raises(UsageError, match=message):
            await call(af)
    assert srv.stats.total_requests == 0


async def test_a_naive_datetime_filter(srv: FaultsServer) -> None:
    async with client(srv) as af:
        with pytest.raises(UsageError, match="has no timezone: Airflow compares in UTC"):
            await af.dag_runs.list(execution_date_gte=dt.datetime(2024, 1, 1)).all()
    assert srv.stats.total_requests == 0


# -- counts and limits --------------------------------------------------------------------------

NEGATIVE: dict[str, tuple[Callable[[AirflowClient], Any], str]] = {
    "page_size": (lambda af: af.xcom.list(page_size=-1), "page_size must be a positive int, got -1"),
    "page_size_zero": (lambda af: af.dag_runs.list(page_size=0), "page_size must be a positive int, got 0"),
    "max_items": (lambda af: af.xcom.list(max_items=-1), "max_items must be None or an int >= 0, got -1"),
    "offset": (lambda af: af.task_instances.list(offset=-1), "offset must be an int >= 0, got -1"),
    "batch_page_size": (
        lambda af: af.dag_runs.list_batch(page_size=-1),
        "page_size must be a positive int, got -1",
    ),
    "batch_offset": (
        lambda af: af.task_instances.list_batch(offset=-5),
        "offset must be an int >= 0, got -5",
    ),
    "concurrency": (lambda af: af.xcom.harvest(concurrency=0), "concurrency must be an int >= 1, got 0"),
    "abort_after": (lambda af: af.xcom.harvest(abort_after=-1), "abort_after must be None or >= 1, got -1"),
    "keys_empty": (lambda af: af.xcom.harvest(keys=[]), "keys is an empty list, which would harvest nothing"),
    "keys_string": (
        lambda af: af.xcom.harvest(keys="return_value"),
        r"keys takes a list of keys, e.g. \['return_value'\]",
    ),
}


@pytest.mark.parametrize("case", list(NEGATIVE))
async def test_counts_and_keys_that_make_no_sense(srv: FaultsServer, case: str) -> None:
    call, message = NEGATIVE[case]
    async with client(srv) as af:
        with pytest.raises(UsageError, match=message):
            result = call(af)
            if hasattr(result, "__await__"):
                await result
    assert srv.stats.total_requests == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(max_concurrency=0), "max_concurrency must be an int >= 1, got 0"),
        (dict(timeout=-1), "timeout must be seconds > 0"),
        (dict(max_response_bytes=0), "max_response_bytes must be None or >= 1, got 0"),
        (dict(retry=None, api_version="v3"), "api_version must be one of 'auto', 'v1', 'v2' .*, got 'v3'"),
        (
            dict(auth=("admin", "admin")),
            r"auth must be an Auth such as BasicAuth\('user', 'password'\), got tuple",
        ),
    ],
)
def test_client_settings_that_make_no_sense(kwargs: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {"auth": BasicAuth("admin", "admin"), **kwargs}
    with pytest.raises(UsageError, match=message):
        AirflowClient("http://127.0.0.1:8080", **settings)


def test_retry_settings_that_make_no_sense() -> None:
    with pytest.raises(UsageError, match=r"RetryPolicy.max_attempts must be >= 1 \(1 means no retries\)"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(UsageError, match=r"RetryPolicy\.backoff_base must be >= 0"):
        RetryPolicy(backoff_base=-1)


async def test_using_the_client_outside_async_with(srv: FaultsServer) -> None:
    af = client(srv)
    with pytest.raises(ClientNotOpen, match="use it inside 'async with AirflowClient"):
        await af.dags.get("dag_0000")


# -- sizes --------------------------------------------------------------------------------------

BIG = DataSpec(n_dags=1, runs_per_dag=5, payload_bytes=5_000)  # values of ~5 kB; listings of ~2 kB


async def test_a_value_larger_than_max_response_bytes() -> None:
    async with serve(ServerConfig(max_page_limit=3), BIG) as srv:
        async with client(srv, max_response_bytes=4_000) as af:
            with pytest.raises(ResponseTooLarge) as info:
                await af.xcom.get("dag_0000", RUN0, "t00_extract", "return_value")
            assert af.stats.retries == 0  # asking again brings the same size
    assert "more than max_response_bytes=4000; raise max_response_bytes to accept it" in str(info.value)


async def test_a_harvest_of_values_too_large_reports_each_and_does_not_abort() -> None:
    async with serve(ServerConfig(max_page_limit=3), BIG) as srv:
        async with client(srv, max_response_bytes=4_000) as af:
            async with af.xcom.harvest(abort_after=5) as harvest:
                results = [r async for r in harvest]
    assert len(results) == BIG.total_entries == harvest.stats.failed == harvest.stats.listed
    assert all(isinstance(r.error, ResponseTooLarge) for r in results)
    assert harvest.stats.balanced  # the server is fine: these are not "the server looks down"
