"""DAGs: their metadata and details, their tasks, run counts, and what parsing them reported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = ["DAG", "DAGDetail", "DagStateCount", "DagStats", "DagWarning", "ImportErrorInfo", "Task"]


@attrs.frozen(kw_only=True)
class DAG:
    """A DAG's metadata as the API lists it.

    The fields marked v1 only are about what Airflow 3 removed (subDAGs, pickling,
    ``schedule_interval``); a v2 server leaves them ``None``.
    """

    dag_id: str
    dag_display_name: str | None = None
    description: str | None = None
    is_paused: bool | None = None
    is_active: bool | None = None
    is_subdag: bool | None = None  # v1 only
    fileloc: str | None = None
    file_token: str | None = None
    owners: list[str] = attrs.field(factory=list)
    tags: list[dict[str, Any]] | None = None
    schedule_interval: Any = None  # v1 only
    timetable_description: str | None = None
    max_active_runs: int | None = None
    max_active_tasks: int | None = None
    has_import_errors: bool | None = None
    next_dagrun: datetime | None = None
    last_parsed_time: datetime | None = None
    root_dag_id: str | None = None  # v1 only
    last_pickled: datetime | None = None  # v1 only
    last_expired: datetime | None = None
    scheduler_lock: bool | None = None  # v1 only
    pickle_id: str | None = None  # v1 only
    default_view: str | None = None  # v1 only
    has_task_concurrency_limits: bool | None = None
    next_dagrun_data_interval_start: datetime | None = None
    next_dagrun_data_interval_end: datetime | None = None
    next_dagrun_create_after: datetime | None = None
    max_consecutive_failed_dag_runs: int | None = None

    @property
    def tag_names(self) -> list[str]:
        """The names of the DAG's tags."""
        return [str(t.get("name")) for t in self.tags or []]


@attrs.frozen(kw_only=True)
class DAGDetail(DAG):
    """A DAG with the details of ``GET /dags/{dag_id}/details``: everything :class:`DAG` has, and more.

    ``template_searchpath`` is the name the 2.11 server sends (its spec says ``template_search_path``).
    """

    timezone: str | None = None
    catchup: bool | None = None
    orientation: str | None = None
    concurrency: float | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    dag_run_timeout: Any = None
    dataset_expression: Any = None  # v1 only (v2 has assets)
    doc_md: str | None = None
    params: dict[str, Any] | None = None
    is_paused_upon_creation: bool | None = None
    last_parsed: datetime | None = None
    template_searchpath: list[str] | None = None
    render_template_as_native_obj: bool | None = None


@attrs.frozen(kw_only=True)
class Task:
    """A task of a DAG, as its definition describes it (not one run of it).

    ``execution_timeout`` and ``retry_delay`` are the API's ``TimeDelta`` objects
    (``{"__type": "TimeDelta", "days": ..., "seconds": ..., "microseconds": ...}``) or ``None``.
    """

    task_id: str
    task_display_name: str | None = None
    class_ref: dict[str, Any] | None = None
    operator_name: str | None = None
    owner: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    trigger_rule: str | None = None
    extra_links: list[dict[str, Any]] = attrs.field(factory=list)
    depends_on_past: bool | None = None
    is_mapped: bool | None = None
    wait_for_downstream: bool | None = None
    retries: float | None = None
    queue: str | None = None
    executor: str | None = None
    pool: str | None = None
    pool_slots: float | None = None
    execution_timeout: Any = None
    retry_delay: Any = None
    retry_exponential_backoff: bool | None = None
    priority_weight: float | None = None
    weight_rule: str | None = None
    ui_color: str | None = None
    ui_fgcolor: str | None = None
    template_fields: list[str] = attrs.field(factory=list)
    sub_dag: Any = None  # v1 only
    downstream_task_ids: list[str] = attrs.field(factory=list)
    doc_md: str | None = None
    params: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class DagStateCount:
    """How many runs of a DAG are in one state."""

    state: str
    count: int


@attrs.frozen(kw_only=True)
class DagStats:
    """The number of runs of one DAG in each state."""

    dag_id: str
    stats: list[DagStateCount] = attrs.field(factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """The counts as ``{state: count}``."""
        return {s.state: s.count for s in self.stats}


@attrs.frozen(kw_only=True)
class DagWarning:
    """A warning about a DAG found while processing it (e.g. a pool that does not exist)."""

    dag_id: str
    warning_type: str | None = None
    message: str | None = None
    timestamp: datetime | None = None


@attrs.frozen(kw_only=True)
class ImportErrorInfo:
    """A DAG file that failed to import, with its stack trace (the API's ``ImportError``)."""

    import_error_id: int
    timestamp: datetime | None = None
    filename: str | None = None
    stack_trace: str | None = None


@attrs.frozen(kw_only=True)
class DagFileReport:
    """What parsing one DAG file found (``GET /dagReports``, Airflow 3.0 only).

    Attributes:
        file: The file, relative to the folder that was parsed.
        duration: How long parsing took, as the server sends it (an ISO 8601 duration).
        dag_num: The DAGs the file defines.
        task_num: Their tasks.
        dags: The DAG ids, as the server sends them (the text of a Python list).
        warning_num: The warnings parsing raised.
    """

    file: str
    duration: Any = None
    dag_num: int = 0
    task_num: int = 0
    dags: str = ""
    warning_num: int = 0
