"""What the DAG resources of both API versions share: get, details, pause, delete, tasks.

Their paths and bodies are the same on v1 and v2; each version adds its listing and the
operations only it has.
"""

from __future__ import annotations

import builtins

from .._validate import check_bool, check_id
from ..models import DAG, DAGDetail, Task
from . import paths
from ._base import Resource

__all__ = ["DAGCommon", "dag_key"]


def dag_key(d: DAG) -> str:
    """What identifies a DAG in a listing, for dedupe."""
    return d.dag_id


class DAGCommon(Resource):
    """The DAG operations that are the same on both API versions."""

    async def get(self, dag_id: str) -> DAG:
        """Get one DAG."""
        return await self._one("GET", paths.dag(dag_id), DAG)

    async def details(self, dag_id: str) -> DAGDetail:
        """Get one DAG with its details (timezone, params, start date, doc...)."""
        return await self._one("GET", (*paths.dag(dag_id), "details"), DAGDetail)

    async def update(self, dag_id: str, *, is_paused: bool) -> DAG:
        """Update a DAG: ``is_paused`` is the only field the v1 API lets a client change.

        Setting a flag to a value is safe to repeat, so this PATCH is retried.
        """
        check_bool("is_paused", is_paused)
        return await self._one(
            "PATCH",
            paths.dag(dag_id),
            DAG,
            params={"update_mask": "is_paused"},
            json={"is_paused": is_paused},
            idempotent=True,
        )

    async def pause(self, dag_id: str) -> DAG:
        """Pause a DAG (``PATCH`` with ``update_mask=is_paused``)."""
        return await self.update(dag_id, is_paused=True)

    async def unpause(self, dag_id: str) -> DAG:
        """Unpause a DAG."""
        return await self.update(dag_id, is_paused=False)

    async def delete(self, dag_id: str) -> None:
        """Delete a DAG and all its metadata (runs, task instances, XComs...).

        The DAG comes back if its file is still in the DAGs folder when the scheduler parses it.

        Raises:
            NotFound: No such DAG.
            Conflict: Task instances of the DAG are running.
        """
        await self._call("DELETE", paths.dag(dag_id))

    async def tasks(self, dag_id: str, *, order_by: str | None = None) -> builtins.list[Task]:
        """The tasks of a DAG (the whole list, the endpoint does not page)."""
        items, _ = await self._items(
            "GET", (*paths.dag(dag_id), "tasks"), "tasks", Task, params={"order_by": order_by}
        )
        return items

    async def task(self, dag_id: str, task_id: str) -> Task:
        """One task of a DAG."""
        return await self._one("GET", (*paths.dag(dag_id), "tasks", check_id("task_id", task_id)), Task)
