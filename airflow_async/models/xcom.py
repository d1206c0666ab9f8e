"""XCom entries, as listings show them, and with their values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = ["XCom", "XComEntry"]


@attrs.frozen(kw_only=True)
class XComEntry:
    """One row of an XCom listing (no value: listings do not carry values).

    v1 listings carry no run id; the harvest fills ``dag_run_id`` from the DAG
    runs it listed, and v2 listings carry it (as ``run_id`` on the wire). v1 sends the
    run's date as ``execution_date``; :attr:`logical_date` holds it on either version.
    """

    dag_id: str
    task_id: str
    key: str
    execution_date: datetime | None = None  # v1 only
    map_index: int = -1
    timestamp: datetime | None = None
    dag_run_id: str | None = None
    #: The logical date of the entry's DAG run (v2 sends it; on v1 it is ``execution_date``).
    logical_date: datetime | None = None
    run_after: datetime | None = None  # v2 only

    def __attrs_post_init__(self) -> None:
        if self.logical_date is None and self.execution_date is not None:
            object.__setattr__(self, "logical_date", self.execution_date)

    @property
    def natural_key(self) -> tuple[str, str, str, int, str]:
        """What identifies the entry on the server: dag, run (or date), task, map index, key."""
        run = self.dag_run_id or (self.execution_date.isoformat() if self.execution_date else "")
        return (self.dag_id, run, self.task_id, self.map_index, self.key)


@attrs.frozen(kw_only=True)
class XCom(XComEntry):
    """An XCom entry with its value.

    ``value`` is what the server sent: with ``stringify=True`` (the v1 server's
    default) a Python-repr string; with ``stringify=False`` the JSON value.
    """

    value: Any = None
