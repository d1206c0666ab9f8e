"""Task instances: ``client.task_instances``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from ..models import TaskInstance
from ..pagination import Paginator
from ._base import Resource, check_id, check_map_index
from .dag_runs import _seq


def _ti_key(t: TaskInstance) -> tuple[str, str, str, int]:
    run = t.dag_run_id or (t.execution_date.isoformat() if t.execution_date else "")
    return (t.dag_id, run, t.task_id, t.map_index)


class TaskInstanceResource(Resource):
    """The task instance endpoints (``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances``)."""

    def list(
        self,
        dag_id: str = "~",
        dag_run_id: str = "~",
        *,
        execution_date_gte: datetime | None = None,
        execution_date_lte: datetime | None = None,
        start_date_gte: datetime | None = None,
        start_date_lte: datetime | None = None,
        end_date_gte: datetime | None = None,
        end_date_lte: datetime | None = None,
        duration_gte: float | None = None,
        duration_lte: float | None = None,
        state: Sequence[str] | None = None,
        pool: Sequence[str] | None = None,
        queue: Sequence[str] | None = None,
        page_size: int = 100,
        offset: int = 0,
        max_items: int | None = None,
        concurrent: bool = False,
        dedupe: bool = True,
    ) -> Paginator[TaskInstance]:
        """List task instances; ``~`` for ``dag_id`` and ``dag_run_id`` lists across them."""
        return self._paginate(
            (
                "dags",
                check_id("dag_id", dag_id, wildcard=True),
                "dagRuns",
                check_id("dag_run_id", dag_run_id, wildcard=True),
                "taskInstances",
            ),
            "task_instances",
            TaskInstance,
            _ti_key,
            params={
                "execution_date_gte": execution_date_gte,
                "execution_date_lte": execution_date_lte,
                "start_date_gte": start_date_gte,
                "start_date_lte": start_date_lte,
                "end_date_gte": end_date_gte,
                "end_date_lte": end_date_lte,
                "duration_gte": duration_gte,
                "duration_lte": duration_lte,
                "state": _seq("state", state),
                "pool": _seq("pool", pool),
                "queue": _seq("queue", queue),
            },
            page_size=page_size,
            offset=offset,
            max_items=max_items,
            concurrent=concurrent,
            dedupe=dedupe,
        )

    async def get(
        self, dag_id: str, dag_run_id: str, task_id: str, *, map_index: int | None = None
    ) -> TaskInstance:
        """Get one task instance (a mapped one with ``map_index``)."""
        segments: builtins.list[str | int] = [
            "dags",
            check_id("dag_id", dag_id),
            "dagRuns",
            check_id("dag_run_id", dag_run_id),
            "taskInstances",
            check_id("task_id", task_id),
        ]
        check_map_index(map_index)
        if map_index is not None and map_index >= 0:
            segments.append(str(map_index))
        return await self._one("GET", segments, TaskInstance)
