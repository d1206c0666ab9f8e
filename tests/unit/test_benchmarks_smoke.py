"""Smoke tests of the benchmark scripts on a tiny stub data set (no Airflow, no timing asserts).

Each worker runs as the subprocess it is in ``make bench``, against the fake server
(``tests/fakes/fault_server.py --no-auth``) also in its own process. The official
client and httpx workers run in their own virtualenvs under ``.cache/``, built here if
they are missing by the same cached, file-locked builders that ``make bench`` uses
(a few seconds each from the package index, once per clone).

The Airflow 3 workers (the official 3.3.2 client, the bare worker's token mode, the harvest
with ``PasswordAuth``) run against the same fake in its Airflow 3.3.2 mode (``--api-v2``, with
auth on); ``test_fake_v2_answers_like_the_real_3_3_2`` checks that mode's answers against
what tests/harness/airflow3.py records of the real 3.3.2 api-server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run
from benchmarks.latency_proxy import LatencyProxy

ENTRIES = 60
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    with run.stub(ENTRIES) as url:
        yield url


@pytest.fixture(scope="module")
def stub3_url() -> Iterator[str]:
    with run.stub(ENTRIES, api_v2=True) as url:
        yield url


def _check(result: dict[str, object], entries: int = ENTRIES) -> None:
    assert not result.get("failed"), result.get("error")
    assert result["listed"] == entries
    assert result["values"] == entries
    assert result["errors"] == 0
    assert isinstance(result["requests"], int) and result["requests"] > entries
    for name in ("wall_s", "cpu_s", "maxrss_kb"):
        assert isinstance(result[name], int | float) and result[name] >= 0


@pytest.mark.parametrize("kind", ["bare", "ours", "ours-compose"])
def test_project_venv_workers_harvest_everything(stub_url: str, kind: str) -> None:
    client = run.Client(kind, kind, kind, "none")
    _check(run.run_worker(run.worker_cmd(client, stub_url, 4, run.Env()), timeout=60))


# Building a venv (pip from the index) is the slow part, and only on a fresh clone.
@pytest.mark.timeout(300)
def test_official_client_worker(stub_url: str) -> None:
    env = run.Env(official_python=run.ensure_official_venv())
    for kind in ("official", "official-threads"):
        client = run.Client(kind, kind, kind, "none")
        result = run.run_worker(run.worker_cmd(client, stub_url, 4, env), timeout=60)
        _check(result)
        assert result["client"] == kind
        assert result["extra"] == {"client_version": "2.10.0"}  # the official client's venv ran it


@pytest.mark.timeout(300)
def test_official_3_3_2_client_worker(stub3_url: str) -> None:
    env = run.Env(official3_python=run.ensure_official3_venv())
    for client in run.REAL3_CLIENTS[:2]:
        assert client.kind in ("official3", "official3-threads") and client.auth == "token"
        result = run.run_worker(run.worker_cmd(client, stub3_url, 4, env), timeout=60)
        _check(result)
        assert result["client"] == client.kind
        assert result["extra"] == {"client_version": run.OFFICIAL3_VERSION}


@pytest.mark.parametrize("key", ["c3", "e3"])
def test_airflow3_project_workers_harvest_everything(stub3_url: str, key: str) -> None:
    client = next(c for c in run.REAL3_CLIENTS if c.key == key)
    cmd = run.worker_cmd(client, stub3_url, 4, run.Env())
    result = run.run_worker(cmd, timeout=60)
    _check(result)
    if key == "e3":  # PasswordAuth at the library's defaults: v2 detected, concurrency 8
        assert cmd[cmd.index("--concurrency") + 1] == "0"
        assert result["concurrency"] == 8 and result["extra"]["api_version"] == "v2"
    else:
        assert result["auth"] == "token"


def _http(url: str, *, body: object = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fake_v2_answers_like_the_real_3_3_2(stub3_url: str, stub_url: str) -> None:
    """The shapes tests/harness/airflow3.py's docstring records of the real 3.3.2 api-server."""
    status, body = _http(f"{stub3_url}/api/v2/version")
    assert status == 200 and set(body) == {"version", "git_version"} and body["version"] == "3.3.2"
    status, body = _http(f"{stub3_url}/api/v1/version")
    assert status == 404 and set(body) == {"error"}
    assert "/api/v1 has been removed in Airflow 3" in body["error"]
    assert _http(f"{stub3_url}/auth/token", body={"username": "admin", "password": "nope"}) == (
        401,
        {"detail": "Invalid credentials"},
    )
    status, body = _http(f"{stub3_url}/auth/token", body={"username": "admin", "password": "admin"})
    assert status == 201 and set(body) == {"access_token"}  # no expires_in, no refresh token
    token = body["access_token"]
    head, claims = (json.loads(base64.urlsafe_b64decode(p + "==")) for p in token.split(".")[:2])
    assert head["alg"] == "HS512"
    assert set(claims) == {"sub", "role", "teams", "jti", "aud", "nbf", "exp", "iat"}
    assert claims["aud"] == "apache-airflow" and claims["exp"] - claims["iat"] == 86400
    xcoms = f"{stub3_url}/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries"
    assert _http(xcoms) == (401, {"detail": "Not authenticated"})
    assert _http(xcoms, token="not.a.jwt") == (403, {"detail": "Invalid JWT token"})
    status, page = _http(f"{xcoms}?limit=1000", token=token)
    assert status == 200 and set(page) == {"xcom_entries", "total_entries"}
    assert page["total_entries"] == ENTRIES and len(page["xcom_entries"]) == min(ENTRIES, 100)
    assert len(_http(xcoms, token=token)[1]["xcom_entries"]) == min(ENTRIES, 50)  # default limit
    status, empty = _http(f"{xcoms}?limit=0", token=token)  # zero items, not the default page
    assert (status, empty["xcom_entries"], empty["total_entries"]) == (200, [], ENTRIES)
    item = page["xcom_entries"][0]
    fields = {"key", "timestamp", "logical_date", "map_index", "task_id", "dag_id", "run_id"}
    fields |= {"dag_display_name", "task_display_name", "run_after"}
    assert set(item) == fields  # no value, the run id included
    assert all(item[k].endswith("Z") for k in ("timestamp", "logical_date", "run_after"))
    quote = urllib.parse.quote
    path = "/".join(quote(item[k], safe="") for k in ("dag_id", "run_id", "task_id", "key"))
    dag, run_id, task, key = path.split("/")
    url = f"{stub3_url}/api/v2/dags/{dag}/dagRuns/{run_id}/taskInstances/{task}/xcomEntries/{key}"
    status, value = _http(f"{url}?map_index={item['map_index']}", token=token)
    assert status == 200 and set(value) == fields | {"value"} and not isinstance(value["value"], str)
    status, missing = _http(f"{url}x?map_index={item['map_index']}", token=token)
    assert status == 404 and set(missing) == {"detail"}
    assert _http(f"{stub3_url}/api/v2/nowhere", token=token) == (404, {"error": "API route not found"})
    # The fake's default (Airflow 2) mode has neither, so v1 detection is untouched.
    assert _http(f"{stub_url}/api/v2/version")[0] == 404
    assert _http(f"{stub_url}/auth/token", body={"username": "admin", "password": "admin"})[0] == 404


def test_server_cpu_reading_and_the_airflow3_table() -> None:
    assert run.process_group_cpu_seconds(os.getpgid(0)) > 0  # this test process's group
    assert run.process_group_cpu_seconds(2**22 + 12345) == 0  # no such group

    def row(client: run.Client, wall: float) -> run.Row:
        sample = {"wall_s": wall, "requests": 101, "values": 100, "server_cpu_s": wall / 2, "cpu_s": 1}
        return run.Row(client, 8, [sample])

    rows = {c.key: row(c, w) for c, w in zip(run.REAL3_CLIENTS, (40.0, 10.0, 8.0, 8.2), strict=True)}
    table = run.comparison3_table(rows)
    assert table.count("\n") == len(rows) + 1
    assert "| 0.50 |" in table and "| 1.02x |" in table  # server share; (e3) vs its floor


@pytest.mark.timeout(300)
def test_httpx_worker(stub_url: str) -> None:
    env = run.Env(httpx_python=run.ensure_httpx_venv())
    client = run.Client("httpx", "httpx", "httpx", "none")
    result = run.run_worker(run.worker_cmd(client, stub_url, 4, env), timeout=60)
    _check(result)
    assert result["extra"] == {"httpx_version": run.HTTPX_REQUIREMENT.split("==")[1]}


def test_workers_through_the_latency_proxy(stub_url: str) -> None:
    with run.latency_proxy(stub_url, rtt_ms=2) as proxied:
        assert proxied.startswith("http://127.0.0.1:")
        for kind in ("bare", "ours"):
            client = run.Client(kind, kind, kind, "none")
            _check(run.run_worker(run.worker_cmd(client, proxied, 4, run.Env()), timeout=60))


async def test_latency_proxy_keeps_order_and_half_close() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(1 << 16):
            writer.write(chunk)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    payload = b"".join(i.to_bytes(4, "big") for i in range(200_000))  # 800 kB, order-sensitive
    try:
        async with LatencyProxy("127.0.0.1", port, rtt=0.004) as proxy:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            for i in range(0, len(payload), 7_919):  # many odd-sized chunks
                writer.write(payload[i : i + 7_919])
            await writer.drain()
            writer.write_eof()
            received = await asyncio.wait_for(reader.read(-1), 30)
            writer.close()
            assert received == payload
            assert proxy.connections == 1
    finally:
        server.close()
        await server.wait_closed()


def test_latency_proxy_refuses_other_hosts() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        LatencyProxy("10.0.0.1", 80)


def test_run_writes_a_report_without_secrets(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    secret = "bench-secret-pw-123"
    cmd = [sys.executable, "-m", "benchmarks.run", "--sections", "cpu,scale,memory", "--reps", "1"]
    cmd += ["--stub-clients", "bare,ours", "--cpu-entries", "40", "--scale", "30", "--memory-entries", "50"]
    cmd += ["--concurrency", "4", "--no-profile", "--out", str(out)]
    proc = subprocess.run(
        cmd,
        cwd=run.ROOT,
        env={**os.environ, "BENCH_PASSWORD": secret},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    for heading in (
        "## Goals",
        "Client CPU per request",
        "Scaling on the stub",
        "Memory: a streaming harvest",
    ):
        assert heading in text
    assert "Python " in text and "aiohttp " in text and "cores" in text
    raw = json.loads(out.with_suffix(".json").read_text())
    assert {"machine", "cpu", "scale", "memory"} <= raw.keys()
    for blob in (text, out.with_suffix(".json").read_text(), proc.stdout, proc.stderr):
        assert secret not in blob


def test_scrub_removes_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_PASSWORD", "hunter2-long")
    text = run.scrub(
        "login with hunter2-long\nCookie: session=abc.def; other=1\n"
        '"Authorization": "Basic YWRtaW4=" and session=xyz'
    )
    assert "hunter2-long" not in text and "abc.def" not in text and "YWRtaW4=" not in text
    assert "xyz" not in text
    assert "session cookie (c')" == run.scrub("session cookie (c')")


def test_sweep_verdict_names_where_concurrency_stops_helping() -> None:
    def row(key: str, wall: float) -> run.Row:
        return run.Row(run.Client(key, key, "ours", "session"), 1, [{"wall_s": wall, "requests": 100}])

    sweep = {
        c: {"e": row("e", w), "c'": row("c'", w)} for c, w in ((1, 40.0), (4, 12.0), (8, 11.5), (16, 11.0))
    }
    table, verdict = run.sweep_table(sweep)
    assert "stops helping at about 4" in verdict
    assert table.count("\n") == len(sweep) + 1


def test_crawl3_tables_and_churn_rows_without_airflow(tmp_path: Path) -> None:
    from benchmarks import crawl3

    db_path = tmp_path / "airflow.db"
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE dag_run (run_id TEXT)")
    con.execute("CREATE TABLE task_instance (id TEXT, dag_id TEXT, run_id TEXT, task_id TEXT, map_index INT)")
    con.executemany(
        "INSERT INTO dag_run VALUES (?)", [("scheduled__a",), ("crawl_front_000",), ("crawl_front_001",)]
    )
    con.executemany(
        "INSERT INTO task_instance VALUES (?, 'd', 'scheduled__a', ?, -1)",
        [(f"019a{i:028x}", f"t{i}") for i in range(3)],
    )
    con.commit()
    con.close()
    db = crawl3.Db(db_path)
    assert db.insert_front(5) == 5
    keys = db.keys()
    assert len(keys) == 8 and ("d", "crawl_front_001", "t1", -1) in keys
    front_ids = sqlite3.connect(db_path).execute("SELECT min(id) FROM task_instance").fetchone()[0]
    assert front_ids == f"{1:032x}"  # sorts before every uuid7
    assert db.delete_front() == 5 and len(db.keys()) == 3

    offset = crawl3.Walk("(a) offset", {"cursor": False}, listed=300, distinct=300, expected=300, wall=3.0)
    offset.page_times = [(0, 0.1), (100, 0.2), (200, 0.4)]
    cursor = crawl3.Walk("(b) cursor", {}, by_cursor=True, listed=300, distinct=300, expected=300, wall=1.0)
    cursor.page_times = [(0, 0.1), (100, 0.1), (200, 0.1)]
    assert offset.exact and offset.rps == 100 and offset.at(200) == 0.2  # median of the last pages
    table = crawl3.walk_table([offset, cursor], 300)
    assert table.count("\n") == 3 and "page @200 ms" in table and "| yes |" in table
    churned = crawl3.Walk("c", {}, inserted=10, listed=300, distinct=290, expected=310, missed=20)
    assert not churned.exact and churned.yielded_twice == 10
    assert "| 10 | 20 |" in crawl3.churn_table([churned])
