"""Datasets, dataset events and queued events: ``client.datasets``."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Unpack

from ..._validate import check_id, check_limit, check_strings
from ...errors import UsageError
from ...models.v1 import Dataset, DatasetEvent, QueuedEvent
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, Resource


def _dataset_key(d: Dataset) -> str:
    return d.uri


def _event_key(e: DatasetEvent) -> tuple[str, str, str, str]:
    when = e.timestamp.isoformat() if e.timestamp else ""
    return (e.dataset_uri, when, e.source_run_id or "", e.source_task_id or "")


class DatasetResource(Resource):
    """The dataset endpoints (``/datasets``, ``/datasets/events``, ``.../queuedEvent``).

    Dataset URIs go in the URL path percent-encoded (``/`` and ``:`` included), which the
    server decodes.
    """

    def list(
        self,
        *,
        uri_pattern: str | None = None,
        dag_ids: Sequence[str] | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[Dataset]:
        """List datasets, optionally those whose URI contains ``uri_pattern``, or used by ``dag_ids``."""
        ids = check_strings("dag_ids", dag_ids)
        return self._paginate(
            ("datasets",),
            "datasets",
            Dataset,
            _dataset_key,
            params={
                "uri_pattern": uri_pattern,
                "dag_ids": ",".join(ids) if ids else None,
                "order_by": order_by,
            },
            paging=paging,
        )

    async def get(self, uri: str) -> Dataset:
        """Get one dataset by its URI."""
        return await self._one("GET", ("datasets", check_id("uri", uri)), Dataset)

    def events(
        self,
        *,
        dataset_id: int | None = None,
        source_dag_id: str | None = None,
        source_task_id: str | None = None,
        source_run_id: str | None = None,
        source_map_index: int | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[DatasetEvent]:
        """List dataset events, optionally of one dataset (by its numeric ``id``) or one source."""
        check_limit("dataset_id", dataset_id, minimum=1)
        check_limit("source_map_index", source_map_index, minimum=-1)
        return self._paginate(
            ("datasets", "events"),
            "dataset_events",
            DatasetEvent,
            _event_key,
            params={
                "dataset_id": dataset_id,
                "source_dag_id": source_dag_id,
                "source_task_id": source_task_id,
                "source_run_id": source_run_id,
                "source_map_index": source_map_index,
                "order_by": order_by,
            },
            paging=paging,
        )

    async def create_event(self, uri: str, *, extra: Mapping[str, Any] | None = None) -> DatasetEvent:
        """Record an update of a dataset, as a producing task would; DAGs scheduled on it react.

        The event is queued for the *unpaused* DAGs scheduled on the dataset only (a DAG waiting
        on several datasets keeps it in its queued events until all of them are updated).

        Not retried once it may have reached the server (a repeat would record a second event).

        Raises:
            NotFound: No dataset has this URI (datasets come from parsed DAGs).
        """
        body: dict[str, Any] = {"dataset_uri": check_id("uri", uri)}
        if extra is not None:
            if not isinstance(extra, Mapping):
                raise UsageError(f"extra must be a dict, got {type(extra).__name__}")
            body["extra"] = dict(extra)
        return await self._one("POST", ("datasets", "events"), DatasetEvent, json=body)

    async def queued_events(self, uri: str, *, before: datetime | None = None) -> builtins.list[QueuedEvent]:
        """The queued events of a dataset, one per DAG waiting on it.

        Raises:
            NotFound: None is queued (the server answers 404, not an empty list).
        """
        return await self._queued(("datasets", "queuedEvent", check_id("uri", uri)), before)

    async def delete_queued_events(self, uri: str, *, before: datetime | None = None) -> None:
        """Delete the queued events of a dataset (those created before ``before``, if given).

        Raises:
            NotFound: None was queued.
        """
        await self._call(
            "DELETE", ("datasets", "queuedEvent", check_id("uri", uri)), params={"before": before}
        )

    async def dag_queued_events(
        self, dag_id: str, *, before: datetime | None = None
    ) -> builtins.list[QueuedEvent]:
        """The queued events a DAG waits on.

        Raises:
            NotFound: None is queued for this DAG.
        """
        return await self._queued((*paths.dag(dag_id), "datasets", "queuedEvent"), before)

    async def dag_queued_event(self, dag_id: str, uri: str, *, before: datetime | None = None) -> QueuedEvent:
        """The queued event of one dataset for one DAG.

        Raises:
            NotFound: None is queued.
        """
        return await self._one(
            "GET",
            (*paths.dag(dag_id), "datasets", "queuedEvent", check_id("uri", uri)),
            QueuedEvent,
            params={"before": before},
        )

    async def delete_dag_queued_events(self, dag_id: str, *, before: datetime | None = None) -> None:
        """Delete the queued events of a DAG.

        Raises:
            NotFound: None was queued.
        """
        await self._call(
            "DELETE",
            (*paths.dag(dag_id), "datasets", "queuedEvent"),
            params={"before": before},
        )

    async def delete_dag_queued_event(self, dag_id: str, uri: str, *, before: datetime | None = None) -> None:
        """Delete the queued event of one dataset for one DAG.

        Raises:
            NotFound: None was queued.
        """
        await self._call(
            "DELETE",
            (*paths.dag(dag_id), "datasets", "queuedEvent", check_id("uri", uri)),
            params={"before": before},
        )

    async def _queued(self, segments: tuple[str, ...], before: datetime | None) -> builtins.list[QueuedEvent]:
        # The 2.11 server lists them under "queued_events"; its spec says "datasets".
        items, _ = await self._items(
            "GET", segments, ("queued_events", "datasets"), QueuedEvent, params={"before": before}
        )
        return items
