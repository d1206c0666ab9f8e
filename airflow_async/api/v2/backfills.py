"""API v2 backfills: ``client.backfills`` (Airflow 3)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Unpack

from ..._validate import check_bool, check_choice, check_id, check_int, iso
from ...errors import UsageError
from ...models.backfills import Backfill, BackfillDryRun
from ...pagination import Paginator
from .._base import PageOptions, Resource

__all__ = ["REPROCESS_BEHAVIORS", "BackfillResource"]

#: Which dates that have a run already a backfill runs again: none, the failed ones, all.
REPROCESS_BEHAVIORS = frozenset({"none", "failed", "completed"})


def _backfill_key(b: Backfill) -> int:
    return b.id


class BackfillResource(Resource):
    """The backfill endpoints of API v2 (``/backfills``).

    A backfill creates the runs of a DAG with a time schedule for the past logical dates of a
    range (queued, for the scheduler to run, at most ``max_active_runs`` at a time). A DAG has
    at most one active backfill.
    """

    def list(
        self, dag_id: str, *, order_by: str | None = None, **paging: Unpack[PageOptions]
    ) -> Paginator[Backfill]:
        """List the backfills of a DAG (the server lists one DAG's at a time).

        ``order_by``: ``"id"`` or ``"-id"``. Takes the paging options of
        :class:`~airflow_async.api._base.PageOptions`.
        """
        params = {"dag_id": check_id("dag_id", dag_id), "order_by": order_by}
        return self._paginate(
            ("backfills",), "backfills", Backfill, _backfill_key, params=params, paging=paging
        )

    async def get(self, backfill_id: int) -> Backfill:
        """Get one backfill."""
        return await self._one("GET", _path(backfill_id), Backfill)

    async def create(
        self,
        dag_id: str,
        from_date: datetime,
        to_date: datetime,
        *,
        reprocess_behavior: str = "none",
        max_active_runs: int = 10,
        run_backwards: bool = False,
        dag_run_conf: dict[str, Any] | None = None,
    ) -> Backfill:
        """Create a backfill: a run of ``dag_id`` for each past logical date of a range.

        Not retried after it may have reached the server.

        Args:
            dag_id: A DAG with a time schedule.
            from_date, to_date: The range of logical dates, both ends included
                (timezone-aware). Dates whose data interval has not ended yet are left out.
            reprocess_behavior: What to do with dates that have a run already: ``"none"``
                (leave them), ``"failed"`` (run the failed ones again) or ``"completed"``
                (run them all again: their existing runs are cleared).
            max_active_runs: How many of its runs may be active at once.
            run_backwards: Run the newest date first.
            dag_run_conf: The ``conf`` of each run.

        Raises:
            Conflict: The DAG has an active backfill already.
            ValidationError: No date to run in the range, a DAG without a time schedule, a
                range in the future or ``from_date`` after ``to_date``.
            NotFound: No such DAG.
        """
        return await self._one(
            "POST",
            ("backfills",),
            Backfill,
            json=_body(
                dag_id, from_date, to_date, reprocess_behavior, max_active_runs, run_backwards, dag_run_conf
            ),
        )

    async def dry_run(
        self,
        dag_id: str,
        from_date: datetime,
        to_date: datetime,
        *,
        reprocess_behavior: str = "none",
        max_active_runs: int = 10,
        run_backwards: bool = False,
        dag_run_conf: dict[str, Any] | None = None,
    ) -> builtins.list[BackfillDryRun]:
        """The runs :meth:`create` would make with the same arguments, in order; nothing is created.

        Each item carries the run's ``logical_date``. Dates that have a run which
        ``reprocess_behavior`` leaves alone are not listed. A read-only request: it is retried.
        """
        items, _ = await self._items(
            "POST",
            ("backfills", "dry_run"),
            "backfills",
            BackfillDryRun,
            json=_body(
                dag_id, from_date, to_date, reprocess_behavior, max_active_runs, run_backwards, dag_run_conf
            ),
            idempotent=True,
        )
        return items

    async def pause(self, backfill_id: int) -> Backfill:
        """Hold a backfill: the scheduler starts none of its runs until :meth:`unpause`.

        Raises:
            Conflict: The backfill has completed (or was cancelled).
        """
        return await self._one("PUT", (*_path(backfill_id), "pause"), Backfill)

    async def unpause(self, backfill_id: int) -> Backfill:
        """Let the scheduler start a paused backfill's runs again.

        Raises:
            Conflict: The backfill has completed (or was cancelled).
        """
        return await self._one("PUT", (*_path(backfill_id), "unpause"), Backfill)

    async def cancel(self, backfill_id: int) -> Backfill:
        """Cancel a backfill: its queued runs are set to ``failed`` and it is marked completed.

        Its runs stay (delete them with ``dag_runs.delete``); running ones finish.

        Raises:
            Conflict: The backfill has completed (or was cancelled) already.
        """
        return await self._one("PUT", (*_path(backfill_id), "cancel"), Backfill)


def _path(backfill_id: int) -> tuple[str, int]:
    return ("backfills", check_int("backfill_id", backfill_id, minimum=0))


def _body(
    dag_id: str,
    from_date: datetime,
    to_date: datetime,
    reprocess_behavior: str,
    max_active_runs: int,
    run_backwards: bool,
    dag_run_conf: dict[str, Any] | None,
) -> dict[str, Any]:
    """The body of a create and of its dry run (``BackfillPostBody``)."""
    if dag_run_conf is not None and not isinstance(dag_run_conf, dict):
        raise UsageError(f"dag_run_conf must be a dict or None, got {type(dag_run_conf).__name__}")
    body: dict[str, Any] = {
        "dag_id": check_id("dag_id", dag_id),
        "from_date": iso("from_date", from_date),
        "to_date": iso("to_date", to_date),
        "reprocess_behavior": check_choice("reprocess_behavior", reprocess_behavior, REPROCESS_BEHAVIORS),
        "max_active_runs": check_int("max_active_runs", max_active_runs),
        "run_backwards": check_bool("run_backwards", run_backwards),
    }
    if dag_run_conf is not None:
        body["dag_run_conf"] = dag_run_conf
    return body
