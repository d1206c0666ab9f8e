"""What every resource shares: a reference to the client and a few declarative verbs."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .._http import QueryValue
from ..errors import DecodeError, UsageError
from ..models import structure
from ..pagination import Paginator

if TYPE_CHECKING:
    from ..client import AirflowClient
    from ..transport import Transport

T = TypeVar("T")

Segments = Sequence[str | int]


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

    def _paginate(
        self,
        segments: Segments,
        items_key: str,
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
    data: Any, items_key: str, source: Callable[[], tuple[str, str]]
) -> tuple[list[Any], int | None]:
    """Split a collection envelope into its items and ``total_entries``."""
    if not isinstance(data, Mapping) or not isinstance(data.get(items_key), list):
        method, url = source()
        raise DecodeError(
            f"expected a collection with a {items_key!r} list",
            status=200,
            method=method,
            url=url,
            content_type="application/json",
            snippet=repr(data)[:120],
        )
    total = data.get("total_entries")
    return data[items_key], total if isinstance(total, int) else None
