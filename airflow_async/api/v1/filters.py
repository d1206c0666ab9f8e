"""API v1: the filters of the DAG-run and task-instance listings, declared once.

Each listing's keywords are a TypedDict here, unpacked by the methods that take them
(``**filters: Unpack[TaskInstanceListOptions]``), so the same filter is declared once however
many endpoints take it, and mypy checks a caller's keywords. The date filters take
timezone-aware datetimes; the list filters (``state``, ``pool``...) match any of their values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from .._base import PageOptions
from .._task_instances import TaskInstanceValueFilters

__all__ = [
    "NEUTRAL_NAMES",
    "DAGRunFilters",
    "DAGRunListOptions",
    "RunDateFilters",
    "TaskInstanceBatchFilters",
    "TaskInstanceBatchOptions",
    "TaskInstanceFilters",
    "TaskInstanceListOptions",
    "UpdatedAtFilters",
]


#: The filters v1 names after ``execution_date``, by the neutral name both versions take: a
#: script filtering on ``logical_date_gte`` runs on Airflow 2 and 3 alike.
NEUTRAL_NAMES = {"logical_date_gte": "execution_date_gte", "logical_date_lte": "execution_date_lte"}


class RunDateFilters(TypedDict, total=False):
    """The date ranges of a run (v1 names: ``execution_date`` is the run's logical date).

    ``logical_date_gte``/``logical_date_lte`` are v2's names for the same filters, accepted here
    too and sent as ``execution_date_*``.
    """

    execution_date_gte: datetime | None
    execution_date_lte: datetime | None
    logical_date_gte: datetime | None
    logical_date_lte: datetime | None
    start_date_gte: datetime | None
    start_date_lte: datetime | None
    end_date_gte: datetime | None
    end_date_lte: datetime | None


class UpdatedAtFilters(TypedDict, total=False):
    """When the row last changed (GET listings only; the batch bodies do not take it)."""

    updated_at_gte: datetime | None
    updated_at_lte: datetime | None


class TaskInstanceFilters(RunDateFilters, UpdatedAtFilters, TaskInstanceValueFilters, total=False):
    """The filters of ``GET .../taskInstances`` and ``.../listMapped``."""


class TaskInstanceListOptions(TaskInstanceFilters, PageOptions, total=False):
    """The keywords of ``task_instances.list``: its filters and the paging options."""


class TaskInstanceBatchFilters(RunDateFilters, TaskInstanceValueFilters, total=False):
    """The filters of ``POST /dags/~/dagRuns/~/taskInstances/list`` (no ``updated_at``)."""

    dag_ids: Sequence[str] | None
    dag_run_ids: Sequence[str] | None
    task_ids: Sequence[str] | None


class TaskInstanceBatchOptions(TaskInstanceBatchFilters, PageOptions, total=False):
    """The keywords of ``task_instances.list_batch``: its filters and the paging options."""


class DAGRunFilters(RunDateFilters, UpdatedAtFilters, total=False):
    """The filters of ``GET /dags/{dag_id}/dagRuns``."""

    state: Sequence[str] | None


class DAGRunListOptions(DAGRunFilters, PageOptions, total=False):
    """The keywords of ``dag_runs.list``: its filters and the paging options."""
