"""The server's own objects, besides DAGs.

Variables, pools, connections, configuration, plugins, providers, health, version, audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "Config",
    "ConfigOption",
    "ConfigSection",
    "Connection",
    "ConnectionTest",
    "EventLog",
    "HealthInfo",
    "Plugin",
    "Pool",
    "Provider",
    "Variable",
    "VersionInfo",
]


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
class EventLog:
    """One entry of the audit log (``/eventLogs``).

    v1 sends the run's date as ``execution_date``; read :attr:`logical_date` on either version.
    """

    event_log_id: int
    when: datetime | None = None
    event: str | None = None
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    execution_date: datetime | None = None  # v1 only
    owner: str | None = None
    extra: str | None = None

    @property
    def logical_date(self) -> datetime | None:
        """The logical date of the DAG run the event was about (what v1 calls ``execution_date``)."""
        return self.execution_date
