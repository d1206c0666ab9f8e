"""API v2 task instances: ``client.task_instances`` on Airflow 3."""

from __future__ import annotations

from typing import Unpack

from ...models import TaskInstance
from ...pagination import Paginator
from .. import paths
from .._task_instances import TaskInstanceCommon
from .filters import TaskInstanceListOptions


class TaskInstanceResource(TaskInstanceCommon):
    """The task-instance endpoints of API v2.

    ``get``, ``dependencies``, ``tries`` and ``get_try`` are shared with v1. A v2 task instance's
    ``id`` changes on every retry or clear: listings dedupe on ``(dag_id, dag_run_id, task_id,
    map_index)``.
    """

    def list(
        self, dag_id: str = "~", dag_run_id: str = "~", **options: Unpack[TaskInstanceListOptions]
    ) -> Paginator[TaskInstance]:
        """List task instances; ``~`` for ``dag_id`` and ``dag_run_id`` lists across them.

        Takes the filters of :class:`~airflow_async.api.v2.filters.TaskInstanceFilters` and the
        paging options of :class:`~airflow_async.api._base.PageOptions`.
        """
        return self._list(dag_id, dag_run_id, options, TaskInstanceListOptions)

    def list_mapped(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        order_by: str | None = None,
        **options: Unpack[TaskInstanceListOptions],
    ) -> Paginator[TaskInstance]:
        """List the mapped task instances (one per map index) of one task in one run."""
        segments = paths.task_instance(dag_id, dag_run_id, task_id)
        return self._list_mapped(segments, order_by, options, TaskInstanceListOptions)
