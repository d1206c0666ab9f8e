"""Checks of the arguments a caller passes, shared by every resource and the harvest.

Each check returns the value it was given, so it can stand inline where the value is used,
and raises :class:`~airflow_async.errors.UsageError` with a message that says what was wrong
and what to pass instead. Nothing here knows about API versions or the transport.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Final, Literal

from .errors import UsageError

__all__ = [
    "UNSET",
    "UnsetType",
    "check_bool",
    "check_choice",
    "check_id",
    "check_int",
    "check_limit",
    "check_map_index",
    "check_order_by",
    "check_strings",
    "check_text",
    "given",
    "iso",
    "update_mask",
]


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: "Not given": the default of the keyword arguments of ``update`` methods. A field left
#: ``UNSET`` is neither sent nor named in ``update_mask``, so the server keeps its value;
#: ``None`` is a value (it clears a nullable field such as ``description``).
UNSET: Final = _Unset.UNSET
#: The type of :data:`UNSET`, for annotations: ``str | None | UnsetType``.
UnsetType = Literal[_Unset.UNSET]


def given(**fields: Any) -> dict[str, Any]:
    """The fields whose value is not :data:`UNSET`, in the order given."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def update_mask(fields: Collection[str], *, accepts: str) -> list[str]:
    """The fields an ``update_mask`` names; ``accepts`` words the error when there are none.

    How the mask goes on the wire differs by API version: see
    :meth:`airflow_async.api._base.Resource._update_mask`.
    """
    if not fields:
        raise UsageError(f"nothing to update: pass at least one of {accepts}")
    return list(fields)


def check_id(name: str, value: str, *, wildcard: bool = False) -> str:
    """Check an id or key passed by the caller; ``~`` is accepted only where ``wildcard``."""
    if not isinstance(value, str) or value == "":
        raise UsageError(f"{name} must be a non-empty string, got {value!r}")
    if value == "~" and not wildcard:
        raise UsageError(f"{name} cannot be '~' here: this endpoint needs one object's id")
    return value


def check_limit(name: str, value: int | None, *, minimum: int = 0) -> int | None:
    """Check a count-like argument (``None`` or an int >= ``minimum``)."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
        raise UsageError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_map_index(value: int | None) -> int | None:
    """Check a map index: ``None``, -1 (an unmapped task) or >= 0."""
    return check_limit("map_index", value, minimum=-1)


def check_int(name: str, value: int, *, minimum: int = 1) -> int:
    """Check a required integer id or number (``event_log_id``, ``try_number``...)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise UsageError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_choice(name: str, value: str, choices: Collection[str]) -> str:
    """Check that ``value`` is one of ``choices`` (a state, a mode...)."""
    if value not in choices:
        raise UsageError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_strings(name: str, value: Sequence[str] | None) -> Sequence[str] | None:
    """Check an optional list of strings: not a bare string, not empty (pass ``None`` instead)."""
    if value is None:
        return None
    if isinstance(value, str):
        raise UsageError(f"{name} takes a list of strings, e.g. [{value!r}], not a string")
    if not value:
        raise UsageError(f"{name} is an empty list: pass None for no filter")
    return value


def check_order_by(order_by: str | Sequence[str] | None) -> str | list[str] | None:
    """Check ``order_by``: one key (``"-run_after"``) or a list of keys, each sent as its own value.

    Several keys repeat the query key (Airflow 3.1+; 3.0 takes one).
    """
    if order_by is None or isinstance(order_by, str):
        return None if order_by is None else check_id("order_by", order_by)
    keys = list(check_strings("order_by", order_by) or [])
    return [check_id("order_by", key) for key in keys]


def iso(name: str, value: datetime) -> str:
    """A timezone-aware datetime as the ISO 8601 text a request body carries."""
    if not isinstance(value, datetime):
        raise UsageError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise UsageError(f"{name} needs a timezone, e.g. datetime(..., tzinfo=timezone.utc)")
    return value.isoformat()


def check_bool(name: str, value: bool) -> bool:
    """Check a flag that must be given as ``True`` or ``False`` (``dry_run``, ``only_failed``...)."""
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, got {value!r}")
    return value


def check_text(name: str, value: str) -> str:
    """Check a free-text argument (a note, a description): any string, the empty one included."""
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a string, got {type(value).__name__}")
    return value
