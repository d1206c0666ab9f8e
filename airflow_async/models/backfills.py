"""Models of API v2 only: backfills and their dry runs, and what the DAG-run operations only v2
has answer (the snapshots of ``dag_runs.wait_until_finished``, ``dag_runs.clear_partitions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = ["Backfill", "BackfillDryRun", "DAGRunSnapshot", "PartitionsCleared"]

#: The states in which a DAG run has finished (the wait stream ends after one of them).
_FINISHED = frozenset({"success", "failed"})


@attrs.frozen(kw_only=True)
class Backfill:
    """A backfill: the runs of a DAG over a past date range, which the scheduler then works through.

    Attributes:
        id: The backfill's id (``backfills.get(id)``).
        dag_id: The DAG it runs.
        from_date, to_date: The range of logical dates, both ends included.
        dag_run_conf: The ``conf`` each of its runs gets.
        is_paused: Whether the scheduler is held from starting more of its runs.
        reprocess_behavior: ``"none"``, ``"failed"`` or ``"completed"``: which dates that have
            a run already are run again.
        max_active_runs: How many of its runs may be active at once.
        created_at, updated_at: When it was made and last changed.
        completed_at: When it finished or was cancelled (``None`` while it is active).
    """

    id: int
    dag_id: str
    from_date: datetime | None = None
    to_date: datetime | None = None
    dag_run_conf: dict[str, Any] | None = None
    is_paused: bool | None = None
    reprocess_behavior: str | None = None
    max_active_runs: int | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    dag_display_name: str | None = None


@attrs.frozen(kw_only=True)
class BackfillDryRun:
    """One run a backfill would create (an item of ``backfills.dry_run``).

    ``logical_date`` is set for a DAG with a time schedule; a partitioned DAG's runs carry
    ``partition_key`` and ``partition_date`` instead (Airflow 3.2+).
    """

    logical_date: datetime | None = None
    partition_key: str | None = None
    partition_date: datetime | None = None


@attrs.frozen(kw_only=True)
class DAGRunSnapshot:
    """A DAG run's state at one moment, as the wait stream sends it (one line per check).

    Attributes:
        state: The run's state then (``"queued"``, ``"running"``, ``"success"``...).
        results: Once the run has finished: the return values (``return_value`` XComs) of the
            tasks asked for, by task id (a mapped task's values as a list); ``None`` before the
            run finishes or when there are none.
    """

    state: str
    results: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        """Whether the run had finished (``success`` or ``failed``): the stream's last line."""
        return self.state in _FINISHED


@attrs.frozen(kw_only=True)
class PartitionsCleared:
    """What ``dag_runs.clear_partitions`` reset (or would reset, in a dry run).

    Attributes:
        dag_runs_cleared: The runs whose partition key and date were (or would be) reset.
        task_instances_cleared: Their task instances that were (or would be) cleared too.
        dry_run: Whether nothing was changed.
    """

    dag_runs_cleared: int
    task_instances_cleared: int
    dry_run: bool
