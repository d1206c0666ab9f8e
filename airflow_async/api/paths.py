"""The paths of the objects that nest under a DAG: the same in API v1 and v2, built once.

Each function checks the ids it is given and returns path segments after the API prefix
(``/api/v1`` or ``/api/v2``); the transport encodes each segment on its own. ``wildcard=True``
accepts ``~`` for "all" where the listing takes it.
"""

from __future__ import annotations

from .._validate import check_id

__all__ = ["dag", "dag_run", "task_instance", "xcom_entries"]


def dag(dag_id: str, *, wildcard: bool = False) -> tuple[str, ...]:
    """``/dags/{dag_id}``."""
    return ("dags", check_id("dag_id", dag_id, wildcard=wildcard))


def dag_run(dag_id: str, dag_run_id: str, *, wildcard: bool = False) -> tuple[str, ...]:
    """``/dags/{dag_id}/dagRuns/{dag_run_id}``."""
    return (*dag(dag_id, wildcard=wildcard), "dagRuns", check_id("dag_run_id", dag_run_id, wildcard=wildcard))


def task_instance(dag_id: str, dag_run_id: str, task_id: str, *, wildcard: bool = False) -> tuple[str, ...]:
    """``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}``."""
    return (
        *dag_run(dag_id, dag_run_id, wildcard=wildcard),
        "taskInstances",
        check_id("task_id", task_id, wildcard=wildcard),
    )


def xcom_entries(dag_id: str, dag_run_id: str, task_id: str, *, wildcard: bool = False) -> tuple[str, ...]:
    """``/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries``."""
    return (*task_instance(dag_id, dag_run_id, task_id, wildcard=wildcard), "xcomEntries")
