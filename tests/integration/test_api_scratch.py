"""Writes that change DAG runs, task instances, datasets and DAGs, on scratch objects of their own.

The module's fixture writes two throwaway DAGs, a run, a dataset, a DAG warning and an import
error into the harness database (see tests/integration/scratch.py); the last test deletes the
DAGs through the API, and the fixture removes whatever is left, so the server ends as seeded.
Tests run in file order and build on each other's state only where they say so.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_async import (
    AirflowClient,
    DAGRun,
    DagWarning,
    Dataset,
    DatasetEvent,
    ImportErrorInfo,
    NotFound,
    QueuedEvent,
    SessionAuth,
    TaskInstance,
)

from . import scratch as scratch_db
from .conftest import AirflowInfo
from .releases import needs_release

pytestmark = pytest.mark.integration


def _client(af: AirflowInfo, **kwargs: Any) -> AirflowClient:
    return AirflowClient(af.url, auth=SessionAuth(*af.admin), **kwargs)


@pytest.fixture(scope="module")
def scratch(airflow2: AirflowInfo) -> Iterator[scratch_db.Scratch]:
    made = scratch_db.create(airflow2, f"afcov_{secrets.token_hex(3)}")
    try:
        yield made
    finally:
        scratch_db.remove(airflow2, made)


async def test_scratch_objects_are_visible(airflow2: AirflowInfo, scratch: scratch_db.Scratch) -> None:
    async with _client(airflow2) as client:
        warnings = await client.dag_warnings.list(dag_id=scratch.producer).all()
        error = await client.import_errors.get(scratch.import_error_id)
        errors = await client.import_errors.list().all()
        tis = await client.task_instances.list(scratch.producer, scratch.run_id).all()
    assert warnings == [
        DagWarning(
            dag_id=scratch.producer,
            warning_type="non-existent pool",
            message="scratch warning",
            timestamp=warnings[0].timestamp,
        )
    ]
    assert isinstance(error, ImportErrorInfo) and error.stack_trace == "SyntaxError: scratch"
    assert error in errors
    assert sorted((t.task_id, t.map_index) for t in tis) == [("a", -1), ("b", -1)] + [
        ("m", i) for i in scratch.map_indexes
    ]
    assert {t.state for t in tis} == {"success"}


async def test_notes(airflow2: AirflowInfo, scratch: scratch_db.Scratch) -> None:
    async with _client(airflow2) as client:
        run = await client.dag_runs.set_note(scratch.producer, scratch.run_id, "run note ✓")
        ti = await client.task_instances.set_note(scratch.producer, scratch.run_id, "a", "ti note")
        mapped = await client.task_instances.set_note(
            scratch.producer, scratch.run_id, "m", "m1", map_index=1
        )
        again = await client.dag_runs.set_note(scratch.producer, scratch.run_id, "replaced")
        read_back = await client.task_instances.get(scratch.producer, scratch.run_id, "m", map_index=1)
        with pytest.raises(NotFound):
            await client.task_instances.set_note(
                scratch.producer, scratch.run_id, "m", "no such index", map_index=9
            )
        with pytest.raises(NotFound):
            await client.dag_runs.set_note(scratch.producer, "no_such_run", "x")
    assert isinstance(run, DAGRun) and run.note == "run note ✓" and again.note == "replaced"
    assert isinstance(ti, TaskInstance) and (ti.task_id, ti.note) == ("a", "ti note")
    assert (mapped.map_index, mapped.note) == (1, "m1") and read_back.note == "m1"


async def test_task_instance_states(airflow2: AirflowInfo, scratch: scratch_db.Scratch) -> None:
    p, r = scratch.producer, scratch.run_id
    async with _client(airflow2) as client:
        ref = await client.task_instances.set_state(p, r, "b", "failed", dry_run=False)
        b = await client.task_instances.get(p, r, "b")
        mapped_ref = await client.task_instances.set_state(p, r, "m", "skipped", dry_run=False, map_index=2)
        m2 = await client.task_instances.get(p, r, "m", map_index=2)
        dry = await client.dags.set_task_instances_state(p, "b", "success", dry_run=True, dag_run_id=r)
        still_failed = await client.task_instances.get(p, r, "b")
        assert b.execution_date is not None
        changed = await client.dags.set_task_instances_state(
            p, "b", "success", dry_run=False, execution_date=b.execution_date
        )
        b_again = await client.task_instances.get(p, r, "b")
        with pytest.raises(NotFound):
            await client.task_instances.set_state(p, r, "no_such_task", "failed", dry_run=False)
    assert (ref.task_id, ref.dag_run_id) == ("b", r) and b.state == "failed"
    assert (mapped_ref.task_id, m2.map_index, m2.state) == ("m", 2, "skipped")
    assert [x.task_id for x in dry] == ["b"] and still_failed.state == "failed"
    assert [x.task_id for x in changed] == ["b"] and b_again.state == "success"


async def test_run_state_and_clears(airflow2: AirflowInfo, scratch: scratch_db.Scratch) -> None:
    p, r = scratch.producer, scratch.run_id
    async with _client(airflow2) as client:
        failed = await client.dag_runs.set_state(p, r, "failed")
        await client.task_instances.set_state(p, r, "b", "failed", dry_run=False)
        would = await client.dags.clear_task_instances(p, dry_run=True, dag_run_id=r)  # only_failed
        cleared = await client.dags.clear_task_instances(p, dry_run=False, dag_run_id=r, task_ids=["b"])
        b = await client.task_instances.get(p, r, "b")
        with needs_release(client, "2.10.0") as has_tries:  # (v1 has tries from Airflow 2.10 on)
            tries = await client.task_instances.tries(p, r, "b").all()
        preview = await client.dag_runs.clear(p, r, dry_run=True)
        run = await client.dag_runs.clear(p, r, dry_run=False)
        tis = await client.task_instances.list(p, r).all()
        queued = await client.dag_runs.set_state(p, r, "queued")
        done = await client.dag_runs.set_state(p, r, "success")
        with needs_release(client, "2.10.0") as has_stats:  # (and dagStats)
            stats = await client.dag_stats.get([p])
    assert failed.state == "failed"
    assert [x.task_id for x in would] == ["b"] and [x.task_id for x in cleared] == ["b"]
    assert b.state is None  # cleared, waiting for a scheduler that is not running
    # The archived try and the new one, not run yet.
    assert not has_tries or (len(tries) == 2 and {t.state for t in tries} == {"failed", None})
    assert {x.task_id for x in preview} == {"a", "b", "m"}
    assert isinstance(run, DAGRun) and run.state == "queued"
    assert {t.state for t in tis} == {None}
    assert (queued.state, done.state) == ("queued", "success")
    assert not has_stats or (stats[0].counts["success"] == 1 and sum(stats[0].counts.values()) == 1)


async def test_datasets_events_and_queues(airflow2: AirflowInfo, scratch: scratch_db.Scratch) -> None:
    async with _client(airflow2) as client:
        found = await client.datasets.list(uri_pattern=scratch.prefix).all()
        by_dag = await client.datasets.list(dag_ids=[scratch.consumer]).all()
        one = await client.datasets.get(scratch.uri)
        # Events queue only for unpaused consumers; unpause the scratch consumer for the event.
        await client.dags.unpause(scratch.consumer)
        try:
            event = await client.datasets.create_event(scratch.uri, extra={"by": "airflow-async"})
        finally:
            await client.dags.pause(scratch.consumer)
        events = await client.datasets.events(dataset_id=one.id).all()
        queued = await client.datasets.queued_events(scratch.uri)
        for_dag = await client.datasets.dag_queued_events(scratch.consumer)
        single = await client.datasets.dag_queued_event(scratch.consumer, scratch.uri)
        await client.datasets.delete_dag_queued_event(scratch.consumer, scratch.uri)
        with pytest.raises(NotFound):
            await client.datasets.dag_queued_event(scratch.consumer, scratch.uri)
        await client.dags.unpause(scratch.consumer)
        try:
            await client.datasets.create_event(scratch.uri)
        finally:
            await client.dags.pause(scratch.consumer)
        await client.datasets.delete_dag_queued_events(scratch.consumer)
        with pytest.raises(NotFound):
            await client.datasets.dag_queued_events(scratch.consumer)
        await client.dags.unpause(scratch.consumer)
        try:
            await client.datasets.create_event(scratch.uri)
        finally:
            await client.dags.pause(scratch.consumer)
        await client.datasets.delete_queued_events(scratch.uri)
        with pytest.raises(NotFound):
            await client.datasets.queued_events(scratch.uri)
        all_events = await client.datasets.events(dataset_id=one.id).all()
    assert {d.uri for d in found} == {scratch.uri, scratch.uri2}
    assert all(isinstance(d, Dataset) for d in found)
    assert {d.uri for d in by_dag} == {scratch.uri, scratch.uri2}
    assert [c.dag_id for c in one.consuming_dags] == [scratch.consumer]
    assert [(t.dag_id, t.task_id) for t in one.producing_tasks] == [(scratch.producer, "a")]
    assert isinstance(event, DatasetEvent) and event.dataset_uri == scratch.uri
    assert event.extra is not None and event.extra["by"] == "airflow-async"
    assert events == [event] and len(all_events) == 3
    expected = QueuedEvent(uri=scratch.uri, dag_id=scratch.consumer, created_at=single.created_at)
    assert queued == for_dag == [expected] and single == expected


async def test_update_many_and_delete_dags(airflow2: AirflowInfo, scratch: scratch_db.Scratch) -> None:
    async with _client(airflow2) as client:
        unpaused, total = await client.dags.update_many(scratch.prefix, is_paused=False)
        paused, _ = await client.dags.update_many(
            scratch.prefix, is_paused=True, tags=["airflow-async-scratch"]
        )
        await client.dags.delete(scratch.producer)
        await client.dags.delete(scratch.consumer)
        with pytest.raises(NotFound):
            await client.dags.get(scratch.producer)
        with pytest.raises(NotFound):
            await client.dags.delete(scratch.producer)
        runs = await client.dag_runs.list(scratch.producer).all()
        left = await client.dags.list(dag_id_pattern=scratch.prefix).all()
    assert total == 2 and {d.dag_id for d in unpaused} == {scratch.producer, scratch.consumer}
    assert {d.is_paused for d in unpaused} == {False} and {d.is_paused for d in paused} == {True}
    assert runs == [] and left == []
