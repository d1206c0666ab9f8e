"""Every XCom call of the seeds against the real Airflow 2.11.2, compared with what was seeded."""

from __future__ import annotations

import collections
import contextlib
import json
from typing import Any

import pytest

from airflow_async import AirflowClient, BasicAuth, NotFound, ServerError, SessionAuth, XCom, XComEntry

from .conftest import AirflowInfo
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration


def _client(af: AirflowInfo, **kwargs: Any) -> AirflowClient:
    return AirflowClient(af.url, auth=SessionAuth(*af.admin), **kwargs)


def _key(e: dict[str, Any]) -> tuple[str, str, str, int, str]:
    return (e["dag_id"], e["execution_date"], e["task_id"], e["map_index"], e["key"])


def _entry_key(e: XComEntry) -> tuple[str, str, str, int, str]:
    assert e.execution_date is not None
    return (e.dag_id, e.execution_date.isoformat(), e.task_id, e.map_index, e.key)


def _pick(airflow2: AirflowInfo, **match: Any) -> dict[str, Any]:
    for e in airflow2.manifest:
        if all(e.get(k) == v for k, v in match.items()):
            return e
    raise AssertionError(f"nothing seeded matches {match}")


async def _default_get(client: AirflowClient, seeded: dict[str, Any]) -> tuple[XCom, str]:
    """``xcom.get`` of a seeded entry with the defaults (JSON values), and the manifest field it
    matches. Airflow 2.9 has only ``str(value)``: there the defaults are refused ("needs Airflow
    2.10") and the entry is fetched with ``stringify=True``."""
    args = (seeded["dag_id"], seeded["dag_run_id"], seeded["task_id"], seeded["key"])
    with needs_release(client, "2.10.0") as native:
        return await client.xcom.get(*args, map_index=seeded["map_index"]), "value_no_deserialize"
    assert not native
    got = await client.xcom.get(*args, map_index=seeded["map_index"], stringify=True)
    return got, "string_no_deserialize"


async def test_list_everything_with_tildes(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        listing = client.xcom.list("~", "~", "~")
        entries = await listing.all()
    assert listing.total_entries == len(entries)
    assert len(entries) == len({_entry_key(e) for e in entries})  # none twice
    assert {_key(e) for e in airflow2.manifest} <= {_entry_key(e) for e in entries}
    assert all(e.dag_run_id is None for e in entries)  # v1 listings carry no run id


async def test_list_one_dag_one_run_one_task(airflow2: AirflowInfo) -> None:
    seeded = _pick(airflow2, dag_id="harvest_demo", task_id="square", map_index=3)
    run_id = seeded["dag_run_id"]
    expected = [e for e in airflow2.manifest if e["dag_id"] == "harvest_demo" and e["dag_run_id"] == run_id]
    async with _client(airflow2) as client:
        by_run = await client.xcom.list("harvest_demo", run_id, "~").all()
        by_task = await client.xcom.list("harvest_demo", run_id, "square").all()
        by_dag_task = await client.xcom.list("harvest_demo", "~", "square").all()
    assert sorted(_entry_key(e) for e in by_run) == sorted(_key(e) for e in expected)
    assert {e.task_id for e in by_task} == {"square"}
    assert sorted(e.map_index for e in by_task) == list(range(8))
    squares = [e for e in airflow2.manifest if e["dag_id"] == "harvest_demo" and e["task_id"] == "square"]
    assert len(by_dag_task) == len(squares)


async def test_map_index_and_key_filters(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        mapped = await client.xcom.list(map_index=5).all()
        slashed = await client.xcom.list(xcom_key="my key/with slash").all()
    assert mapped and all(e.map_index == 5 for e in mapped)
    assert len(mapped) == sum(1 for e in airflow2.manifest if e["map_index"] == 5)
    assert slashed and {e.key for e in slashed} == {"my key/with slash"}
    assert len(slashed) == sum(1 for e in airflow2.manifest if e["key"] == "my key/with slash")


async def test_limit_and_offset(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        everything = await client.xcom.list().all()
        window = await client.xcom.list(page_size=7, offset=30, max_items=20).all()
        pages = [p async for p in client.xcom.list(page_size=7, max_items=21).pages()]
    assert [_entry_key(e) for e in window] == [_entry_key(e) for e in everything[30:50]]
    assert [len(p.items) for p in pages] == [7, 7, 7]
    assert [p.offset for p in pages] == [0, 7, 14]


@pytest.mark.parametrize("deserialize", [False, True])
async def test_get_values_both_ways_match_what_was_seeded(airflow2: AirflowInfo, deserialize: bool) -> None:
    kinds: dict[str, dict[str, Any]] = {}
    for e in airflow2.manifest:
        kinds.setdefault(e["kind"], e)
    async with _client(airflow2) as client:
        for kind, seeded in kinds.items():
            args = (seeded["dag_id"], seeded["dag_run_id"], seeded["task_id"], seeded["key"])
            # Airflow 2.9 cannot route a key containing '/', has only str(value), and answers 500
            # to a None value (its response fails its own spec: "None is not of type 'string'").
            slash = "/" in seeded["key"]
            want_string = seeded["string" if deserialize else "string_no_deserialize"]
            if want_string is None and not slash and not at_least(client, "2.10.0"):
                with pytest.raises(ServerError, match="None is not of type 'string'"):
                    await client.xcom.get(
                        *args, map_index=seeded["map_index"], deserialize=deserialize, stringify=True
                    )
                routable = False
            else:
                with needs_release(client, "2.10.0") if slash else contextlib.nullcontext(True) as routable:
                    text = await client.xcom.get(
                        *args, map_index=seeded["map_index"], deserialize=deserialize, stringify=True
                    )
            with needs_release(client, "2.10.0") as has_json:
                native = await client.xcom.get(
                    *args, map_index=seeded["map_index"], deserialize=deserialize, stringify=False
                )
            # deserialize=false makes the server use the backend's cheap orm_deserialize_value,
            # which renders objects the JSON encoder serialised (tuples, datetimes) as text.
            want_value = seeded["value" if deserialize else "value_no_deserialize"]
            if routable:
                assert text.value == want_string, kind
                assert text.key == seeded["key"] and text.dag_id == seeded["dag_id"]
            if has_json:
                assert json.dumps(native.value, sort_keys=True) == json.dumps(want_value, sort_keys=True), (
                    kind
                )
                assert native.key == seeded["key"] and native.dag_id == seeded["dag_id"]


async def test_large_values_arrive_whole(airflow2: AirflowInfo) -> None:
    large = [e for e in airflow2.manifest if e["kind"] == "large_str"]
    assert large, "the harness seeds ~1 MB values"
    async with _client(airflow2) as client:
        for seeded in large:
            got, field = await _default_get(client, seeded)
            assert got.value == seeded[field]
            assert len(got.value.encode()) >= 1_000_000


async def test_run_ids_with_plus_colon_and_odd_characters(airflow2: AirflowInfo) -> None:
    odd = [e for e in airflow2.manifest if not e["dag_run_id"].startswith(("manual__", "scheduled__"))]
    plus = [e for e in airflow2.manifest if "+" in e["dag_run_id"] and ":" in e["dag_run_id"]]
    assert odd and plus
    async with _client(airflow2) as client:
        for seeded in (odd[0], plus[0]):
            got, field = await _default_get(client, seeded)
            assert json.dumps(got.value) == json.dumps(seeded[field])


async def test_unknown_entry_is_not_found(airflow2: AirflowInfo) -> None:
    seeded = airflow2.manifest[0]
    async with AirflowClient(airflow2.url, auth=BasicAuth(*airflow2.admin)) as client:
        # (stringify=True on Airflow 2.9, which has no JSON values: see _default_get)
        stringify = not at_least(client, "2.10.0")
        with pytest.raises(NotFound) as info:
            await client.xcom.get(
                seeded["dag_id"], seeded["dag_run_id"], seeded["task_id"], "no such key", stringify=stringify
            )
    assert info.value.status == 404
    assert "no such key" in str(info.value) or "not found" in str(info.value).lower()


async def test_dag_runs_and_task_instances_listings(airflow2: AirflowInfo) -> None:
    runs_seeded = {(e["dag_id"], e["dag_run_id"]) for e in airflow2.manifest}
    async with _client(airflow2) as client:
        runs = await client.dag_runs.list("~", concurrent=True).all()
        demo_runs = await client.dag_runs.list("harvest_demo").all()
        one = next(r for r in demo_runs if "+" in r.dag_run_id)
        tis = await client.task_instances.list("harvest_demo", one.dag_run_id).all()
        all_tis = client.task_instances.list("~", "~", max_items=250)
        first_250 = await all_tis.all()
    assert runs_seeded <= {(r.dag_id, r.dag_run_id) for r in runs}
    assert all(r.execution_date is not None and r.execution_date.tzinfo is not None for r in runs)
    assert collections.Counter(r.dag_id for r in runs)["harvest_demo"] == len(demo_runs)
    assert {t.task_id for t in tis} >= {"extract", "square"}
    assert sorted(t.map_index for t in tis if t.task_id == "square") == list(range(8))
    assert len(first_250) == 250 and all_tis.total_entries is not None and all_tis.total_entries > 250
