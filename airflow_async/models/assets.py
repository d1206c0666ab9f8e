"""Models of API v2 only (assets): assets, asset aliases, asset events and queued events.

Airflow 3 renamed datasets to assets; the v1 models (``Dataset``, ``DatasetEvent``...) stay in
``models/v1.py``. Every field but an object's identity is optional, so a newer server that
drops or adds a field does not break parsing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from .dag_runs import BasicDAGRun

__all__ = [
    "Asset",
    "AssetAlias",
    "AssetDagReference",
    "AssetEvent",
    "AssetEventRun",
    "AssetQueuedEvent",
    "AssetTaskReference",
    "AssetWatcher",
    "LastAssetEvent",
]


@attrs.frozen(kw_only=True)
class AssetEventRun(BasicDAGRun):
    """A DAG run an asset event created or fed (one of :attr:`AssetEvent.created_dagruns`).

    The short run of v1's dataset events, plus what v2 adds.
    """

    partition_key: str | None = None
    #: Whether this event triggered the run (only a run's most recent consumed event per asset does).
    triggering: bool | None = None


@attrs.frozen(kw_only=True)
class AssetEvent:
    """An update of an asset, by a task or through the API, and the DAG runs it created."""

    id: int
    asset_id: int | None = None
    uri: str | None = None
    name: str | None = None
    group: str | None = None
    extra: dict[str, Any] | None = None
    source_task_id: str | None = None
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int | None = None
    created_dagruns: list[AssetEventRun] = attrs.field(factory=list)
    timestamp: datetime | None = None
    partition_key: str | None = None  # 3.2+


@attrs.frozen(kw_only=True)
class AssetDagReference:
    """A DAG scheduled on an asset (one of :attr:`Asset.scheduled_dags`)."""

    dag_id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class AssetTaskReference:
    """A task that produces an asset (an outlet) or consumes it (an inlet)."""

    dag_id: str
    task_id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class AssetAlias:
    """An asset alias: a name tasks attach asset events to, resolved at run time."""

    id: int
    name: str | None = None
    group: str | None = None


@attrs.frozen(kw_only=True)
class AssetWatcher:
    """A trigger that watches an external source and records events of the asset."""

    name: str | None = None
    trigger_id: int | None = None
    created_date: datetime | None = None


@attrs.frozen(kw_only=True)
class LastAssetEvent:
    """The id and time of an asset's latest event (both null if it has none)."""

    id: int | None = None
    timestamp: datetime | None = None


@attrs.frozen(kw_only=True)
class Asset:
    """An asset: its name, URI and group, and the DAGs and tasks that consume and produce it."""

    id: int
    name: str | None = None
    uri: str | None = None
    group: str | None = None
    extra: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    scheduled_dags: list[AssetDagReference] = attrs.field(factory=list)
    producing_tasks: list[AssetTaskReference] = attrs.field(factory=list)
    consuming_tasks: list[AssetTaskReference] = attrs.field(factory=list)
    aliases: list[AssetAlias] = attrs.field(factory=list)
    watchers: list[AssetWatcher] = attrs.field(factory=list)
    last_asset_event: LastAssetEvent | None = None


@attrs.frozen(kw_only=True)
class AssetQueuedEvent:
    """An asset event waiting for a DAG scheduled on the asset (and on others not yet updated)."""

    dag_id: str
    asset_id: int
    created_at: datetime | None = None
    dag_display_name: str | None = None
