"""Models of API v2 only: human-in-the-loop details, state-store entries, structured task logs.

* :class:`HITLDetail` (and :class:`HITLDetailTry` for one try): what a human-in-the-loop task
  asks (its options, subject, params) and, once answered, the response; :class:`HITLResponse`
  is what ``hitl.respond`` returns.
* :class:`StateStoreEntry`: one key of a task instance's or an asset's state store (3.3+).
* :class:`StructuredTaskLog` and :class:`TaskLogEvent`: a v2 task log. Airflow 3 sends a log as
  a list of events (``{"timestamp", "event", "level", "logger", ...}``), not v1's one text, so
  the shared :class:`~airflow_async.models.TaskLog` (whose ``content`` is a string) cannot hold
  it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._convert import parse_datetime
from .task_instances import TaskInstance, TaskInstanceHistory

__all__ = [
    "HITLDetail",
    "HITLDetailTry",
    "HITLResponse",
    "HITLUser",
    "StateStoreEntry",
    "StateStoreWriter",
    "StructuredTaskLog",
    "TaskLogEvent",
]


@attrs.frozen(kw_only=True)
class HITLUser:
    """A user a human-in-the-loop task is assigned to, or who responded to it."""

    id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class _HITLFields:
    """What a human-in-the-loop detail and each of its tries share: the request and the response."""

    options: list[str] = attrs.field(factory=list)
    subject: str | None = None
    body: str | None = None
    defaults: list[str] | None = None
    multiple: bool = False
    #: ``{name: {"value", "description", "schema"}}``: the form the respondent fills in.
    params: dict[str, Any] = attrs.field(factory=dict)
    assigned_users: list[HITLUser] = attrs.field(factory=list)
    created_at: datetime | None = None
    responded_by_user: HITLUser | None = None
    responded_at: datetime | None = None
    chosen_options: list[str] | None = None
    params_input: dict[str, Any] = attrs.field(factory=dict)
    response_received: bool = False


@attrs.frozen(kw_only=True)
class HITLDetail(_HITLFields):
    """The human-in-the-loop detail of a task instance (its latest try)."""

    task_instance: TaskInstance | None = None


@attrs.frozen(kw_only=True)
class HITLDetailTry(_HITLFields):
    """The human-in-the-loop detail of one try of a task instance (Airflow 3.2+)."""

    task_instance: TaskInstanceHistory | None = None


@attrs.frozen(kw_only=True)
class HITLResponse:
    """What the server recorded when a human-in-the-loop detail was answered."""

    chosen_options: list[str] = attrs.field(factory=list)
    params_input: dict[str, Any] = attrs.field(factory=dict)
    responded_by: HITLUser | None = None
    responded_at: datetime | None = None


@attrs.frozen(kw_only=True)
class StateStoreWriter:
    """Who last wrote an asset state-store key (``kind``: ``"api"``, ``"task"``...; the task's ids)."""

    kind: str | None = None
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    map_index: int | None = None


@attrs.frozen(kw_only=True)
class StateStoreEntry:
    """One key of a state store and its JSON value (Airflow 3.3+).

    ``expires_at`` is sent for a task instance's keys (``None``: the key never expires);
    ``last_updated_by`` for an asset's keys (``None`` when the server recorded no writer).
    """

    key: str
    value: Any = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None  # task state store only
    last_updated_by: StateStoreWriter | None = None  # asset state store only


#: The keys of a log event that :class:`TaskLogEvent` has a field for.
_EVENT_FIELDS = ("timestamp", "event", "level", "logger")


@attrs.frozen(kw_only=True)
class TaskLogEvent:
    """One event of a structured task log.

    Attributes:
        event: The message.
        timestamp: When it was logged (``None`` for the lines the log reader adds itself, such
            as ``::group::`` markers and "could not read the log" notices).
        level: ``"info"``, ``"warning"``, ``"error"``... (``None`` when not sent).
        logger: The logger's name.
        fields: Every other key the event carried (``chan``, ``filename``, ``lineno``...).
    """

    event: str
    timestamp: datetime | None = None
    level: str | None = None
    logger: str | None = None
    fields: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_json(cls, raw: Any) -> TaskLogEvent:
        """Build an event from one item of a log's ``content`` (a plain line becomes its ``event``)."""
        if not isinstance(raw, dict):
            return cls(event=str(raw))
        stamp = raw.get("timestamp")
        level, logger = raw.get("level"), raw.get("logger")
        return cls(
            event=str(raw.get("event", "")),
            timestamp=parse_datetime(stamp) if isinstance(stamp, str) and stamp else None,
            level=level if isinstance(level, str) else None,
            logger=logger if isinstance(logger, str) else None,
            fields={k: v for k, v in raw.items() if k not in _EVENT_FIELDS},
        )

    @property
    def line(self) -> str:
        """The event as one readable line: ``[timestamp] LEVEL logger - event``, parts it lacks left out."""
        head = [
            f"[{self.timestamp.isoformat()}]" if self.timestamp else "",
            self.level.upper() if self.level else "",
            self.logger or "",
        ]
        prefix = " ".join(part for part in head if part)
        return f"{prefix} - {self.event}" if prefix else self.event


@attrs.frozen(kw_only=True)
class StructuredTaskLog:
    """A chunk of a task instance's log as API v2 sends it (``GET .../logs/{try_number}``).

    ``content`` is what the server sent: a list of event objects, or a list of plain lines when
    the server could not parse the log. Read :attr:`events` for the events as models and
    :attr:`text` for the log as text. Pass ``continuation_token`` back as ``token`` to read on
    from where this chunk ended (``None``: the log is complete).
    """

    content: list[Any] = attrs.field(factory=list)
    continuation_token: str | None = None

    @property
    def events(self) -> list[TaskLogEvent]:
        """The events of this chunk, in order."""
        return [TaskLogEvent.from_json(raw) for raw in self.content]

    @property
    def text(self) -> str:
        """The log as text: one line per event (see :attr:`TaskLogEvent.line`)."""
        return "\n".join(event.line for event in self.events)
