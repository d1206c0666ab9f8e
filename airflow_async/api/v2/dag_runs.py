"""API v2 DAG runs: ``client.dag_runs`` on Airflow 3."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Unpack

from ..._validate import check_id, check_text, iso
from ...models import DAGRun
from ...pagination import Paginator
from .. import paths
from .._base import filter_query, split_options
from .._dag_runs import DAGRunCommon, run_key
from .filters import DAGRunListOptions


class DAGRunResource(DAGRunCommon):
    """The DAG-run endpoints of API v2 (``/dags/{dag_id}/dagRuns``).

    ``get``, ``delete``, ``set_state`` and ``wait`` are shared with v1; the listing takes v2's
    filter names (``logical_date_gte``, ``run_after_gte``...).
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
            params={**filter_query(filters), "order_by": _order(order_by)},
            paging=paging,
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

        ``logical_date=None`` (the default) triggers a run without a logical date, which
        Airflow 3 allows; the body always carries the key, as the v2 API requires.

        Raises:
            Conflict: A run with this id exists.
        """
        body: dict[str, Any] = {
            "logical_date": None if logical_date is None else iso("logical_date", logical_date),
            "conf": conf or {},
        }
        if dag_run_id is not None:
            body["dag_run_id"] = check_id("dag_run_id", dag_run_id)
        if note is not None:
            body["note"] = check_text("note", note)
        return await self._one("POST", (*paths.dag(dag_id), "dagRuns"), DAGRun, json=body)

    async def set_note(self, dag_id: str, dag_run_id: str, note: str) -> DAGRun:
        """Set the note of a DAG run (replacing any note it had)."""
        return await self._one(
            "PATCH",
            paths.dag_run(dag_id, dag_run_id),
            DAGRun,
            params={"update_mask": "note"},
            json={"note": check_text("note", note)},
            idempotent=True,
        )


def _order(order_by: str | builtins.list[str] | None) -> str | builtins.list[str] | None:
    """``order_by`` repeats on v2 (3.1+): one key or a list of keys, each sent as its own value."""
    if order_by is None or isinstance(order_by, str):
        return order_by
    return [check_id("order_by", key) for key in order_by]
