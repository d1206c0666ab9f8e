"""What every resource shares: a reference to the client and a few declarative verbs."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

from .._http import QueryValue
from ..errors import DecodeError, UsageError
from ..models import structure
from ..pagination import Paginator

if TYPE_CHECKING:
    from ..client import AirflowClient
    from ..transport import Transport

T = TypeVar("T")

Segments = Sequence[str | int]

#: The key (or the keys, first present wins) under which a collection lists its items.
ItemsKey = str | tuple[str, ...]


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


def update_mask(fields: Collection[str], *, accepts: str) -> str:
    """The ``update_mask`` query value naming ``fields``; ``accepts`` words the error when empty."""
    if not fields:
        raise UsageError(f"nothing to update: pass at least one of {accepts}")
    return ",".join(fields)


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


def iso(name: str, value: datetime) -> str:
    """A timezone-aware datetime as the ISO 8601 text a request body carries."""
    if not isinstance(value, datetime):
        raise UsageError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise UsageError(f"{name} needs a timezone, e.g. datetime(..., tzinfo=timezone.utc)")
    return value.isoformat()


def mapped_segments(base: Sequence[str | int], map_index: int | None) -> list[str | int]:
    """``base`` plus the map index segment of a mapped task instance (none for ``None`` or -1)."""
    check_map_index(map_index)
    segments = list(base)
    if map_index is not None and map_index >= 0:
        segments.append(map_index)
    return segments


class Resource:
    """Base of the resource groups attached to :class:`~airflow_async.AirflowClient`."""

    def __init__(self, client: AirflowClient) -> None:
        self._client = client

    @property
    def _t(self) -> Transport:
        return self._client.transport

    async def _call(
        self,
        method: str,
        segments: Segments,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        return await self._t.request(method, segments, params=params, json=json, idempotent=idempotent)

    async def _one(
        self,
        method: str,
        segments: Segments,
        model: type[T],
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> T:
        data = await self._call(method, segments, params=params, json=json, idempotent=idempotent)
        return structure(data, model, source=lambda: (method, str(self._t.url(segments))))

    async def _items(
        self,
        method: str,
        segments: Segments,
        items_key: ItemsKey,
        model: type[T],
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> tuple[list[T], int | None]:
        """One request to a collection endpoint: its items as models, and ``total_entries``.

        For collections the server returns whole (no ``limit``/``offset``) and for read-only
        POST listings that page by body fields.
        """
        data = await self._call(method, segments, params=params, json=json, idempotent=idempotent)

        def source() -> tuple[str, str]:
            return method, str(self._t.url(segments))

        raw, total = unpack_collection(data, items_key, source)
        return [structure(item, model, source=source) for item in raw], total

    def _paginate(
        self,
        segments: Segments,
        items_key: ItemsKey,
        model: type[T],
        key: Callable[[T], Hashable],
        *,
        params: Mapping[str, QueryValue] | None = None,
        page_size: int = 100,
        offset: int = 0,
        max_items: int | None = None,
        concurrent: bool = False,
        dedupe: bool = True,
        build: Callable[[Any], T] | None = None,
    ) -> Paginator[T]:
        """A paginator over a GET collection endpoint whose items sit under ``items_key``."""
        base = dict(params or {})

        # The transport is looked up per call: a paginator may be made before the client opens.
        def source() -> tuple[str, str]:
            return "GET", str(self._t.url(segments))

        async def fetch(offset: int, limit: int) -> tuple[list[Any], int | None]:
            data = await self._t.request("GET", segments, params={**base, "limit": limit, "offset": offset})
            return unpack_collection(data, items_key, source)

        def default_build(raw: Any) -> T:
            return structure(raw, model, source=source)

        return Paginator(
            fetch,
            build or default_build,
            key,
            page_size=page_size,
            start=offset,
            max_items=max_items,
            concurrent=concurrent,
            prefetch=self._client.max_concurrency,
            dedupe=dedupe,
        )


def unpack_collection(
    data: Any, items_key: ItemsKey, source: Callable[[], tuple[str, str]]
) -> tuple[list[Any], int | None]:
    """Split a collection envelope into its items and ``total_entries``.

    ``items_key`` may name several keys: the first one present is used (the server and its
    spec disagree on some, e.g. ``task_instances`` vs ``task_instances_history``).
    """
    keys = (items_key,) if isinstance(items_key, str) else items_key
    found = next((k for k in keys if isinstance(data, Mapping) and k in data), keys[0])
    if not isinstance(data, Mapping) or not isinstance(data.get(found), list):
        method, url = source()
        raise DecodeError(
            f"expected a collection with a {' or '.join(map(repr, keys))} list",
            status=200,
            method=method,
            url=url,
            content_type="application/json",
            snippet=repr(data)[:120],
        )
    total = data.get("total_entries")
    return data[found], total if isinstance(total, int) else None
