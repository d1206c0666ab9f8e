"""Every script in examples/ runs against the real server, so none rots."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from airflow_async import NotFound
from tests.harness import airflow2 as harness2

from .conftest import AirflowInfo
from .releases import at_least, server_at_least
from .servers import RealServer

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: The DAG examples/trigger_and_wait.py triggers (tests/harness/dags/trigger_demo.py).
TRIGGERED = "trigger_demo"


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


def _json_values(server: RealServer) -> bool:
    """Whether the server has JSON XCom values, which the examples harvest: not Airflow 2.9 (only
    ``str(value)``), where the client refuses the harvest naming Airflow 2.10."""
    return server_at_least(server.url, server.login_auth(*server.admin), "2.10.0")


def test_harvest_xcoms_to_file(server: RealServer, tmp_path: Path) -> None:
    out = tmp_path / "xcoms.jsonl"
    done = _run(server, "harvest_xcoms_to_file.py", str(out), "harvest_other")
    if not _json_values(server):
        assert (
            done.returncode == 1
            and "xcom.harvest(stringify=False) (JSON values) needs Airflow 2.10.0 or newer" in done.stderr
        ), done.stderr
        return
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
async def quiet_dags(server: RealServer) -> AsyncIterator[None]:
    """Pause every other unpaused DAG while a scheduler runs (and unpause them again after): a
    scheduler would otherwise start their queued runs (on Airflow 3 a shared test leaves
    ``harvest_empty`` unpaused with a seeded queued run) and change what other tests count."""
    paused = await _pause_all_but(server, TRIGGERED)
    try:
        yield
    finally:
        await _unpause(server, paused)


@pytest.fixture
def scheduler(server: RealServer, quiet_dags: None) -> Iterator[harness2.Scheduler]:
    """A real scheduler on the test server's AIRFLOW_HOME, for as long as one test needs it
    (stopped, its whole process group, however the test ends)."""
    with server.scheduler() as running:
        yield running


async def _pause_all_but(server: RealServer, dag_id: str) -> list[str]:
    async with server.admin_client() as client:
        others = [d.dag_id for d in await client.dags.list().all() if d.dag_id != dag_id and not d.is_paused]
        for other in others:
            await client.dags.pause(other)
    return others


async def _unpause(server: RealServer, dag_ids: list[str]) -> None:
    async with server.admin_client() as client:
        for dag_id in dag_ids:
            await client.dags.unpause(dag_id)


async def _unpause_when_parsed(server: RealServer, dag_id: str) -> None:
    async with server.admin_client() as client:
        for _ in range(120):
            try:
                await client.dags.unpause(dag_id)
                return
            except NotFound:
                await asyncio.sleep(1)  # Airflow 2: the scheduler has not parsed the DAG file yet
    raise AssertionError(f"{dag_id} never appeared")


async def test_trigger_and_wait(server: RealServer, scheduler: harness2.Scheduler) -> None:
    try:
        await _unpause_when_parsed(server, TRIGGERED)
        done = await asyncio.to_thread(
            _run, server, "trigger_and_wait.py", TRIGGERED, '{"name": "airflow-async"}', timeout=400
        )
        async with server.admin_client() as af:
            json_values = at_least(af, "2.10.0")
        if not json_values:  # Airflow 2.9: the run works; harvesting its values is refused by release
            assert done.returncode == 1 and "finished: success" in done.stdout, done.stderr
            assert "xcom.harvest(stringify=False) (JSON values) needs Airflow 2.10.0" in done.stderr
            return
        assert done.returncode == 0, (
            f"{done.stdout}{done.stderr}\n--- {scheduler.log_path}:\n{scheduler.log_tail()}"
            f"{_task_logs(server.home, TRIGGERED, done.stdout)}"
        )
        assert "finished: success" in done.stdout
        assert "'HELLO AIRFLOW-ASYNC'" in done.stdout
        assert "'hello airflow-async'" in done.stdout
    finally:
        await _delete_runs(server, TRIGGERED)


def _task_logs(home: Path, dag_id: str, stdout: str, lines: int = 30) -> str:
    """The tail of each task log of the run the example triggered (``triggered <run id>`` in its
    ``stdout``), from ``<home>/logs``: why a task failed."""
    run_ids = [line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith("triggered ")]
    out = []
    for log in sorted(
        p for r in run_ids for p in (home / "logs").glob(f"dag_id={dag_id}/run_id={r}/**/*.log")
    ):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        out.append(f"\n--- {log}:\n{tail}")
    return "".join(out)


async def _delete_runs(server: RealServer, dag_id: str) -> None:
    """Leave the server as seeded: other tests count every XCom on it."""
    async with server.admin_client() as client:
        await client.dags.pause(dag_id)
        for run in await client.dag_runs.list(dag_id).all():
            await client.dag_runs.delete(dag_id, run.dag_run_id)
        assert await client.xcom.list(dag_id).all() == []
