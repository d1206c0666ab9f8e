"""Harvest every seeded XCom from the real server: counts, values, no duplicates, both auths."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from airflow_async import (
    AirflowClient,
    Auth,
    BasicAuth,
    NotSupportedByServer,
    ServerError,
    SessionAuth,
    SessionAuthFallbackWarning,
    SessionAuthUnsupported,
)

from .conftest import AirflowInfo
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration


def _seeded(airflow2: AirflowInfo, dag_id: str = "~") -> dict[tuple[str, str, str, int, str], Any]:
    return {
        # the harvest's default deserialize=False gives the server's orm_deserialize_value
        (e["dag_id"], e["dag_run_id"], e["task_id"], e["map_index"], e["key"]): e
        for e in airflow2.manifest
        if dag_id in ("~", e["dag_id"])
    }


async def _harvest_and_check(
    url: str, auth: Auth, concurrency: int, seeded: dict[Any, Any], dag_id: str
) -> None:
    async with AirflowClient(url, auth=auth, max_concurrency=concurrency) as client:
        # Airflow 2.9 has no JSON values (only str(value)), routes no key containing '/', and
        # answers 500 to a None value (its response fails its own spec): there the default
        # harvest is refused, and a stringify=True one fails those entries alone.
        native = at_least(client, "2.10.0")
        if not native:
            with needs_release(client, "2.10.0"):
                client.xcom.harvest(dag_id)  # JSON values: refused before anything is listed
        listed_by_server = client.xcom.list(dag_id)
        server_count = len(await listed_by_server.all())
        got: dict[tuple[str, str, str, int, str], Any] = {}
        refused: set[tuple[str, str, str, int, str]] = set()
        async with client.xcom.harvest(dag_id, stringify=not native) as harvest:
            async for result in harvest:
                e = result.entry
                assert e.dag_run_id is not None
                k = (e.dag_id, e.dag_run_id, e.task_id, e.map_index, e.key)
                assert k not in got and k not in refused, f"{k} delivered twice"
                if not native and "/" in e.key:
                    assert isinstance(result.error, NotSupportedByServer), result.error
                    assert "needs Airflow 2.10" in str(result.error)
                    refused.add(k)
                    continue
                if not native and k in seeded and seeded[k]["string_no_deserialize"] is None:
                    assert isinstance(result.error, ServerError), result.error
                    assert "None is not of type 'string'" in str(result.error)
                    refused.add(k)
                    continue
                assert result.ok, result.error
                assert result.value is not None
                got[k] = result.value.value
    stats = harvest.stats
    assert stats.listed == server_count == len(got) + len(refused)
    assert stats.delivered == len(got) and stats.failed == len(refused) and stats.balanced
    assert bool(refused) is (not native and any("/" in k[4] for k in seeded))
    assert client.stats.failures == 0 or not native  # (2.9: the 500s, each fetched in requeue rounds)
    missing = set(seeded) - set(got) - refused
    assert not missing, f"{len(missing)} seeded XComs not harvested, e.g. {sorted(missing)[:3]}"
    field = "value_no_deserialize" if native else "string_no_deserialize"
    for k, entry in seeded.items():
        if k not in refused:
            assert json.dumps(got[k], sort_keys=True) == json.dumps(entry[field], sort_keys=True), k


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_harvest_everything_with_session_auth(airflow2: AirflowInfo, concurrency: int) -> None:
    auth = SessionAuth(*airflow2.admin, strict=True)
    await _harvest_and_check(airflow2.url, auth, concurrency, _seeded(airflow2), "~")
    assert auth.logins == 1


async def test_harvest_everything_with_basic_auth(airflow2: AirflowInfo) -> None:
    await _harvest_and_check(airflow2.url, BasicAuth(*airflow2.admin), 16, _seeded(airflow2), "~")


async def test_harvest_one_dag_with_basic_auth_one_at_a_time(airflow2: AirflowInfo) -> None:
    # Basic auth costs the server ~100 ms per request: at concurrency 1 the whole set would take
    # minutes, so this combination harvests one DAG (the full set runs at concurrency 16 above).
    seeded = _seeded(airflow2, "harvest_other")
    assert seeded
    await _harvest_and_check(airflow2.url, BasicAuth(*airflow2.admin), 1, seeded, "harvest_other")


async def test_pagination_follows_the_servers_clamp(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url, "the harness starts a second server with maximum_page_limit = 25"
    async with AirflowClient(airflow2.second_url, auth=BasicAuth(*airflow2.admin)) as client:
        listing = client.xcom.list(page_size=100)
        pages = [p async for p in listing.pages()]
    sizes = [len(p.items) for p in pages]
    assert max(sizes) == 25, "the server clamps limit=100 to 25"
    assert sum(sizes) == listing.total_entries
    keys = [(e.dag_id, e.execution_date, e.task_id, e.map_index, e.key) for p in pages for e in p.items]
    assert len(keys) == len(set(keys))
    assert listing.total_entries is not None and listing.total_entries >= len(airflow2.manifest)


async def test_concurrent_pagination_on_the_clamped_server(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url
    async with AirflowClient(
        airflow2.second_url, auth=BasicAuth(*airflow2.admin), max_concurrency=8
    ) as client:
        sequential = [(r.dag_id, r.dag_run_id) for r in await client.dag_runs.list("~", page_size=100).all()]
        concurrent = [
            (r.dag_id, r.dag_run_id) for r in await client.dag_runs.list("~", concurrent=True).all()
        ]
    assert sequential == concurrent
    assert len(sequential) > 100


async def test_session_auth_falls_back_where_the_api_refuses_cookies(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url  # its [api] auth_backends has basic_auth only
    auth = SessionAuth(*airflow2.admin)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with AirflowClient(airflow2.second_url, auth=auth) as client:
            dags = await client.dags.list().all()
            dags_again = await client.dags.list().all()
    assert dags and len(dags) == len(dags_again)
    assert auth.using_fallback
    assert [w.category for w in caught].count(SessionAuthFallbackWarning) == 1


async def test_session_auth_strict_mode_raises_where_cookies_are_refused(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url
    async with AirflowClient(airflow2.second_url, auth=SessionAuth(*airflow2.admin, strict=True)) as client:
        with pytest.raises(SessionAuthUnsupported, match="auth_backends"):
            await client.dags.list().all()
