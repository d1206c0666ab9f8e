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
    "DAGRunFilters",
    "DAGRunListOptions",
    "RunDateFilters",
    "TaskInstanceFilters",
    "TaskInstanceListOptions",
]


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
