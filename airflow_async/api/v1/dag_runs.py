"""DAG runs: ``client.dag_runs``."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Unpack, overload

from ..._validate import check_bool, check_choice, check_id, check_limit, check_text, iso
from ..._validate import check_strings as _seq
from ...models import DAGRun, TaskInstanceReference
from ...models._convert import structure
from ...models.v1 import DatasetEvent
from ...pagination import Paginator
from .. import paths
from .._base import Resource, filter_query, split_options, unpack_collection
from .filters import DAGRunListOptions

#: States in which a DAG run has finished.
FINISHED_STATES = frozenset({"success", "failed"})
#: States ``set_state`` can set.
SETTABLE_RUN_STATES = frozenset({"success", "failed", "queued"})


def _run_key(r: DAGRun) -> tuple[str, str]:
    return (r.dag_id, r.dag_run_id)


class DAGRunResource(Resource):
    """The DAG run endpoints (``/dags/{dag_id}/dagRuns``)."""

    def list(
        self, dag_id: str = "~", *, order_by: str | None = None, **options: Unpack[DAGRunListOptions]
    ) -> Paginator[DAGRun]:
        """List DAG runs of one DAG, or of all DAGs with ``dag_id="~"``.

        Takes the filters of :class:`~airflow_async.api.v1.filters.DAGRunFilters` (the date
        ranges take timezone-aware datetimes; ``state`` repeats: ``["running", "queued"]``),
        ``order_by``, and the paging options of :class:`~airflow_async.api._base.PageOptions`.
        """
        filters, paging = split_options(options, DAGRunListOptions, "dag_runs.list")
        return self._paginate(
            (*paths.dag(dag_id, wildcard=True), "dagRuns"),
            "dag_runs",
            DAGRun,
            _run_key,
            params={**filter_query(filters), "order_by": order_by},
            paging=paging,
        )

    async def list_batch(
        self,
        *,
        dag_ids: Sequence[str] | None = None,
        states: Sequence[str] | None = None,
        page_offset: int = 0,
        page_limit: int = 100,
        order_by: str | None = None,
    ) -> tuple[builtins.list[DAGRun], int | None]:
        """One page of ``POST /dags/~/dagRuns/list``: a read-only listing, so it is retried.

        Returns the runs and ``total_entries``.
        """
        check_limit("page_offset", page_offset)
        check_limit("page_limit", page_limit, minimum=1)
        body: dict[str, Any] = {"page_offset": page_offset, "page_limit": page_limit}
        if dag_ids is not None:
            body["dag_ids"] = builtins.list(_seq("dag_ids", dag_ids) or [])
        if states is not None:
            body["states"] = builtins.list(_seq("states", states) or [])
        if order_by is not None:
            body["order_by"] = order_by
        segments = ("dags", "~", "dagRuns", "list")
        data = await self._call("POST", segments, json=body, idempotent=True)

        def source() -> tuple[str, str]:
            return "POST", str(self._t.url(segments))

        raw, total = unpack_collection(data, "dag_runs", source)
        return [structure(r, DAGRun, source=source) for r in raw], total

    async def get(self, dag_id: str, dag_run_id: str) -> DAGRun:
        """Get one DAG run."""
        return await self._one("GET", paths.dag_run(dag_id, dag_run_id), DAGRun)

    async def trigger(
        self,
        dag_id: str,
        *,
        dag_run_id: str | None = None,
        logical_date: datetime | None = None,
        conf: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> DAGRun:
        """Trigger a new DAG run. Not retried after it may have reached the server.

        Raises:
            Conflict: A run with this id or logical date exists.
        """
        body: dict[str, Any] = {"conf": conf or {}}
        if dag_run_id is not None:
            body["dag_run_id"] = check_id("dag_run_id", dag_run_id)
        if logical_date is not None:
            body["logical_date"] = iso("logical_date", logical_date)
        if note is not None:
            body["note"] = note
        return await self._one("POST", (*paths.dag(dag_id), "dagRuns"), DAGRun, json=body)

    async def delete(self, dag_id: str, dag_run_id: str) -> None:
        """Delete a DAG run."""
        await self._call("DELETE", paths.dag_run(dag_id, dag_run_id))

    async def set_state(self, dag_id: str, dag_run_id: str, state: str) -> DAGRun:
        """Set a DAG run's state: ``"success"``, ``"failed"`` or ``"queued"``.

        ``success`` and ``failed`` also set its unfinished task instances; ``queued`` makes the
        scheduler run it again.
        """
        return await self._one(
            "PATCH",
            paths.dag_run(dag_id, dag_run_id),
            DAGRun,
            json={"state": check_choice("state", state, SETTABLE_RUN_STATES)},
            idempotent=True,  # setting a state to a value
        )

    @overload
    async def clear(
        self, dag_id: str, dag_run_id: str, *, dry_run: Literal[True]
    ) -> builtins.list[TaskInstanceReference]: ...

    @overload
    async def clear(self, dag_id: str, dag_run_id: str, *, dry_run: Literal[False]) -> DAGRun: ...

    async def clear(
        self, dag_id: str, dag_run_id: str, *, dry_run: bool
    ) -> DAGRun | builtins.list[TaskInstanceReference]:
        """Clear every task instance of a DAG run, so the scheduler runs it again.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            dry_run: Required. ``True`` changes nothing and returns the task instances that
                would be cleared; ``False`` clears them and returns the run. (The spec says the
                server defaults to a dry run; the 2.11 server defaults to clearing.)
        """
        check_bool("dry_run", dry_run)
        segments = (*paths.dag_run(dag_id, dag_run_id), "clear")
        if dry_run:
            # The 2.11 server answers a dry run with task instance references (its spec says
            # full task instances); the references are what both carry.
            items, _ = await self._items(
                "POST",
                segments,
                "task_instances",
                TaskInstanceReference,
                json={"dry_run": True},
                idempotent=True,
            )
            return items
        return await self._one("POST", segments, DAGRun, json={"dry_run": False})

    async def set_note(self, dag_id: str, dag_run_id: str, note: str) -> DAGRun:
        """Set the note of a DAG run (replacing any note it had)."""
        return await self._one(
            "PATCH",
            (*paths.dag_run(dag_id, dag_run_id), "setNote"),
            DAGRun,
            json={"note": check_text("note", note)},
            idempotent=True,
        )

    async def upstream_dataset_events(self, dag_id: str, dag_run_id: str) -> builtins.list[DatasetEvent]:
        """The dataset events that triggered a dataset-triggered DAG run (empty for other runs)."""
        items, _ = await self._items(
            "GET",
            (*paths.dag_run(dag_id, dag_run_id), "upstreamDatasetEvents"),
            "dataset_events",
            DatasetEvent,
        )
        return items

    async def wait(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        poll_interval: float = 2.0,
        max_wait: float | None = 600.0,
    ) -> DAGRun:
        """Poll a DAG run until it finishes (``success`` or ``failed``) and return it.

        Raises:
            TimeoutError: ``max_wait`` seconds passed first.
        """
        deadline = None if max_wait is None else time.monotonic() + max_wait
        while True:
            run = await self.get(dag_id, dag_run_id)
            if run.state in FINISHED_STATES:
                return run
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"DAG run {dag_id}/{dag_run_id} is still {run.state!r} after {max_wait}s")
            await asyncio.sleep(poll_interval)
