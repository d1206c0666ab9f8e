"""DAG runs: ``client.dag_runs``."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..errors import UsageError
from ..models import DAGRun, structure
from ..pagination import Paginator
from ._base import Resource, check_id, unpack_collection

#: States in which a DAG run has finished.
FINISHED_STATES = frozenset({"success", "failed"})


def _run_key(r: DAGRun) -> tuple[str, str]:
    return (r.dag_id, r.dag_run_id)


class DAGRunResource(Resource):
    """The DAG run endpoints (``/dags/{dag_id}/dagRuns``)."""

    def list(
        self,
        dag_id: str = "~",
        *,
        execution_date_gte: datetime | None = None,
        execution_date_lte: datetime | None = None,
        start_date_gte: datetime | None = None,
        start_date_lte: datetime | None = None,
        end_date_gte: datetime | None = None,
        end_date_lte: datetime | None = None,
        updated_at_gte: datetime | None = None,
        updated_at_lte: datetime | None = None,
        state: Sequence[str] | None = None,
        order_by: str | None = None,
        page_size: int = 100,
        offset: int = 0,
        max_items: int | None = None,
        concurrent: bool = False,
        dedupe: bool = True,
    ) -> Paginator[DAGRun]:
        """List DAG runs of one DAG, or of all DAGs with ``dag_id="~"``.

        The date filters take timezone-aware datetimes; ``state`` repeats
        (``["running", "queued"]``).
        """
        return self._paginate(
            ("dags", check_id("dag_id", dag_id, wildcard=True), "dagRuns"),
            "dag_runs",
            DAGRun,
            _run_key,
            params={
                "execution_date_gte": execution_date_gte,
                "execution_date_lte": execution_date_lte,
                "start_date_gte": start_date_gte,
                "start_date_lte": start_date_lte,
                "end_date_gte": end_date_gte,
                "end_date_lte": end_date_lte,
                "updated_at_gte": updated_at_gte,
                "updated_at_lte": updated_at_lte,
                "state": _seq("state", state),
                "order_by": order_by,
            },
            page_size=page_size,
            offset=offset,
            max_items=max_items,
            concurrent=concurrent,
            dedupe=dedupe,
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
        return await self._one(
            "GET", ("dags", check_id("dag_id", dag_id), "dagRuns", check_id("dag_run_id", dag_run_id)), DAGRun
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
            if logical_date.tzinfo is None:
                raise UsageError("logical_date needs a timezone, e.g. datetime(..., tzinfo=timezone.utc)")
            body["logical_date"] = logical_date.isoformat()
        if note is not None:
            body["note"] = note
        return await self._one("POST", ("dags", check_id("dag_id", dag_id), "dagRuns"), DAGRun, json=body)

    async def delete(self, dag_id: str, dag_run_id: str) -> None:
        """Delete a DAG run."""
        await self._call(
            "DELETE", ("dags", check_id("dag_id", dag_id), "dagRuns", check_id("dag_run_id", dag_run_id))
        )

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


def _seq(name: str, value: Sequence[str] | None) -> Sequence[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise UsageError(f"{name} takes a list of strings, e.g. [{value!r}], not a string")
    if not value:
        raise UsageError(f"{name} is an empty list: pass None for no filter")
    return value
