"""Self-tests of the fake Airflow server, with a plain aiohttp client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from tests.fakes.fault_data import BASE_KEYS, DataSet, XComFilter
from tests.fakes.fault_server import (
    FAULTS_KEY,
    DataSpec,
    FaultConfig,
    FaultRule,
    FaultServer,
    ServerConfig,
    start_fault_server,
    xcom_value,
)

SMALL = DataSpec(n_dags=2, runs_per_dag=4, tasks_per_run=3, keys_per_task=4, map_count=2)
RUN0 = "scheduled__2024-01-01T00:00:00+00:00"


def basic(user: str, password: str) -> dict[str, str]:
    """Authorization header (aiohttp 3.14 deprecates ``BasicAuth``)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = basic("admin", "admin")
REPO = Path(__file__).resolve().parents[2]


def seg(value: str) -> str:
    """Percent-encode one path segment (``~`` stays literal)."""
    return quote(value, safe="")


def api(srv: FaultServer, *segments: str, query: str = "") -> URL:
    path = "/".join(seg(s) for s in segments)
    return URL(f"{srv.api_url}/{path}" + (f"?{query}" if query else ""), encoded=True)


def xcom_url(srv: FaultServer, dag: str, run: str, task: str, key: str, query: str = "") -> URL:
    return api(
        srv,
        "dags",
        dag,
        "dagRuns",
        run,
        "taskInstances",
        task,
        "xcomEntries",
        key,
        query=query,
    )


@pytest.fixture
async def srv() -> AsyncIterator[FaultServer]:
    async with start_fault_server(data=SMALL) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=AUTH) as session:
        yield session


async def get_json(http: aiohttp.ClientSession, url: URL | str) -> tuple[int, Any]:
    async with http.get(url) as resp:
        return resp.status, await resp.json(content_type=None)


# ------------------------------------------------------------------------- data set
def test_default_data_set_shape() -> None:
    data = DataSet()
    assert data.spec.total_entries >= 10_000
    assert all("+" in r.run_id and ":" in r.run_id for r in data.runs)
    assert {r.run_type for r in data.runs} == {"scheduled", "manual", "dataset_triggered"}
    assert any(s.map_index >= 0 for s in data.slots) and any(s.map_index == -1 for s in data.slots)
    assert any(" " in k for k in data.keys) and any("/" in k for k in data.keys)


def test_million_entries_are_lazy() -> None:
    data = DataSet(DataSpec.for_entries(1_000_000))
    total, refs = data.xcom_page(XComFilter(), 999_950, 100)
    assert total == 1_000_000 and len(refs) == 50
    last = refs[-1]
    assert data.xcom_exists(last)
    assert data.xcom_value(last)["key"] == last.key


async def test_listing_pages_cover_everything_in_stable_order(
    srv: FaultServer,
    http: aiohttp.ClientSession,
) -> None:
    seen: list[tuple[Any, ...]] = []
    offset = 0
    while True:
        url = api(
            srv,
            "dags",
            "~",
            "dagRuns",
            "~",
            "taskInstances",
            "~",
            "xcomEntries",
            query=f"limit=7&offset={offset}",
        )
        status, body = await get_json(http, url)
        assert status == 200
        items = body["xcom_entries"]
        if not items:
            break
        assert all("dag_run_id" not in item for item in items)
        fields = ("dag_id", "execution_date", "task_id", "map_index", "key")
        seen += [tuple(i[f] for f in fields) for i in items]
        offset += len(items)
    assert len(seen) == len(set(seen)) == body["total_entries"] == SMALL.total_entries


async def test_value_matches_identity_and_encoding(
    srv: FaultServer,
    http: aiohttp.ClientSession,
) -> None:
    for key in BASE_KEYS:
        status, body = await get_json(
            http,
            xcom_url(srv, "dag_0001", RUN0, "t00_extract", key, "stringify=false"),
        )
        assert status == 200, key
        assert body["key"] == key
        assert body["value"] == xcom_value("dag_0001", RUN0, "t00_extract", -1, key)
    status, body = await get_json(
        http,
        xcom_url(srv, "dag_0001", RUN0, "t00_extract", BASE_KEYS[0]),
    )
    assert body["value"] == str(xcom_value("dag_0001", RUN0, "t00_extract", -1, BASE_KEYS[0]))
    # a '+' sent literally in the path stays a '+'; '%2541' decodes to '%41', not 'A'
    prefix = str(xcom_url(srv, "dag_0001", RUN0, "t00_extract", "x"))[: -len("x")]
    raw = URL(prefix + "weird%20+plus%20%2541%20%C3%BC", encoded=True)
    assert (await get_json(http, raw))[0] == 200
    unencoded_pct = URL(str(raw).replace("%2541", "%41"), encoded=True)
    assert (await get_json(http, unencoded_pct))[0] == 404


async def test_mapped_task_filters_and_404s(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    mapped = next(s.task_id for s in srv.data.slots if s.map_index >= 0)
    url = api(
        srv,
        "dags",
        "dag_0000",
        "dagRuns",
        RUN0,
        "taskInstances",
        mapped,
        "xcomEntries",
        query="map_index=1&xcom_key=return_value",
    )
    status, body = await get_json(http, url)
    assert status == 200 and body["total_entries"] == 1
    assert body["xcom_entries"][0]["map_index"] == 1
    good = xcom_url(srv, "dag_0000", RUN0, mapped, "return_value", "map_index=1")
    assert (await get_json(http, good))[0] == 200
    for bad in (
        xcom_url(srv, "dag_0000", RUN0, mapped, "return_value"),  # map_index -1: not mapped
        xcom_url(srv, "dag_0000", RUN0, mapped, "nope", "map_index=1"),
        api(srv, "dags", "nope"),
        api(srv, "dags", "dag_0000", "dagRuns", "nope"),
        api(srv, "dags", "dag_0000", "dagRuns", "nope", "taskInstances"),
    ):
        status, body = await get_json(http, bad)
        assert status == 404 and body["status"] == 404 and {"type", "title", "detail"} <= set(body)


async def test_paging_params(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    srv.config.max_page_limit = 5
    xcoms = api(srv, "dags", "~", "dagRuns", "~", "taskInstances", "~", "xcomEntries")
    for query, expected in (("", 5), ("limit=3", 3), ("limit=0", 100), ("limit=500", 5)):
        status, body = await get_json(http, xcoms.with_query(query))
        assert status == 200 and len(body["xcom_entries"]) == min(expected, SMALL.total_entries)
    for query in ("limit=-1", "offset=-1", "offset=abc", "limit=1.5"):
        async with http.get(xcoms.with_query(query)) as resp:
            assert resp.status == 400
            assert resp.content_type == "application/problem+json"


async def test_runs_tis_dags_and_batch(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    status, body = await get_json(http, api(srv, "dags", "~", "dagRuns"))
    assert body["total_entries"] == 8
    run = body["dag_runs"][3]
    assert run["dag_run_id"].startswith("manual__") and run["run_type"] == "manual"
    status, one = await get_json(
        http,
        api(srv, "dags", run["dag_id"], "dagRuns", run["dag_run_id"]),
    )
    assert one == run
    status, tis = await get_json(http, api(srv, "dags", "~", "dagRuns", "~", "taskInstances"))
    assert tis["total_entries"] == 2 * 4 * len(srv.data.slots)
    assert {"try_number", "duration", "map_index", "state"} <= set(tis["task_instances"][0])
    async with http.post(
        api(srv, "dags", "~", "dagRuns", "list"),
        json={"dag_ids": ["dag_0001"], "page_offset": 1, "page_limit": 1},
    ) as r:
        batch = await r.json()
    assert batch["total_entries"] == 4 and batch["dag_runs"][0]["dag_id"] == "dag_0001"
    status, dags = await get_json(http, api(srv, "dags", query="dag_id_pattern=0001"))
    assert status == 200 and dags["total_entries"] == 1


async def test_trigger_and_variables(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    url = api(srv, "dags", "dag_0000", "dagRuns")
    for _ in range(2):
        async with http.post(url, json={"dag_run_id": "manual__x+00:00"}) as r:
            statuses = r.status
    assert statuses == 409 and len(srv.data.trigger_calls) == 2
    status, run = await get_json(http, api(srv, "dags", "dag_0000", "dagRuns", "manual__x+00:00"))
    assert status == 200 and run["state"] == "queued"
    var = api(srv, "variables", "a/b c")
    async with http.post(api(srv, "variables"), json={"key": "a/b c", "value": "1"}) as r:
        assert r.status == 200
    async with http.patch(var, json={"key": "a/b c", "value": "2"}) as r:
        assert (await r.json())["value"] == "2"
    assert (await get_json(http, api(srv, "variables")))[1]["total_entries"] == 1
    async with http.delete(var) as r:
        assert r.status == 204
    assert (await get_json(http, var))[0] == 404


async def test_echo_mode_round_trips_any_string(
    srv: FaultServer,
    http: aiohttp.ClientSession,
) -> None:
    weird = ("d ü/%25+~", "manual__2024-01-01T00:00:00+00:00", "t/../x", "k%2F +?#&=é漢")
    status, body = await get_json(http, xcom_url(srv, *weird, query="stringify=false"))
    assert status == 404
    srv.config.echo_unknown = True
    status, body = await get_json(http, xcom_url(srv, *weird, query="stringify=false"))
    assert status == 200
    assert [body["value"][k] for k in ("dag_id", "dag_run_id", "task_id", "key")] == list(weird)
    echo = api(
        srv,
        "_echo",
        "dags",
        weird[0],
        "dagRuns",
        weird[1],
        "taskInstances",
        weird[2],
        "xcomEntries",
        weird[3],
    )
    srv.config.echo_unknown = False
    assert (await get_json(http, echo))[1]["key"] == weird[3]


# ----------------------------------------------------------------------------- auth
async def test_auth_basic_viewer_and_no_auth(srv: FaultServer) -> None:
    url = api(srv, "dags")
    async with aiohttp.ClientSession() as anon, anon.get(url) as r:
        assert r.status == 401 and r.content_type == "application/problem+json"
        assert r.headers["WWW-Authenticate"] == "Basic"
    async with aiohttp.ClientSession(headers=basic("admin", "wrong")) as s, s.get(url) as r:
        assert r.status == 401
    async with aiohttp.ClientSession(headers=basic("viewer", "viewer")) as s:
        async with s.get(url) as r:
            assert r.status == 200
        async with s.post(api(srv, "variables"), json={"key": "k", "value": "v"}) as r:
            assert r.status == 403
    srv.config.auth = False
    async with aiohttp.ClientSession() as anon, anon.get(url) as r:
        assert r.status == 200


async def login(session: aiohttp.ClientSession, srv: FaultServer, password: str = "admin") -> int:
    async with session.get(srv.url + "/login/") as r:
        page = await r.text()
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    form = {"username": "admin", "password": password, "csrf_token": csrf}
    async with session.post(srv.url + "/login/", data=form, allow_redirects=False) as r:
        return r.status


async def test_form_login_session_expiry_and_login_faults(srv: FaultServer) -> None:
    url = api(srv, "dags")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        assert await login(s, srv, password="wrong") == 200
        assert (await get_json(s, url))[0] == 401
        assert await login(s, srv) == 302
        srv.faults.config.session_max_requests = 2
        assert [(await get_json(s, url))[0] for _ in range(3)] == [200, 200, 401]
        assert srv.stats.faults["session_expired"] == 1
        assert await login(s, srv) == 302
        assert (await get_json(s, url))[0] == 200
        # like FAB, the login page sends a live session home instead of showing the form
        async with s.get(srv.url + "/login/", allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (302, "/")
        s.cookie_jar.clear()
        srv.faults.config.login_fail_times = 1
        assert await login(s, srv) == 200  # rejected like bad credentials
        srv.faults.config.login_fail_mode = "error"
        srv.faults.config.login_fail_always = True
        assert await login(s, srv) == 500
        assert srv.stats.faults["login_failed"] == 2
    # without the cookie from the login page the CSRF check fails (like Flask-WTF)
    async with aiohttp.ClientSession() as strict:  # default jar refuses IP-host cookies
        async with strict.get(srv.url + "/login/") as r:
            csrf = (await r.text()).split('value="')[1].split('"')[0]
        form = {"username": "admin", "password": "admin", "csrf_token": csrf}
        async with strict.post(srv.url + "/login/", data=form, allow_redirects=False) as r:
            assert r.status == 400


# --------------------------------------------------------------------------- faults
async def test_status_faults_retry_after_and_transient(
    srv: FaultServer,
    http: aiohttp.ClientSession,
) -> None:
    url = api(srv, "dags")
    srv.faults.add(FaultRule(kind="status", status=503, retry_after=2, times=2))
    statuses, headers = [], []
    for _ in range(3):
        async with http.get(url) as r:
            statuses.append(r.status)
            headers.append(r.headers.get("Retry-After"))
    assert statuses == [503, 503, 200] and headers[:2] == ["2", "2"]
    srv.faults.clear()
    srv.faults.add(FaultRule(kind="status", status=429, route="dag_get"))  # permanent
    for _ in range(3):
        async with http.get(api(srv, "dags", "dag_0000")) as r:
            assert r.status == 429 and "Retry-After" not in r.headers
    for code in (500, 502, 504):
        srv.faults.set(FaultConfig(rules=[FaultRule(kind="status", status=code, html_body=True)]))
        async with http.get(url) as r:
            assert r.status == code and r.content_type == "text/html"
    assert srv.stats.faults["status_503"] == 2 and srv.stats.faults["status_429"] == 3
    assert srv.stats.count("dags_list", 503) == 2


async def test_every_kth_and_seeded_rate(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    rule = srv.faults.add(FaultRule(kind="status", status=502, every=3, times=1))
    base = api(srv, "dags", "~", "dagRuns")
    first = [(await get_json(http, base.with_query(f"offset={i}")))[0] for i in range(6)]
    assert first == [200, 200, 502, 200, 200, 502]
    retry = (await get_json(http, base.with_query("offset=2")))[0]  # 2nd attempt of a failed one
    assert retry == 200 and srv.faults.fired(rule) == 2

    async def chosen(seed: int) -> list[int]:
        srv.faults.set(FaultConfig(rules=[FaultRule(kind="status", rate=0.5, seed=seed)]))
        return [(await get_json(http, base.with_query(f"offset={i}")))[0] for i in range(20)]

    a, b = await chosen(7), await chosen(7)
    assert a == b and 0 < a.count(503) < 20


async def test_path_targeted_fault(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    srv.faults.add(FaultRule(kind="status", status=500, path_contains="nested/path"))
    hit = xcom_url(srv, "dag_0000", RUN0, "t00_extract", "nested/path/key")
    miss = xcom_url(srv, "dag_0000", RUN0, "t00_extract", "return_value")
    assert (await get_json(http, hit))[0] == 500
    assert (await get_json(http, miss))[0] == 200


async def test_drop_body_and_truncate_json(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    url = api(srv, "dags", "~", "dagRuns")
    srv.faults.add(FaultRule(kind="drop_body", times=1))
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.get(url) as r:
            await r.read()
    assert (await get_json(http, url))[0] == 200  # transient: the retry succeeds
    srv.faults.set(FaultConfig(rules=[FaultRule(kind="truncate_json", fraction=0.3)]))
    async with http.get(url) as r:
        assert r.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(await r.read())
    assert srv.stats.faults["drop_body"] == 1 and srv.stats.faults["truncate_json"] == 1
    assert srv.stats.count("dag_runs_list", "dropped") == 1


async def test_html_200(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    srv.faults.add(FaultRule(kind="html"))
    async with http.get(api(srv, "dags")) as r:
        assert r.status == 200 and r.content_type == "text/html"
        with pytest.raises(aiohttp.ContentTypeError):
            await r.json()


async def test_hang_and_stall(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    srv.faults.add(FaultRule(kind="hang", hang_seconds=5, times=1))
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(api(srv, "dags"), timeout=aiohttp.ClientTimeout(total=0.3)) as r:
            await r.read()
    assert time.monotonic() - started < 2
    srv.faults.set(FaultConfig(rules=[FaultRule(kind="stall_body", hang_seconds=5)]))
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(api(srv, "dags"), timeout=aiohttp.ClientTimeout(sock_read=0.3)) as r:
            assert r.status == 200
            await r.read()


async def test_disconnect_and_keepalive_reset(srv: FaultServer) -> None:
    url = api(srv, "dags")
    # aiohttp itself retries an idempotent request once after ServerDisconnectedError,
    # so a GET needs two disconnects in a row to surface.
    srv.faults.add(FaultRule(kind="disconnect", times=2))
    async with aiohttp.ClientSession(headers=AUTH) as s:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await get_json(s, url)
        assert (await get_json(s, url))[0] == 200
    assert srv.stats.faults["disconnect"] == 2
    srv.faults.set(FaultConfig(rules=[FaultRule(kind="reset_keepalive")]))
    batch = api(srv, "dags", "~", "dagRuns", "list")
    async with aiohttp.ClientSession(headers=AUTH, connector=aiohttp.TCPConnector(limit=1)) as s:
        assert (await get_json(s, url))[0] == 200  # fresh connection: served
        assert (await get_json(s, url))[0] == 200  # reused: closed, aiohttp retried it
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with s.post(batch, json={}) as r:  # POST is not retried by aiohttp
                await r.read()
    assert srv.stats.faults["reset_keepalive"] == 2
    assert srv.stats.count("dags_list", "closed") == 3
    srv.faults.set(FaultConfig(rules=[FaultRule(kind="close_after")]))
    async with aiohttp.ClientSession(headers=AUTH) as s:
        before = srv.stats.connections
        for _ in range(2):
            assert (await get_json(s, url))[0] == 200
            await asyncio.sleep(0.05)
        assert srv.stats.connections - before == 2


async def test_clamp_page(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    srv.faults.add(FaultRule(kind="clamp_page", page_limit=3, route="xcom_list"))
    url = api(
        srv,
        "dags",
        "~",
        "dagRuns",
        "~",
        "taskInstances",
        "~",
        "xcomEntries",
        query="limit=50",
    )
    status, body = await get_json(http, url)
    assert status == 200 and len(body["xcom_entries"]) == 3
    assert body["total_entries"] == SMALL.total_entries


async def test_mutation_while_paging(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    srv.faults.add(FaultRule(kind="mutate", after=1, insert_rows=4))
    srv.faults.add(FaultRule(kind="mutate", after=2, delete_rows=2))
    base = api(srv, "dags", "dag_0000", "dagRuns", "~", "taskInstances", "~", "xcomEntries")
    n = SMALL.total_entries // 2
    totals, first_keys = [], []
    for offset in (0, 10, 20):
        status, body = await get_json(http, base.with_query(f"limit=10&offset={offset}"))
        totals.append(body["total_entries"])
        first_keys.append(body["xcom_entries"][0]["key"])
    assert totals == [n, n + 4, n + 2]
    # later insertions sort first, so the deletion removed 0004 and 0003
    for key, expected in (("inserted 0004", 404), ("inserted 0001", 200)):
        url = xcom_url(srv, "dag_0000", RUN0, "t00_extract", key, "stringify=false")
        status, body = await get_json(http, url)
        assert status == expected
    assert body["value"] == xcom_value("dag_0000", RUN0, "t00_extract", -1, "inserted 0001")
    assert srv.stats.faults["mutate"] == 2


async def test_http_control_endpoints(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    rules = {"rules": [{"kind": "status", "status": 503, "times": 1, "name": "flaky"}]}
    async with http.post(srv.url + "/_control/faults", json=rules) as r:
        assert r.status == 200 and (await r.json())["rules"][0]["name"] == "flaky"
    assert srv.app[FAULTS_KEY] is srv.faults
    async with http.post(srv.url + "/_control/faults", json={"rules": [{"kind": "bogus"}]}) as r:
        assert r.status == 400
    assert (await get_json(http, api(srv, "dags")))[0] == 503
    assert (await get_json(http, api(srv, "dags")))[0] == 200
    status, stats = await get_json(http, srv.url + "/_control/stats")
    assert stats["faults"] == {"status_503": 1} and stats["faults_by_rule"] == {"flaky": 1}
    assert stats["routes"]["dags_list"] == {"503": 1, "200": 1}
    async with http.post(srv.url + "/_control/config", json={"max_page_limit": 2}) as r:
        assert (await r.json())["max_page_limit"] == 2
    async with http.post(srv.url + "/_control/reset") as r:
        assert r.status == 200
    status, stats = await get_json(http, srv.url + "/_control/stats")
    assert stats["total_requests"] == 0 and srv.config.max_page_limit == 100
    assert not srv.faults.rules
    status, info = await get_json(http, srv.url + "/_control/data")
    assert status == 200 and info["total_entries"] == SMALL.total_entries


async def test_unknown_route_and_method(srv: FaultServer, http: aiohttp.ClientSession) -> None:
    assert (await get_json(http, api(srv, "nothing")))[0] == 404
    async with http.delete(api(srv, "dags")) as r:
        assert r.status == 405 and r.content_type == "application/problem+json"


async def test_awaitable_start_and_config() -> None:
    server = await start_fault_server(ServerConfig(auth=False, max_page_limit=7), SMALL)
    try:
        async with aiohttp.ClientSession() as s:
            status, body = await get_json(s, api(server, "dags", "~", "dagRuns"))
        assert status == 200 and len(body["dag_runs"]) == 7
    finally:
        await server.stop()


# ------------------------------------------------------------------------------ CLI
async def test_cli_subprocess() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.fault_server",
        *("--port", "0", "--entries", "1000", "--no-auth", "--max-page-limit", "500"),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        assert ready["pid"] == proc.pid and ready["url"].startswith("http://127.0.0.1:")
        url = ready["url"] + "/api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries?limit=500"
        async with aiohttp.ClientSession() as s:
            status, body = await get_json(s, URL(url))
        assert status == 200 and body["total_entries"] == 1000 and len(body["xcom_entries"]) == 500
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
