"""What the DAG resources of both API versions share: get, details, pause, delete, tasks.

Their paths and bodies are the same on v1 and v2; each version adds its listing and the
operations only it has. The clear of task instances has one body on both versions, which each
extends with the fields only it takes (:func:`clear_body`).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from .._validate import check_bool, check_id, iso
from ..models import DAG, DAGDetail, Task
from . import paths
from ._base import Resource, split_options

__all__ = ["DAGCommon", "RelatedTasks", "clear_body", "dag_key", "relatives"]

T = TypeVar("T")


class RelatedTasks(TypedDict, total=False):
    """Which relatives of the chosen task instances a clear or a state change also touches.

    Each is False unless given.

    Attributes:
        include_upstream: Also the upstream tasks.
        include_downstream: Also the downstream tasks.
        include_future: Also later runs.
        include_past: Also earlier runs.
    """

    include_upstream: bool
    include_downstream: bool
    include_future: bool
    include_past: bool


_RELATIVES = ("include_upstream", "include_downstream", "include_future", "include_past")


def relatives(given: RelatedTasks, where: str) -> dict[str, bool]:
    """The four ``include_*`` flags of a body, each False unless given; an unknown one is refused."""
    split_options(given, RelatedTasks, where)
    flags: Mapping[str, Any] = given
    return {name: check_bool(name, flags.get(name, False)) for name in _RELATIVES}


def clear_body(
    *,
    dry_run: bool,
    dag_run_id: str | None,
    start_date: datetime | None,
    end_date: datetime | None,
    only_failed: bool,
    only_running: bool,
    related: RelatedTasks,
) -> dict[str, Any]:
    """The body of ``POST /dags/{dag_id}/clearTaskInstances`` that both versions take."""
    body: dict[str, Any] = {
        "dry_run": check_bool("dry_run", dry_run),
        "only_failed": check_bool("only_failed", only_failed),
        "only_running": check_bool("only_running", only_running),
        **relatives(related, "dags.clear_task_instances"),
    }
    if dag_run_id is not None:
        body["dag_run_id"] = check_id("dag_run_id", dag_run_id)
    if start_date is not None:
        body["start_date"] = iso("start_date", start_date)
    if end_date is not None:
        body["end_date"] = iso("end_date", end_date)
    return body


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

    async def _clear(self, dag_id: str, body: dict[str, Any], model: type[T]) -> builtins.list[T]:
        """Send a clear of task instances; a dry run changes nothing, so only it is retried."""
        items, _ = await self._items(
            "POST",
            (*paths.dag(dag_id), "clearTaskInstances"),
            "task_instances",
            model,
            json=body,
            idempotent=bool(body["dry_run"]),
        )
        return items
