"""DAG runs: ``client.dag_runs``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

from ..._validate import check_id, check_text, iso
from ..._validate import check_strings as _seq
from ...models import DAGRun
from ...models.v1 import DatasetEvent
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, filter_query, split_options
from .._dag_runs import FINISHED_STATES as FINISHED_STATES
from .._dag_runs import SETTABLE_RUN_STATES as SETTABLE_RUN_STATES
from .._dag_runs import DAGRunCommon, run_key
from .filters import NEUTRAL_NAMES, DAGRunListOptions


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
        filters, paging = split_options(options, DAGRunListOptions, "dag_runs.list", wire_names=NEUTRAL_NAMES)
        return self._paginate(
            (*paths.dag(dag_id, wildcard=True), "dagRuns"),
            "dag_runs",
            DAGRun,
            run_key,
            params={**filter_query(filters), "order_by": order_by},
            paging=paging,
        )

    def list_batch(
        self,
        *,
        dag_ids: Sequence[str] | None = None,
        states: Sequence[str] | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DAGRun]:
        """List DAG runs across DAGs through ``POST /dags/~/dagRuns/list`` (read-only, retried).

        ``dag_ids`` and ``states`` match any of their values; ``order_by`` is one key. Takes the
        paging options of :class:`~airflow_async.api._base.PageOptions`; each page goes as the
        body's ``page_offset`` and ``page_limit``.
        """
        body: dict[str, Any] = {}
        if dag_ids is not None:
            body["dag_ids"] = builtins.list(_seq("dag_ids", dag_ids) or [])
        if states is not None:
            body["states"] = builtins.list(_seq("states", states) or [])
        if order_by is not None:
            body["order_by"] = check_id("order_by", order_by)
        return self._paginate_body(
            ("dags", "~", "dagRuns", "list"), "dag_runs", DAGRun, run_key, body=body, paging=paging
        )

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
