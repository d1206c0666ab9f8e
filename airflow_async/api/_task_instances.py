"""What the task-instance resources of both API versions share: get, dependencies, tries.

Their paths are the same on v1 and v2 (a mapped task instance adds its map index as a path
segment); each version adds its listings, state changes and the operations only it has.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from .._validate import check_int
from ..models import TaskDependency, TaskInstance, TaskInstanceHistory
from ..pagination import Paginator
from . import paths
from ._base import PageOptions, Resource, filter_query, mapped_segments, split_options

__all__ = ["TaskInstanceCommon", "TaskInstanceValueFilters", "ti_key", "try_key"]


class TaskInstanceValueFilters(TypedDict, total=False):
    """What a task instance is: any of these states, pools, queues, executors; its duration.

    The same names on both API versions.
    """

    state: Sequence[str] | None
    pool: Sequence[str] | None
    queue: Sequence[str] | None
    executor: Sequence[str] | None
    duration_gte: float | None
    duration_lte: float | None


def ti_key(t: TaskInstance) -> tuple[str, str, str, int]:
    """What identifies a task instance in a listing (not v2's ``id``, which changes per try)."""
    run = t.dag_run_id or (t.execution_date.isoformat() if t.execution_date else "")
    return (t.dag_id, run, t.task_id, t.map_index)


def try_key(t: TaskInstanceHistory) -> tuple[str, str, str, int, int, str]:
    """What identifies one try of a task instance."""
    return (t.dag_id, t.dag_run_id or "", t.task_id, t.map_index, t.try_number or 0, t.state or "")


class TaskInstanceCommon(Resource):
    """The task-instance operations that are the same on both API versions.

    Methods that take ``map_index`` address a mapped task instance when it is >= 0, and the
    unmapped one when it is ``None`` or -1. The listings differ only in their filters' names: each
    version declares ``list``/``list_mapped`` with its own TypedDict and calls the walks here.
    """

    #: The release from which the version's task-instance listing pages by cursor (v2: 3.2.2).
    _cursor_since: str | None = None
    #: Neutral filter names and the version's own (v1: ``logical_date_gte`` -> ``execution_date_gte``).
    _wire_names: Mapping[str, str] = {}

    def _list(
        self, dag_id: str, dag_run_id: str, options: Mapping[str, Any], accepted: Any
    ) -> Paginator[TaskInstance]:
        filters, paging = split_options(options, accepted, "task_instances.list", wire_names=self._wire_names)
        return self._paginate(
            (*paths.dag_run(dag_id, dag_run_id, wildcard=True), "taskInstances"),
            "task_instances",
            TaskInstance,
            ti_key,
            params=filter_query(filters),
            paging=paging,
            cursor_since=self._cursor_since,
        )

    def _list_mapped(
        self,
        segments: tuple[str, ...],
        order_by: str | None,
        options: Mapping[str, Any],
        accepted: Any,
    ) -> Paginator[TaskInstance]:
        filters, paging = split_options(
            options, accepted, "task_instances.list_mapped", wire_names=self._wire_names
        )
        return self._paginate(
            (*segments, "listMapped"),
            "task_instances",
            TaskInstance,
            ti_key,
            params={**filter_query(filters), "order_by": order_by},
            paging=paging,
        )

    async def get(
        self, dag_id: str, dag_run_id: str, task_id: str, *, map_index: int | None = None
    ) -> TaskInstance:
        """Get one task instance (a mapped one with ``map_index``)."""
        return await self._one(
            "GET", mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index), TaskInstance
        )

    async def dependencies(
        self, dag_id: str, dag_run_id: str, task_id: str, *, map_index: int | None = None
    ) -> builtins.list[TaskDependency]:
        """What keeps a task instance from running now (empty when nothing does)."""
        segments = mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index)
        items, _ = await self._items("GET", [*segments, "dependencies"], "dependencies", TaskDependency)
        return items

    def tries(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        map_index: int | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[TaskInstanceHistory]:
        """List the tries of a task instance: earlier tries and the current one."""
        return self._paginate(
            [*mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index), "tries"],
            # The 2.11 server lists them under "task_instances"; its spec says "task_instances_history".
            ("task_instances", "task_instances_history"),
            TaskInstanceHistory,
            try_key,
            params={"order_by": order_by},
            paging=paging,
            # A cleared task instance not yet run again shares its try number with the archived
            # try: no natural key tells the two apart, and the listing is short anyway.
            dedupe=False,
        )

    async def get_try(
        self, dag_id: str, dag_run_id: str, task_id: str, try_number: int, *, map_index: int | None = None
    ) -> TaskInstanceHistory:
        """Get one try of a task instance."""
        segments = mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index)
        return await self._one(
            "GET", [*segments, "tries", check_int("try_number", try_number)], TaskInstanceHistory
        )
