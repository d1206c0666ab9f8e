"""DAG runs: ``client.dag_runs``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

from ..._validate import check_id, check_limit, check_text, iso
from ..._validate import check_strings as _seq
from ...models import DAGRun
from ...models._convert import structure
from ...models.v1 import DatasetEvent
from ...pagination import Paginator
from .. import paths
from .._base import filter_query, split_options, unpack_collection
from .._dag_runs import FINISHED_STATES as FINISHED_STATES
from .._dag_runs import SETTABLE_RUN_STATES as SETTABLE_RUN_STATES
from .._dag_runs import DAGRunCommon, run_key
from .filters import DAGRunListOptions


class DAGRunResource(DAGRunCommon):
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
            run_key,
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
