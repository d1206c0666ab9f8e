"""API v2 assets, asset aliases, asset events and queued events: ``client.assets`` (Airflow 3).

Airflow 3 renamed v1's datasets to assets and addresses them by their integer ``id`` (v1: by
URI). The methods keep the names of v1's ``client.datasets`` where the operation means the same.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Unpack

from ..._validate import (
    check_bool,
    check_id,
    check_int,
    check_limit,
    check_order_by,
    check_strings,
    check_text,
    iso,
)
from ...errors import NotFound, UsageError
from ...models import DAGRun
from ...models.assets import Asset, AssetAlias, AssetEvent, AssetQueuedEvent
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, Resource, Segments, older_than, require_given
from ._wire import structure_v2
from .filters import ADDED_ARGUMENTS


def _id_key(item: Asset | AssetAlias | AssetEvent) -> int:
    return item.id


def _asset(asset_id: int) -> tuple[str, int]:
    """``/assets/{asset_id}``."""
    return ("assets", check_int("asset_id", asset_id))


def _texts(**values: str | None) -> dict[str, str | None]:
    """Optional text filters (patterns, ids), each checked to be a string when given."""
    return {name: None if value is None else check_text(name, value) for name, value in values.items()}


def _dates(**values: datetime | None) -> dict[str, str | None]:
    """Optional datetime filters as ISO 8601, checked (timezone-aware) when the call is made."""
    return {name: None if value is None else iso(name, value) for name, value in values.items()}


def _before(before: datetime | None) -> dict[str, str | None]:
    """The ``before`` filter of the queued-event endpoints (events created before it)."""
    return _dates(before=before)


#: The release from which an empty queue of asset events is listed as ``[]`` (3.0: a 404).
EMPTY_QUEUE_LISTED_SINCE = "3.1.0"


class AssetResource(Resource):
    """The asset endpoints of API v2 (``/assets``, ``/assets/aliases``, ``/assets/events``, queued events).

    Queued events are the asset events a DAG scheduled on assets has received and not yet
    consumed: the server queues one per (unpaused DAG, asset) when an event is recorded.
    """

    _structure = staticmethod(structure_v2)  # 3.0 names the scheduled DAGs consuming_dags

    def list(
        self,
        *,
        name_pattern: str | None = None,
        name_prefix_pattern: str | None = None,
        uri_pattern: str | None = None,
        uri_prefix_pattern: str | None = None,
        dag_ids: Sequence[str] | None = None,
        only_active: bool | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[Asset]:
        """List assets.

        ``name_pattern``/``uri_pattern`` match a case-insensitive substring, the ``*_prefix_pattern``
        ones a case-sensitive prefix; ``dag_ids`` keeps the assets those DAGs consume or produce;
        ``only_active=False`` includes assets no parsed DAG declares any more (the server's
        default is True). ``order_by``: ``id``, ``name``, ``uri``, ``created_at``, ``updated_at``,
        ``-`` first for descending, or a list of them. Takes the paging options of
        :class:`~airflow_async.api._base.PageOptions`.
        """
        given = {"name_prefix_pattern": name_prefix_pattern, "uri_prefix_pattern": uri_prefix_pattern}
        require_given(self, "assets.list", given, ADDED_ARGUMENTS["assets.list"])
        return self._paginate(
            ("assets",),
            "assets",
            Asset,
            _id_key,
            params={
                **_texts(
                    name_pattern=name_pattern,
                    name_prefix_pattern=name_prefix_pattern,
                    uri_pattern=uri_pattern,
                    uri_prefix_pattern=uri_prefix_pattern,
                ),
                "dag_ids": check_strings("dag_ids", dag_ids),
                "only_active": None if only_active is None else check_bool("only_active", only_active),
                "order_by": check_order_by(order_by),
            },
            paging=paging,
        )

    async def get(self, asset_id: int) -> Asset:
        """Get one asset by its id, with the DAGs scheduled on it and the tasks producing it.

        Raises:
            NotFound: No asset has this id.
        """
        return await self._one("GET", _asset(asset_id), Asset)

    def aliases(
        self,
        *,
        name_pattern: str | None = None,
        name_prefix_pattern: str | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[AssetAlias]:
        """List asset aliases, optionally those whose name matches (as in :meth:`list`).

        ``order_by``: ``id`` or ``name`` (``-`` first for descending), or a list of them.
        """
        given = {"name_prefix_pattern": name_prefix_pattern}
        require_given(self, "assets.aliases", given, ADDED_ARGUMENTS["assets.aliases"])
        return self._paginate(
            ("assets", "aliases"),
            "asset_aliases",
            AssetAlias,
            _id_key,
            params={
                **_texts(name_pattern=name_pattern, name_prefix_pattern=name_prefix_pattern),
                "order_by": check_order_by(order_by),
            },
            paging=paging,
        )

    async def alias(self, asset_alias_id: int) -> AssetAlias:
        """Get one asset alias by its id.

        Raises:
            NotFound: No alias has this id.
        """
        return await self._one(
            "GET", ("assets", "aliases", check_int("asset_alias_id", asset_alias_id)), AssetAlias
        )

    def events(
        self,
        *,
        asset_id: int | None = None,
        source_dag_id: str | None = None,
        source_task_id: str | None = None,
        source_run_id: str | None = None,
        source_map_index: int | None = None,
        name_pattern: str | None = None,
        name_prefix_pattern: str | None = None,
        timestamp_gte: datetime | None = None,
        timestamp_gt: datetime | None = None,
        timestamp_lte: datetime | None = None,
        timestamp_lt: datetime | None = None,
        order_by: str | builtins.list[str] | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[AssetEvent]:
        """List asset events, optionally of one asset, one source, or a time range.

        ``name_pattern``/``name_prefix_pattern`` match the asset's name (as in :meth:`list`).
        ``order_by``: ``timestamp`` (the server's default), ``source_dag_id``, ``source_task_id``,
        ``source_run_id``, ``source_map_index``, ``-`` first for descending, or a list of them.
        """
        check_limit("asset_id", asset_id, minimum=1)
        check_limit("source_map_index", source_map_index, minimum=-1)
        given = {
            "timestamp_gt": timestamp_gt,
            "timestamp_lt": timestamp_lt,
            "name_pattern": name_pattern,
            "name_prefix_pattern": name_prefix_pattern,
        }
        require_given(self, "assets.events", given, ADDED_ARGUMENTS["assets.events"])
        return self._paginate(
            ("assets", "events"),
            "asset_events",
            AssetEvent,
            _id_key,
            params={
                "asset_id": asset_id,
                **_texts(
                    source_dag_id=source_dag_id,
                    source_task_id=source_task_id,
                    source_run_id=source_run_id,
                    name_pattern=name_pattern,
                    name_prefix_pattern=name_prefix_pattern,
                ),
                "source_map_index": source_map_index,
                **_dates(
                    timestamp_gte=timestamp_gte,
                    timestamp_gt=timestamp_gt,
                    timestamp_lte=timestamp_lte,
                    timestamp_lt=timestamp_lt,
                ),
                "order_by": check_order_by(order_by),
            },
            paging=paging,
        )

    async def create_event(
        self,
        asset_id: int,
        *,
        extra: Mapping[str, Any] | None = None,
        partition_key: str | None = None,
    ) -> AssetEvent:
        """Record an update of an asset, as a producing task would; DAGs scheduled on it react.

        The server adds ``"from_rest_api": true`` to ``extra``. The event is queued for the
        *unpaused* DAGs scheduled on the asset only (see :meth:`dag_queued_events`).

        Not retried once it may have reached the server (a repeat would record a second event).

        Raises:
            NotFound: No asset has this id.
        """
        body: dict[str, Any] = {"asset_id": check_int("asset_id", asset_id)}
        if extra is not None:
            if not isinstance(extra, Mapping):
                raise UsageError(f"extra must be a dict, got {type(extra).__name__}")
            body["extra"] = dict(extra)
        if partition_key is not None:
            require_given(
                self,
                "assets.create_event",
                {"partition_key": partition_key},
                ADDED_ARGUMENTS["assets.create_event"],
            )
            body["partition_key"] = check_id("partition_key", partition_key)
        return await self._one("POST", ("assets", "events"), AssetEvent, json=body)

    async def materialize(
        self,
        asset_id: int,
        *,
        dag_run_id: str | None = None,
        logical_date: datetime | None = None,
        run_after: datetime | None = None,
        data_interval_start: datetime | None = None,
        data_interval_end: datetime | None = None,
        conf: Mapping[str, Any] | None = None,
        note: str | None = None,
        partition_key: str | None = None,
    ) -> DAGRun:
        """Create a run of the one DAG that produces the asset (run type ``asset_materialization``).

        Every keyword is optional, as for ``dag_runs.trigger``; the server generates the run id.
        Not retried once it may have reached the server.

        Raises:
            NotFound: No DAG produces the asset (or no asset has this id).
            Conflict: More than one DAG produces it.
            BadRequest: The DAG does not allow materialization runs, or ``conf`` fails its params.
        """
        if conf is not None and not isinstance(conf, Mapping):
            raise UsageError(f"conf must be a dict, got {type(conf).__name__}")
        body: dict[str, Any] = {
            **({} if dag_run_id is None else {"dag_run_id": check_id("dag_run_id", dag_run_id)}),
            **_dates(
                logical_date=logical_date,
                run_after=run_after,
                data_interval_start=data_interval_start,
                data_interval_end=data_interval_end,
            ),
            "conf": None if conf is None else dict(conf),
            **_texts(note=note),
            "partition_key": None if partition_key is None else check_id("partition_key", partition_key),
        }
        sent = {k: v for k, v in body.items() if v is not None}
        require_given(self, "assets.materialize", sent, ADDED_ARGUMENTS["assets.materialize"])
        return await self._one("POST", (*_asset(asset_id), "materialize"), DAGRun, json=sent)

    async def queued_events(
        self, asset_id: int, *, before: datetime | None = None
    ) -> builtins.list[AssetQueuedEvent]:
        """The queued events of an asset, one per DAG waiting on it (an empty list if none).

        ``before`` keeps those queued before that time.
        """
        return await self._queued((*_asset(asset_id), "queuedEvents"), before)

    async def delete_queued_events(self, asset_id: int, *, before: datetime | None = None) -> None:
        """Delete the queued events of an asset (those queued before ``before``, if given).

        Raises:
            NotFound: None was queued.
        """
        await self._call("DELETE", (*_asset(asset_id), "queuedEvents"), params=_before(before))

    async def dag_queued_events(
        self, dag_id: str, *, before: datetime | None = None
    ) -> builtins.list[AssetQueuedEvent]:
        """The queued events a DAG waits on, one per asset (an empty list if none)."""
        return await self._queued((*paths.dag(dag_id), "assets", "queuedEvents"), before)

    async def dag_queued_event(
        self, dag_id: str, asset_id: int, *, before: datetime | None = None
    ) -> AssetQueuedEvent:
        """The queued event of one asset for one DAG.

        Raises:
            NotFound: None is queued.
        """
        return await self._one(
            "GET", self._dag_asset_queue(dag_id, asset_id), AssetQueuedEvent, params=_before(before)
        )

    async def delete_dag_queued_events(self, dag_id: str, *, before: datetime | None = None) -> None:
        """Delete the queued events of a DAG (those queued before ``before``, if given).

        Raises:
            NotFound: None was queued.
        """
        await self._call("DELETE", (*paths.dag(dag_id), "assets", "queuedEvents"), params=_before(before))

    async def delete_dag_queued_event(
        self, dag_id: str, asset_id: int, *, before: datetime | None = None
    ) -> None:
        """Delete the queued event of one asset for one DAG.

        Raises:
            NotFound: None was queued.
        """
        await self._call("DELETE", self._dag_asset_queue(dag_id, asset_id), params=_before(before))

    @staticmethod
    def _dag_asset_queue(dag_id: str, asset_id: int) -> tuple[str | int, ...]:
        """``/dags/{dag_id}/assets/{asset_id}/queuedEvents``."""
        return (*paths.dag(dag_id), *_asset(asset_id), "queuedEvents")

    async def _queued(self, segments: Segments, before: datetime | None) -> builtins.list[AssetQueuedEvent]:
        # The server returns the whole collection: it takes no limit or offset here.
        try:
            items, _ = await self._items(
                "GET", segments, "queued_events", AssetQueuedEvent, params=_before(before)
            )
        except NotFound:
            if not older_than(self, EMPTY_QUEUE_LISTED_SINCE):
                raise
            return []  # 3.0 answers an empty queue with 404 "Queue event ... was not found"
        return items
