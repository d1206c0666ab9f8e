"""The exception hierarchy of airflow_async.

Every error the library raises derives from :class:`AirflowError`. Errors about
what came back from the server carry the request's method and URL (with any
credentials removed) so that ``str(err)`` reads like a line of a server log::

    404 GET /api/v1/dags/nope: DAG with dag_id: 'nope' not found
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yarl import URL

__all__ = [
    "APIError",
    "AirflowError",
    "AuthenticationError",
    "BadRequest",
    "ClientNotOpen",
    "Conflict",
    "ConnectError",
    "DecodeError",
    "Forbidden",
    "HarvestAborted",
    "LoginFailed",
    "NotFound",
    "NotSupportedByServer",
    "RateLimited",
    "RequestTimeout",
    "ResponseTooLarge",
    "RunNotFound",
    "ServerError",
    "ServerNotRecognized",
    "SessionAuthUnsupported",
    "TransportError",
    "Unauthorized",
    "UsageError",
    "ValidationError",
    "error_for_status",
    "redact_url",
]


def redact_url(url: URL | str) -> str:
    """Return ``url`` as text with any user name and password removed."""
    u = url if isinstance(url, URL) else URL(url)
    if u.user is not None or u.password is not None:
        u = u.with_user(None)
    return str(u)


class AirflowError(Exception):
    """Root of every error raised by airflow_async."""


class UsageError(AirflowError, ValueError):
    """The caller passed something the library cannot use (a bad URL, a negative limit...).

    The message says what was wrong and how to fix it.
    """


class ClientNotOpen(UsageError):
    """The client was used outside its ``async with`` block."""


class TransportError(AirflowError):
    """The request did not get an HTTP response: connection refused, DNS failure, reset, timeout.

    Attributes:
        method: The HTTP method of the failed request.
        url: The URL of the failed request, credentials removed.
    """

    def __init__(self, message: str, *, method: str, url: URL | str) -> None:
        self.method = method
        self.url = redact_url(url)
        self.message = message
        super().__init__(f"{method} {self.url}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_transport_error, (type(self), self.message, self.method, self.url))


def _rebuild_transport_error(
    cls: type[TransportError], message: str, method: str, url: str
) -> TransportError:
    return cls(message, method=method, url=url)


class ConnectError(TransportError):
    """The request never left: the connection could not be opened (refused, DNS failure), or a
    kept-alive connection had been closed by the server before the request could be written."""


class RequestTimeout(TransportError):
    """No complete response arrived within the per-attempt timeout."""


class ResponseTooLarge(TransportError):
    """The response body exceeded the client's ``max_response_bytes``."""


class DecodeError(AirflowError):
    """The server answered, but not with the JSON the API promises.

    Typical causes: an HTML login page or a proxy's error page at the URL, a body
    cut short, or a base URL that does not point at Airflow. The message quotes
    the beginning of what came back.

    Attributes:
        status: HTTP status of the response.
        method: HTTP method of the request.
        url: Request URL, credentials removed.
        content_type: The response's Content-Type header.
        snippet: The first characters of the body.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int,
        method: str,
        url: URL | str,
        content_type: str,
        snippet: str,
    ) -> None:
        self.reason = reason
        self.status = status
        self.method = method
        self.url = redact_url(url)
        self.content_type = content_type
        self.snippet = snippet
        super().__init__(
            f"{status} {method} {self.url}: {reason} (Content-Type {content_type or 'missing'}; "
            f"body starts {snippet!r})"
        )

    @classmethod
    def unexpected_json(cls, reason: str, data: Any, *, method: str, url: URL | str) -> DecodeError:
        """A 200 answer whose JSON is not the shape the API promises (quoting its start)."""
        return cls(
            reason,
            status=200,
            method=method,
            url=url,
            content_type="application/json",
            snippet=repr(data)[:120],
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_decode_error,
            (self.reason, self.status, self.method, self.url, self.content_type, self.snippet),
        )


def _rebuild_decode_error(
    reason: str, status: int, method: str, url: str, content_type: str, snippet: str
) -> DecodeError:
    return DecodeError(
        reason, status=status, method=method, url=url, content_type=content_type, snippet=snippet
    )


class APIError(AirflowError):
    """The server answered with an error status.

    Attributes:
        status: HTTP status code.
        method: HTTP method of the request.
        url: Request URL, credentials removed.
        title, detail, type, instance: The Problem JSON fields (v1); ``None`` when absent.
        body: The decoded error body (JSON) or the beginning of the text body.
        hint: What to do about it, when the library can tell.
        retry_after: Seconds the server asked to wait (``Retry-After``), if it said.
    """

    status: int = 0

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: URL | str,
        title: str | None = None,
        detail: str | None = None,
        type: str | None = None,
        instance: str | None = None,
        body: Any = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.method = method
        self.url = redact_url(url)
        self.title = title
        self.detail = detail
        self.type = type
        self.instance = instance
        self.body = body
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        path = URL(self.url).raw_path if self.url else ""
        text = self.detail or self.title or "no details from the server"
        msg = f"{self.status} {self.method} {path}: {text}"
        if self.hint:
            msg += f" ({self.hint})"
        return msg

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, method={self.method!r}, url={self.url!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_api_error,
            (
                type(self),
                {
                    "status": self.status,
                    "method": self.method,
                    "url": self.url,
                    "title": self.title,
                    "detail": self.detail,
                    "type": self.type,
                    "instance": self.instance,
                    "body": self.body,
                    "hint": self.hint,
                    "retry_after": self.retry_after,
                },
            ),
        )


def _rebuild_api_error(cls: type[APIError], kwargs: dict[str, Any]) -> APIError:
    return cls(**kwargs)


class BadRequest(APIError):
    """400: the server rejected a parameter or body."""


class Unauthorized(APIError):
    """401: missing or wrong credentials."""


class Forbidden(APIError):
    """403: the user is authenticated but lacks the permission."""


class NotFound(APIError):
    """404: the DAG, run, task instance, key or other object does not exist."""


class Conflict(APIError):
    """409: the object already exists (e.g. a DAG run id that is taken)."""


class ValidationError(APIError):
    """422: the request did not validate (Airflow 3 answers this for bad input).

    ``str(err)`` names each problem as ``location: message``; :attr:`problems` has them as data.
    """

    @property
    def problems(self) -> list[tuple[str, str]]:
        """Each validation problem the server listed, as ``("body.logical_date", "Field required")``."""
        raw = self.body.get("detail") if isinstance(self.body, Mapping) else None
        if not isinstance(raw, list):
            return [("", self.detail)] if self.detail else []
        return _problems(raw)


class RateLimited(APIError):
    """429: the server (or a proxy) asks the client to slow down; see ``retry_after``."""


class ServerError(APIError):
    """5xx: the server failed to answer the request."""


class AuthenticationError(AirflowError):
    """Authentication could not be set up (a login failed, a scheme is unsupported)."""


class LoginFailed(AuthenticationError):
    """The login form rejected the credentials or did not behave like Airflow's login page."""

    def __init__(self, message: str, *, url: URL | str) -> None:
        self.url = redact_url(url)
        self.reason = message
        super().__init__(f"login at {self.url} failed: {message}")


class SessionAuthUnsupported(AuthenticationError):
    """The server's API does not accept the session cookie (no session backend enabled)."""


class RunNotFound(AirflowError):
    """An XCom entry's DAG run could not be found, so its value cannot be fetched (v1 only)."""


class HarvestAborted(AirflowError):
    """A harvest stopped early because the server kept failing (it looks down).

    Attributes:
        stats: The harvest's counts when it stopped.
    """

    def __init__(self, message: str, *, stats: object) -> None:
        self.stats = stats
        super().__init__(message)


class ServerNotRecognized(AirflowError):
    """The base URL did not answer like an Airflow REST API of any version this library speaks.

    Raised on entering a client with ``api_version="auto"``; the message says what came back
    from each version endpoint asked (an HTML page, a proxy's error, nothing).
    """


class NotSupportedByServer(UsageError):
    """The operation, group or body field is not in the API the server speaks, or not yet.

    Attributes:
        needs: What it needs, e.g. ``"Airflow 3.2.0"`` or ``"API v1 (Airflow 2)"``.
    """

    def __init__(self, message: str, *, needs: str) -> None:
        self.needs = needs
        super().__init__(message)


_BY_STATUS: Mapping[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
}

_HINTS: Mapping[int, str] = {
    401: "wrong username or password, or the credentials are not accepted by this server",
    403: "the user lacks the permission for this operation (ask an admin for a role that has it), or "
    "the password is wrong: Airflow 2 answers 403, not 401, to bad basic-auth credentials when its "
    "session auth backend is enabled",
}


def error_for_status(
    status: int,
    *,
    method: str,
    url: URL | str,
    body: Any,
    retry_after: float | None = None,
) -> APIError:
    """Build the typed :class:`APIError` for an error response.

    ``body`` is the decoded JSON (v1 Problem JSON or v2 ``{"detail": ...}``) or
    text. This function is pure: it is the error half of response decoding.
    """
    title = detail = type_ = instance = None
    if isinstance(body, Mapping):
        # v1: Problem JSON {type, title, status, detail, instance}; v2: {"detail": str | list |
        # object}; an unknown v2 route: {"error": str}. One reading for every shape.
        title = _opt_str(body.get("title"))
        detail = _detail_text(body.get("detail", body.get("error")))
        type_ = _opt_str(body.get("type"))
        instance = _opt_str(body.get("instance"))
    elif isinstance(body, str) and body.strip():
        detail = body.strip()[:200]
    hint = _HINTS.get(status)
    if status == 401:
        hint = f"{hint}; check the credentials for {_origin(url)}"
    kwargs: dict[str, Any] = {
        "status": status,
        "method": method,
        "url": url,
        "title": title,
        "detail": detail,
        "type": type_,
        "instance": instance,
        "body": body,
        "hint": hint,
        "retry_after": retry_after,
    }
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    return cls(**kwargs)


def _detail_text(raw: Any) -> str | None:
    """The ``detail`` of an error body as one line: a v2 validation list reads ``loc: msg; ...``."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, list) and raw and all(isinstance(p, Mapping) for p in raw):
        return "; ".join(f"{where}: {msg}" if where else msg for where, msg in _problems(raw))
    return str(raw)


def _problems(raw: list[Any]) -> list[tuple[str, str]]:
    """``(location, message)`` of each entry of a v2 validation list (``{"loc": [...], "msg"}``)."""
    found = []
    for problem in raw:
        if isinstance(problem, Mapping):
            loc = problem.get("loc")
            where = ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else ""
            found.append((where, str(problem.get("msg", problem))))
    return found


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _origin(url: URL | str) -> str:
    u = url if isinstance(url, URL) else URL(str(url))
    return str(u.origin()) if u.is_absolute() else str(u)
