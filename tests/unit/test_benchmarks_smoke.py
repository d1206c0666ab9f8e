"""Smoke tests of the benchmark scripts on a tiny stub data set (no Airflow, no timing asserts).

Each worker runs as the subprocess it is in ``make bench``, against the fake server
(``tests/fakes/fault_server.py --no-auth``) also in its own process. The official
client and httpx workers run in their own virtualenvs under ``.cache/``, built here if
they are missing by the same cached, file-locked builders that ``make bench`` uses
(a few seconds each from the package index, once per clone).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.latency_proxy import LatencyProxy

ENTRIES = 60
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    with run.stub(ENTRIES) as url:
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
