"""The harvest's accounting and run-id mapping, with aioresponses."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

from airflow_async import AirflowClient, BasicAuth, NotFound, Requeue, RetryPolicy, RunNotFound, UsageError

BASE = "http://127.0.0.1:8080"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)

RUNS = [
    {
        "dag_id": "d1",
        "dag_run_id": "manual__2024-01-01T00:00:00+00:00",
        "execution_date": "2024-01-01T00:00:00+00:00",
    },
    {"dag_id": "d1", "dag_run_id": "odd id with spaces", "execution_date": "2024-01-02T00:00:00+00:00"},
    {
        "dag_id": "d2",
        "dag_run_id": "scheduled__2024-01-01T00:00:00+00:00",
        "execution_date": "2024-01-01T00:00:00Z",
    },
]


def _entry(dag: str, date: str, key: str, map_index: int = -1) -> dict[str, Any]:
    return {"dag_id": dag, "execution_date": date, "task_id": "t", "key": key, "map_index": map_index}


ENTRIES = [
    _entry("d1", "2024-01-01T00:00:00+00:00", "a"),
    _entry("d1", "2024-01-02T00:00:00+00:00", "b/c d", 0),
    _entry("d1", "2024-01-02T00:00:00+00:00", "b/c d", 1),
    _entry("d2", "2024-01-01T00:00:00+00:00", "gone"),  # its value 404s
    _entry("d2", "2024-01-01T00:00:00+00:00", "flaky"),  # 503 once, then fine
    _entry("d3", "2024-05-05T00:00:00+00:00", "orphan"),  # no such run, even after a refresh
]


@pytest.fixture
def server() -> AsyncIterator[tuple[aioresponses, list[str]]]:
    fetched: list[str] = []
    flaky = {"n": 0}

    def xcom_list(url: Any, **_: Any) -> CallbackResult:
        offset, limit = int(url.query["offset"]), min(int(url.query["limit"]), 4)
        return CallbackResult(
            payload={"xcom_entries": ENTRIES[offset : offset + limit], "total_entries": len(ENTRIES)}
        )

    def runs(url: Any, **_: Any) -> CallbackResult:
        dag = url.raw_parts[4] if len(url.raw_parts) > 4 else "~"
        rows = [r for r in RUNS if dag in ("~", r["dag_id"])]
        offset = int(url.query["offset"])
        return CallbackResult(payload={"dag_runs": rows[offset : offset + 2], "total_entries": len(rows)})

    def value(url: Any, **_: Any) -> CallbackResult:
        parts = url.path.split("/")
        dag, run, key = parts[4], parts[6], url.raw_parts[-1]
        fetched.append(f"{dag}|{run}|{key}|{url.query.get('map_index')}")
        if key == "gone":
            return CallbackResult(status=404, payload={"title": "XCom entry not found", "status": 404})
        if key == "flaky" and flaky["n"] == 0:
            flaky["n"] += 1
            return CallbackResult(status=503)
        return CallbackResult(payload={"dag_id": dag, "task_id": "t", "key": key, "value": {"run": run}})

    with aioresponses() as m:
        m.get(re.compile(r".*/xcomEntries\?.*limit=.*"), callback=xcom_list, repeat=True)
        m.get(re.compile(r".*/dagRuns\?.*"), callback=runs, repeat=True)
        m.get(re.compile(r".*/xcomEntries/[^?]+\?.*"), callback=value, repeat=True)
        yield m, fetched


async def test_every_listed_entry_is_delivered_or_reported(server: tuple[aioresponses, list[str]]) -> None:
    _, fetched = server
    async with AirflowClient(BASE, auth=BasicAuth("a", "b"), retry=FAST, api_version="v1") as af:
        async with af.xcom.harvest() as harvest:
            results = [r async for r in harvest]
    stats = harvest.stats
    assert stats.listed == len(ENTRIES) == len(results)
    assert stats.delivered == 4 and stats.failed == 2 and stats.cancelled == 0
    assert stats.balanced
    ok = {(r.entry.dag_id, r.entry.key, r.entry.map_index): r for r in results if r.ok}
    assert ok[("d1", "a", -1)].entry.dag_run_id == "manual__2024-01-01T00:00:00+00:00"
    assert ok[("d1", "b/c d", 1)].value is not None
    assert ok[("d1", "b/c d", 1)].value.value == {"run": "odd id with spaces"}
    assert ok[("d2", "flaky", -1)].entry.dag_run_id == "scheduled__2024-01-01T00:00:00+00:00"  # Z == +00:00
    failures = {r.entry.key: r.error for r in results if not r.ok}
    assert isinstance(failures["gone"], NotFound)
    assert isinstance(failures["orphan"], RunNotFound)
    assert stats.run_map_refreshes == 1
    assert "d1|odd id with spaces|b%2Fc%20d|1" in fetched


async def test_keys_filter_lists_once_per_key(server: tuple[aioresponses, list[str]]) -> None:
    m, _ = server
    async with AirflowClient(BASE, auth=BasicAuth("a", "b"), retry=FAST, api_version="v1") as af:
        results = await af.xcom.harvest(keys=["a", "flaky"]).collect()
    listings = [str(u) for (meth, u) in m.requests if "xcom_key=" in str(u)]
    assert any("xcom_key=a&" in u or u.endswith("xcom_key=a") for u in listings)
    assert len(results) == 2 * len(ENTRIES)  # the fake ignores the filter; the harvest does not drop rows


async def test_early_stop_accounts_for_cancelled_entries(server: tuple[aioresponses, list[str]]) -> None:
    async with AirflowClient(
        BASE, auth=BasicAuth("a", "b"), retry=FAST, max_concurrency=2, api_version="v1"
    ) as af:
        async with af.xcom.harvest() as harvest:
            async for _ in harvest:
                break
    stats = harvest.stats
    assert stats.delivered + stats.failed == 1
    assert stats.balanced


async def test_bad_arguments_are_typed_errors() -> None:
    af = AirflowClient(BASE, auth=BasicAuth("a", "b"), api_version="v1")
    with pytest.raises(UsageError, match="empty list"):
        af.xcom.harvest(keys=[])
    with pytest.raises(UsageError, match="not a string"):
        af.xcom.harvest(keys="abc")
    with pytest.raises(UsageError, match="dag_id"):
        af.xcom.harvest("")
    with pytest.raises(UsageError, match="concurrency"):
        af.xcom.harvest(concurrency=0)
    with pytest.raises(UsageError, match=r"requeue takes a Requeue\(rounds=..., wait=...\) or None"):
        af.xcom.harvest(requeue=3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"Requeue\.rounds must be an int >= 0"):
        Requeue(rounds=-1)
    with pytest.raises(UsageError, match=r"Requeue\.wait must be a number of seconds >= 0"):
        Requeue(wait=-0.5)
