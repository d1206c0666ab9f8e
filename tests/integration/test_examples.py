"""Every script in examples/ runs against the real server, so none rots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import AirflowInfo

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(
    airflow2: AirflowInfo, script: str, *args: str, timeout: float = 300
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


def test_harvest_xcoms_to_file(airflow2: AirflowInfo, tmp_path: Path) -> None:
    out = tmp_path / "xcoms.jsonl"
    done = _run(airflow2, "harvest_xcoms_to_file.py", str(out), "harvest_other")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    seeded = {
        (e["dag_run_id"], e["task_id"], e["map_index"], e["key"]): e["value_no_deserialize"]
        for e in airflow2.manifest
        if e["dag_id"] == "harvest_other"
    }
    assert {(r["dag_run_id"], r["task_id"], r["map_index"], r["key"]): r["value"] for r in rows} == seeded
    assert len(rows) == len(seeded)
    assert (tmp_path / "xcoms.jsonl.failures.jsonl").read_text() == ""
    assert f"{len(seeded)} values, 0 failures" in done.stdout


def test_crawl_dag_runs(airflow2: AirflowInfo) -> None:
    done = _run(airflow2, "crawl_dag_runs.py")
    assert done.returncode == 0, done.stderr
    lines = dict(
        (parts[0], int(parts[2]))
        for parts in (line.split("\t") for line in done.stdout.splitlines())
        if len(parts) == 3
    )
    seeded_runs = {(e["dag_id"], e["dag_run_id"]) for e in airflow2.manifest}
    assert lines["total"] >= len(seeded_runs)
