"""API v2 XCom entries: ``client.xcom`` on Airflow 3."""

from __future__ import annotations

from typing import Any

from ..._validate import check_id, check_map_index
from ...harvest import HarvestStats, RunIds
from ...models import XCom
from .. import paths
from .._base import since
from .._xcom import XComHarvesting
from ._wire import structure_v2


class XComResource(XComHarvesting):
    """The XCom endpoints of API v2: list, fetch and harvest as on v1, plus create, update, delete.

    v2 listings carry each entry's run id, so a harvest needs no DAG-run listing.
    """

    _structure = staticmethod(structure_v2)
    # 3.0 routes ``.../xcomEntries/{xcom_key}`` as one path segment: a key with '/' is a 404.
    _slash_keys_since = "3.1.0"

    def run_ids(self, dag_id: str, stats: HarvestStats) -> RunIds | None:
        """v2 entries carry their run id: nothing to look up."""
        return None

    async def create(
        self, dag_id: str, dag_run_id: str, task_id: str, key: str, value: Any, *, map_index: int = -1
    ) -> XCom:
        """Create an XCom entry (``POST``; not retried once it may have reached the server).

        Raises:
            Conflict: An entry with this key exists for the task instance.
        """
        check_map_index(map_index)
        body = {"key": check_id("key", key), "value": value, "map_index": map_index}
        return await self._one("POST", paths.xcom_entries(dag_id, dag_run_id, task_id), XCom, json=body)

    async def update(
        self, dag_id: str, dag_run_id: str, task_id: str, key: str, value: Any, *, map_index: int = -1
    ) -> XCom:
        """Replace the value of an XCom entry (``PATCH``; setting a value is safe to repeat).

        Raises:
            NotSupportedByServer: A ``key`` containing ``/`` on Airflow 3.0 (it cannot route one).
        """
        check_map_index(map_index)
        self._check_key_route("xcom.update", key)
        return await self._one(
            "PATCH",
            (*paths.xcom_entries(dag_id, dag_run_id, task_id), check_id("key", key)),
            XCom,
            json={"value": value, "map_index": map_index},
            idempotent=True,
        )

    @since("3.2.0")
    async def delete(
        self, dag_id: str, dag_run_id: str, task_id: str, key: str, *, map_index: int = -1
    ) -> None:
        """Delete an XCom entry."""
        check_map_index(map_index)
        await self._call(
            "DELETE",
            (*paths.xcom_entries(dag_id, dag_run_id, task_id), check_id("key", key)),
            params={"map_index": map_index},
        )
