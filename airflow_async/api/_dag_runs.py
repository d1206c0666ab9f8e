"""What the DAG-run resources of both API versions share: get, delete, set a state, clear, wait.

The paths and bodies of these are the same on v1 and v2; each version adds its listing, its
trigger body and the operations only it has.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from typing import Literal, overload

from .._validate import check_bool, check_choice
from ..models import DAGRun, TaskInstanceReference
from . import paths
from ._base import Resource

__all__ = ["FINISHED_STATES", "SETTABLE_RUN_STATES", "DAGRunCommon", "run_key"]

#: States in which a DAG run has finished.
FINISHED_STATES = frozenset({"success", "failed"})
#: States ``set_state`` can set.
SETTABLE_RUN_STATES = frozenset({"success", "failed", "queued"})


def run_key(r: DAGRun) -> tuple[str, str]:
    """What identifies a DAG run in a listing, for dedupe."""
    return (r.dag_id, r.dag_run_id)


class DAGRunCommon(Resource):
    """The DAG-run operations that are the same on both API versions."""

    async def get(self, dag_id: str, dag_run_id: str) -> DAGRun:
        """Get one DAG run."""
        return await self._one("GET", paths.dag_run(dag_id, dag_run_id), DAGRun)

    async def delete(self, dag_id: str, dag_run_id: str) -> None:
        """Delete a DAG run."""
        await self._call("DELETE", paths.dag_run(dag_id, dag_run_id))

    async def set_state(self, dag_id: str, dag_run_id: str, state: str) -> DAGRun:
        """Set a DAG run's state: ``"success"``, ``"failed"`` or ``"queued"``.

        ``success`` and ``failed`` also set its unfinished task instances; ``queued`` makes the
        scheduler run it again.
        """
        return await self._one(
            "PATCH",
            paths.dag_run(dag_id, dag_run_id),
            DAGRun,
            json={"state": check_choice("state", state, SETTABLE_RUN_STATES)},
            idempotent=True,  # setting a state to a value
        )

    async def wait(
        self,
        dag_id: str,
        dag_run_id: str,
        *,
        poll_interval: float = 2.0,
        max_wait: float | None = 600.0,
    ) -> DAGRun:
        """Poll a DAG run until it finishes (``success`` or ``failed``) and return it.

        Raises:
            TimeoutError: ``max_wait`` seconds passed first.
        """
        deadline = None if max_wait is None else time.monotonic() + max_wait
        while True:
            run = await self.get(dag_id, dag_run_id)
            if run.state in FINISHED_STATES:
                return run
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"DAG run {dag_id}/{dag_run_id} is still {run.state!r} after {max_wait}s")
            await asyncio.sleep(poll_interval)

    @overload
    async def clear(
        self, dag_id: str, dag_run_id: str, *, dry_run: Literal[True]
    ) -> builtins.list[TaskInstanceReference]: ...

    @overload
    async def clear(self, dag_id: str, dag_run_id: str, *, dry_run: Literal[False]) -> DAGRun: ...

    async def clear(
        self, dag_id: str, dag_run_id: str, *, dry_run: bool
    ) -> DAGRun | builtins.list[TaskInstanceReference]:
        """Clear every task instance of a DAG run, so the scheduler runs it again.

        Args:
            dag_id: The DAG.
            dag_run_id: The run.
            dry_run: Required. ``True`` changes nothing and returns the task instances that
                would be cleared; ``False`` clears them and returns the run. (The v1 spec says
                the server defaults to a dry run; the 2.11 server defaults to clearing.)
        """
        check_bool("dry_run", dry_run)
        segments = (*paths.dag_run(dag_id, dag_run_id), "clear")
        if dry_run:
            # The 2.11 server answers a dry run with task instance references (its spec says
            # full task instances, as v2 sends); the references are what all of them carry.
            items, _ = await self._items(
                "POST",
                segments,
                "task_instances",
                TaskInstanceReference,
                json={"dry_run": True},
                idempotent=True,
            )
            return items
        return await self._one("POST", segments, DAGRun, json={"dry_run": False})
