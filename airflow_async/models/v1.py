"""What only API v1 (Airflow 2) has: datasets and their events, and the webserver's users and roles.

Airflow 3 replaced datasets by assets, and its API v2 no longer serves users and roles (they
moved to the auth manager's own API); v2 support adds its own models for assets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from .dag_runs import BasicDAGRun

__all__ = [
    "Action",
    "DagScheduleDatasetReference",
    "Dataset",
    "DatasetEvent",
    "QueuedEvent",
    "Role",
    "TaskOutletDatasetReference",
    "User",
]


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
class QueuedEvent:
    """A dataset event waiting for a DAG that is scheduled on several datasets."""

    uri: str
    dag_id: str
    created_at: datetime | None = None


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
