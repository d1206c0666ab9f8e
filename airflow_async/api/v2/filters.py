"""API v2: the filters of the DAG-run and task-instance listings, declared once.

The names are v2's: the run's date is ``logical_date`` (v1: ``execution_date``), and runs have
``run_after``. ``state``, ``start_date_*``, ``end_date_*``, ``updated_at_*`` and the task-instance
value filters are named as on v1, so code that uses only those runs on both versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from .._base import PageOptions
from .._task_instances import TaskInstanceValueFilters

__all__ = [
    "ADDED_ARGUMENTS",
    "CURSOR_SINCE",
    "BatchRanges",
    "DAGRunBatchFilters",
    "DAGRunBatchOptions",
    "DAGRunFilters",
    "DAGRunListOptions",
    "RunDateFilters",
    "TaskInstanceBatchFilters",
    "TaskInstanceBatchOptions",
    "TaskInstanceFilters",
    "TaskInstanceListOptions",
]

#: The release whose DAG-run and task-instance listings page by cursor (``next_cursor``).
CURSOR_SINCE = "3.2.2"

_GT_LT = ("run_after", "logical_date", "start_date", "end_date")
_NEW_RANGES_31 = {f"{name}_{op}": "3.1.0" for name in _GT_LT for op in ("gt", "lt")}

#: The arguments a release after 3.0 added, by the method that sends them (name -> release),
#: from the v2 specs of 3.0.6, 3.1.8, 3.2.2 and 3.3.2; checked by
#: :func:`~airflow_async.api._base.require_given` before sending. The methods' other arguments
#: exist from 3.0 on.
ADDED_ARGUMENTS: dict[str, dict[str, str]] = {
    "assets.list": {"name_prefix_pattern": "3.2.0", "uri_prefix_pattern": "3.2.0"},
    "assets.aliases": {"name_prefix_pattern": "3.2.0"},
    "assets.events": {
        "timestamp_gt": "3.1.0",
        "timestamp_lt": "3.1.0",
        "name_pattern": "3.2.0",
        "name_prefix_pattern": "3.2.0",
    },
    "assets.create_event": {"partition_key": "3.2.0"},
    # Before 3.2 POST .../materialize takes no body: every keyword would be dropped unseen.
    "assets.materialize": dict.fromkeys(
        (
            "dag_run_id",
            "logical_date",
            "run_after",
            "data_interval_start",
            "data_interval_end",
            "conf",
            "note",
            "partition_key",
        ),
        "3.2.0",
    ),
    "dags.patch": {"dag_id_prefix_pattern": "3.2.0"},
    "dag_runs.list_batch": {
        **_NEW_RANGES_31,
        **{f"duration_{op}": "3.2.0" for op in ("gt", "gte", "lt", "lte")},
        "conf_contains": "3.2.0",
    },
    "task_instances.list_batch": {**_NEW_RANGES_31, "duration_gt": "3.1.0", "duration_lt": "3.1.0"},
    "jobs.list": {f"{name}_{op}": "3.1.0" for name in ("start_date", "end_date") for op in ("gt", "lt")},
    "hitl.list": {"dag_id_prefix_pattern": "3.2.0", "task_id_prefix_pattern": "3.2.0"},
    "task_instances.links": {"try_number": "3.2.0"},
    "dags.list": {"is_favorite": "3.1.0"},
    "dags.clear_task_instances": {
        "run_on_latest_version": "3.1.0",
        "prevent_running_task": "3.2.0",
        "note": "3.3.0",
    },
    "dag_runs.trigger": {"partition_key": "3.2.0"},
    "dag_runs.clear": {"run_on_latest_version": "3.1.0", "only_new": "3.2.0", "note": "3.3.0"},
}


class RunDateFilters(TypedDict, total=False):
    """The date ranges of a run and of its rows."""

    logical_date_gte: datetime | None
    logical_date_lte: datetime | None
    run_after_gte: datetime | None
    run_after_lte: datetime | None
    start_date_gte: datetime | None
    start_date_lte: datetime | None
    end_date_gte: datetime | None
    end_date_lte: datetime | None
    updated_at_gte: datetime | None
    updated_at_lte: datetime | None


class DAGRunFilters(RunDateFilters, total=False):
    """The filters of ``GET /dags/{dag_id}/dagRuns``."""

    state: Sequence[str] | None
    run_type: Sequence[str] | None


class DAGRunListOptions(DAGRunFilters, PageOptions, total=False):
    """The keywords of ``dag_runs.list`` on v2: its filters and the paging options."""


class TaskInstanceFilters(RunDateFilters, TaskInstanceValueFilters, total=False):
    """The filters of ``GET .../taskInstances`` and ``.../listMapped``."""


class TaskInstanceListOptions(TaskInstanceFilters, PageOptions, total=False):
    """The keywords of ``task_instances.list`` on v2: its filters and the paging options."""


class BatchRanges(TypedDict, total=False):
    """The ranges both v2 batch bodies take: each date with ``_gte``, ``_gt``, ``_lte`` and
    ``_lt`` bounds (timezone-aware datetimes), and the strict bounds of ``duration`` (seconds)."""

    run_after_gte: datetime | None
    run_after_gt: datetime | None
    run_after_lte: datetime | None
    run_after_lt: datetime | None
    logical_date_gte: datetime | None
    logical_date_gt: datetime | None
    logical_date_lte: datetime | None
    logical_date_lt: datetime | None
    start_date_gte: datetime | None
    start_date_gt: datetime | None
    start_date_lte: datetime | None
    start_date_lt: datetime | None
    end_date_gte: datetime | None
    end_date_gt: datetime | None
    end_date_lte: datetime | None
    end_date_lt: datetime | None
    duration_gt: float | None
    duration_lt: float | None


class DAGRunBatchFilters(BatchRanges, total=False):
    """The filters of ``POST /dags/~/dagRuns/list`` (``DAGRunsBatchBody``) on v2.

    Lists match any of their values; the ranges are those of :class:`BatchRanges`, with
    ``duration_gte``/``duration_lte`` too. All filters combine with AND.
    """

    dag_ids: Sequence[str] | None
    states: Sequence[str] | None
    duration_gte: float | None
    duration_lte: float | None
    conf_contains: str | None


class DAGRunBatchOptions(DAGRunBatchFilters, PageOptions, total=False):
    """The keywords of ``dag_runs.list_batch`` on v2: its filters and the paging options."""


class TaskInstanceBatchFilters(BatchRanges, TaskInstanceValueFilters, total=False):
    """The filters of ``POST /dags/~/dagRuns/~/taskInstances/list`` on v2 (its body's names).

    The body is strict: a field it does not declare is refused with a 422, so this lists exactly
    what the 3.3.2 server takes: the ranges of :class:`BatchRanges`, the task-instance value
    filters, and the ids. Lists match any of their values.
    """

    dag_ids: Sequence[str] | None
    dag_run_ids: Sequence[str] | None
    task_ids: Sequence[str] | None


class TaskInstanceBatchOptions(TaskInstanceBatchFilters, PageOptions, total=False):
    """The keywords of ``task_instances.list_batch`` on v2: its filters and the paging options."""
