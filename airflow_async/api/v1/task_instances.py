"""Task instances: ``client.task_instances``."""

from __future__ import annotations

from typing import Unpack

from ..._validate import (
    check_bool,
    check_choice,
    check_id,
    check_int,
    check_map_index,
    check_text,
)
from ...models import TaskInstance, TaskInstanceReference, TaskLog
from ...models._convert import structure
from ...pagination import Paginator
from .. import paths
from .._base import filter_body, mapped_segments, since, split_options
from .._task_instances import TaskInstanceCommon, ti_key
from .dags import SETTABLE_TASK_STATES
from .filters import NEUTRAL_NAMES, TaskInstanceBatchOptions, TaskInstanceListOptions


class TaskInstanceResource(TaskInstanceCommon):
    """The task instance endpoints (``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances``).

    Methods that take ``map_index`` address a mapped task instance when it is >= 0, and the
    unmapped one when it is ``None`` or -1.
    """

    _wire_names = NEUTRAL_NAMES

    # Shared with v2 (TaskInstanceCommon), but API v1 has them only from Airflow 2.10 on.
    dependencies = since("2.10.0")(TaskInstanceCommon.dependencies)
    tries = since("2.10.0")(TaskInstanceCommon.tries)
    get_try = since("2.10.0")(TaskInstanceCommon.get_try)

    def list(
        self, dag_id: str = "~", dag_run_id: str = "~", **options: Unpack[TaskInstanceListOptions]
    ) -> Paginator[TaskInstance]:
        """List task instances; ``~`` for ``dag_id`` and ``dag_run_id`` lists across them.

        Takes the filters of :class:`~airflow_async.api.v1.filters.TaskInstanceFilters`
        (``state=["failed"]``, ``execution_date_gte=...``, ``pool``, ``duration_gte``...) and
        the paging options of :class:`~airflow_async.api._base.PageOptions`.
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
        """List the mapped task instances (one per map index) of one task in one run.

        Takes the same filters and paging options as :meth:`list`, and ``order_by``.
        """
        segments = paths.task_instance(dag_id, dag_run_id, task_id)
        return self._list_mapped(segments, order_by, options, TaskInstanceListOptions)

    def list_batch(
        self, *, order_by: str | None = None, **options: Unpack[TaskInstanceBatchOptions]
    ) -> Paginator[TaskInstance]:
        """List task instances across DAGs and runs through ``POST /dags/~/dagRuns/~/taskInstances/list``.

        A read-only listing, so each page request is retried. Takes the filters of
        :class:`~airflow_async.api.v1.filters.TaskInstanceBatchFilters` (``dag_ids``,
        ``dag_run_ids``, ``task_ids`` and those of :meth:`list` but ``updated_at``),
        ``order_by`` (one key) and the paging options of
        :class:`~airflow_async.api._base.PageOptions`; each page goes as the body's
        ``page_offset`` and ``page_limit``. Filters combine with AND; each list matches any of
        its values.
        """
        filters, paging = split_options(
            options, TaskInstanceBatchOptions, "task_instances.list_batch", wire_names=self._wire_names
        )
        body = filter_body(filters)
        if order_by is not None:
            body["order_by"] = check_id("order_by", order_by)
        return self._paginate_body(
            ("dags", "~", "dagRuns", "~", "taskInstances", "list"),
            "task_instances",
            TaskInstance,
            ti_key,
            body=body,
            paging=paging,
        )

    async def set_state(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        new_state: str,
        *,
        dry_run: bool,
        map_index: int | None = None,
    ) -> TaskInstanceReference:
        """Set the state of one task instance: ``"success"``, ``"failed"`` or ``"skipped"``.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            task_id: The task.
            new_state: The state to set.
            dry_run: Required. ``True`` checks that the task instance exists and changes
                nothing (the server's default); ``False`` sets the state.
            map_index: The map index of a mapped task instance.

        Returns:
            The task instance's reference. After a real change the 2.11 server answers an
            empty object; the reference is then built from the arguments.
        """
        check_bool("dry_run", dry_run)
        segments = mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index)
        data = await self._call(
            "PATCH",
            segments,
            json={
                "new_state": check_choice("new_state", new_state, SETTABLE_TASK_STATES),
                "dry_run": dry_run,
            },
            idempotent=True,  # setting a state to a value
        )
        if isinstance(data, dict) and "task_id" in data:
            return structure(
                data, TaskInstanceReference, source=lambda: ("PATCH", str(self._t.url(segments)))
            )
        return TaskInstanceReference(dag_id=dag_id, task_id=task_id, dag_run_id=dag_run_id)

    async def set_note(
        self, dag_id: str, dag_run_id: str, task_id: str, note: str, *, map_index: int | None = None
    ) -> TaskInstance:
        """Set the note of a task instance (replacing any note it had)."""
        check_text("note", note)
        segments = mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index)
        return await self._one(
            "PATCH", [*segments, "setNote"], TaskInstance, json={"note": note}, idempotent=True
        )

    async def links(
        self, dag_id: str, dag_run_id: str, task_id: str, *, map_index: int | None = None
    ) -> dict[str, str | None]:
        """The extra links of a task instance, as ``{name: url}`` (``None`` where there is no URL yet).

        The 2.11 server answers this map itself, not the ``ExtraLinkCollection`` its spec describes.
        """
        check_map_index(map_index)
        data = await self._call(
            "GET",
            (*paths.task_instance(dag_id, dag_run_id, task_id), "links"),
            params={"map_index": map_index},
        )
        if isinstance(data, dict) and isinstance(data.get("extra_links"), list):  # the spec's shape
            return {str(link.get("name")): link.get("href") for link in data["extra_links"]}
        if not isinstance(data, dict):
            return {}
        return {str(k): (v if isinstance(v, str) else None) for k, v in data.items()}

    async def log(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        try_number: int,
        *,
        map_index: int | None = None,
        full_content: bool = False,
        token: str | None = None,
    ) -> TaskLog:
        """Read a task instance's log for one try; see :class:`~airflow_async.models.TaskLog`.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            task_id: The task.
            try_number: The try (1 for the first).
            map_index: The map index of a mapped task instance.
            full_content: Read the whole log, not one chunk.
            token: The ``continuation_token`` of the previous chunk, to read on from it.

        Raises:
            NotFound: No such task instance. A task instance whose log file is missing is not
                an error: the server returns its reason for not finding the log as the content.
        """
        check_map_index(map_index)
        return await self._one(
            "GET",
            (*paths.task_instance(dag_id, dag_run_id, task_id), "logs", check_int("try_number", try_number)),
            TaskLog,
            params={"map_index": map_index, "full_content": full_content or None, "token": token},
        )
