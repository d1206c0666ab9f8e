"""The models package: shared fields, lenient parsing, neutral properties, and the re-exports."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import airflow_async.models as models
from airflow_async.errors import DecodeError
from airflow_async.models import (
    DAGRun,
    DagStats,
    DagWarning,
    EventLog,
    TaskInstance,
    TaskInstanceHistory,
    XCom,
    XComEntry,
    structure,
)

# What a 2.11 server sends for one try, in ``.../tries`` and in ``.../taskInstances/{task_id}``.
TRY_JSON: dict[str, Any] = {
    "dag_id": "etl",
    "task_id": "load",
    "dag_run_id": "scheduled__2024-05-01T00:00:00+00:00",
    "map_index": 3,
    "state": "success",
    "try_number": 2,
    "max_tries": 3,
    "start_date": "2024-05-01T00:05:00.123456+00:00",
    "end_date": "2024-05-01T00:06:30+00:00",
    "duration": 90.876544,
    "hostname": "worker-1",
    "unixname": "airflow",
    "operator": "PythonOperator",
    "pool": "default_pool",
    "pool_slots": 1,
    "queue": "default",
    "priority_weight": 2,
    "queued_when": "2024-05-01T00:04:59+00:00",
    "pid": 4242,
    "executor_config": "{}",
    "task_display_name": "load",
    "executor": None,
}
TASK_INSTANCE_JSON: dict[str, Any] = {
    **TRY_JSON,
    "execution_date": "2024-05-01T00:00:00+00:00",
    "note": "re-run after the fix",
    "rendered_fields": {"op_kwargs": {"day": "2024-05-01"}},
    "rendered_map_index": "eu-west",
    "sla_miss": None,
    "trigger": None,
    "triggerer_job": None,
}
SHARED = tuple(TRY_JSON)


def test_task_instance_and_its_tries_read_the_shared_fields_alike() -> None:
    ti = structure(TASK_INSTANCE_JSON, TaskInstance)
    tried = structure(TRY_JSON, TaskInstanceHistory)
    assert tuple(f.name for f in attrs.fields(TaskInstanceHistory)) == SHARED
    assert [getattr(ti, name) for name in SHARED] == [getattr(tried, name) for name in SHARED]
    assert tried.dag_run_id == "scheduled__2024-05-01T00:00:00+00:00"
    assert tried.map_index == 3 and tried.try_number == 2 and tried.hostname == "worker-1"
    assert tried.start_date == datetime(2024, 5, 1, 0, 5, 0, 123456, tzinfo=UTC)
    assert tried.queued_when == datetime(2024, 5, 1, 0, 4, 59, tzinfo=UTC)
    assert tried.duration == pytest.approx(90.876544)
    # What only the task instance has.
    assert ti.execution_date == datetime(2024, 5, 1, tzinfo=UTC)
    assert ti.note == "re-run after the fix"
    assert ti.rendered_fields == {"op_kwargs": {"day": "2024-05-01"}}
    assert ti.rendered_map_index == "eu-west"
    assert not hasattr(tried, "execution_date") and not hasattr(tried, "note")


def test_task_instance_and_its_tries_have_the_same_defaults() -> None:
    ti = structure({"dag_id": "etl", "task_id": "load"}, TaskInstance)
    tried = structure({"dag_id": "etl", "task_id": "load"}, TaskInstanceHistory)
    assert ti.map_index == tried.map_index == -1
    assert [getattr(ti, n) for n in SHARED[2:]] == [getattr(tried, n) for n in SHARED[2:]]
    assert all(getattr(tried, n) is None for n in SHARED[2:] if n != "map_index")
    extra = [f.name for f in attrs.fields(TaskInstance) if f.name not in SHARED]
    assert extra == [
        "execution_date",
        "note",
        "rendered_fields",
        "rendered_map_index",
        "sla_miss",
        "trigger",
        "triggerer_job",
        "logical_date",
        "run_after",
        "id",
        "operator_name",
        "scheduled_when",
        "dag_display_name",
        "dag_version",
    ]
    assert all(getattr(ti, n) is None for n in extra)
    with pytest.raises(DecodeError, match="TaskInstanceHistory"):
        structure({"dag_id": "etl"}, TaskInstanceHistory)


def test_unknown_fields_from_a_newer_server_are_ignored() -> None:
    run = structure(
        {
            "dag_id": "etl",
            "dag_run_id": "manual__1",
            "logical_date": "2024-05-01T00:00:00Z",
            "run_after": "2024-05-01T00:00:00Z",
            "triggered_by": "rest_api",
            "dag_versions": [{"id": "0191", "version_number": 2}],
            "bundle_version": None,
            "state": "success",
            "some_field_of_3_9": {"nested": [1, 2]},
        },
        DAGRun,
    )
    assert run.dag_run_id == "manual__1"
    assert run.logical_date == run.run_after == datetime(2024, 5, 1, tzinfo=UTC)
    assert run.execution_date is None  # v1 only
    assert not hasattr(run, "some_field_of_3_9")
    stats = structure(
        {"dag_id": "etl", "stats": [{"state": "queued", "count": 1, "since": "2024"}], "more": {"a": 1}},
        DagStats,
    )
    assert stats.counts == {"queued": 1}
    entry = structure(
        {"dag_id": "etl", "task_id": "t", "key": "k", "dag_display_name": "ETL", "map_index": 0}, XComEntry
    )
    assert (entry.key, entry.map_index) == ("k", 0)


def test_state_and_type_values_a_newer_server_adds_are_read_as_they_come() -> None:
    run = structure(
        {"dag_id": "etl", "dag_run_id": "r", "state": "restarting", "run_type": "asset_triggered"}, DAGRun
    )
    assert (run.state, run.run_type) == ("restarting", "asset_triggered")
    ti = structure({"dag_id": "etl", "task_id": "t", "state": "some_future_state"}, TaskInstance)
    assert ti.state == "some_future_state"
    stats = structure({"dag_id": "etl", "stats": [{"state": "paused_for_review", "count": 4}]}, DagStats)
    assert stats.counts == {"paused_for_review": 4}
    warning = structure({"dag_id": "etl", "warning_type": "runtime varying value"}, DagWarning)
    assert warning.warning_type == "runtime varying value"


def test_logical_date_reads_the_v1_execution_date() -> None:
    date = "2024-05-01T00:00:00"  # naive: read as UTC
    expected = datetime(2024, 5, 1, tzinfo=UTC)
    entry = structure({"dag_id": "etl", "task_id": "t", "key": "k", "execution_date": date}, XComEntry)
    xcom = structure({"dag_id": "etl", "task_id": "t", "key": "k", "execution_date": date, "value": 1}, XCom)
    ti = structure({"dag_id": "etl", "task_id": "t", "execution_date": date}, TaskInstance)
    event = structure({"event_log_id": 7, "execution_date": date}, EventLog)
    assert entry.logical_date == xcom.logical_date == ti.logical_date == event.logical_date == expected
    assert structure({"dag_id": "etl", "task_id": "t", "key": "k"}, XComEntry).logical_date is None
    assert structure({"dag_id": "etl", "task_id": "t"}, TaskInstance).logical_date is None
    assert structure({"event_log_id": 7}, EventLog).logical_date is None


def test_an_xcom_is_its_entry_with_the_value() -> None:
    common = {
        "dag_id": "etl",
        "task_id": "t",
        "key": "k",
        "map_index": 2,
        "execution_date": "2024-05-01T00:00:00Z",
    }
    entry = structure(common, XComEntry)
    xcom = structure({**common, "value": "[1, 2]", "timestamp": "2024-05-01T00:01:00Z"}, XCom)
    assert xcom.value == "[1, 2]"
    assert xcom.natural_key == entry.natural_key == ("etl", "2024-05-01T00:00:00+00:00", "t", 2, "k")
    assert attrs.evolve(entry, dag_run_id="r1").natural_key == ("etl", "r1", "t", 2, "k")
    assert [f.name for f in attrs.fields(XComEntry)] == [
        "dag_id",
        "task_id",
        "key",
        "execution_date",
        "map_index",
        "timestamp",
        "dag_run_id",
        "logical_date",
        "run_after",
    ]
    assert [f.name for f in attrs.fields(XCom)] == [*(f.name for f in attrs.fields(XComEntry)), "value"]


def test_every_public_name_is_importable_from_the_package_and_documented() -> None:
    # 37 shared and v1 models with Page, 28 of API v2 only; the converter's machinery is not in it
    assert len(set(models.__all__)) == len(models.__all__) == 65
    assert not {"converter", "parse_datetime", "structure"} & set(models.__all__)
    for name in [*models.__all__, "converter", "parse_datetime", "structure"]:
        obj = getattr(models, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert obj.__doc__, name  # its own, not one inherited
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                if isinstance(member, property) or (inspect.isfunction(member) and not attr.startswith("_")):
                    assert member.__doc__, f"{name}.{attr}"
    assert models.structure is models._convert.structure
    assert models.converter is models._convert.converter
