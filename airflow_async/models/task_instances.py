"""Task instances: the current try, earlier tries, what blocks them, and their logs."""

from __future__ import annotations

import ast
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "TaskDependency",
    "TaskInstance",
    "TaskInstanceHistory",
    "TaskInstanceReference",
    "TaskLog",
]


@attrs.frozen(kw_only=True)
class _TaskInstanceFields:
    """What a task instance and each of its tries share: which one it is, and how the try ran."""

    dag_id: str
    task_id: str
    dag_run_id: str | None = None
    map_index: int = -1
    state: str | None = None
    try_number: int | None = None
    max_tries: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    hostname: str | None = None
    unixname: str | None = None
    operator: str | None = None
    pool: str | None = None
    pool_slots: int | None = None
    queue: str | None = None
    priority_weight: int | None = None
    queued_when: datetime | None = None
    pid: int | None = None
    executor_config: str | None = None
    task_display_name: str | None = None
    executor: str | None = None


@attrs.frozen(kw_only=True)
class TaskInstance(_TaskInstanceFields):
    """A task instance (one task in one DAG run, per map index) as its latest try left it.

    On top of what :class:`TaskInstanceHistory` has: the run's date, the note, the rendered
    fields and the trigger. ``execution_date`` and ``sla_miss`` are sent by v1 only; read
    :attr:`logical_date` to get the run's date on either API version.
    """

    execution_date: datetime | None = None  # v1 only
    note: str | None = None
    rendered_fields: dict[str, Any] | None = None
    rendered_map_index: str | None = None
    sla_miss: dict[str, Any] | None = None  # v1 only
    trigger: dict[str, Any] | None = None
    triggerer_job: dict[str, Any] | None = None

    #: The logical date of the run (v2 sends it, and may send null; on v1 it is ``execution_date``).
    logical_date: datetime | None = None
    run_after: datetime | None = None  # v2 only
    #: v2 only: a UUID that changes on every retry or clear; key task instances on
    #: ``(dag_id, dag_run_id, task_id, map_index)`` instead.
    id: str | None = None
    operator_name: str | None = None  # v2 only
    scheduled_when: datetime | None = None  # v2 only
    dag_display_name: str | None = None  # v2 only
    dag_version: dict[str, Any] | None = None  # v2 only

    def __attrs_post_init__(self) -> None:
        if self.logical_date is None and self.execution_date is not None:
            object.__setattr__(self, "logical_date", self.execution_date)


@attrs.frozen(kw_only=True)
class TaskInstanceHistory(_TaskInstanceFields):
    """One try of a task instance (``.../tries``): the current try or an earlier one."""


@attrs.frozen(kw_only=True)
class TaskInstanceReference:
    """Which task instance a bulk operation touched (or would touch, in a dry run)."""

    dag_id: str
    task_id: str
    dag_run_id: str | None = None
    execution_date: datetime | None = None  # v1 only


@attrs.frozen(kw_only=True)
class TaskLog:
    """A chunk of a task instance's log (``GET .../logs/{try_number}``).

    The v1 server's JSON answer puts the Python ``repr`` of a list of ``(host, text)`` pairs in
    ``content``; :attr:`text` turns it back into the log text. Pass ``continuation_token`` back as
    ``token`` to read on from where this chunk ended.
    """

    content: str = ""
    continuation_token: str | None = None

    @property
    def chunks(self) -> list[tuple[str, str]]:
        """The ``(host, text)`` pairs of the content; one ``("", content)`` if it is plain text."""
        try:
            parsed = ast.literal_eval(self.content)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return [("", self.content)] if self.content else []
        if isinstance(parsed, list | tuple) and all(
            isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in parsed
        ):
            return [(str(host), str(text)) for host, text in parsed]
        return [("", self.content)] if self.content else []

    @property
    def text(self) -> str:
        """The log text, the texts of all hosts joined."""
        return "".join(text for _, text in self.chunks)


@attrs.frozen(kw_only=True)
class TaskDependency:
    """A dependency that keeps a task instance from running, and why."""

    name: str
    reason: str | None = None
