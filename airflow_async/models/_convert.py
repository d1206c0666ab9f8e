"""The cattrs converter that builds every model, and the page envelope of listings.

Nothing here knows an API version or a wire model: :func:`structure` builds any
attrs class from decoded JSON, ignoring keys the class does not declare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, Optional, TypeVar

import attrs
import cattrs

from ..errors import DecodeError

__all__ = ["Page", "converter", "make_converter", "parse_datetime", "structure", "structure_with"]

T = TypeVar("T")


def parse_datetime(value: Any) -> datetime:
    """Parse an ISO 8601 timestamp from the API into an aware ``datetime`` (UTC if naive)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value)
    else:
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a listing: its items, and the total the server reported."""

    items: list[T]
    total_entries: int | None
    offset: int


def make_converter() -> cattrs.Converter:
    """A converter for the models: aware datetimes, unknown keys ignored, ``Any`` passed through.

    An API version whose wire names differ from the models' starts from one of these and adds
    its renames (see ``airflow_async.api.v2._wire``).
    """
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(datetime, lambda v, _: parse_datetime(v))
    conv.register_unstructure_hook(datetime, lambda v: v.isoformat())
    conv.register_structure_hook(Any, lambda v, _: v)
    # Most fields are optional: give ``X | None`` of the common types a direct hook instead of
    # cattrs' generic union dispatch (a lookup per field per item); same results, same errors.
    for kind in (datetime, str, int, float, bool):
        inner = conv.get_structure_hook(kind)

        def optional(value: Any, _: Any, inner: Callable[[Any, Any], Any] = inner, kind: type = kind) -> Any:
            return None if value is None else inner(value, kind)

        conv.register_structure_hook(Optional[kind], optional)  # noqa: UP045 (the typing form is the key)
    return conv


#: The converter used for every model.
converter = make_converter()


def structure(data: Any, model: type[T], *, source: Callable[[], tuple[str, str]] | None = None) -> T:
    """Build ``model`` from decoded JSON; raise :class:`DecodeError` if it does not fit.

    ``source`` returns the ``(method, url)`` of the request the data came from; it is
    called only to word an error, so building the URL costs nothing on success.
    """
    return structure_with(converter, data, model, source=source)


def structure_with(
    conv: cattrs.Converter,
    data: Any,
    model: type[T],
    *,
    source: Callable[[], tuple[str, str]] | None = None,
) -> T:
    """:func:`structure` with another converter (an API version's own renames)."""
    try:
        if not isinstance(data, Mapping):
            raise TypeError("expected a JSON object")
        return conv.structure(data, model)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            detail = "; ".join(cattrs.transform_error(exc))
        else:
            detail = str(exc)
        method, url = source() if source is not None else ("", "")
        raise _shape_error(data, model, method, url, detail) from None


def _shape_error(data: Any, model: type[Any], method: str, url: str, reason: str) -> DecodeError:
    return DecodeError.unexpected_json(
        f"the response does not match {model.__name__}: {reason}", data, method=method, url=url
    )
