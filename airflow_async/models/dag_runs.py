"""DAG runs: the full run of the run listings, and the short form other objects embed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = ["BasicDAGRun", "DAGRun"]


@attrs.frozen(kw_only=True)
class DAGRun:
    """A DAG run.

    ``logical_date`` is the name to read on both API versions; ``execution_date``
    (its older name) and ``external_trigger`` are sent by v1 only.
    """

    dag_id: str
    dag_run_id: str
    execution_date: datetime | None = None  # v1 only
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    last_scheduling_decision: datetime | None = None
    run_type: str | None = None
    state: str | None = None
    external_trigger: bool | None = None  # v1 only
    conf: dict[str, Any] | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class BasicDAGRun:
    """The short form of a DAG run that dataset (v2: asset) events list (``created_dagruns``)."""

    run_id: str
    dag_id: str
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    state: str | None = None
