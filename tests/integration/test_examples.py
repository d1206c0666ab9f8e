"""Every script in examples/ runs against the real server, so none rots."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_async import AirflowClient, NotFound, SessionAuth
from tests.harness import airflow2 as harness

from .conftest import AirflowInfo
from .servers import RealServer

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(
    airflow2: AirflowInfo | RealServer, script: str, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIRFLOW_URL": airflow2.url,
        "AIRFLOW_USERNAME": airflow2.admin[0],
        "AIRFLOW_PASSWORD": airflow2.admin[1],
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_harvest_xcoms_to_file(server: RealServer, tmp_path: Path) -> None:
    out = tmp_path / "xcoms.jsonl"
    done = _run(server, "harvest_xcoms_to_file.py", str(out), "harvest_other")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    seeded = {
        (e["dag_run_id"], e["task_id"], e["map_index"], e["key"]): e[server.value_field]
        for e in server.manifest
        if e["dag_id"] == "harvest_other"
    }
    assert seeded, "the harness seeds harvest_other on both versions"
    assert {(r["dag_run_id"], r["task_id"], r["map_index"], r["key"]): r["value"] for r in rows} == seeded
    assert len(rows) == len(seeded)
    assert (tmp_path / "xcoms.jsonl.failures.jsonl").read_text() == ""
    assert f"{len(seeded)} values, 0 failures" in done.stdout


def test_crawl_dag_runs(server: RealServer) -> None:
    done = _run(server, "crawl_dag_runs.py")
    assert done.returncode == 0, done.stderr
    lines = dict(
        (parts[0], int(parts[2]))
        for parts in (line.split("\t") for line in done.stdout.splitlines())
        if len(parts) == 3
    )
    seeded_runs = {(e["dag_id"], e["dag_run_id"]) for e in server.manifest}
    assert lines["total"] >= len(seeded_runs)


@pytest.fixture
def scheduler(airflow2: AirflowInfo) -> Iterator[harness.Scheduler]:
    """A real scheduler on the test server's AIRFLOW_HOME, for as long as one test needs it."""
    assert airflow2.airflow_home, "the scheduler needs the server's AIRFLOW_HOME"
    running = harness.Scheduler(airflow2.airflow_home).start()
    try:
        yield running
    finally:
        running.stop()


async def _unpause_when_parsed(airflow2: AirflowInfo, dag_id: str) -> None:
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.admin)) as client:
        for _ in range(120):
            try:
                await client.dags.unpause(dag_id)
                return
            except NotFound:
                await asyncio.sleep(1)  # the scheduler has not parsed the DAG file yet
    raise AssertionError(f"{dag_id} never appeared")


async def test_trigger_and_wait(airflow2: AirflowInfo, scheduler: harness.Scheduler) -> None:
    await _unpause_when_parsed(airflow2, "trigger_demo")
    done = await asyncio.to_thread(
        _run, airflow2, "trigger_and_wait.py", "trigger_demo", '{"name": "airflow-async"}', timeout=400
    )
    try:
        assert done.returncode == 0, done.stdout + done.stderr + scheduler.log_tail()
        assert "finished: success" in done.stdout
        assert "'HELLO AIRFLOW-ASYNC'" in done.stdout
        assert "'hello airflow-async'" in done.stdout
    finally:
        await _delete_runs(airflow2, "trigger_demo")


async def _delete_runs(airflow2: AirflowInfo, dag_id: str) -> None:
    """Leave the server as seeded: other tests count every XCom on it."""
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.admin)) as client:
        await client.dags.pause(dag_id)
        for run in await client.dag_runs.list(dag_id).all():
            await client.dag_runs.delete(dag_id, run.dag_run_id)
        assert await client.xcom.list(dag_id).all() == []
