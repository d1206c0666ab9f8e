"""Typed models of the API's objects, and the one cattrs converter that builds them.

Every model is a frozen, keyword-only attrs class. Fields the server may omit or
send as ``null`` are Optional with a default, and unknown fields are ignored, so
a newer server does not break an older client. Datetimes are timezone-aware.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import attrs
import cattrs

from .errors import DecodeError

__all__ = [
    "DAG",
    "Action",
    "BasicDAGRun",
    "Config",
    "ConfigOption",
    "ConfigSection",
    "Connection",
    "ConnectionTest",
    "DAGDetail",
    "DAGRun",
    "DagScheduleDatasetReference",
    "DagStateCount",
    "DagStats",
    "DagWarning",
    "Dataset",
    "DatasetEvent",
    "EventLog",
    "HealthInfo",
    "ImportErrorInfo",
    "Page",
    "Plugin",
    "Pool",
    "Provider",
    "QueuedEvent",
    "Role",
    "Task",
    "TaskDependency",
    "TaskInstance",
    "TaskInstanceHistory",
    "TaskInstanceReference",
    "TaskLog",
    "TaskOutletDatasetReference",
    "User",
    "Variable",
    "VersionInfo",
    "XCom",
    "XComEntry",
    "converter",
    "parse_datetime",
    "structure",
]

T = TypeVar("T")


def parse_datetime(value: Any) -> datetime:
    """Parse an ISO 8601 timestamp from the API into an aware ``datetime`` (UTC if naive)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value)
    else:
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@attrs.frozen(kw_only=True)
class XComEntry:
    """One row of an XCom listing (no value: listings do not carry values).

    v1 listings carry no run id; the harvest fills ``dag_run_id`` from the DAG
    runs it listed, and v2 listings carry it as ``run_id``.
    """

    dag_id: str
    task_id: str
    key: str
    execution_date: datetime | None = None
    map_index: int = -1
    timestamp: datetime | None = None
    dag_run_id: str | None = None

    @property
    def natural_key(self) -> tuple[str, str, str, int, str]:
        """What identifies the entry on the server: dag, run (or date), task, map index, key."""
        run = self.dag_run_id or (self.execution_date.isoformat() if self.execution_date else "")
        return (self.dag_id, run, self.task_id, self.map_index, self.key)


@attrs.frozen(kw_only=True)
class XCom:
    """An XCom entry with its value.

    ``value`` is what the server sent: with ``stringify=True`` (the v1 server's
    default) a Python-repr string; with ``stringify=False`` the JSON value.
    """

    dag_id: str
    task_id: str
    key: str
    value: Any = None
    execution_date: datetime | None = None
    map_index: int = -1
    timestamp: datetime | None = None
    dag_run_id: str | None = None


@attrs.frozen(kw_only=True)
class DAGRun:
    """A DAG run."""

    dag_id: str
    dag_run_id: str
    execution_date: datetime | None = None
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    last_scheduling_decision: datetime | None = None
    run_type: str | None = None
    state: str | None = None
    external_trigger: bool | None = None
    conf: dict[str, Any] | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class TaskInstance:
    """A task instance (one try of one task in one DAG run, per map index)."""

    dag_id: str
    task_id: str
    dag_run_id: str | None = None
    execution_date: datetime | None = None
    map_index: int = -1
    state: str | None = None
    try_number: int | None = None
    max_tries: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    hostname: str | None = None
    unixname: str | None = None
    operator: str | None = None
    pool: str | None = None
    pool_slots: int | None = None
    queue: str | None = None
    priority_weight: int | None = None
    queued_when: datetime | None = None
    pid: int | None = None
    executor_config: str | None = None
    note: str | None = None
    rendered_fields: dict[str, Any] | None = None
    task_display_name: str | None = None
    executor: str | None = None
    rendered_map_index: str | None = None
    sla_miss: dict[str, Any] | None = None
    trigger: dict[str, Any] | None = None
    triggerer_job: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class TaskInstanceReference:
    """Which task instance a bulk operation touched (or would touch, in a dry run)."""

    dag_id: str
    task_id: str
    dag_run_id: str | None = None
    execution_date: datetime | None = None


@attrs.frozen(kw_only=True)
class TaskInstanceHistory:
    """One try of a task instance (``.../tries``): the current try or an earlier one."""

    dag_id: str
    task_id: str
    dag_run_id: str | None = None
    map_index: int = -1
    try_number: int | None = None
    max_tries: int | None = None
    state: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    hostname: str | None = None
    unixname: str | None = None
    operator: str | None = None
    pool: str | None = None
    pool_slots: int | None = None
    queue: str | None = None
    priority_weight: int | None = None
    queued_when: datetime | None = None
    pid: int | None = None
    executor: str | None = None
    executor_config: str | None = None
    task_display_name: str | None = None


@attrs.frozen(kw_only=True)
class TaskDependency:
    """A dependency that keeps a task instance from running, and why."""

    name: str
    reason: str | None = None


@attrs.frozen(kw_only=True)
class TaskLog:
    """A chunk of a task instance's log (``GET .../logs/{try_number}``).

    The v1 server's JSON answer puts the Python ``repr`` of a list of ``(host, text)`` pairs in
    ``content``; :attr:`text` turns it back into the log text. Pass ``continuation_token`` back as
    ``token`` to read on from where this chunk ended.
    """

    content: str = ""
    continuation_token: str | None = None

    @property
    def chunks(self) -> list[tuple[str, str]]:
        """The ``(host, text)`` pairs of the content; one ``("", content)`` if it is plain text."""
        try:
            parsed = ast.literal_eval(self.content)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return [("", self.content)] if self.content else []
        if isinstance(parsed, list | tuple) and all(
            isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in parsed
        ):
            return [(str(host), str(text)) for host, text in parsed]
        return [("", self.content)] if self.content else []

    @property
    def text(self) -> str:
        """The log text, the texts of all hosts joined."""
        return "".join(text for _, text in self.chunks)


@attrs.frozen(kw_only=True)
class DAG:
    """A DAG's metadata as the API lists it."""

    dag_id: str
    dag_display_name: str | None = None
    description: str | None = None
    is_paused: bool | None = None
    is_active: bool | None = None
    is_subdag: bool | None = None
    fileloc: str | None = None
    file_token: str | None = None
    owners: list[str] = attrs.field(factory=list)
    tags: list[dict[str, Any]] | None = None
    schedule_interval: Any = None
    timetable_description: str | None = None
    max_active_runs: int | None = None
    max_active_tasks: int | None = None
    has_import_errors: bool | None = None
    next_dagrun: datetime | None = None
    last_parsed_time: datetime | None = None
    root_dag_id: str | None = None
    last_pickled: datetime | None = None
    last_expired: datetime | None = None
    scheduler_lock: bool | None = None
    pickle_id: str | None = None
    default_view: str | None = None
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
    dataset_expression: Any = None
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
    sub_dag: Any = None
    downstream_task_ids: list[str] = attrs.field(factory=list)
    doc_md: str | None = None
    params: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Variable:
    """An Airflow variable."""

    key: str
    value: str | None = None
    description: str | None = None


@attrs.frozen(kw_only=True)
class Pool:
    """A pool of task slots."""

    name: str
    slots: int | None = None
    occupied_slots: int | None = None
    running_slots: int | None = None
    queued_slots: int | None = None
    scheduled_slots: int | None = None
    deferred_slots: int | None = None
    open_slots: int | None = None
    description: str | None = None
    include_deferred: bool | None = None


@attrs.frozen(kw_only=True)
class Connection:
    """A connection (the API never returns its password)."""

    connection_id: str
    conn_type: str | None = None
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema: str | None = None
    port: int | None = None
    extra: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionTest:
    """The result of testing a connection: whether it worked, and the hook's message."""

    status: bool
    message: str | None = None


@attrs.frozen(kw_only=True)
class BasicDAGRun:
    """The short form of a DAG run that dataset events list (``created_dagruns``)."""

    run_id: str
    dag_id: str
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    state: str | None = None


@attrs.frozen(kw_only=True)
class DagScheduleDatasetReference:
    """A DAG scheduled on a dataset (one of the dataset's ``consuming_dags``)."""

    dag_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class TaskOutletDatasetReference:
    """A task that updates a dataset (one of the dataset's ``producing_tasks``)."""

    dag_id: str | None = None
    task_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Dataset:
    """A dataset: its URI, extra, and the DAGs and tasks that consume and produce it."""

    uri: str
    id: int | None = None
    extra: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    consuming_dags: list[DagScheduleDatasetReference] = attrs.field(factory=list)
    producing_tasks: list[TaskOutletDatasetReference] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class DatasetEvent:
    """An update of a dataset, by a task or through the API, and the DAG runs it created."""

    dataset_uri: str
    dataset_id: int | None = None
    extra: dict[str, Any] | None = None
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int | None = None
    created_dagruns: list[BasicDAGRun] = attrs.field(factory=list)
    timestamp: datetime | None = None


@attrs.frozen(kw_only=True)
class QueuedEvent:
    """A dataset event waiting for a DAG that is scheduled on several datasets."""

    uri: str
    dag_id: str
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class EventLog:
    """One entry of the audit log (``/eventLogs``)."""

    event_log_id: int
    when: datetime | None = None
    event: str | None = None
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    execution_date: datetime | None = None
    owner: str | None = None
    extra: str | None = None


@attrs.frozen(kw_only=True)
class ImportErrorInfo:
    """A DAG file that failed to import, with its stack trace (the API's ``ImportError``)."""

    import_error_id: int
    timestamp: datetime | None = None
    filename: str | None = None
    stack_trace: str | None = None


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
class ConfigOption:
    """One option of a configuration section (sensitive values read ``< hidden >``)."""

    key: str
    value: str | None = None


@attrs.frozen(kw_only=True)
class ConfigSection:
    """One section of the configuration."""

    name: str
    options: list[ConfigOption] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class Config:
    """The server's configuration, or the part of it asked for."""

    sections: list[ConfigSection] = attrs.field(factory=list)

    def as_dict(self) -> dict[str, dict[str, str | None]]:
        """The configuration as ``{section: {option: value}}``."""
        return {s.name: {o.key: o.value for o in s.options} for s in self.sections}


@attrs.frozen(kw_only=True)
class Plugin:
    """A plugin loaded by the server, with what it contributes."""

    name: str
    source: str | None = None
    hooks: list[Any] = attrs.field(factory=list)
    executors: list[Any] = attrs.field(factory=list)
    macros: list[Any] = attrs.field(factory=list)
    flask_blueprints: list[Any] = attrs.field(factory=list)
    appbuilder_views: list[Any] = attrs.field(factory=list)
    appbuilder_menu_items: list[Any] = attrs.field(factory=list)
    global_operator_extra_links: list[Any] = attrs.field(factory=list)
    operator_extra_links: list[Any] = attrs.field(factory=list)
    ti_deps: list[Any] = attrs.field(factory=list)
    listeners: list[Any] = attrs.field(factory=list)
    timetables: list[Any] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class Provider:
    """An installed provider package."""

    package_name: str
    version: str | None = None
    description: str | None = None


@attrs.frozen(kw_only=True)
class Action:
    """A permission action (``can_read``, ``can_edit``, ``menu_access``...)."""

    name: str


@attrs.frozen(kw_only=True)
class Role:
    """A role and its permissions.

    ``actions`` is what the server sends: ``{"action": {"name": ...}, "resource": {"name": ...}}``
    objects; :attr:`permissions` reads them as ``(action, resource)`` pairs.
    """

    name: str
    actions: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def permissions(self) -> list[tuple[str, str]]:
        """The role's permissions as ``(action, resource)`` pairs, e.g. ``("can_read", "DAGs")``."""
        return [
            (str((a.get("action") or {}).get("name")), str((a.get("resource") or {}).get("name")))
            for a in self.actions
            if a
        ]


@attrs.frozen(kw_only=True)
class User:
    """A user of the webserver (the API never returns passwords).

    Timestamps come without a timezone from the server; they are read as UTC. The 2.11 server
    sends ``fail_login_count`` where its spec says ``failed_login_count``; both are read.
    """

    username: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    active: bool | None = None
    last_login: datetime | None = None
    login_count: int | None = None
    fail_login_count: int | None = None
    failed_login_count: int | None = None
    roles: list[dict[str, Any]] = attrs.field(factory=list)
    created_on: datetime | None = None
    changed_on: datetime | None = None

    @property
    def role_names(self) -> list[str]:
        """The names of the user's roles."""
        return [str(r.get("name")) for r in self.roles if r]


@attrs.frozen(kw_only=True)
class HealthInfo:
    """The server's health report: the status of each component (``healthy``/``unhealthy``)."""

    metadatabase: dict[str, Any] = attrs.field(factory=dict)
    scheduler: dict[str, Any] = attrs.field(factory=dict)
    triggerer: dict[str, Any] | None = None
    dag_processor: dict[str, Any] | None = None

    @property
    def healthy(self) -> bool:
        """Whether the metadata database reports healthy."""
        return self.metadatabase.get("status") == "healthy"


@attrs.frozen(kw_only=True)
class VersionInfo:
    """The server's Airflow version."""

    version: str
    git_version: str | None = None


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a listing: its items, and the total the server reported."""

    items: list[T]
    total_entries: int | None
    offset: int


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(datetime, lambda v, _: parse_datetime(v))
    conv.register_unstructure_hook(datetime, lambda v: v.isoformat())
    conv.register_structure_hook(Any, lambda v, _: v)
    return conv


#: The converter used for every model.
converter = _make_converter()


def structure(data: Any, model: type[T], *, source: Callable[[], tuple[str, str]] | None = None) -> T:
    """Build ``model`` from decoded JSON; raise :class:`DecodeError` if it does not fit.

    ``source`` returns the ``(method, url)`` of the request the data came from; it is
    called only to word an error, so building the URL costs nothing on success.
    """
    try:
        if not isinstance(data, Mapping):
            raise TypeError("expected a JSON object")
        return converter.structure(data, model)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            detail = "; ".join(cattrs.transform_error(exc))
        else:
            detail = str(exc)
        method, url = source() if source is not None else ("", "")
        raise _shape_error(data, model, method, url, detail) from None


def _shape_error(data: Any, model: type[Any], method: str, url: str, reason: str) -> DecodeError:
    return DecodeError(
        f"the response does not match {model.__name__}: {reason}",
        status=200,
        method=method,
        url=url,
        content_type="application/json",
        snippet=repr(data)[:120],
    )
