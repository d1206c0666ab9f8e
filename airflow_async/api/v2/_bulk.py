"""The bulk ``PATCH`` of API v2, written once for every collection that has one.

``PATCH /variables``, ``/pools``, ``/connections`` (3.0), a run's task instances (3.1) and a
DAG's runs (3.3) take the same body, ``{"actions": [...]}`` with a create, an update and a
delete action, and answer the same :class:`~airflow_async.models.BulkResult`. Resources call
:func:`send_bulk` from a thin ``bulk`` method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..._validate import check_choice, check_id
from ...errors import DecodeError, UsageError
from ...models.bulk import BulkActionResult, BulkItemError, BulkResult
from .._base import Resource, Segments, require_release

__all__ = ["ON_EXISTENCE", "ON_NON_EXISTENCE", "send_bulk"]

#: What a create action does with an entity that exists.
ON_EXISTENCE = ("fail", "skip", "overwrite")
#: What an update or delete action does with an entity that does not exist.
ON_NON_EXISTENCE = ("fail", "skip")
#: The release whose bulk update action first takes an ``update_mask`` (apache/airflow#54597):
#: 3.1.8 still answers 422 ``extra_forbidden`` to it (checked on the real server).
UPDATE_MASK_SINCE = "3.2.0"


async def send_bulk(
    resource: Resource,
    segments: Segments,
    *,
    create: Sequence[Mapping[str, Any]] | None = None,
    update: Sequence[Mapping[str, Any]] | None = None,
    delete: Sequence[str | Mapping[str, Any]] | None = None,
    action_on_existence: str = "fail",
    action_on_non_existence: str = "fail",
    update_mask: Sequence[str] | None = None,
) -> BulkResult:
    """Send one bulk ``PATCH`` to the collection at ``segments`` and return what each action did.

    Args:
        resource: The resource sending it (its transport and its server's release).
        segments: The collection's path, e.g. ``("variables",)``.
        create: Entity bodies to create, in the API's field names.
        update: Entity bodies to update (each names its entity by its id field).
        delete: Ids or keys to delete (or entity bodies, where the endpoint takes them).
        action_on_existence: For ``create``: ``"fail"`` (the default: the action creates
            nothing and reports a 409 error if any entity exists), ``"skip"`` the existing
            ones, or ``"overwrite"`` them.
        action_on_non_existence: For ``update`` and ``delete``: ``"fail"`` (the default: the
            action changes nothing and reports a 404 error if any entity is missing) or
            ``"skip"`` the missing ones.
        update_mask: For ``update``: the only fields to apply from each body (Airflow 3.2+).

    The actions go in the order create, update, delete; the server applies each on its own.

    Retries: a body that creates is not retried once it may have reached the server (a
    repeated create fails or overwrites); a body that only updates or deletes is retried
    (applying it twice leaves the same state, though the second answer may list a 404 error
    for what the first deleted).

    Returns:
        What each action did. The server answers 200 even when items failed: check
        :attr:`BulkResult.ok` or call :meth:`BulkResult.raise_for_errors`.

    Raises:
        UsageError: No action given, an empty list, an unknown choice, or an entity that is
            not a mapping (an id for ``delete``).
        NotSupportedByServer: ``update_mask`` on a server older than Airflow 3.2.0.
    """
    check_choice("action_on_existence", action_on_existence, ON_EXISTENCE)
    check_choice("action_on_non_existence", action_on_non_existence, ON_NON_EXISTENCE)
    if create is None and update is None and delete is None:
        raise UsageError("a bulk request needs at least one of create=, update= or delete=")
    actions: list[dict[str, Any]] = []
    if create is not None:
        actions.append(
            {
                "action": "create",
                "entities": _entities("create", create),
                "action_on_existence": action_on_existence,
            }
        )
    if update is not None:
        action: dict[str, Any] = {
            "action": "update",
            "entities": _entities("update", update),
            "action_on_non_existence": action_on_non_existence,
        }
        if update_mask is not None:
            action["update_mask"] = _update_mask(resource, update_mask)
        actions.append(action)
    elif update_mask is not None:
        raise UsageError("update_mask= applies to update=: pass the entities to update too")
    if delete is not None:
        actions.append(
            {
                "action": "delete",
                "entities": _delete_entities(delete),
                "action_on_non_existence": action_on_non_existence,
            }
        )
    data = await resource._call("PATCH", segments, json={"actions": actions}, idempotent=create is None)
    url = str(resource._t.url(segments))
    return _result(data, url)


def _checked_list(name: str, value: Any) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UsageError(f"{name}= takes a list, e.g. [{value!r}], got {type(value).__name__}")
    if not value:
        raise UsageError(f"{name}= is an empty list: leave it out (None) to send no {name} action")
    return list(value)


def _entities(name: str, value: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    entities = _checked_list(name, value)
    for entity in entities:
        if not isinstance(entity, Mapping):
            raise UsageError(
                f"each entity of {name}= must be a dict of the API's fields, got {type(entity).__name__}"
            )
    return [dict(entity) for entity in entities]


def _delete_entities(value: Sequence[str | Mapping[str, Any]]) -> list[str | dict[str, Any]]:
    out: list[str | dict[str, Any]] = []
    for entity in _checked_list("delete", value):
        if isinstance(entity, Mapping):
            out.append(dict(entity))
        else:
            out.append(check_id("each id of delete=", entity))
    return out


def _update_mask(resource: Resource, fields: Sequence[str]) -> list[str]:
    require_release(
        resource,
        UPDATE_MASK_SINCE,
        f"{type(resource).__name__}.bulk(update_mask=...)",
        "leave update_mask out to apply each body's fields",
    )
    mask = _checked_list("update_mask", fields)
    for field in mask:
        check_id("each field of update_mask=", field)
    return mask


def _result(data: Any, url: str) -> BulkResult:
    if not isinstance(data, Mapping):
        raise DecodeError.unexpected_json("expected a bulk response object", data, method="PATCH", url=url)
    parsed: dict[str, BulkActionResult | None] = {}
    for name in ("create", "update", "delete"):
        raw = data.get(name)
        if raw is None:
            parsed[name] = None
            continue
        if not isinstance(raw, Mapping):
            raise DecodeError.unexpected_json(
                f"expected the bulk {name} result as an object", data, method="PATCH", url=url
            )
        parsed[name] = BulkActionResult(
            success=tuple(str(key) for key in raw.get("success") or ()),
            errors=tuple(_error(item) for item in raw.get("errors") or ()),
        )
    return BulkResult(create=parsed["create"], update=parsed["update"], delete=parsed["delete"], url=url)


def _error(raw: Any) -> BulkItemError:
    if not isinstance(raw, Mapping):
        return BulkItemError(message=str(raw), raw={"error": raw})
    message = raw.get("error", raw.get("detail", raw.get("message")))
    status = raw.get("status_code")
    return BulkItemError(
        message=message if isinstance(message, str) else str(message if message is not None else raw),
        status_code=status if isinstance(status, int) and not isinstance(status, bool) else None,
        raw=dict(raw),
    )
