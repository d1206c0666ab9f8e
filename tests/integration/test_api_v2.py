"""API v2 operations that only Airflow 3 has, or that work differently there, on the real 3.3.2."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from airflow_async import AirflowClient, BadRequest, Conflict, NotFound, NotSupportedByServer, PasswordAuth
from airflow_async.versions import parse_release
from tests.harness import airflow3 as harness3

from .conftest import Airflow3Info
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration


def _client(af: Airflow3Info) -> AirflowClient:
    return AirflowClient(af.url, auth=PasswordAuth(*af.admin))


async def test_xcom_create_update_and_delete(airflow3: Airflow3Info) -> None:
    # On a run of its own: before 3.2 an XCom cannot be deleted, deleting the run removes it.
    run, task = f"test_xcom_{secrets.token_hex(4)}", "nothing"
    key = f"made by a test {secrets.token_hex(3)}"
    value = {"n": 1, "ü": [1, 2]}
    async with _client(airflow3) as af:
        # 3.0 routes no key containing '/': refused before sending (the run does not exist yet).
        with needs_release(af, "3.1.0") as slashes, pytest.raises(NotFound):
            await af.xcom.update("harvest_empty", run, task, key + "/x", 1)
        if slashes:
            key += "/with slash"
        assert af.api_version == "v2" and af.server_version == parse_release(harness3.AIRFLOW_VERSION)
        # 3.0 and 3.1 store what the create and update endpoints get as its JSON text (the update
        # twice over), unlike a task's push; 3.2 stores the value itself.
        as_json = at_least(af, "3.2.0")
        await af.dag_runs.trigger("harvest_empty", dag_run_id=run)
        try:
            made = await af.xcom.create("harvest_empty", run, task, key, value)
            assert (made.key, made.dag_run_id) == (key, run)
            assert made.value == (value if as_json else json.dumps(value))
            # 3.1+ decodes the JSON text with deserialize=True; 3.0 returns it as it is.
            decoded = value if at_least(af, "3.1.0") else json.dumps(value)
            assert (await af.xcom.get("harvest_empty", run, task, key, deserialize=True)).value == decoded
            with pytest.raises(Conflict):
                await af.xcom.create("harvest_empty", run, task, key, 2)
            await af.xcom.update("harvest_empty", run, task, key, [3])
            got = (await af.xcom.get("harvest_empty", run, task, key)).value
            assert got == ([3] if as_json else json.dumps(json.dumps([3])))
            listed = await af.xcom.list("harvest_empty", run, task, xcom_key=key).all()
            assert [(x.key, x.dag_run_id) for x in listed] == [(key, run)]  # v2 entries carry the run id
            with needs_release(af, "3.2.0") as deletes:  # DELETE .../xcomEntries/{key} is 3.2+
                await af.xcom.delete("harvest_empty", run, task, key)
            if deletes:
                with pytest.raises(NotFound):
                    await af.xcom.get("harvest_empty", run, task, key)
        finally:
            await af.dag_runs.delete("harvest_empty", run)


async def test_a_run_without_a_logical_date_is_triggered_and_listed_by_run_after(
    airflow3: Airflow3Info,
) -> None:
    run_id = f"test_v2_{secrets.token_hex(4)}"
    async with _client(airflow3) as af:
        run = await af.dag_runs.trigger("harvest_other", dag_run_id=run_id, conf={"k": 1}, note="hi")
        try:
            assert (run.dag_run_id, run.logical_date, run.note) == (run_id, None, "hi")
            assert run.run_after is not None
            got = await af.dag_runs.get("harvest_other", run_id)
            assert got.conf == {"k": 1}
            with needs_release(af, "3.1.0"):  # order_by repeated: several sort keys
                newest = await af.dag_runs.list(
                    "harvest_other", order_by=["-run_after", "dag_id"], max_items=1
                ).all()
                assert [r.dag_run_id for r in newest] == [run_id]
            newest = await af.dag_runs.list("harvest_other", order_by=["-run_after"], max_items=1).all()
            assert [r.dag_run_id for r in newest] == [run_id]  # one key is one value on every release
            noted = await af.dag_runs.set_note("harvest_other", run_id, "changed")
            assert noted.note == "changed"
        finally:
            await af.dag_runs.delete("harvest_other", run_id)
        with pytest.raises(NotFound):
            await af.dag_runs.get("harvest_other", run_id)


async def test_task_instances_and_dags_on_v2(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        done = await af.task_instances.list("harvest_demo", "~", state=["success"], max_items=5).all()
        assert done and all(ti.state == "success" and ti.id for ti in done)
        one = done[0]
        same = await af.task_instances.get(
            one.dag_id, one.dag_run_id or "", one.task_id, map_index=one.map_index
        )
        assert same.id == one.id and same.logical_date == one.logical_date
        tries = await af.task_instances.tries(one.dag_id, one.dag_run_id or "", one.task_id).all()
        assert isinstance(tries, list)
        try:
            assert (await af.dags.unpause("harvest_empty")).is_paused is False
        finally:
            assert (await af.dags.pause("harvest_empty")).is_paused is True  # as seeded
        dags = {d.dag_id for d in await af.dags.list().all()}
        assert {"harvest_demo", "harvest_other", "harvest_empty"} <= dags


async def test_what_airflow_3_cannot_do_is_said_clearly(airflow3: Airflow3Info) -> None:
    name = f"v2pool-{secrets.token_hex(3)}"
    async with _client(airflow3) as af:
        await af.pools.create(name, 1)
        try:
            with pytest.raises(NotSupportedByServer, match="cannot rename a pool"):
                await af.pools.update(name, new_name=name + "x")
        finally:
            await af.pools.delete(name)
        with pytest.raises(NotSupportedByServer, match="it exists in API v1"):
            af.users  # noqa: B018


async def test_a_dry_run_on_one_map_index_changes_nothing(airflow3: Airflow3Info) -> None:
    run_id = next(e["dag_run_id"] for e in airflow3.manifest if e["dag_id"] == "harvest_demo")
    async with _client(airflow3) as af:
        before = await af.task_instances.get("harvest_demo", run_id, "square", map_index=3)
        would = await af.task_instances.update(
            "harvest_demo", run_id, "square", map_index=3, new_state="failed", dry_run=True
        )
        after = await af.task_instances.get("harvest_demo", run_id, "square", map_index=3)
    assert [(t.task_id, t.map_index, t.dag_run_id) for t in would] == [("square", 3, run_id)]
    assert after.state == before.state != "failed"


async def test_a_task_group_of_an_own_run_changes_state_as_a_whole(airflow3: Airflow3Info) -> None:
    run_id = f"test_group_{secrets.token_hex(4)}"
    async with _client(airflow3) as af:
        await af.dag_runs.trigger("harness_grouped", dag_run_id=run_id)
        try:
            with needs_release(af, "3.3.0") as groups:  # PATCH/dry run of a task group are 3.3+
                would = await af.task_instances.update_group(
                    "harness_grouped", run_id, "stage", new_state="skipped", dry_run=True
                )
            if not groups:
                return
            assert sorted(t.task_id for t in would) == ["stage.first", "stage.second"]
            assert {t.state for t in await af.task_instances.list("harness_grouped", run_id).all()} == {None}
            done = await af.task_instances.update_group(
                "harness_grouped", run_id, "stage", new_state="skipped", note="group skipped"
            )
            assert sorted(t.task_id for t in done) == ["stage.first", "stage.second"]
            after = await af.task_instances.list("harness_grouped", run_id).all()
            assert {(t.task_id, t.state, t.note) for t in after} == {
                ("stage.first", "skipped", "group skipped"),
                ("stage.second", "skipped", "group skipped"),
            }
        finally:
            await af.dag_runs.delete("harness_grouped", run_id)


async def test_a_deleted_dag_is_gone_with_its_runs(airflow3: Airflow3Info) -> None:
    assert airflow3.airflow_home is not None
    run_id = f"test_delete_{secrets.token_hex(4)}"
    async with _client(airflow3) as af:
        try:
            await af.dag_runs.trigger("harness_deletable", dag_run_id=run_id)
            await af.dags.delete("harness_deletable")
            with pytest.raises(NotFound):
                await af.dags.get("harness_deletable")
            with pytest.raises(NotFound):
                await af.dag_runs.get("harness_deletable", run_id)
            with pytest.raises(NotFound):
                await af.dags.delete("harness_deletable")
        finally:
            harness3.sync_dags(airflow3.airflow_home)  # the DAG file is still there: parse it again
        assert (await af.dags.get("harness_deletable")).dag_id == "harness_deletable"


async def test_trigger_with_run_after_and_a_data_interval(airflow3: Airflow3Info) -> None:
    run_id = f"test_interval_{secrets.token_hex(4)}"
    start, end = datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 5, 2, tzinfo=UTC)
    later = datetime.now(UTC) + timedelta(days=30)
    async with _client(airflow3) as af:
        run = await af.dag_runs.trigger(
            "harvest_empty",
            dag_run_id=run_id,
            logical_date=start,
            run_after=later,
            data_interval=(start, end),
        )
        try:
            assert (run.logical_date, run.data_interval_start, run.data_interval_end) == (start, start, end)
            assert run.run_after is not None and abs((run.run_after - later).total_seconds()) < 1
            if at_least(af, "3.3.0"):
                with pytest.raises(BadRequest, match="partition"):
                    await af.dag_runs.trigger("harvest_empty", partition_key="p1")  # not a partitioned DAG
            elif at_least(af, "3.2.0"):
                # 3.2 takes partition_key without checking that the DAG is partitioned.
                keyed = await af.dag_runs.trigger("harvest_empty", partition_key="p1")
                await af.dag_runs.delete("harvest_empty", keyed.dag_run_id)
                assert keyed.partition_key == "p1"
            else:
                with needs_release(af, "3.2.0"):
                    await af.dag_runs.trigger("harvest_empty", partition_key="p1")
            af.server_version = (3, 1, 8)
            with pytest.raises(NotSupportedByServer, match=r"partition_key=\.\.\.\) needs Airflow 3\.2\.0"):
                await af.dag_runs.trigger("harvest_empty", partition_key="p1")
        finally:
            await af.dag_runs.delete("harvest_empty", run_id)
