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
    #: v2 only: when the run may start; always set, where ``logical_date`` may be null.
    run_after: datetime | None = None
    queued_at: datetime | None = None
    duration: float | None = None  # v2 only
    triggered_by: str | None = None  # v2 only
    triggering_user_name: str | None = None  # v2 only
    dag_versions: list[dict[str, Any]] | None = None  # v2 only
    bundle_version: str | None = None  # v2 only
    dag_display_name: str | None = None  # v2 only
    partition_key: str | None = None  # v2 only (3.2+)

    def __attrs_post_init__(self) -> None:
        if self.logical_date is None and self.execution_date is not None:
            object.__setattr__(self, "logical_date", self.execution_date)


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
