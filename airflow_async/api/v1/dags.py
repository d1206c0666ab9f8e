"""DAGs: ``client.dags``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

import attrs

from ..._validate import check_bool, check_choice, check_id, check_strings, iso
from ...errors import DecodeError, UsageError
from ...models import DAG, TaskInstanceReference
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, since
from .._dags import DAGCommon, RelatedTasks, clear_body, dag_key
from .._dags import relatives as related_flags

#: States ``set_task_instances_state`` and ``task_instances.set_state`` can set.
SETTABLE_TASK_STATES = frozenset({"success", "failed", "skipped"})


class DAGResource(DAGCommon):
    """The DAG endpoints (``/dags``, ``/dagSources``, ``/parseDagFile``)."""

    def list(
        self,
        *,
        tags: Sequence[str] | None = None,
        only_active: bool | None = None,
        paused: bool | None = None,
        dag_id_pattern: str | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DAG]:
        """List DAGs, optionally by tags, paused state or an id pattern (SQL ``LIKE``)."""
        return self._paginate(
            ("dags",),
            "dags",
            DAG,
            dag_key,
            params={
                "tags": check_strings("tags", tags),
                "only_active": only_active,
                "paused": paused,
                "dag_id_pattern": dag_id_pattern,
                "order_by": order_by,
            },
            paging=paging,
        )

    async def update_many(
        self,
        dag_id_pattern: str,
        *,
        is_paused: bool,
        tags: Sequence[str] | None = None,
        only_active: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[builtins.list[DAG], int | None]:
        """Pause or unpause every DAG whose id contains ``dag_id_pattern`` (``PATCH /dags``).

        The server matches ``%pattern%`` case-insensitively (``"~"`` matches every DAG), and
        updates only the page of matches it returns: at most ``limit`` DAGs (the server clamps
        it to its maximum page size, 100 by default) from ``offset``, in ``dag_id`` order. Call
        again with a larger ``offset`` when ``total_entries`` says there are more.

        Args:
            dag_id_pattern: Part of the DAG ids to update (``"~"`` for all).
            is_paused: The value to set.
            tags: Only DAGs with any of these tags.
            only_active: Only DAGs whose file is still present (the server's default).
            limit: Update at most this many DAGs.
            offset: Skip this many matches first.

        Returns:
            The DAGs updated (with their new ``is_paused``) and the number of DAGs matching.
        """
        check_bool("is_paused", is_paused)
        return await self._items(
            "PATCH",
            ("dags",),
            "dags",
            DAG,
            params={
                "dag_id_pattern": check_id("dag_id_pattern", dag_id_pattern, wildcard=True),
                "update_mask": "is_paused",
                "tags": check_strings("tags", tags),
                "only_active": only_active,
                "limit": limit,
                "offset": offset,
            },
            json={"is_paused": is_paused},
            idempotent=True,  # setting a flag to a value
        )

    async def source(self, file_token: str) -> str:
        """The source code of a DAG file, by the ``file_token`` of one of its DAGs (:attr:`DAG.file_token`).

        Raises:
            NotFound: The token is not one the server signed, or the code is not stored.
        """
        source = await self._one("GET", ("dagSources", check_id("file_token", file_token)), _DagSource)
        return source.content

    @since("2.10.0")
    async def reparse(self, file_token: str) -> bool:
        """Ask the DAG processor to parse a DAG file soon (``PUT /parseDagFile/{file_token}``).

        Returns:
            ``True`` when the request was queued, ``False`` when one for the file was already
            waiting (the 2.11 server then answers 201 with the text ``Duplicate request``).

        Raises:
            NotFound: The token is not one the server signed, or no DAG comes from the file.
        """
        try:
            await self._call("PUT", ("parseDagFile", check_id("file_token", file_token)))
        except DecodeError as exc:
            if exc.status == 201 and exc.snippet.startswith("Duplicate request"):
                return False
            raise
        return True

    async def clear_task_instances(
        self,
        dag_id: str,
        *,
        dry_run: bool,
        dag_run_id: str | None = None,
        task_ids: Sequence[str] | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        only_failed: bool = True,
        only_running: bool = False,
        reset_dag_runs: bool | None = None,
        include_subdags: bool | None = None,
        include_parentdag: bool | None = None,
        **relatives: Unpack[RelatedTasks],
    ) -> builtins.list[TaskInstanceReference]:
        """Clear task instances of a DAG so that the scheduler runs them again.

        Args:
            dag_id: The DAG.
            dry_run: ``True`` returns what would be cleared and changes nothing; ``False``
                clears. Required: the server's own default is a dry run, easy to miss.
            dag_run_id: Only task instances of this run (overrides the dates).
            task_ids: Only these tasks.
            start_date: Only runs with a logical date from this one (aware datetime).
            end_date: Only runs with a logical date up to this one.
            only_failed: Only failed task instances (the server's default, ``True``).
            only_running: Only running task instances.
            reset_dag_runs: Set the cleared runs back to ``queued``.
            include_subdags: Also task instances of SubDAGs.
            include_parentdag: Also the parent DAG's task instances.
            relatives: ``include_upstream``, ``include_downstream``, ``include_future``,
                ``include_past`` (see :class:`RelatedTasks`).

        Returns:
            The task instances cleared (or that would be).
        """
        body = clear_body(
            dry_run=dry_run,
            dag_run_id=dag_run_id,
            start_date=start_date,
            end_date=end_date,
            only_failed=only_failed,
            only_running=only_running,
            related=relatives,
        )
        if task_ids is not None:
            body["task_ids"] = builtins.list(check_strings("task_ids", task_ids) or [])
        for name, value in (
            ("reset_dag_runs", reset_dag_runs),
            ("include_subdags", include_subdags),
            ("include_parentdag", include_parentdag),
        ):
            if value is not None:
                body[name] = check_bool(name, value)
        return await self._clear(dag_id, body, TaskInstanceReference)

    async def set_task_instances_state(
        self,
        dag_id: str,
        task_id: str,
        new_state: str,
        *,
        dry_run: bool,
        dag_run_id: str | None = None,
        execution_date: datetime | None = None,
        **relatives: Unpack[RelatedTasks],
    ) -> builtins.list[TaskInstanceReference]:
        """Set the state of a task's instance in one run, and optionally of its relatives.

        Args:
            dag_id: The DAG.
            task_id: The task.
            new_state: ``"success"``, ``"failed"`` or ``"skipped"``.
            dry_run: ``True`` returns what would change and changes nothing. Required: the
                server's default is a dry run.
            dag_run_id: The run (give this or ``execution_date``).
            execution_date: The run's logical date (aware datetime).
            relatives: ``include_upstream``, ``include_downstream``, ``include_future``,
                ``include_past`` (see :class:`RelatedTasks`).

        Returns:
            The task instances whose state changed (or would): those already in
            ``new_state`` are not listed.
        """
        if (dag_run_id is None) == (execution_date is None):
            raise UsageError("pass exactly one of dag_run_id= or execution_date= to say which run")
        body: dict[str, Any] = {
            "task_id": check_id("task_id", task_id),
            "new_state": check_choice("new_state", new_state, SETTABLE_TASK_STATES),
            "dry_run": check_bool("dry_run", dry_run),
            **related_flags(relatives, "dags.set_task_instances_state"),
        }
        if dag_run_id is not None:
            body["dag_run_id"] = check_id("dag_run_id", dag_run_id)
        if execution_date is not None:
            body["execution_date"] = iso("execution_date", execution_date)
        items, _ = await self._items(
            "POST",
            (*paths.dag(dag_id), "updateTaskInstancesState"),
            "task_instances",
            TaskInstanceReference,
            json=body,
            idempotent=True,  # setting a state to a value
        )
        return items


@attrs.frozen(kw_only=True)
class _DagSource:
    content: str
