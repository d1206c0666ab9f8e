"""What every resource shares: a reference to the client and a few declarative verbs."""

from __future__ import annotations

import collections.abc
import functools
import typing
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypedDict, TypeVar, cast, overload

from .._http import QueryValue
from .._validate import check_map_index, check_strings, iso, update_mask
from ..errors import ClientNotOpen, DecodeError, NotSupportedByServer, UsageError
from ..models._convert import structure
from ..pagination import Paginator
from ..versions import API_VERSIONS, Release, parse_release

if TYPE_CHECKING:
    from ..retry import RetryPolicy
    from ..transport import Transport

T = TypeVar("T")

Segments = Sequence[str | int]


class PageOptions(TypedDict, total=False):
    """The paging keywords every list method takes, declared once (``**paging: Unpack[PageOptions]``).

    Attributes:
        page_size: The ``limit`` of each page request (the server may clamp it). Default 100.
        offset: Skip this many items first. Default 0.
        max_items: Stop after this many items. Default: all.
        concurrent: Fetch the pages after the first concurrently, still yielding in order.
            Default False.
        dedupe: Yield each natural key once and re-scan when the listing changed while it was
            paged; see :class:`~airflow_async.pagination.Paginator`. Default True, except
            where a listing has no natural key to dedupe on.
        cursor: Walk by cursor (keyset paging: stable while rows are inserted or deleted, one
            page after the other) instead of by offset. Only the listings whose server has it
            (DAG runs and task instances on Airflow 3.2.2+). Default: by cursor where the
            server has it, unless ``offset`` or ``concurrent=True`` is given.
    """

    page_size: int
    offset: int
    max_items: int | None
    concurrent: bool
    dedupe: bool
    cursor: bool


#: The key (or the keys, first present wins) under which a collection lists its items.
ItemsKey = str | tuple[str, ...]


def mapped_segments(base: Sequence[str | int], map_index: int | None) -> list[str | int]:
    """``base`` plus the map index segment of a mapped task instance (none for ``None`` or -1)."""
    check_map_index(map_index)
    segments = list(base)
    if map_index is not None and map_index >= 0:
        segments.append(map_index)
    return segments


_PAGE_KEYS: frozenset[str] = PageOptions.__optional_keys__


def split_options(
    options: Mapping[str, Any], accepted: Any, where: str, *, wire_names: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], PageOptions]:
    """Split a list method's ``**options`` into its filters and its paging options.

    ``accepted`` is the TypedDict the method unpacks; a keyword it does not declare (a typo
    that Python would let through ``**``) is a :class:`~airflow_async.errors.UsageError`, not
    a filter silently ignored. ``wire_names`` maps a neutral keyword to the name this API
    version sends (v1: ``logical_date_gte`` -> ``execution_date_gte``); giving both is refused.
    """
    known: frozenset[str] = accepted.__optional_keys__ | accepted.__required_keys__
    unknown = sorted(set(options) - known)
    if unknown:
        raise UsageError(
            f"{where} got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known))}"
        )
    for name in _list_keys(accepted) & set(options):
        check_strings(name, options[name])
    filters = {k: v for k, v in options.items() if k not in _PAGE_KEYS}
    for neutral, wire in (wire_names or {}).items():
        if neutral in filters:
            if filters.get(wire) is not None and filters[neutral] is not None:
                raise UsageError(f"{where} got {neutral}= and {wire}=, which are one filter: pass one")
            value = filters.pop(neutral)
            if value is not None:
                filters[wire] = value
    paging: PageOptions = {k: v for k, v in options.items() if k in _PAGE_KEYS}  # type: ignore[assignment]
    return filters, paging


@functools.cache
def _list_keys(accepted: Any) -> frozenset[str]:
    """The keys of a TypedDict declared as lists of strings (``Sequence[str] | None``)."""
    hints = typing.get_type_hints(accepted)
    return frozenset(
        name
        for name, hint in hints.items()
        if any(typing.get_origin(arm) is collections.abc.Sequence for arm in typing.get_args(hint) or (hint,))
    )


def filter_query(filters: Mapping[str, Any]) -> dict[str, QueryValue]:
    """Filters as query parameters: lists repeat their key, datetimes go as ISO 8601.

    A string is one value (a pattern, an id); a list filter given a bare string was refused by
    :func:`split_options`, which knows the declared types.
    """
    return {
        name: value if isinstance(value, str) or not _is_strings(value) else check_strings(name, value)
        for name, value in filters.items()
        if value is not None
    }


def filter_body(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Filters as the fields of a JSON body: lists as arrays, datetimes as ISO 8601 text."""
    body: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if _is_strings(value) and not isinstance(value, str):
            body[name] = list(check_strings(name, value) or [])
        elif isinstance(value, datetime):
            body[name] = iso(name, value)
        else:
            body[name] = value
    return body


def _is_strings(value: Any) -> bool:
    return isinstance(value, str | Sequence) and not isinstance(value, bytes)


class Closeable(Protocol):
    """Something the client closes on exit if its user did not (a harvest)."""

    async def aclose(self) -> None:
        """Stop it and release what it holds."""


class ClientCore(Protocol):
    """What a resource needs of the client: the transport and a few settings.

    :class:`~airflow_async.AirflowClient` is one; resources do not import the client.
    """

    @property
    def transport(self) -> Transport:
        """The open transport."""

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at most."""

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy."""

    def close_on_exit(self, closeable: Closeable) -> None:
        """Close ``closeable`` when the client closes, if it is still open then."""

    @property
    def server_version(self) -> Release | None:
        """The server's release, when the client asked for it on entry."""

    @property
    def api_version(self) -> str:
        """``"v1"`` or ``"v2"`` (``"auto"`` until an auto-detecting client is open)."""


F = TypeVar("F", bound=Callable[..., Any])


def since(release: str) -> Callable[[F], F]:
    """Mark an operation that Airflow added in ``release`` (a 2.x release after 2.9 on API v1, a
    3.x release after 3.0 on API v2).

    Calling it on a client whose server runs an older release raises
    :class:`~airflow_async.errors.NotSupportedByServer` naming the release, instead of the
    server's opaque 404 or 405. A client that did not ask the server's release (a forced
    ``api_version``) sends the request and lets the server answer.
    """
    return _gated(release, removed=False)


def until(release: str) -> Callable[[F], F]:
    """Mark an operation that Airflow removed in ``release`` (it exists only before it).

    Calling it on a client whose server runs ``release`` or newer raises
    :class:`~airflow_async.errors.NotSupportedByServer` saying so, instead of the server's 404.
    A client that did not ask the server's release (a forced ``api_version``) sends the request.
    """
    return _gated(release, removed=True)


def _gated(release: str, *, removed: bool) -> Callable[[F], F]:
    """The decorator behind :func:`since` (``removed=False``) and :func:`until`: the method
    checks the server's release first, and carries ``.since`` or ``.until`` for the tables."""

    def mark(method: F) -> F:
        @functools.wraps(method)
        def checked(self: Resource, *args: Any, **kwargs: Any) -> Any:
            what = f"{type(self).__name__}.{method.__name__}"
            if removed:
                _refuse_removed(self, release, what)
            else:
                require_release(self, release, what)
            return method(self, *args, **kwargs)

        note = f"Airflow before {release}" if removed else f"Airflow {release}+"
        checked.__doc__ = f"{method.__doc__ or ''}\n\n({note}.)"
        setattr(checked, "until" if removed else "since", release)
        return cast(F, checked)

    return mark


def _refuse_removed(resource: Resource, release: str, what: str) -> None:
    have = resource._client.server_version
    if have is not None and not older_than(resource, release):
        shown = ".".join(map(str, have))
        raise NotSupportedByServer(
            f"{what} was removed in Airflow {release}; the server runs {shown}",
            needs=f"Airflow before {release}",
        )


#: The release from which a v2 listing sorts by several keys (``order_by`` repeated).
SEVERAL_ORDER_BY_SINCE = "3.1.0"


def older_than(resource: Resource, release: str) -> bool:
    """Whether the client asked its server's release on entry and it is older than ``release``
    (``False`` for a client that did not ask: a forced ``api_version``)."""
    have = resource._client.server_version
    return have is not None and have < parse_release(release)


def require_release(resource: Resource, release: str, what: str, instead: str = "") -> None:
    """Refuse what Airflow added in ``release`` (an operation, or one argument) on an older server.

    :func:`since` does this for a whole method; a method calls it for an argument a later
    release added (a body field: v2 bodies reject unknown fields with 422), before sending.
    ``what`` names it (``"dags.clear_task_instances(note=...)"``), ``instead`` says what to do
    without it. A client that did not ask the server's release (a forced ``api_version``) lets
    the server answer.

    Raises:
        NotSupportedByServer: The server runs an older release.
    """
    have = resource._client.server_version
    if have is not None and older_than(resource, release):
        shown = ".".join(map(str, have))
        raise NotSupportedByServer(
            f"{what} needs Airflow {release} or newer; the server runs {shown}"
            + (f": {instead}" if instead else ""),
            needs=f"Airflow {release}",
        )


def require_given(resource: Resource, what: str, given: Mapping[str, Any], added: Mapping[str, str]) -> None:
    """Refuse, on an older server, each argument in ``given`` (not ``None``) that a later
    release added: ``added`` maps its name to that release (a table such as
    :data:`airflow_async.api.v2.filters.ADDED_ARGUMENTS`). An unknown query parameter is ignored
    by the server without an error (the listing would come back unfiltered) and an unknown body
    field is a 422, so both are refused before sending.

    Raises:
        NotSupportedByServer: The server runs an older release than one given argument needs.
    """
    for name, release in added.items():
        if given.get(name) is not None:
            require_release(resource, release, f"{what}({name}=...)", f"leave {name} out")


R = TypeVar("R", bound="Resource")
R1 = TypeVar("R1", bound="Resource")
R2 = TypeVar("R2", bound="Resource")

#: Which Airflow releases speak each API version, for messages.
_AIRFLOW = {"v1": "Airflow 2", "v2": "Airflow 3"}


class Group(Generic[R]):
    """A resource group attribute of the client, created on first use and kept per client.

    Declared once per group in :class:`~airflow_async.api.ResourceGroups` with the class that
    implements it on each API version: ``Group(v1.DAGResource, v2.DAGResource)``, or one of
    them for a group only one version has. Reading it on a client whose server speaks a
    version without the group raises :class:`~airflow_async.errors.NotSupportedByServer`.
    """

    @overload
    def __init__(self: Group[R1], v1: type[R1]) -> None: ...

    @overload
    def __init__(self: Group[R1 | R2], v1: type[R1], v2: type[R2]) -> None: ...

    @overload
    def __init__(self: Group[R2], *, v2: type[R2]) -> None: ...

    def __init__(self, v1: type[Any] | None = None, v2: type[Any] | None = None) -> None:
        self._classes: dict[str, type[Any]] = {
            name: cls for name, cls in (("v1", v1), ("v2", v2)) if cls is not None
        }
        self._name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Group[R]: ...

    @overload
    def __get__(self, obj: ClientCore, owner: type[Any]) -> R: ...

    def __get__(self, obj: ClientCore | None, owner: type[Any]) -> Group[R] | R:
        if obj is None:
            return self
        version: str = getattr(obj, "api_version", "v1")
        if version == "auto":
            raise ClientNotOpen(
                f"client.{self._name} depends on the API version, chosen when the client opens: use it "
                "inside 'async with AirflowClient(...)', or pass api_version='v1' or 'v2'"
            )
        cls = self._classes.get(version)
        if cls is None:
            have = " and ".join(f"API {v} ({_AIRFLOW[v]})" for v in sorted(self._classes))
            raise NotSupportedByServer(
                f"client.{self._name} is not part of API {version} ({_AIRFLOW.get(version, version)}), "
                f"which this server speaks; it exists in {have}",
                needs=have,
            )
        group = cls(obj)
        obj.__dict__[self._name] = group  # later reads find the instance attribute first
        return group  # type: ignore[no-any-return]


class StructureFn(Protocol):
    """How a resource builds a model from decoded JSON (see ``models._convert.structure``)."""

    def __call__(
        self, data: Any, model: type[T], *, source: Callable[[], tuple[str, str]] | None = None
    ) -> T:
        """Build ``model`` from ``data``; raise DecodeError naming ``source()`` if it does not fit."""


class Resource:
    """Base of the resource groups attached to :class:`~airflow_async.AirflowClient`."""

    #: Builds a model from the JSON of an answer; a version whose wire names differ from the
    #: models' (v2 sends an XCom's run id as ``run_id``) sets its own.
    _structure: StructureFn = staticmethod(structure)

    def __init__(self, client: ClientCore) -> None:
        self._client = client

    @property
    def _t(self) -> Transport:
        return self._client.transport

    def _update_mask(self, fields: Collection[str], *, accepts: str) -> QueryValue:
        """The ``update_mask`` query value naming ``fields``, in the form the API version takes.

        ``accepts`` words the error when no field is given (see :func:`~airflow_async._validate.update_mask`).
        """
        names = update_mask(fields, accepts=accepts)
        version = API_VERSIONS.get(self._client.api_version)
        return ",".join(names) if version is None or version.joins_update_mask else names

    async def _call(
        self,
        method: str,
        segments: Segments,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return await self._t.request(
            method, segments, params=params, json=json, idempotent=idempotent, headers=headers
        )

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
        return self._structure(data, model, source=lambda: (method, str(self._t.url(segments))))

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
        return [self._structure(item, model, source=source) for item in raw], total

    def _paginate(
        self,
        segments: Segments,
        items_key: ItemsKey,
        model: type[T],
        key: Callable[[T], Hashable],
        *,
        params: Mapping[str, QueryValue] | None = None,
        paging: PageOptions | None = None,
        build: Callable[[Any], T] | None = None,
        dedupe: bool = True,
        cursor_since: str | None = None,
        total_order: bool = False,
    ) -> Paginator[T]:
        """A paginator over a GET collection endpoint whose items sit under ``items_key``.

        ``paging`` is what the caller passed (see :class:`PageOptions`); ``dedupe`` is the
        default where the caller did not choose. ``cursor_since``: the release from which the
        endpoint offers cursor paging (``next_cursor``), used as :class:`PageOptions` says.
        ``total_order``: the endpoint sorts on a unique key, so dedupe may remember less (see
        :class:`~airflow_async.pagination.Paginator`).
        """
        base = dict(params or {})
        options: PageOptions = paging or {}
        if options:
            split_options(options, PageOptions, f"the listing of /{'/'.join(map(str, segments))}")
        order = base.get("order_by")
        if isinstance(order, Sequence) and not isinstance(order, str) and len(order) > 1:
            # Before 3.1 a repeated order_by is answered sorted by its last key, without an error.
            require_release(
                self,
                SEVERAL_ORDER_BY_SINCE,
                f"order_by with several keys (the listing of /{'/'.join(map(str, segments))})",
                "pass one key",
            )

        # The transport is looked up per call: a paginator may be made before the client opens.
        def source() -> tuple[str, str]:
            return "GET", str(self._t.url(segments))

        async def fetch(offset: int, limit: int) -> tuple[list[Any], int | None]:
            data = await self._t.request("GET", segments, params={**base, "limit": limit, "offset": offset})
            return unpack_collection(data, items_key, source)

        async def fetch_after(cursor: str, limit: int) -> tuple[list[Any], int | None, str | None]:
            data = await self._t.request("GET", segments, params={**base, "limit": limit, "cursor": cursor})
            raw, total = unpack_collection(data, items_key, source)
            after = data.get("next_cursor")
            return raw, total, after if isinstance(after, str) and after else None

        def default_build(raw: Any) -> T:
            return self._structure(raw, model, source=source)

        by_cursor = self._by_cursor(options, cursor_since, segments)
        return Paginator(
            fetch,
            build or default_build,
            key,
            page_size=options.get("page_size", 100),
            start=options.get("offset", 0),
            max_items=options.get("max_items"),
            concurrent=options.get("concurrent", False),
            prefetch=self._client.max_concurrency,
            dedupe=options.get("dedupe", dedupe),
            total_order=total_order,
            fetch_after=fetch_after if by_cursor else None,
        )

    def _paginate_body(
        self,
        segments: Segments,
        items_key: ItemsKey,
        model: type[T],
        key: Callable[[T], Hashable],
        *,
        body: Mapping[str, Any],
        paging: PageOptions | None = None,
    ) -> Paginator[T]:
        """A paginator over a read-only POST listing that pages by ``page_offset``/``page_limit``
        body fields (the batch listings); each page request is retried.
        """
        options: PageOptions = paging or {}
        where = f"the listing of /{'/'.join(map(str, segments))}"
        if options:
            split_options(options, PageOptions, where)
        if options.get("cursor"):
            raise UsageError(f"{where} pages by offset only (its body takes no cursor): leave cursor out")

        async def fetch(offset: int, limit: int) -> tuple[list[Any], int | None]:
            page = {**body, "page_offset": offset, "page_limit": limit}
            return await self._items("POST", segments, items_key, model, json=page, idempotent=True)

        return Paginator(
            fetch,
            lambda item: item,  # fetch builds the models already
            key,
            page_size=options.get("page_size", 100),
            start=options.get("offset", 0),
            max_items=options.get("max_items"),
            concurrent=options.get("concurrent", False),
            prefetch=self._client.max_concurrency,
            dedupe=options.get("dedupe", True),
        )

    def _by_cursor(self, options: PageOptions, cursor_since: str | None, segments: Segments) -> bool:
        """Whether a listing walks by cursor: what the caller asked, else what the server offers."""
        asked = options.get("cursor")
        if asked is not None and not isinstance(asked, bool):
            raise UsageError(f"cursor must be True or False, got {asked!r}")
        where = f"the listing of /{'/'.join(map(str, segments))}"
        if cursor_since is None:
            if asked:
                raise UsageError(f"{where} has no cursor paging: leave cursor out")
            return False
        have = self._client.server_version
        offers = have is not None and have >= parse_release(cursor_since)
        if asked and have is not None and not offers:
            raise NotSupportedByServer(
                f"cursor paging of {where} needs Airflow {cursor_since} or newer; the server runs "
                f"{'.'.join(map(str, have))}: leave cursor out to page by offset",
                needs=f"Airflow {cursor_since}",
            )
        if asked is None:
            return offers and not options.get("offset") and not options.get("concurrent")
        return asked


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
        raise DecodeError.unexpected_json(
            f"expected a collection with a {' or '.join(map(repr, keys))} list", data, method=method, url=url
        )
    total = data.get("total_entries")
    return data[found], total if isinstance(total, int) else None
