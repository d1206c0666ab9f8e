"""API v2 DAGs: ``client.dags`` on Airflow 3."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

from ..._validate import check_bool, check_choice, check_id, check_strings, check_text
from ...errors import Conflict, UsageError
from ...models import DAG, TaskInstance
from ...models.dags import DagFileReport
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, require_given, since, until
from .._dags import DAGCommon, RelatedTasks, clear_body, dag_key
from .filters import ADDED_ARGUMENTS

#: How ``tags`` filters match: a DAG with any of the tags, or with all of them.
TAGS_MATCH_MODES = ("any", "all")


def _tag_key(tag: str) -> str:
    return tag


def _tag(raw: Any) -> str:
    return str(raw)


class DAGResource(DAGCommon):
    """The DAG endpoints of API v2 (``/dags``, ``/dagSources``, ``/dagTags``, ``/parseDagFile``).

    ``get``, ``details``, ``pause``, ``unpause``, ``delete``, ``tasks`` and ``task`` are shared
    with v1.
    """

    def list(
        self,
        *,
        tags: Sequence[str] | None = None,
        paused: bool | None = None,
        dag_id_pattern: str | None = None,
        exclude_stale: bool | None = None,
        is_favorite: bool | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DAG]:
        """List DAGs, optionally by tags, paused state or an id pattern (SQL ``LIKE``).

        ``exclude_stale`` (v2's name for v1's ``only_active``) leaves out DAGs whose file is gone.
        ``is_favorite`` (Airflow 3.1+) keeps the DAGs the client's user marked with
        :meth:`favorite` (``True``) or the others (``False``).
        """
        if is_favorite is not None:
            check_bool("is_favorite", is_favorite)
        require_given(self, "dags.list", {"is_favorite": is_favorite}, ADDED_ARGUMENTS["dags.list"])
        return self._paginate(
            ("dags",),
            "dags",
            DAG,
            dag_key,
            params={
                "tags": check_strings("tags", tags),
                "paused": paused,
                "dag_id_pattern": dag_id_pattern,
                "exclude_stale": exclude_stale,
                "is_favorite": is_favorite,
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
        tags_match_mode: str | None = None,
        owners: Sequence[str] | None = None,
        dag_id_prefix_pattern: str | None = None,
        exclude_stale: bool = True,
        paused: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[builtins.list[DAG], int | None]:
        """Pause or unpause every DAG whose id contains ``dag_id_pattern`` (``PATCH /dags``).

        The server matches ``%pattern%`` case-insensitively (``"~"`` matches every DAG) and,
        unlike Airflow 2, updates EVERY DAG that matches the filters (checked on 3.3.2):
        ``limit`` and ``offset`` choose only the page of DAGs it returns (in ``dag_id`` order,
        with their new ``is_paused``), not which DAGs change.

        Args:
            dag_id_pattern: Part of the DAG ids to update (``"~"`` for all).
            is_paused: The value to set.
            tags: Only DAGs with any of these tags (all of them with ``tags_match_mode="all"``).
            tags_match_mode: ``"any"`` (the server's default) or ``"all"``.
            owners: Only DAGs owned by any of these owners.
            dag_id_prefix_pattern: Also only DAGs whose id starts with this (case-sensitive).
            exclude_stale: Only DAGs whose file is still present (v1's ``only_active``; the
                server's default, True).
            paused: Only DAGs paused (True) or not (False).
            limit: Return at most this many of the DAGs updated (the server clamps it).
            offset: Skip this many in the page returned.

        Returns:
            A page of the DAGs updated and the number of DAGs that matched (all updated).
        """
        check_bool("is_paused", is_paused)
        if tags_match_mode is not None:
            check_choice("tags_match_mode", tags_match_mode, TAGS_MATCH_MODES)
        given = {"dag_id_prefix_pattern": dag_id_prefix_pattern}
        require_given(self, "dags.patch", given, ADDED_ARGUMENTS["dags.patch"])
        return await self._items(
            "PATCH",
            ("dags",),
            "dags",
            DAG,
            params={
                "dag_id_pattern": check_id("dag_id_pattern", dag_id_pattern, wildcard=True),
                "update_mask": "is_paused",
                "tags": check_strings("tags", tags),
                "tags_match_mode": tags_match_mode,
                "owners": check_strings("owners", owners),
                "dag_id_prefix_pattern": dag_id_prefix_pattern,
                "exclude_stale": check_bool("exclude_stale", exclude_stale),
                "paused": paused,
                "limit": limit,
                "offset": offset,
            },
            json={"is_paused": is_paused},
            idempotent=True,  # setting a flag to a value
        )

    @since("3.1.0")
    async def favorite(self, dag_id: str) -> None:
        """Mark a DAG as a favorite of the client's user (``dags.list(is_favorite=True)`` finds it).

        Not retried once it may have reached the server: marking a favorite twice is a 409.

        Raises:
            NotFound: No such DAG.
            Conflict: It is a favorite already.
        """
        await self._call("POST", (*paths.dag(dag_id), "favorite"))

    @since("3.1.0")
    async def unfavorite(self, dag_id: str) -> None:
        """Unmark a DAG as a favorite of the client's user.

        Raises:
            NotFound: No such DAG.
            Conflict: It is not a favorite.
        """
        await self._call("POST", (*paths.dag(dag_id), "unfavorite"))

    def tags(
        self,
        *,
        tag_name_pattern: str | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[str]:
        """List the tag names DAGs use, each once (``GET /dagTags``), by name unless ``order_by``.

        Args:
            tag_name_pattern: Only tags containing this (case-insensitive, SQL ``ILIKE``).
            order_by: ``"name"`` or ``"-name"``.
        """
        return self._paginate(
            ("dagTags",),
            "tags",
            str,
            _tag_key,
            params={"tag_name_pattern": tag_name_pattern, "order_by": order_by},
            paging=paging,
            build=_tag,
        )

    @until("3.1.0")
    async def reports(self, subdir: str) -> builtins.list[DagFileReport]:
        """Parse the DAG files under ``subdir`` on the api-server and report each (``GET /dagReports``).

        ``subdir`` is a path on the server, inside its ``[core] dags_folder``. Only the files
        whose every DAG the client's user may read are listed. Airflow 3.0 only: 3.1 removed it.

        Raises:
            BadRequest: ``subdir`` is not inside the DAGs folder.
        """
        items, _ = await self._items(
            "GET",
            ("dagReports",),
            "dag_reports",
            DagFileReport,
            params={"subdir": check_text("subdir", subdir)},
        )
        return items

    async def source(self, dag_id: str, *, version_number: int | None = None) -> str:
        """The source code of a DAG's file (of one of its versions with ``version_number``)."""
        data = await self._call(
            "GET", ("dagSources", check_id("dag_id", dag_id)), params={"version_number": version_number}
        )
        content = data.get("content") if isinstance(data, dict) else None
        return content if isinstance(content, str) else ""

    async def reparse(self, file_token: str) -> bool:
        """Ask the DAG processor to parse a DAG file soon (``PUT /parseDagFile/{file_token}``).

        The token is a DAG's :attr:`DAG.file_token` (``dags.get`` or ``dags.details``).

        Returns:
            ``True`` when the request was queued, ``False`` when one for the file was already
            waiting (the 3.3.2 server answers 409 then; v1 answers 201 ``Duplicate request``).

        Raises:
            NotFound: The token is not one the server signed (3.3.2: ``File not found``), or
                no DAG comes from the file.
        """
        try:
            await self._call("PUT", ("parseDagFile", check_id("file_token", file_token)))
        except Conflict:
            return False
        return True

    async def clear_task_instances(
        self,
        dag_id: str,
        *,
        dry_run: bool,
        dag_run_id: str | None = None,
        task_ids: Sequence[str | tuple[str, int]] | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        only_failed: bool = True,
        only_running: bool = False,
        reset_dag_runs: bool | None = None,
        run_on_latest_version: bool | None = None,
        prevent_running_task: bool | None = None,
        note: str | None = None,
        **relatives: Unpack[RelatedTasks],
    ) -> builtins.list[TaskInstance]:
        """Clear task instances of a DAG so that the scheduler runs them again.

        Args:
            dag_id: The DAG.
            dry_run: ``True`` returns what would be cleared and changes nothing; ``False``
                clears. Required: the server's own default is a dry run, easy to miss.
            dag_run_id: Only task instances of this run (not with the dates).
            task_ids: Only these tasks; a ``(task_id, map_index)`` pair picks one map index.
            start_date: Only runs with a logical date from this one (aware datetime).
            end_date: Only runs with a logical date up to this one.
            only_failed: Only failed task instances (the server's default, ``True``).
            only_running: Only running task instances (not with ``only_failed``).
            reset_dag_runs: Set the cleared runs back to ``queued`` (the server's default, True).
            run_on_latest_version: Rerun on the DAG's latest bundle version (Airflow 3.1+).
            prevent_running_task: Refuse to clear running task instances (Airflow 3.2+).
            note: A note to set on the cleared task instances (Airflow 3.3+).
            relatives: ``include_upstream``, ``include_downstream``, ``include_future``,
                ``include_past`` (see :class:`~airflow_async.api._dags.RelatedTasks`).

        Returns:
            The task instances cleared (or that would be), as they are before the clear.
        """
        if only_failed and only_running:
            raise UsageError("pass only_failed=False with only_running=True: the server refuses both")
        if dag_run_id is not None and (start_date is not None or end_date is not None):
            raise UsageError("pass dag_run_id= or start_date=/end_date=, not both")
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
            body["task_ids"] = _task_ids(task_ids)
        if reset_dag_runs is not None:
            body["reset_dag_runs"] = check_bool("reset_dag_runs", reset_dag_runs)
        for name, value in (
            ("run_on_latest_version", run_on_latest_version),
            ("prevent_running_task", prevent_running_task),
        ):
            if value is not None:
                body[name] = check_bool(name, value)
        if note is not None:
            body["note"] = check_text("note", note)
        require_given(self, "dags.clear_task_instances", body, ADDED_ARGUMENTS["dags.clear_task_instances"])
        return await self._clear(dag_id, body, TaskInstance)


def _task_ids(task_ids: Sequence[str | tuple[str, int]]) -> builtins.list[Any]:
    if isinstance(task_ids, str) or not isinstance(task_ids, Sequence) or not task_ids:
        raise UsageError(f"task_ids takes a non-empty list, e.g. ['extract', ('load', 0)], got {task_ids!r}")
    out: builtins.list[Any] = []
    for item in task_ids:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise UsageError(f"a task_ids pair is (task_id, map_index), got {item!r}")
            task_id, map_index = item
            if not isinstance(map_index, int) or isinstance(map_index, bool) or map_index < 0:
                raise UsageError(f"the map index of {item!r} must be an int >= 0")
            out.append([check_id("task_id", task_id), map_index])
        else:
            out.append(check_id("task_id", item))
    return out
