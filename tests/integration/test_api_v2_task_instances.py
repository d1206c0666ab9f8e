"""API v2 task instances (update, bulk, delete, logs...), human-in-the-loop, and the state stores.

Against the real Airflow 3.3.2: every write goes to a run of ``harvest_empty`` that the test
triggers itself (a triggered run gets its task instance ``nothing`` at once, in state ``None``,
although no scheduler runs) and deletes in ``finally``; the asset state store uses asset 1 and
clears what it set. The seeded runs are only read. The last section checks with aioresponses
what the methods send where the real server cannot show it (a HITL answer, a task group).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aioresponses import aioresponses

from airflow_async import (
    NO_RETRY,
    AirflowClient,
    BadRequest,
    BearerToken,
    Conflict,
    NotFound,
    PasswordAuth,
    StructuredTaskLog,
    TaskInstanceReference,
    UsageError,
)

from .conftest import Airflow3Info
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration

DAG = "harvest_empty"
TASK = "nothing"


def _client(af: Airflow3Info) -> AirflowClient:
    return AirflowClient(af.url, auth=PasswordAuth(*af.admin))


@pytest.fixture
async def own_run(airflow3: Airflow3Info) -> AsyncIterator[tuple[AirflowClient, str]]:
    """An open client and the id of a fresh ``harvest_empty`` run, deleted afterwards."""
    run_id = f"test_ti_{secrets.token_hex(4)}"
    async with _client(airflow3) as af:
        await af.dag_runs.trigger(DAG, dag_run_id=run_id)
        try:
            yield af, run_id
        finally:
            await af.dag_runs.delete(DAG, run_id)


def _real_run(af: Airflow3Info) -> str:
    """The run of ``harvest_real`` that ``airflow dags test`` ran for real."""
    runs = {e["dag_run_id"] for e in af.manifest if e["dag_id"] == "harvest_real"}
    assert len(runs) == 1, runs
    return runs.pop()


# -- update, set_state, set_note, delete, bulk on a run of our own ---------------------------------


async def test_a_triggered_run_has_a_task_instance_without_a_scheduler(
    own_run: tuple[AirflowClient, str],
) -> None:
    af, run_id = own_run
    tis = await af.task_instances.list(DAG, run_id).all()
    assert [(t.task_id, t.map_index, t.state, t.try_number) for t in tis] == [(TASK, -1, None, 0)]


async def test_update_dry_run_changes_nothing_then_update_sets_state_and_note(
    own_run: tuple[AirflowClient, str],
) -> None:
    af, run_id = own_run
    would = await af.task_instances.update(DAG, run_id, TASK, new_state="failed", dry_run=True)
    assert [(t.task_id, t.dag_run_id, t.state) for t in would] == [(TASK, run_id, None)]
    assert (await af.task_instances.get(DAG, run_id, TASK)).state is None

    noted = await af.task_instances.update(DAG, run_id, TASK, note="only the note")
    assert [(t.state, t.note) for t in noted] == [(None, "only the note")]  # the mask kept the state

    both = await af.task_instances.update(DAG, run_id, TASK, new_state="failed", note="both")
    assert [(t.state, t.note) for t in both] == [("failed", "both")]
    got = await af.task_instances.get(DAG, run_id, TASK)
    assert (got.state, got.note) == ("failed", "both")

    with pytest.raises(Conflict, match="already in failed state"):
        await af.task_instances.update(DAG, run_id, TASK, new_state="failed")
    cleared = await af.task_instances.update(DAG, run_id, TASK, note=None)
    assert [(t.state, t.note) for t in cleared] == [("failed", None)]


async def test_v1_names_set_state_and_set_note_go_through_update(own_run: tuple[AirflowClient, str]) -> None:
    af, run_id = own_run
    dry = await af.task_instances.set_state(DAG, run_id, TASK, "skipped", dry_run=True)
    assert dry == TaskInstanceReference(dag_id=DAG, task_id=TASK, dag_run_id=run_id)
    assert (await af.task_instances.get(DAG, run_id, TASK)).state is None
    await af.task_instances.set_state(DAG, run_id, TASK, "skipped", dry_run=False)
    assert (await af.task_instances.get(DAG, run_id, TASK)).state == "skipped"
    ti = await af.task_instances.set_note(DAG, run_id, TASK, "a note ✓")
    assert (ti.task_id, ti.note, ti.state) == (TASK, "a note ✓", "skipped")


async def test_update_refuses_what_it_cannot_send(own_run: tuple[AirflowClient, str]) -> None:
    af, run_id = own_run
    with pytest.raises(UsageError, match="pass at least one of new_state= or note="):
        await af.task_instances.update(DAG, run_id, TASK)
    with pytest.raises(UsageError, match="new_state must be one of"):
        await af.task_instances.update(DAG, run_id, TASK, new_state="running")
    with pytest.raises(NotFound, match=r"(?i)Task 'missing' not found in Dag 'harvest_empty'"):  # DAG < 3.2
        await af.task_instances.update(DAG, run_id, "missing", note="x")
    # 3.0 does not name the map index: "Task Instance not found for dag_id=..., task_id=...".
    missing = "map_index: `3` was not found" if at_least(af, "3.1.0") else f"Task Instance not found .*{TASK}"
    with pytest.raises(NotFound, match=missing):
        await af.task_instances.update(DAG, run_id, TASK, map_index=3, note="x")


async def test_update_group_of_a_dag_without_task_groups_is_not_found(
    own_run: tuple[AirflowClient, str],
) -> None:
    af, run_id = own_run
    for dry_run in (True, False):
        with (
            needs_release(af, "3.3.0"),  # patch_task_group_instances(_dry_run)
            pytest.raises(NotFound, match="Task group 'no_group' not found in DAG 'harvest_empty'"),
        ):
            await af.task_instances.update_group(DAG, run_id, "no_group", new_state="failed", dry_run=dry_run)
    assert (await af.task_instances.get(DAG, run_id, TASK)).state is None


async def test_bulk_updates_and_reports_what_it_could_not_delete(own_run: tuple[AirflowClient, str]) -> None:
    af, run_id = own_run
    with needs_release(af, "3.1.0") as available:  # bulk_task_instances
        result = await af.task_instances.bulk(
            DAG,
            run_id,
            update=[{"task_id": TASK, "new_state": "failed", "note": "by bulk"}],
            delete=["not_a_task"],
        )
    if not available:
        return
    # 3.2+ names each task instance it changed in full; 3.1 an update by its task id, a delete
    # by its task id and map index.
    full = at_least(af, "3.2.0")
    named = f"{DAG}.{run_id}.{TASK}[-1]"
    assert result.update is not None and result.update.success == (named if full else TASK,)
    assert not result.ok and result.delete is not None and result.delete.success == ()
    [(action, error)] = result.errors
    assert (action, error.status_code) == ("delete", 404) and "task_id: not_a_task" in error.message
    with pytest.raises(NotFound, match="not_a_task"):
        result.raise_for_errors()
    got = await af.task_instances.get(DAG, run_id, TASK)
    assert (got.state, got.note) == ("failed", "by bulk")

    deleted = await af.task_instances.bulk(DAG, run_id, delete=[{"task_id": TASK, "map_index": -1}])
    assert deleted.ok and deleted.delete is not None
    assert deleted.delete.success == (named if full else f"{TASK}[-1]",)
    assert await af.task_instances.list(DAG, run_id).all() == []


async def test_delete_removes_the_task_instance(own_run: tuple[AirflowClient, str]) -> None:
    af, run_id = own_run
    with needs_release(af, "3.1.0") as available:  # delete_task_instance
        await af.task_instances.delete(DAG, run_id, TASK)
    if not available:
        return
    with pytest.raises(NotFound):
        await af.task_instances.get(DAG, run_id, TASK)
    with pytest.raises(NotFound, match=f"task_id: `{TASK}` and map_index: `-1` was not found"):
        await af.task_instances.delete(DAG, run_id, TASK)


# -- reads on the seeded runs ----------------------------------------------------------------------


async def test_list_batch_pages_through_the_post_listing(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        by_get = await af.task_instances.list("harvest_real", "~").all()
        paged = af.task_instances.list_batch(dag_ids=["harvest_real"], page_size=2)
        by_post = await paged.all()
        assert len(by_post) == 5 and paged.pages_fetched >= 3
        key = lambda t: (t.task_id, t.map_index)  # noqa: E731
        assert sorted(map(key, by_post)) == sorted(map(key, by_get))
        assert {t.state for t in by_post} == {"success"}
        mapped = await af.task_instances.list_batch(
            dag_ids=["harvest_real"], task_ids=["fan_out"], order_by="-map_index"
        ).all()
        assert [t.map_index for t in mapped] == [2, 1, 0]
        with pytest.raises(UsageError, match=r"unexpected keyword argument.*dag_id"):
            af.task_instances.list_batch(dag_id="harvest_real")  # type: ignore[call-arg]
        with pytest.raises(UsageError, match="pages by offset only"):
            af.task_instances.list_batch(cursor=True)


async def test_log_is_a_list_of_events_and_a_text(airflow3: Airflow3Info) -> None:
    run = _real_run(airflow3)
    async with _client(airflow3) as af:
        log = await af.task_instances.log("harvest_real", run, "produce", 1)
        assert isinstance(log, StructuredTaskLog) and log.continuation_token is None
        events = log.events
        assert events and all(isinstance(e.event, str) and e.event for e in events)
        assert events[0].event == "::group::Log message source details"
        assert log.text.splitlines() == [e.line for e in events]

        # `dags test` ran the tasks in its own process: the server says why it has no file, in a
        # line of its own from 3.2 on, before only among the sources of the log's first group.
        def why(chunk: StructuredTaskLog) -> str:
            return chunk.text if at_least(af, "3.2.0") else " ".join(chunk.events[0].fields["sources"])

        assert "attempt=1.log" in why(log)

        mapped = await af.task_instances.log(
            "harvest_real", run, "fan_out", 1, map_index=1, full_content=True
        )
        assert "map_index=1/attempt=1.log" in why(mapped)
        with pytest.raises(NotFound, match="TaskInstance not found"):
            await af.task_instances.log("harvest_real", run, "produce", 7)
        with pytest.raises(BadRequest, match="Bad Signature"):
            await af.task_instances.log("harvest_real", run, "produce", 1, token="forged")


async def test_links_and_the_external_log_url_of_a_real_task_instance(airflow3: Airflow3Info) -> None:
    run = _real_run(airflow3)
    async with _client(airflow3) as af:
        assert await af.task_instances.links("harvest_real", run, "produce") == {}
        assert await af.task_instances.links("harvest_real", run, "fan_out", map_index=2) == {}
        with needs_release(af, "3.2.0"):  # the links of an earlier try
            earlier = await af.task_instances.links("harvest_real", run, "fan_out", map_index=2, try_number=1)
            assert earlier == {}
        with (
            needs_release(af, "3.1.0"),  # get_external_log_url
            pytest.raises(BadRequest, match="does not support external logs"),
        ):
            await af.task_instances.external_log_url("harvest_real", run, "produce", 1)


async def test_hitl_lists_nothing_and_a_plain_task_has_no_detail(airflow3: Airflow3Info) -> None:
    run = _real_run(airflow3)
    async with _client(airflow3) as af:
        with needs_release(af, "3.1.0") as available:  # human-in-the-loop is 3.1+
            listing = af.hitl.list("harvest_real", run)
        if not available:
            return
        assert await listing.all() == [] and listing.total_entries == 0
        everywhere = af.hitl.list(response_received=False, order_by="-created_at")
        assert await everywhere.all() == [] and everywhere.total_entries == 0
        with pytest.raises(NotFound, match="Human-in-the-loop detail does not exist for Task Instance"):
            await af.hitl.get("harvest_real", run, "produce")
        with (
            needs_release(af, "3.2.0"),  # the detail of one try
            pytest.raises(NotFound, match="Human-in-the-loop detail does not exist"),
        ):
            await af.hitl.get_try("harvest_real", run, "fan_out", 1, map_index=0)
        with pytest.raises(NotFound, match="map_index: `5` was not found"):
            await af.hitl.get("harvest_real", run, "fan_out", map_index=5)
        with pytest.raises(NotFound, match="Human-in-the-loop detail does not exist"):
            await af.hitl.respond("harvest_real", run, "produce", ["Approve"])
        with pytest.raises(UsageError, match="non-empty list of option names"):
            await af.hitl.respond("harvest_real", run, "produce", "Approve")


# -- state stores --------------------------------------------------------------------------------


async def test_task_state_store_round_trip(own_run: tuple[AirflowClient, str]) -> None:
    af, run_id = own_run
    store = af.task_state_store
    key, other = "cursor/with slash ü", "plain"
    with needs_release(af, "3.3.0") as available:  # the task state store is 3.3+
        store.list(DAG, run_id, TASK)
    if not available:
        with needs_release(af, "3.3.0"):
            await store.set(DAG, run_id, TASK, key, 1)
        return
    try:
        assert await store.list(DAG, run_id, TASK).all() == []
        await store.set(DAG, run_id, TASK, key, {"offset": 10, "ids": [1, 2]})
        got = await store.get(DAG, run_id, TASK, key)
        assert (got.key, got.value) == (key, {"offset": 10, "ids": [1, 2]})
        assert got.expires_at is not None and got.expires_at > datetime.now(UTC)  # the server's default

        await store.update(DAG, run_id, TASK, key, [3])
        updated = await store.get(DAG, run_id, TASK, key)
        assert (updated.value, updated.expires_at) == ([3], got.expires_at)  # PATCH keeps the expiry

        when = datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
        await store.set(DAG, run_id, TASK, other, "text", expires_at=when)
        assert (await store.get(DAG, run_id, TASK, other)).expires_at == when
        await store.set(DAG, run_id, TASK, other, 0, expires_at=None)  # PUT overwrites, never expires
        listed = await store.list(DAG, run_id, TASK, page_size=1).all()
        assert [(e.key, e.value, e.expires_at) for e in listed] == [
            (key, [3], got.expires_at),
            (other, 0, None),
        ]

        await store.delete(DAG, run_id, TASK, other)
        with pytest.raises(NotFound, match="Task state store key 'plain' not found"):
            await store.get(DAG, run_id, TASK, other)
        with pytest.raises(NotFound, match="not found"):
            await store.update(DAG, run_id, TASK, other, 1)
        await store.delete(DAG, run_id, TASK, other)  # a missing key is not an error

        await store.clear(DAG, run_id, TASK)
        assert await store.list(DAG, run_id, TASK).all() == []
        with pytest.raises(NotFound, match="Task instance not found"):
            await store.set(DAG, run_id, TASK, key, 1, map_index=4)
        with pytest.raises(UsageError, match="value cannot be None"):
            await store.set(DAG, run_id, TASK, key, None)
        with pytest.raises(UsageError, match="expires_at takes 'default', None"):
            await store.set(DAG, run_id, TASK, key, 1, expires_at="never")  # type: ignore[arg-type]
    finally:
        await store.clear(DAG, run_id, TASK)


async def test_asset_state_store_round_trip(airflow3: Airflow3Info) -> None:
    key, other = f"test {secrets.token_hex(3)}/a", f"test {secrets.token_hex(3)}/b"
    async with _client(airflow3) as af:
        store = af.asset_state_store
        with needs_release(af, "3.3.0") as available:  # the asset state store is 3.3+
            store.list(1)
        if not available:
            with needs_release(af, "3.3.0"):
                await store.set(1, key, 1)
            return
        try:
            before = {e.key for e in await store.list(1).all()}
            await store.set(1, key, {"watermark": "2024-01-01"})
            got = await store.get(1, key)
            assert (got.key, got.value) == (key, {"watermark": "2024-01-01"})
            assert got.last_updated_by is not None and got.last_updated_by.kind == "api"
            assert got.updated_at is not None and got.updated_at > datetime.now(UTC) - timedelta(minutes=5)
            await store.set(1, key, [1, 2])  # PUT overwrites
            await store.set(1, other, True)
            listed = {e.key: e.value for e in await store.list(1).all()}
            assert {k: v for k, v in listed.items() if k not in before} == {key: [1, 2], other: True}

            await store.delete(1, key)
            with pytest.raises(NotFound, match=r"Asset state store key .* not found"):
                await store.get(1, key)
            await store.clear(1)
            assert await store.list(1).all() == []
            with pytest.raises(NotFound, match="Asset with id 987654 not found"):
                await store.set(987654, key, 1)
        finally:
            await store.delete(1, key)
            await store.delete(1, other)


# -- what the methods send (aioresponses) ----------------------------------------------------------

BASE = "http://127.0.0.1:8080"
API = f"{BASE}/api/v2"
RUN = f"{API}/dags/d/dagRuns/r"


@pytest.fixture
def mocked() -> AsyncIterator[aioresponses]:
    with aioresponses() as m:
        yield m


def _mock_client() -> AirflowClient:
    return AirflowClient(BASE, auth=BearerToken("t"), retry=NO_RETRY, api_version="v2")


def _sent(m: aioresponses) -> list[tuple[str, str, list[tuple[str, str]], Any]]:
    """Every request: method, path, query pairs in order, JSON body."""
    return [
        (
            method,
            url.path,
            list(url.query.items()),
            json.loads(c.kwargs["data"]) if c.kwargs.get("data") else None,
        )
        for (method, url), calls in m.requests.items()
        for c in calls
    ]


def _any(url: str) -> re.Pattern[str]:
    return re.compile(re.escape(url) + r"(\?.*)?$")


async def test_update_sends_the_mask_repeated_and_the_flags(mocked: aioresponses) -> None:
    empty = {"task_instances": [], "total_entries": 0}
    mocked.patch(_any(f"{RUN}/taskInstances/t/2/dry_run"), payload=empty)
    mocked.patch(_any(f"{RUN}/taskGroupInstances/g"), payload=empty)
    async with _mock_client() as af:
        await af.task_instances.update(
            "d", "r", "t", map_index=2, new_state="failed", note=None, include_downstream=True, dry_run=True
        )
        await af.task_instances.update_group("d", "r", "g", note="n")
    flags = {"include_upstream": False, "include_future": False, "include_past": False}
    assert _sent(mocked) == [
        (
            "PATCH",
            "/api/v2/dags/d/dagRuns/r/taskInstances/t/2/dry_run",
            [("update_mask", "new_state"), ("update_mask", "note")],
            {"new_state": "failed", "note": None, "include_downstream": True, **flags},
        ),
        (
            "PATCH",
            "/api/v2/dags/d/dagRuns/r/taskGroupInstances/g",
            [("update_mask", "note")],
            {"note": "n", "include_downstream": False, **flags},
        ),
    ]


async def test_hitl_respond_and_list_send_the_servers_names(mocked: aioresponses) -> None:
    answer = {
        "chosen_options": ["Approve"],
        "params_input": {"n": 1},
        "responded_by": {"id": "1", "name": "admin"},
        "responded_at": "2024-01-02T03:04:05Z",
    }
    mocked.patch(f"{RUN}/taskInstances/t/-1/hitlDetails", payload=answer)
    mocked.get(_any(f"{RUN}/hitlDetails"), payload={"hitl_details": [], "total_entries": 0})
    async with _mock_client() as af:
        got = await af.hitl.respond("d", "r", "t", ["Approve"], params_input={"n": 1})
        await af.hitl.list(
            "d", "r", task_id="t", response_received=True, order_by=["subject", "-created_at"]
        ).all()
    assert (
        got.chosen_options == ["Approve"]
        and got.responded_by is not None
        and got.responded_by.name == "admin"
    )
    assert got.responded_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    respond, listing = _sent(mocked)
    assert respond == (
        "PATCH",
        "/api/v2/dags/d/dagRuns/r/taskInstances/t/-1/hitlDetails",
        [],
        {"chosen_options": ["Approve"], "params_input": {"n": 1}},
    )
    assert sorted(listing[2]) == [
        ("limit", "100"),
        ("offset", "0"),
        ("order_by", "-created_at"),
        ("order_by", "subject"),
        ("response_received", "true"),
        ("task_id", "t"),
    ]


async def test_list_batch_sends_each_page_in_the_body(mocked: aioresponses) -> None:
    ti = {"dag_id": "d", "dag_run_id": "r", "task_id": "t", "map_index": 0}
    url = f"{API}/dags/~/dagRuns/~/taskInstances/list"
    mocked.post(url, payload={"task_instances": [ti, {**ti, "map_index": 1}], "total_entries": 3})
    mocked.post(url, payload={"task_instances": [{**ti, "map_index": 2}], "total_entries": 3})
    when = datetime(2024, 1, 2, tzinfo=UTC)
    async with _mock_client() as af:
        got = await af.task_instances.list_batch(dag_ids=["d"], run_after_gt=when, page_size=2).all()
    assert [t.map_index for t in got] == [0, 1, 2]
    bodies = [body for _, _, _, body in _sent(mocked)]
    common = {"dag_ids": ["d"], "run_after_gt": "2024-01-02T00:00:00+00:00"}
    assert bodies == [
        {**common, "page_offset": 0, "page_limit": 2},
        {**common, "page_offset": 2, "page_limit": 2},
    ]


async def test_state_store_writes_send_value_and_expiry(mocked: aioresponses) -> None:
    key_url = f"{RUN}/taskInstances/t/state-store/a%2Fb"
    mocked.put(_any(key_url), status=204)
    mocked.put(_any(key_url), status=204)
    mocked.patch(_any(key_url), status=200, body="null", content_type="application/json")
    mocked.delete(_any(f"{RUN}/taskInstances/t/state-store"), status=204)
    mocked.put(_any(f"{API}/assets/1/state-store/k"), status=204)
    when = datetime(2030, 1, 1, tzinfo=UTC)
    async with _mock_client() as af:
        await af.task_state_store.set("d", "r", "t", "a/b", {"x": 1}, map_index=3, expires_at=when)
        await af.task_state_store.set("d", "r", "t", "a/b", "v")
        await af.task_state_store.update("d", "r", "t", "a/b", [1])
        await af.task_state_store.clear("d", "r", "t", all_map_indices=True)
        await af.asset_state_store.set(1, "k", 0)
        with pytest.raises(UsageError, match="asset_id must be an int"):
            await af.asset_state_store.get("1", "k")  # type: ignore[arg-type]
    sent = [(method, sorted(query), body) for method, _, query, body in _sent(mocked)]
    assert sent == [
        ("PUT", [("map_index", "3")], {"value": {"x": 1}, "expires_at": "2030-01-01T00:00:00+00:00"}),
        ("PUT", [("map_index", "-1")], {"value": "v", "expires_at": "default"}),
        ("PATCH", [("map_index", "-1")], {"value": [1]}),
        ("DELETE", [("all_map_indices", "true"), ("map_index", "-1")], None),
        ("PUT", [], {"value": 0}),
    ]
