"""API v2 DAG runs: ``client.dag_runs`` on Airflow 3."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Unpack, overload

from ..._http import QueryValue
from ..._validate import (
    UNSET,
    UnsetType,
    check_bool,
    check_choice,
    check_id,
    check_order_by,
    check_strings,
    check_text,
    given,
    iso,
)
from ...errors import UsageError
from ...models import DAGRun, TaskInstance
from ...models.assets import AssetEvent
from ...models.backfills import DAGRunSnapshot, PartitionsCleared
from ...models.bulk import BulkResult
from ...pagination import Paginator
from .. import paths
from .._base import (
    Segments,
    filter_body,
    filter_query,
    require_given,
    since,
    split_options,
    unpack_collection,
)
from .._dag_runs import SETTABLE_RUN_STATES, DAGRunCommon, run_key
from ._bulk import send_bulk
from .filters import ADDED_ARGUMENTS, CURSOR_SINCE, DAGRunBatchOptions, DAGRunListOptions

__all__ = ["DAGRunResource"]


class DAGRunResource(DAGRunCommon):
    """The DAG-run endpoints of API v2 (``/dags/{dag_id}/dagRuns``).

    ``get``, ``delete`` and ``wait`` are shared with v1; the listing takes v2's filter names
    (``logical_date_gte``, ``run_after_gte``...); ``set_state`` and ``set_note`` are
    :meth:`update` with one field.
    """

    def list(
        self,
        dag_id: str = "~",
        *,
        order_by: str | builtins.list[str] | None = None,
        **options: Unpack[DAGRunListOptions],
    ) -> Paginator[DAGRun]:
        """List DAG runs of one DAG, or of all DAGs with ``dag_id="~"``.

        Takes the filters of :class:`~airflow_async.api.v2.filters.DAGRunFilters`, ``order_by``
        (one key, or several: ``["-run_after", "dag_id"]``), and the paging options of
        :class:`~airflow_async.api._base.PageOptions`.
        """
        filters, paging = split_options(options, DAGRunListOptions, "dag_runs.list")
        return self._paginate(
            (*paths.dag(dag_id, wildcard=True), "dagRuns"),
            "dag_runs",
            DAGRun,
            run_key,
            params={**filter_query(filters), "order_by": check_order_by(order_by)},
            paging=paging,
            cursor_since=CURSOR_SINCE,
        )

    def list_batch(
        self, *, order_by: str | None = None, **options: Unpack[DAGRunBatchOptions]
    ) -> Paginator[DAGRun]:
        """List DAG runs across DAGs through ``POST /dags/~/dagRuns/list`` (read-only, retried).

        Takes the filters of :class:`~airflow_async.api.v2.filters.DAGRunBatchFilters`
        (``dag_ids``, ``states``, the ``_gte``/``_gt``/``_lte``/``_lt`` ranges of ``run_after``,
        ``logical_date``, ``start_date``, ``end_date`` and ``duration``, ``conf_contains``), one
        ``order_by`` key (``"-run_after"``) and the paging options of
        :class:`~airflow_async.api._base.PageOptions`; each page goes as the body's
        ``page_offset`` and ``page_limit``.
        """
        filters, paging = split_options(options, DAGRunBatchOptions, "dag_runs.list_batch")
        require_given(self, "dag_runs.list_batch", filters, ADDED_ARGUMENTS["dag_runs.list_batch"])
        body = filter_body(filters)
        if order_by is not None:
            body["order_by"] = check_id("order_by", order_by)
        segments = ("dags", "~", "dagRuns", "list")
        return self._paginate_body(segments, "dag_runs", DAGRun, run_key, body=body, paging=paging)

    async def trigger(
        self,
        dag_id: str,
        *,
        dag_run_id: str | None = None,
        logical_date: datetime | None = None,
        conf: dict[str, Any] | None = None,
        note: str | None = None,
        run_after: datetime | None = None,
        data_interval: tuple[datetime, datetime] | None = None,
        partition_key: str | None = None,
    ) -> DAGRun:
        """Trigger a new DAG run. Not retried after it may have reached the server.

        Args:
            dag_id: The DAG.
            dag_run_id: The run's id; the server makes one (``manual__<time>``) without it.
            logical_date: The run's logical date. ``None`` (the default) triggers a run without
                one, which Airflow 3 allows; the body always carries the key, as v2 requires.
            conf: The run's configuration (``{}`` without it).
            note: A note on the run.
            run_after: The earliest time the run may start (the server's default: now).
            data_interval: ``(start, end)`` of the run's data interval, both aware datetimes.
            partition_key: The partition the run is for, on a partitioned DAG (Airflow 3.2+).

        Raises:
            Conflict: A run with this id exists.
            NotSupportedByServer: ``partition_key`` on a server older than 3.2.
        """
        body: dict[str, Any] = {
            "logical_date": None if logical_date is None else iso("logical_date", logical_date),
            "conf": conf or {},
        }
        if dag_run_id is not None:
            body["dag_run_id"] = check_id("dag_run_id", dag_run_id)
        if note is not None:
            body["note"] = check_text("note", note)
        if run_after is not None:
            body["run_after"] = iso("run_after", run_after)
        if data_interval is not None:
            if not isinstance(data_interval, tuple) or len(data_interval) != 2:
                raise UsageError(
                    f"data_interval takes a (start, end) pair of datetimes, got {data_interval!r}"
                )
            body["data_interval_start"] = iso("data_interval start", data_interval[0])
            body["data_interval_end"] = iso("data_interval end", data_interval[1])
        if partition_key is not None:
            body["partition_key"] = check_id("partition_key", partition_key)
        require_given(self, "dag_runs.trigger", body, ADDED_ARGUMENTS["dag_runs.trigger"])
        return await self._one("POST", (*paths.dag(dag_id), "dagRuns"), DAGRun, json=body)

    async def update(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        state: str | UnsetType = UNSET,
        note: str | UnsetType = UNSET,
    ) -> DAGRun:
        """Change the fields given, and only those (``PATCH`` with an ``update_mask``).

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            state: ``"success"`` or ``"failed"`` (which also set its unfinished task
                instances), or ``"queued"`` (the scheduler runs it again).
            note: The run's note, replacing any it had; ``""`` removes it.

        The note is applied before the state. Setting a value is safe to repeat, so it is
        retried.
        """
        if state is not UNSET:
            check_choice("state", state, SETTABLE_RUN_STATES)
        if note is not UNSET:
            check_text("note", note)
        fields = given(state=state, note=note)
        mask = self._update_mask(fields, accepts="state= or note=")
        return await self._one(
            "PATCH",
            paths.dag_run(dag_id, dag_run_id),
            DAGRun,
            params={"update_mask": mask},
            json=fields,
            idempotent=True,
        )

    async def set_state(self, dag_id: str, dag_run_id: str, state: str) -> DAGRun:
        """Set a DAG run's state: ``"success"``, ``"failed"`` or ``"queued"`` (:meth:`update`)."""
        return await self.update(dag_id, dag_run_id, state=state)

    async def set_note(self, dag_id: str, dag_run_id: str, note: str) -> DAGRun:
        """Set the note of a DAG run, replacing any note it had (:meth:`update`)."""
        return await self.update(dag_id, dag_run_id, note=note)

    @overload  # type: ignore[override]
    async def clear(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        dry_run: Literal[True],
        only_failed: bool = False,
        only_new: bool = False,
        run_on_latest_version: bool | None = None,
        note: str | None = None,
    ) -> builtins.list[TaskInstance]: ...

    @overload
    async def clear(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        dry_run: Literal[False],
        only_failed: bool = False,
        only_new: bool = False,
        run_on_latest_version: bool | None = None,
        note: str | None = None,
    ) -> DAGRun: ...

    async def clear(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        dry_run: bool,
        only_failed: bool = False,
        only_new: bool = False,
        run_on_latest_version: bool | None = None,
        note: str | None = None,
    ) -> DAGRun | builtins.list[TaskInstance]:
        """Clear the task instances of a DAG run, so the scheduler runs it again.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            dry_run: Required. ``True`` changes nothing and returns the task instances that
                would be cleared (v2 sends whole task instances, map index and state
                included, where v1 sends references); ``False`` clears them and returns the run.
            only_failed: Clear only the failed and upstream-failed task instances.
            only_new: Only queue the tasks added in the DAG's latest version, clearing none
                (Airflow 3.2+; not with ``only_failed``). Its dry run lists those tasks with
                ``task_id`` (and the run) only.
            run_on_latest_version: Run on the latest bundle version of the DAG (Airflow 3.1+);
                ``None`` leaves it to the DAG's and the server's setting.
            note: A note to set on the run when it is cleared (Airflow 3.3+).

        Raises:
            NotSupportedByServer: An option the server's release does not take.
        """
        body = self._clear_body(dry_run, only_failed, only_new, run_on_latest_version, note)
        segments = (*paths.dag_run(dag_id, dag_run_id), "clear")
        if dry_run:
            return await self._would_clear(segments, body, {"dag_id": dag_id, "dag_run_id": dag_run_id})
        return await self._one("POST", segments, DAGRun, json=body)

    @overload
    async def clear_many(
        self,
        dag_id: str,
        dag_run_ids: Sequence[str] | None = None,
        *,
        dry_run: Literal[True],
        partition_key: str | None = None,
        partition_date_start: datetime | None = None,
        partition_date_end: datetime | None = None,
        only_failed: bool = False,
        only_new: bool = False,
        run_on_latest_version: bool | None = None,
        note: str | None = None,
    ) -> builtins.list[TaskInstance]: ...

    @overload
    async def clear_many(
        self,
        dag_id: str,
        dag_run_ids: Sequence[str] | None = None,
        *,
        dry_run: Literal[False],
        partition_key: str | None = None,
        partition_date_start: datetime | None = None,
        partition_date_end: datetime | None = None,
        only_failed: bool = False,
        only_new: bool = False,
        run_on_latest_version: bool | None = None,
        note: str | None = None,
    ) -> builtins.list[DAGRun]: ...

    @since("3.3.0")
    async def clear_many(
        self,
        dag_id: str,
        dag_run_ids: Sequence[str] | None = None,
        *,
        dry_run: bool,
        partition_key: str | None = None,
        partition_date_start: datetime | None = None,
        partition_date_end: datetime | None = None,
        only_failed: bool = False,
        only_new: bool = False,
        run_on_latest_version: bool | None = None,
        note: str | None = None,
    ) -> builtins.list[DAGRun] | builtins.list[TaskInstance]:
        """Clear several runs of one DAG in one request (``POST /dags/{dag_id}/clearDagRuns``).

        Choose the runs in exactly one way: by id (``dag_run_ids``), by ``partition_key``, or by
        a window of partition dates (``partition_date_start`` and/or ``partition_date_end``,
        both ends included, in the timetable's time zone).

        ``dry_run`` and the other options are those of :meth:`clear`. Returns, for a dry run,
        the task instances that would be cleared (of every run, in the order of the runs),
        else the runs cleared.

        Raises:
            UsageError: No way or several ways of choosing the runs.
            NotFound: A run does not exist (nothing is cleared then).
        """
        runs = None if dag_run_ids is None else check_strings("dag_run_ids", dag_run_ids)
        body = {
            **self._clear_body(dry_run, only_failed, only_new, run_on_latest_version, note),
            **_selection(
                "dag_run_ids",
                None if runs is None else [{"dag_run_id": check_id("dag_run_id", r)} for r in runs],
                partition_key,
                partition_date_start,
                partition_date_end,
                field="dag_runs",
            ),
        }
        segments = (*paths.dag(dag_id), "clearDagRuns")
        if dry_run:
            return await self._would_clear(segments, body, {"dag_id": dag_id})
        cleared, _ = await self._items("POST", segments, "dag_runs", DAGRun, json=body)
        return cleared

    @since("3.3.0")
    async def clear_partitions(
        self,
        dag_id: str,
        *,
        dry_run: bool,
        dag_run_id: str | None = None,
        partition_key: str | None = None,
        partition_date_start: datetime | None = None,
        partition_date_end: datetime | None = None,
        clear_task_instances: bool = False,
    ) -> PartitionsCleared:
        """Reset the partition key and date of runs of a DAG (``POST .../clearPartitions``).

        Choose the runs in exactly one way: one run (``dag_run_id``), by ``partition_key``, or
        by a window of partition dates (``partition_date_start`` and/or
        ``partition_date_end``).

        Args:
            dag_id: The DAG.
            dry_run: Required. ``True`` only counts what would be reset.
            dag_run_id: One run.
            partition_key: The runs with this partition key.
            partition_date_start: The runs whose partition date is on or after this.
            partition_date_end: The runs whose partition date is on or before this.
            clear_task_instances: Also clear the task instances of the runs.

        Returns:
            How many runs (and task instances) were, or would be, reset.
        """
        body = {
            "dry_run": check_bool("dry_run", dry_run),
            "clear_task_instances": check_bool("clear_task_instances", clear_task_instances),
            **_selection(
                "dag_run_id",
                None if dag_run_id is None else check_id("dag_run_id", dag_run_id),
                partition_key,
                partition_date_start,
                partition_date_end,
                field="run_id",
            ),
        }
        return await self._one(
            "POST", (*paths.dag(dag_id), "clearPartitions"), PartitionsCleared, json=body, idempotent=dry_run
        )

    async def upstream_asset_events(self, dag_id: str, dag_run_id: str) -> builtins.list[AssetEvent]:
        """The asset events that triggered an asset-triggered DAG run (empty for other runs)."""
        items, _ = await self._items(
            "GET", (*paths.dag_run(dag_id, dag_run_id), "upstreamAssetEvents"), "asset_events", AssetEvent
        )
        return items

    @since("3.3.0")
    async def bulk(
        self,
        dag_id: str,
        *,
        update: Sequence[Mapping[str, Any]] | None = None,
        delete: Sequence[str] | None = None,
        action_on_non_existence: str = "fail",
    ) -> BulkResult:
        """Update and delete runs of a DAG in one request (``PATCH /dags/{dag_id}/dagRuns``).

        Args:
            dag_id: The DAG (``~`` is not taken here: name each run's DAG by its own call).
            update: Bodies ``{"dag_run_id": ..., "state": ..., "note": ...}``: the state
                (``success``, ``failed``, ``queued``) and/or the note to set on each run.
            delete: Run ids to delete (a run that is running is refused with a 409 error).
            action_on_non_existence: ``"fail"`` (nothing of that action is applied if a run
                is missing) or ``"skip"`` the missing runs.

        The server creates no runs this way (use :meth:`trigger`). Returns what each action did:
        check :attr:`~airflow_async.models.BulkResult.ok`, or call ``raise_for_errors()``.
        """
        return await send_bulk(
            self,
            (*paths.dag(dag_id), "dagRuns"),
            update=update,
            delete=delete,
            action_on_non_existence=action_on_non_existence,
        )

    @since("3.1.0")
    def wait_until_finished(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        interval: float = 2.0,
        result_task_ids: Sequence[str] | None = None,
    ) -> AsyncIterator[DAGRunSnapshot]:
        """Follow a DAG run until it finishes: one snapshot per check, as the server streams it.

        ``GET .../wait`` (experimental in Airflow): the server checks the run every
        ``interval`` seconds and sends its state each time; the last snapshot is the finished
        one (``success`` or ``failed``, with ``results``), then the iteration ends. Each
        snapshot is yielded as it arrives. Keep ``interval`` below the client's ``timeout``,
        which bounds the wait for each snapshot. To stop early, close the iterator
        (``async with contextlib.aclosing(...)``); the stream holds a request slot while open.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            interval: Seconds between the server's checks (> 0).
            result_task_ids: The tasks whose return values the last snapshot carries; ``None``
                gives those the DAG marks as its results.

        Raises:
            UsageError: A bad argument (at once).
            NotFound: No such run (when iteration starts: the request is sent then).
        """
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise UsageError(f"interval must be seconds > 0, got {interval!r}")
        segments = (*paths.dag_run(dag_id, dag_run_id), "wait")
        params = {"interval": interval, "result": check_strings("result_task_ids", result_task_ids)}
        return self._snapshots(segments, params)

    async def _snapshots(
        self, segments: Segments, params: Mapping[str, QueryValue]
    ) -> AsyncIterator[DAGRunSnapshot]:
        """The wait stream's lines as snapshots (the request is sent when iteration starts)."""

        def source() -> tuple[str, str]:
            return "GET", str(self._t.url(segments))

        async for line in self._t.stream_lines("GET", segments, params=params):
            yield self._structure(line, DAGRunSnapshot, source=source)

    def _clear_body(
        self,
        dry_run: bool,
        only_failed: bool,
        only_new: bool,
        run_on_latest_version: bool | None,
        note: str | None,
    ) -> dict[str, Any]:
        """The options of a clear body: ``dry_run``, ``only_failed``, and the others only when given."""
        body: dict[str, Any] = {
            "dry_run": check_bool("dry_run", dry_run),
            "only_failed": check_bool("only_failed", only_failed),
        }
        if check_bool("only_new", only_new):
            if only_failed:
                raise UsageError("only_new and only_failed exclude each other: pass one of them")
            body["only_new"] = True
        if run_on_latest_version is not None:
            body["run_on_latest_version"] = check_bool("run_on_latest_version", run_on_latest_version)
        if note is not None:
            body["note"] = check_text("note", note)
        require_given(self, "dag_runs.clear", body, ADDED_ARGUMENTS["dag_runs.clear"])
        return body

    async def _would_clear(
        self, segments: Segments, body: dict[str, Any], fill: dict[str, str]
    ) -> builtins.list[TaskInstance]:
        """A clear's dry run: the task instances it lists.

        The items of the tasks an ``only_new`` clear would add carry only ``task_id``: ``fill``
        gives them the DAG (and the run) they belong to.
        """
        data = await self._call("POST", segments, json=body, idempotent=True)
        url = str(self._t.url(segments))

        def source() -> tuple[str, str]:
            return "POST", url

        raw, _ = unpack_collection(data, "task_instances", source)
        return [
            self._structure({**fill, **item} if isinstance(item, dict) else item, TaskInstance, source=source)
            for item in raw
        ]


def _selection(
    name: str,
    value: Any,
    partition_key: str | None,
    partition_date_start: datetime | None,
    partition_date_end: datetime | None,
    *,
    field: str,
) -> dict[str, Any]:
    """The body fields that choose the runs: ``name`` (sent as ``field``), a key, or a date window.

    Exactly one of the three ways must be given, as the server requires.
    """
    window = partition_date_start is not None or partition_date_end is not None
    chosen = [value is not None, partition_key is not None, window]
    if sum(chosen) != 1:
        raise UsageError(
            f"choose the runs in exactly one way: {name}=, partition_key=, or a window "
            "(partition_date_start= and/or partition_date_end=)"
        )
    if value is not None:
        return {field: value}
    if partition_key is not None:
        return {"partition_key": check_text("partition_key", partition_key)}
    body: dict[str, Any] = {}
    if partition_date_start is not None:
        body["partition_date_start"] = iso("partition_date_start", partition_date_start)
    if partition_date_end is not None:
        body["partition_date_end"] = iso("partition_date_end", partition_date_end)
    return body
