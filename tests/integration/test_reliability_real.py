"""Reliability where real servers differ from the fakes, proven on the real servers.

Each test runs against both servers of the harness (the ``server`` fixture, Airflow 2.11.2 and
3.3.2): logins that expire mid-harvest (deleted sessions; 5-second tokens), a server killed
mid-harvest and started again, and (where the server has roles) a user who may not read XComs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_async import AirflowClient, Forbidden

from .releases import at_least, needs_release, server_at_least
from .servers import Key, RealServer

pytestmark = pytest.mark.integration


def _key(e: Any) -> Key:
    return (e.dag_id, e.dag_run_id, e.task_id, e.map_index, e.key)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


async def test_logins_that_expire_every_few_seconds_cost_a_few_logins_and_no_values(
    server: RealServer,
) -> None:
    seeded = server.seeded_values()
    auth = server.login_auth(*server.admin)
    got: dict[Key, Any] = {}
    repeats: list[Key] = []
    with server.logins_expiring() as expiring:
        async with AirflowClient(expiring.url, auth=auth, max_concurrency=8) as af:
            await af.dags.list(max_items=1).all()  # logged in before the first expiry
            if not at_least(af, "2.10.0"):  # Airflow 2.9 has only str(value): refused by release
                with needs_release(af, "2.10.0"):
                    af.xcom.harvest()
                return
            async with af.xcom.harvest() as harvest:
                async for result in harvest:
                    assert result.ok, result.error
                    assert result.value is not None
                    k = _key(result.entry)
                    if k in got:
                        repeats.append(k)
                    got[k] = result.value.value
            stats = af.stats
        expired = expiring.expired()

    assert expired >= 2, f"the harvest ended before logins expired twice ({expired})"
    assert repeats == [] and set(got) >= set(seeded)
    assert all(_same(got[k], v) for k, v in seeded.items())
    assert harvest.stats.failed == 0 and harvest.stats.delivered == len(got) and harvest.stats.balanced
    # One login at the start and about one per expiry (one during a re-login can cost one more),
    # not one per refused request: up to 8 requests are in flight when a login expires.
    assert 1 + expired // 2 <= auth.logins <= 2 + 2 * expired
    assert stats.reauths <= 8 * 2 * (expired + 1)
    assert stats.failures == 0, (harvest.stats, stats)


async def test_a_user_without_xcom_permission_gets_one_forbidden_fast(server_with_roles: RealServer) -> None:
    server = server_with_roles
    async with server.user_without("XComs") as (user, password):
        auth = server.login_auth(user, password)
        async with AirflowClient(server.url, auth=auth, max_concurrency=8) as af:
            dags = await af.dags.list(max_items=5).all()  # the user may read DAGs...
            assert dags
            # (str values on Airflow 2.9, which has no JSON ones: there the default is refused first)
            stringify = not at_least(af, "2.10.0")
            with pytest.raises(Forbidden) as info:
                async with af.xcom.harvest(stringify=stringify) as harvest:  # ...but not XComs
                    async for _ in harvest:
                        pass
            stats = af.stats
    assert "403 GET" in str(info.value) and "/xcomEntries" in str(info.value)
    assert harvest.stats.listed == 0 and harvest.stats.balanced
    assert auth.logins == 1  # the session is alive: no re-login, no loop
    assert stats.reauths == 0 and stats.retries == 0
    assert stats.requests < 20  # login, the DAG listing, the first XCom page, a check: not one per entry


def _cli(url: str, user: tuple[str, str], *args: str, timeout: float = 300) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_")}
    env.update({"AIRFLOW_URL": url, "AIRFLOW_USERNAME": user[0], "AIRFLOW_PASSWORD": user[1]})
    return subprocess.Popen(
        [sys.executable, "-m", "airflow_async", "xcom", "harvest", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _read(path: Path) -> dict[Key, Any]:
    got: dict[Key, Any] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        rec = json.loads(line)
        k = (rec["dag_id"], rec["dag_run_id"], rec["task_id"], rec["map_index"], rec["key"])
        assert k not in got, f"line {n}: {k} written twice"
        got[k] = rec["value"]
    return got


def test_a_webserver_killed_mid_harvest_then_resume_gives_every_value_once(
    server: RealServer, tmp_path: Path
) -> None:
    seeded = server.seeded_values()
    out = tmp_path / "xcoms.jsonl"
    if not server_at_least(server.url, server.login_auth(*server.admin), "2.10.0"):
        # Airflow 2.9 has only str(value): the CLI's default harvest is refused, naming 2.10.
        refused = _cli(server.url, server.admin, "--out", str(out))
        _, err = refused.communicate(timeout=120)
        assert refused.returncode == 2 and "(JSON values) needs Airflow 2.10.0" in err, err
        return
    with server.extra_server() as ws:
        proc = _cli(ws.url, server.admin, "--concurrency", "8", "--out", str(out))
        try:
            deadline = time.monotonic() + 240
            while _lines(out) < 300:
                assert proc.poll() is None, f"the harvest ended before the kill: {proc.communicate()}"
                assert time.monotonic() < deadline, "the harvest did not reach 300 values"
                time.sleep(0.05)
            ws.kill()  # mid-harvest, like a crashed host: connections reset, then refused
            killed_at = _lines(out)
            time.sleep(3)
            ws.start()  # back on the same port, after its usual ~20 s start
            stdout, stderr = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "Traceback" not in stderr and stdout == ""
        first = _read(out)
        assert killed_at < len(seeded)
        if proc.returncode == 0:  # the server came back within the retry window
            assert "harvest done" in stderr
        else:  # or it ended with what it did, a clear error, and the way to go on
            assert proc.returncode == 1, stderr
            note, error = stderr.strip().splitlines()[-2:]
            assert note.startswith(f"harvest stopped: {len(first):,} values written to {out}"), stderr
            assert note.endswith("run the same command with --resume to continue"), stderr
            assert error.startswith("airflow-async: error: "), stderr
            assert "cannot connect" in error or "consecutive transport failures" in error, stderr
        resumed = _cli(ws.url, server.admin, "--out", str(out), "--resume")
        _, r_err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, r_err
    assert f"{len(first):,} skipped" in r_err  # nothing fetched twice
    got = _read(out)
    assert set(got) >= set(seeded)
    assert all(_same(got[k], v) for k, v in seeded.items())
