"""API v2 task instances: ``client.task_instances`` on Airflow 3."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from ..._validate import (
    UNSET,
    UnsetType,
    check_bool,
    check_choice,
    check_id,
    check_int,
    check_map_index,
    check_text,
    given,
)
from ...models import BulkResult, StructuredTaskLog, TaskInstance, TaskInstanceReference
from ...pagination import Paginator
from .. import paths
from .._base import Segments, filter_body, mapped_segments, require_given, since, split_options
from .._dags import relatives
from .._task_instances import TaskInstanceCommon, ti_key
from ..v1.dags import SETTABLE_TASK_STATES
from ._bulk import send_bulk
from .filters import ADDED_ARGUMENTS, CURSOR_SINCE, TaskInstanceBatchOptions, TaskInstanceListOptions

__all__ = ["TaskInstanceResource"]

_BATCH: Segments = ("dags", "~", "dagRuns", "~", "taskInstances", "list")


class TaskInstanceResource(TaskInstanceCommon):
    """The task-instance endpoints of API v2.

    ``get``, ``dependencies``, ``tries`` and ``get_try`` are shared with v1. A v2 task instance's
    ``id`` changes on every retry or clear: listings dedupe on ``(dag_id, dag_run_id, task_id,
    map_index)``.

    Methods that take ``map_index=None`` address every map index of the task where the server
    allows it (``update``: all the mapped task instances of a mapped task, or the one task
    instance of an unmapped task); -1 or ``None`` address the unmapped task elsewhere.
    """

    _cursor_since = CURSOR_SINCE

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

    def list_batch(
        self, *, order_by: str | None = None, **options: Unpack[TaskInstanceBatchOptions]
    ) -> Paginator[TaskInstance]:
        """List task instances across DAGs and runs through ``POST /dags/~/dagRuns/~/taskInstances/list``.

        A read-only listing, so each page request is retried. Takes the filters of
        :class:`TaskInstanceBatchFilters` (``dag_ids``, ``dag_run_ids``, ``task_ids``, ``state``,
        the date and duration ranges...), ``order_by`` (one key: ``"-start_date"``) and the
        paging options of :class:`~airflow_async.api._base.PageOptions`; each page goes as the
        body's ``page_offset`` and ``page_limit``. Filters combine with AND.

        Unlike v1's ``list_batch`` (one page and its total), this returns a
        :class:`~airflow_async.pagination.Paginator` over every page.
        """
        filters, paging = split_options(options, TaskInstanceBatchOptions, "task_instances.list_batch")
        require_given(
            self, "task_instances.list_batch", filters, ADDED_ARGUMENTS["task_instances.list_batch"]
        )
        body = filter_body(filters)
        if order_by is not None:
            body["order_by"] = check_id("order_by", order_by)
        return self._paginate_body(_BATCH, "task_instances", TaskInstance, ti_key, body=body, paging=paging)

    # -- state and note -----------------------------------------------------------------------

    async def _patch(
        self,
        segments: builtins.list[str | int],
        *,
        new_state: str | UnsetType,
        note: str | UnsetType | None,
        flags: Mapping[str, bool],
        dry_run: bool,
    ) -> builtins.list[TaskInstance]:
        """``PATCH`` a task instance or a task group (or its ``/dry_run``) with the fields given."""
        fields = given(new_state=new_state, note=note)
        mask = self._update_mask(fields, accepts="new_state= or note=")
        if "new_state" in fields:
            fields["new_state"] = check_choice("new_state", str(fields["new_state"]), SETTABLE_TASK_STATES)
        if fields.get("note") is not None:
            check_text("note", fields["note"])
        body = {**fields, **flags}
        if check_bool("dry_run", dry_run):
            segments = [*segments, "dry_run"]
        items, _ = await self._items(
            "PATCH",
            segments,
            "task_instances",
            TaskInstance,
            params={"update_mask": mask},
            json=body,
            # A dry run changes nothing, and a note set twice is the same note; a state set twice
            # is refused (409 "already in ... state"), so a state change is not repeated.
            idempotent=dry_run or "new_state" not in fields,
        )
        return items

    async def update(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        map_index: int | None = None,
        new_state: str | UnsetType = UNSET,
        note: str | UnsetType | None = UNSET,
        include_upstream: bool = False,
        include_downstream: bool = False,
        include_future: bool = False,
        include_past: bool = False,
        dry_run: bool = False,
    ) -> builtins.list[TaskInstance]:
        """Set the state and/or the note of a task instance; only the fields given are changed.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            task_id: The task.
            map_index: One mapped task instance; ``None`` (the default) addresses every map
                index of the task (the one task instance of an unmapped task).
            new_state: ``"success"``, ``"failed"`` or ``"skipped"``. Setting ``"success"``
                also clears the task instance's state store where the server sets
                ``[state_store] clear_on_success`` (off by default).
            note: The note (``None`` clears it).
            include_upstream, include_downstream, include_future, include_past: Set the state
                of the task's relatives (upstream/downstream tasks, later/earlier runs) too.
            dry_run: Change nothing and return the task instances that would change (with
                ``new_state``; without it, the task instances addressed).

        Returns:
            The task instances addressed (after a real change, as the server reloaded them).

        Raises:
            UsageError: Neither ``new_state`` nor ``note`` given, or a state not settable.
            NotFound: No such task, task instance or map index.
            Conflict: The task instance is in ``new_state`` already.
        """
        segments = mapped_segments(paths.task_instance(dag_id, dag_run_id, task_id), map_index)
        flags = relatives(
            {
                "include_upstream": include_upstream,
                "include_downstream": include_downstream,
                "include_future": include_future,
                "include_past": include_past,
            },
            "task_instances.update",
        )
        return await self._patch(segments, new_state=new_state, note=note, flags=flags, dry_run=dry_run)

    @since("3.3.0")
    async def update_group(
        self,
        dag_id: str,
        dag_run_id: str,
        group_id: str,
        *,
        new_state: str | UnsetType = UNSET,
        note: str | UnsetType | None = UNSET,
        include_upstream: bool = False,
        include_downstream: bool = False,
        include_future: bool = False,
        include_past: bool = False,
        dry_run: bool = False,
    ) -> builtins.list[TaskInstance]:
        """Set the state and/or note of every task instance of a task group in one run.

        Takes the arguments of :meth:`update`, with the task group's id for the task's. A dry
        run returns the task instances that would change.

        Raises:
            NotFound: No such DAG or task group (``"Task group 'g' not found in DAG 'd'"``).
        """
        segments: builtins.list[str | int] = [
            *paths.dag_run(dag_id, dag_run_id),
            "taskGroupInstances",
            check_id("group_id", group_id),
        ]
        flags = relatives(
            {
                "include_upstream": include_upstream,
                "include_downstream": include_downstream,
                "include_future": include_future,
                "include_past": include_past,
            },
            "task_instances.update_group",
        )
        return await self._patch(segments, new_state=new_state, note=note, flags=flags, dry_run=dry_run)

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
        """Set the state of one task instance, as on v1 (:meth:`update` with ``new_state`` only).

        ``dry_run`` is required, as on v1: ``True`` changes nothing. Returns the task
        instance's reference; :meth:`update` returns the task instances themselves.
        """
        changed = await self.update(
            dag_id, dag_run_id, task_id, map_index=map_index, new_state=new_state, dry_run=dry_run
        )
        first = changed[0] if changed else None
        return TaskInstanceReference(
            dag_id=dag_id,
            task_id=task_id,
            dag_run_id=first.dag_run_id if first is not None and first.dag_run_id else dag_run_id,
        )

    async def set_note(
        self, dag_id: str, dag_run_id: str, task_id: str, note: str, *, map_index: int | None = None
    ) -> TaskInstance:
        """Set the note of a task instance (replacing any note it had), as on v1.

        :meth:`update` with ``note`` only; returns the task instance (the first map index when
        ``map_index`` is ``None`` on a mapped task, whose every map index gets the note).
        """
        changed = await self.update(
            dag_id, dag_run_id, task_id, map_index=map_index, note=check_text("note", note)
        )
        return changed[0]

    @since("3.1.0")
    async def delete(
        self, dag_id: str, dag_run_id: str, task_id: str, *, map_index: int | None = None
    ) -> None:
        """Delete a task instance (``map_index`` -1 or ``None``: the unmapped one).

        Raises:
            NotFound: No such task instance.
        """
        check_map_index(map_index)
        await self._call(
            "DELETE", paths.task_instance(dag_id, dag_run_id, task_id), params={"map_index": map_index}
        )

    @since("3.1.0")
    async def bulk(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        update: Sequence[Mapping[str, Any]] | None = None,
        delete: Sequence[str | Mapping[str, Any]] | None = None,
        action_on_non_existence: str = "fail",
        update_mask: Sequence[str] | None = None,
    ) -> BulkResult:
        """Update and delete task instances of a run in one request (``PATCH .../taskInstances``).

        Args:
            dag_id: The DAG (``~`` when each entity names its ``dag_id``).
            dag_run_id: The run (``~`` when each entity names its ``dag_run_id``).
            update: Bodies such as ``{"task_id": "t", "map_index": 0, "new_state": "failed",
                "note": "..."}`` (without ``map_index``: every map index of the task).
            delete: Task ids (every map index), or ``{"task_id", "map_index"}`` bodies.
            action_on_non_existence: ``"fail"`` or ``"skip"`` a missing task instance.
            update_mask: The only fields of each update body to apply.

        Returns:
            What each action did (see :class:`~airflow_async.models.BulkResult`); the server
            answers 200 even when items failed. Task instances cannot be created.
        """
        return await send_bulk(
            self,
            (*paths.dag_run(dag_id, dag_run_id, wildcard=True), "taskInstances"),
            update=update,
            delete=delete,
            action_on_non_existence=action_on_non_existence,
            update_mask=update_mask,
        )

    # -- links and logs -----------------------------------------------------------------------

    async def links(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        map_index: int | None = None,
        try_number: int | None = None,
    ) -> dict[str, str | None]:
        """The extra links of a task instance, as ``{name: url}`` (``None`` where there is no URL yet).

        ``try_number`` reads the links of an earlier try (v2 only).
        """
        check_map_index(map_index)
        if try_number is not None:
            check_int("try_number", try_number, minimum=0)
            given = {"try_number": try_number}
            require_given(self, "task_instances.links", given, ADDED_ARGUMENTS["task_instances.links"])
        data = await self._call(
            "GET",
            (*paths.task_instance(dag_id, dag_run_id, task_id), "links"),
            params={"map_index": map_index, "try_number": try_number},
        )
        links = data.get("extra_links") if isinstance(data, dict) else None
        if not isinstance(links, dict):
            return {}
        return {str(name): (url if isinstance(url, str) else None) for name, url in links.items()}

    def _log_segments(
        self, dag_id: str, dag_run_id: str, task_id: str, kind: str, try_number: int
    ) -> Segments:
        return (*paths.task_instance(dag_id, dag_run_id, task_id), kind, try_number)

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
    ) -> StructuredTaskLog:
        """Read a task instance's log for one try, as :class:`~airflow_async.models.StructuredTaskLog`.

        Airflow 3 sends a log as a list of events (timestamp, event, level, logger...), not v1's
        one text: read ``.text`` for the text, ``.events`` for the events.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            task_id: The task.
            try_number: The try (1 for the first; 0 for a task instance that never ran).
            map_index: The map index of a mapped task instance.
            full_content: Read the whole log, not one chunk.
            token: The ``continuation_token`` of the previous chunk, to read on from it.

        Raises:
            NotFound: No such task instance or try (``"TaskInstance not found"``). A try whose log
                cannot be read is not an error: the events say why.
            BadRequest: A ``token`` the server did not issue.
        """
        check_map_index(map_index)
        check_bool("full_content", full_content)
        segments = self._log_segments(
            dag_id, dag_run_id, task_id, "logs", check_int("try_number", try_number, minimum=0)
        )
        return await self._one(
            "GET",
            segments,
            StructuredTaskLog,
            params={"map_index": map_index, "full_content": full_content or None, "token": token},
        )

    @since("3.1.0")
    async def external_log_url(
        self, dag_id: str, dag_run_id: str, task_id: str, try_number: int, *, map_index: int | None = None
    ) -> str:
        """The URL of a try's log in an external log service (Elasticsearch, OpenSearch...).

        Raises:
            BadRequest: The server's log handler has no external logs (``"Task log handler does
                not support external logs."``), which is the default.
            NotFound: No such task instance.
        """
        check_map_index(map_index)
        segments = self._log_segments(
            dag_id, dag_run_id, task_id, "externalLogUrl", check_int("try_number", try_number)
        )
        data = await self._call("GET", segments, params={"map_index": map_index})
        url = data.get("url") if isinstance(data, dict) else None
        return url if isinstance(url, str) else ""
