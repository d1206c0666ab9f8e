"""Typed models of the API's objects, and the one cattrs converter that builds them.

Every model is a frozen, keyword-only attrs class. Fields the server may omit or
send as ``null`` are Optional with a default, and unknown fields are ignored, so
a newer server does not break an older client. Datetimes are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import attrs
import cattrs

from .errors import DecodeError

__all__ = [
    "DAG",
    "Connection",
    "DAGRun",
    "HealthInfo",
    "Page",
    "Pool",
    "TaskInstance",
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

    @property
    def tag_names(self) -> list[str]:
        """The names of the DAG's tags."""
        return [str(t.get("name")) for t in self.tags or []]


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
