"""The audit log: ``client.event_logs``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Unpack

from ..._validate import check_int, check_limit, check_strings
from ...models import EventLog
from ...pagination import Paginator
from .._base import PageOptions, Resource


def _log_key(e: EventLog) -> int:
    return e.event_log_id


class EventLogResource(Resource):
    """The event log endpoints (``/eventLogs``): who did what, when."""

    def list(
        self,
        *,
        dag_id: str | None = None,
        task_id: str | None = None,
        run_id: str | None = None,
        map_index: int | None = None,
        try_number: int | None = None,
        event: str | None = None,
        owner: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
        included_events: Sequence[str] | None = None,
        excluded_events: Sequence[str] | None = None,
        order_by: str | None = None,
        **paging: Unpack[PageOptions],
    ) -> Paginator[EventLog]:
        """List event log entries; the filters combine with AND.

        ``included_events`` / ``excluded_events`` keep or drop entries by event name.
        The log grows while it is read: pass ``order_by="-event_log_id"`` for the newest first.
        """
        check_limit("map_index", map_index, minimum=-1)
        check_limit("try_number", try_number, minimum=0)
        included = check_strings("included_events", included_events)
        excluded = check_strings("excluded_events", excluded_events)
        return self._paginate(
            ("eventLogs",),
            "event_logs",
            EventLog,
            _log_key,
            params={
                "dag_id": dag_id,
                "task_id": task_id,
                "run_id": run_id,
                "map_index": map_index,
                "try_number": try_number,
                "event": event,
                "owner": owner,
                "before": before,
                "after": after,
                "included_events": ",".join(included) if included else None,
                "excluded_events": ",".join(excluded) if excluded else None,
                "order_by": order_by,
            },
            paging=paging,
        )

    async def get(self, event_log_id: int) -> EventLog:
        """Get one event log entry."""
        return await self._one("GET", ("eventLogs", check_int("event_log_id", event_log_id)), EventLog)
