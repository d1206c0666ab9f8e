"""Pure request building and response decoding: no I/O, no event loop.

Everything that turns arguments into a URL and bytes into data lives here, so it
can be tested synchronously and reused by every transport.
"""

from __future__ import annotations

import email.utils
import functools
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from yarl import URL

from .errors import DecodeError, UsageError, error_for_status, redact_url
from .versions import API_VERSIONS

__all__ = [
    "QueryValue",
    "build_url",
    "decode_response",
    "encode_query",
    "encode_segment",
    "normalize_base_url",
    "parse_retry_after",
]

QueryValue = str | int | float | bool | datetime | Sequence[str | int] | None


def normalize_base_url(base_url: str | URL, api_version: str) -> URL:
    """Check the server root URL and return it without a trailing slash.

    A URL that already ends in the API prefix (``.../api/v1``) is accepted and the
    prefix removed, since the client adds it itself.

    Raises:
        UsageError: no ``http://`` or ``https://`` scheme, no host, a query string,
            or a prefix for another API version.
    """
    text = str(base_url).strip()
    if not text:
        raise UsageError("base_url is empty: pass the server root, e.g. 'http://127.0.0.1:8080'")
    url = URL(text)
    if "://" in text and url.scheme not in ("http", "https"):
        raise UsageError(f"base_url {text!r} must start with http:// or https://, the schemes Airflow serves")
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(
            f"base_url {text!r} needs a scheme and a host, e.g. 'http://{text}' or 'http://127.0.0.1:8080'"
        )
    if url.user is not None or url.password is not None:
        # The client never sends them (and would show them in its repr): say where they belong.
        masked = redact_url(url).replace("://", "://***@", 1)
        raise UsageError(
            f"base_url {masked!r} must not carry a user name or password: pass the server root "
            "and the credentials as auth=BasicAuth(user, password) or SessionAuth(user, password)"
        )
    if url.query_string or url.fragment:
        raise UsageError(f"base_url {text!r} must not carry a query or fragment: pass the server root")
    path = url.path.rstrip("/")
    for version in API_VERSIONS.values():
        prefix = version.prefix
        if path.endswith(prefix):
            if api_version not in ("auto", version.name):
                raise UsageError(
                    f"base_url {text!r} ends in {prefix} but api_version is {api_version!r}: "
                    "pass the server root and choose the version with api_version="
                )
            path = path[: -len(prefix)]
    return url.with_path(path or "/").with_query(None)


@functools.lru_cache(maxsize=8192)
def _quote(text: str) -> str:
    """Percent-encode everything but unreserved characters; cached, since ids repeat."""
    if _PLAIN.fullmatch(text):
        return text  # nothing to encode: most ids, every fixed segment, most query values
    if text in (".", ".."):
        return text.replace(".", "%2E")  # dot segments would be resolved away by URL handling
    return quote(text, safe="")


_PLAIN = re.compile(r"[A-Za-z0-9_\-~]+")


def encode_segment(segment: str | int) -> str:
    """Percent-encode one path segment.

    Everything outside RFC 3986's unreserved set is encoded, including ``/``,
    ``+``, ``:`` and spaces; ``~`` (Airflow's wildcard) is unreserved and so stays
    literal.

    Raises:
        UsageError: the segment is empty (it would change the path's meaning).
    """
    text = str(segment)
    if text == "":
        raise UsageError("an id or key in the URL path is empty: pass a non-empty string or '~'")
    return _quote(text)


def encode_query(params: Mapping[str, QueryValue] | None) -> list[tuple[str, str]]:
    """Encode query parameters the way Airflow's API reads them.

    ``None`` values are dropped, booleans become ``true``/``false``, datetimes
    ISO 8601 (timezone-aware datetimes only), and sequences repeat the key
    (``state=running&state=queued``).
    """
    out: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, str | int | float | bool | datetime):
            out.append((name, _scalar(name, value)))
        else:
            out.extend((name, _scalar(name, item)) for item in value)
    return out


def _scalar(name: str, value: str | int | float | bool | datetime) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UsageError(
                f"{name}={value!r} has no timezone: Airflow compares in UTC, pass an aware "
                "datetime such as datetime(2024, 1, 1, tzinfo=timezone.utc)"
            )
        return value.isoformat()
    return str(value)


def build_url(
    base: URL,
    prefix: str,
    segments: Iterable[str | int],
    params: Mapping[str, QueryValue] | None = None,
) -> URL:
    """Join the server root, the API prefix and encoded path segments, plus a query.

    >>> str(build_url(URL("http://h"), "/api/v1", ["dags", "a b", "dagRuns", "x+y:z"]))
    'http://h/api/v1/dags/a%20b/dagRuns/x%2By%3Az'
    """
    text = _root(base) + prefix + "".join(["/" + encode_segment(s) for s in segments])
    if params:
        query = encode_query(params)
        if query:
            text += "?" + "&".join([f"{_quote(k)}={_quote(v)}" for k, v in query])
    return URL(text, encoded=True)


@functools.lru_cache(maxsize=64)
def _root(base: URL) -> str:
    """The server root as encoded text without a trailing slash (asked per request: cached)."""
    return str(base.origin()) + base.raw_path.rstrip("/")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a ``Retry-After`` header (seconds, or an HTTP date) as seconds to wait."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


_JSON_TYPES = ("application/json", "application/problem+json")


def decode_response(
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    method: str,
    url: URL,
) -> Any:
    """Turn a response into data, or raise the matching typed error.

    Returns the decoded JSON for a 2xx answer (``None`` for an empty body such as
    a 204). Raises :class:`~airflow_async.errors.APIError` subclasses for error
    statuses and :class:`~airflow_async.errors.DecodeError` when a success body is
    not JSON (an HTML login page, a proxy page, a truncated body).
    """
    content_type = headers.get("Content-Type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if status >= 400:
        parsed: Any
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body[:500].decode("utf-8", "replace")
        raise error_for_status(
            status,
            method=method,
            url=url,
            body=parsed,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if not body.strip():
        return None
    snippet = body[:120].decode("utf-8", "replace")
    if media and media not in _JSON_TYPES and not media.endswith("+json"):
        reason = "expected JSON from the Airflow API"
        if "html" in media:
            reason += (
                ", got an HTML page: is base_url the Airflow webserver root, and are the "
                "credentials accepted by the API (a login page means they are not)?"
            )
        raise DecodeError(
            reason, status=status, method=method, url=url, content_type=content_type, snippet=snippet
        )
    try:
        return json.loads(body)
    except ValueError as exc:
        where = (
            f"{exc.msg} at byte {exc.pos} of {len(body)}"
            if isinstance(exc, json.JSONDecodeError)
            else type(exc).__name__
        )
        raise DecodeError(
            f"the body is not valid JSON ({where}); the response may have been cut short",
            status=status,
            method=method,
            url=url,
            content_type=content_type,
            snippet=snippet,
        ) from None
