"""API v2 state stores (3.3+): ``client.task_state_store`` and ``client.asset_state_store``.

A state store is a small key/value store of JSON values kept by the server for one task
instance (``.../taskInstances/{task_id}/state-store``) or one asset
(``/assets/{asset_id}/state-store``). Both speak the same verbs, written once in
:class:`StateStoreVerbs`; the two groups only say where their store lives.

What the 3.3.2 server does (read from its routes):

* ``set`` (``PUT``) creates or overwrites a key. A task key takes ``expires_at``: ``"default"``
  (the server's ``[state_store] default_retention_days`` from now, or never when that is 0), an
  aware datetime, or ``None`` (never). Asset keys do not expire.
* ``update`` (``PATCH``, task store only) replaces the value of an existing key and keeps its
  expiry; a missing key is :class:`~airflow_async.errors.NotFound`.
* ``get`` of a missing key is ``NotFound``; ``delete`` of a missing key is not an error.
* A value is any JSON value but ``null`` (``None`` is refused here, as the server refuses it).
* Setting a task instance's state to ``success`` clears its store only where the server sets
  ``[state_store] clear_on_success`` (off by default: the keys stay).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Unpack

from ..._http import QueryValue
from ..._validate import check_bool, check_id, check_int, check_map_index, iso
from ...errors import UsageError
from ...models import StateStoreEntry
from ...pagination import Paginator
from .. import paths
from .._base import PageOptions, Resource, Segments, since

__all__ = ["AssetStateStoreResource", "StateStoreVerbs", "TaskStateStoreResource"]

#: ``expires_at`` of a task key: when it expires, never (``None``), or the server's default.
ExpiresAt = datetime | None | Literal["default"]


def _value(value: Any) -> Any:
    if value is None:
        raise UsageError(
            "value cannot be None: a state-store value is any JSON value but null; delete the key instead"
        )
    return value


def _expiry(expires_at: ExpiresAt) -> str | None:
    if expires_at is None or (isinstance(expires_at, str) and expires_at == "default"):
        return expires_at
    if not isinstance(expires_at, datetime):
        raise UsageError(
            f"expires_at takes 'default', None (never expires) or an aware datetime, got {expires_at!r}"
        )
    return iso("expires_at", expires_at)


class StateStoreVerbs(Resource):
    """The verbs both state stores share, on a store's path (``segments``) and query (``params``)."""

    #: The key under which the store's listing puts its entries.
    _items_key: str = ""

    def _entries(
        self, segments: Segments, params: Mapping[str, QueryValue], paging: PageOptions
    ) -> Paginator[StateStoreEntry]:
        return self._paginate(
            segments, self._items_key, StateStoreEntry, lambda e: e.key, params=params, paging=paging
        )

    async def _get(self, segments: Segments, key: str, params: Mapping[str, QueryValue]) -> StateStoreEntry:
        return await self._one("GET", [*segments, check_id("key", key)], StateStoreEntry, params=params)

    async def _write(
        self,
        method: str,
        segments: Segments,
        key: str,
        body: dict[str, Any],
        params: Mapping[str, QueryValue],
    ) -> None:
        # Both PUT (set) and PATCH (update) write a value: repeating either leaves the same state.
        await self._call(method, [*segments, check_id("key", key)], params=params, json=body, idempotent=True)

    async def _delete(self, segments: Segments, key: str, params: Mapping[str, QueryValue]) -> None:
        await self._call("DELETE", [*segments, check_id("key", key)], params=params)

    async def _clear(self, segments: Segments, params: Mapping[str, QueryValue]) -> None:
        await self._call("DELETE", segments, params=params)


class TaskStateStoreResource(StateStoreVerbs):
    """The key/value state store of a task instance (``.../taskInstances/{task_id}/state-store``).

    Every method addresses the task instance by ``dag_id``, ``dag_run_id``, ``task_id`` and
    ``map_index`` (-1, the default, for an unmapped task). Writes answer
    :class:`~airflow_async.errors.NotFound` when the task instance does not exist; ``list`` and
    ``get`` do not check it (an unknown task instance lists nothing).
    """

    _items_key = "task_state_store"

    @staticmethod
    def _where(
        dag_id: str, dag_run_id: str, task_id: str, map_index: int
    ) -> tuple[list[str], dict[str, Any]]:
        check_map_index(map_index)
        segments = [*paths.task_instance(dag_id, dag_run_id, task_id), "state-store"]
        return segments, {"map_index": map_index}

    @since("3.3.0")
    def list(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        map_index: int = -1,
        **paging: Unpack[PageOptions],
    ) -> Paginator[StateStoreEntry]:
        """List the keys of a task instance's store, in key order, with their values."""
        segments, params = self._where(dag_id, dag_run_id, task_id, map_index)
        return self._entries(segments, params, paging)

    @since("3.3.0")
    async def get(
        self, dag_id: str, dag_run_id: str, task_id: str, key: str, *, map_index: int = -1
    ) -> StateStoreEntry:
        """Get one key and its value.

        Raises:
            NotFound: The key is not in the store.
        """
        segments, params = self._where(dag_id, dag_run_id, task_id, map_index)
        return await self._get(segments, key, params)

    @since("3.3.0")
    async def set(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        key: str,
        value: Any,
        *,
        map_index: int = -1,
        expires_at: ExpiresAt = "default",
    ) -> None:
        """Create or overwrite a key (``PUT``).

        Args:
            dag_id, dag_run_id, task_id, map_index: The task instance.
            key: The key (any non-empty string; ``/`` included).
            value: Any JSON value but ``None``.
            expires_at: ``"default"`` (the server's ``[state_store] default_retention_days``),
                an aware datetime, or ``None`` for a key that never expires.

        Raises:
            NotFound: No such task instance.
        """
        segments, params = self._where(dag_id, dag_run_id, task_id, map_index)
        await self._write(
            "PUT", segments, key, {"value": _value(value), "expires_at": _expiry(expires_at)}, params
        )

    @since("3.3.0")
    async def update(
        self, dag_id: str, dag_run_id: str, task_id: str, key: str, value: Any, *, map_index: int = -1
    ) -> None:
        """Replace the value of an existing key (``PATCH``), keeping its expiry.

        Raises:
            NotFound: The key (or the task instance) does not exist; use :meth:`set` to create it.
        """
        segments, params = self._where(dag_id, dag_run_id, task_id, map_index)
        await self._write("PATCH", segments, key, {"value": _value(value)}, params)

    @since("3.3.0")
    async def delete(
        self, dag_id: str, dag_run_id: str, task_id: str, key: str, *, map_index: int = -1
    ) -> None:
        """Delete one key; a key that is not there is not an error.

        Raises:
            NotFound: No such task instance.
        """
        segments, params = self._where(dag_id, dag_run_id, task_id, map_index)
        await self._delete(segments, key, params)

    @since("3.3.0")
    async def clear(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        map_index: int = -1,
        all_map_indices: bool = False,
    ) -> None:
        """Delete every key of the task instance's store (of every map index with ``all_map_indices``).

        Raises:
            NotFound: No such task instance.
        """
        segments, params = self._where(dag_id, dag_run_id, task_id, map_index)
        if check_bool("all_map_indices", all_map_indices):
            params["all_map_indices"] = True
        await self._clear(segments, params)


class AssetStateStoreResource(StateStoreVerbs):
    """The key/value state store of an asset (``/assets/{asset_id}/state-store``).

    Every method answers :class:`~airflow_async.errors.NotFound` for an unknown ``asset_id``.
    Asset keys do not expire and have no ``update``: :meth:`set` overwrites.
    """

    _items_key = "asset_state_store"

    @staticmethod
    def _where(asset_id: int) -> tuple[list[str | int], dict[str, Any]]:
        return ["assets", check_int("asset_id", asset_id), "state-store"], {}

    @since("3.3.0")
    def list(self, asset_id: int, **paging: Unpack[PageOptions]) -> Paginator[StateStoreEntry]:
        """List the keys of an asset's store, in key order, with their values and last writers."""
        segments, params = self._where(asset_id)
        return self._entries(segments, params, paging)

    @since("3.3.0")
    async def get(self, asset_id: int, key: str) -> StateStoreEntry:
        """Get one key and its value.

        Raises:
            NotFound: The key is not in the store (or no such asset).
        """
        segments, params = self._where(asset_id)
        return await self._get(segments, key, params)

    @since("3.3.0")
    async def set(self, asset_id: int, key: str, value: Any) -> None:
        """Create or overwrite a key (``PUT``); ``value`` is any JSON value but ``None``."""
        segments, params = self._where(asset_id)
        await self._write("PUT", segments, key, {"value": _value(value)}, params)

    @since("3.3.0")
    async def delete(self, asset_id: int, key: str) -> None:
        """Delete one key; a key that is not there is not an error."""
        segments, params = self._where(asset_id)
        await self._delete(segments, key, params)

    @since("3.3.0")
    async def clear(self, asset_id: int) -> None:
        """Delete every key of the asset's store."""
        segments, params = self._where(asset_id)
        await self._clear(segments, params)
