"""The transport: the one place that sends requests.

It owns the aiohttp session (or borrows the caller's), holds the concurrency
semaphore for each attempt (and releases it while backing off), applies the
per-attempt timeout, runs the retry policy through tenacity, lets the auth scheme
log in and re-authenticate, and counts what it did in :class:`ClientStats`.
"""

from __future__ import annotations

import asyncio
import functools
import json as jsonlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import aiohttp
import attrs
from tenacity import AsyncRetrying, RetryCallState, stop_never
from yarl import URL

from ._http import QueryValue, build_url, decode_response
from .auth import Auth, RawResponse
from .errors import (
    AirflowError,
    APIError,
    ConnectError,
    RequestTimeout,
    ResponseTooLarge,
    TransportError,
)
from .retry import RetryBudget, RetryDecision, RetryPolicy

__all__ = ["ClientStats", "Transport"]

log = logging.getLogger("airflow_async")

T = TypeVar("T")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: Sends no credentials: the version probe asks before the client knows how to authenticate.
_NO_AUTH = Auth()


def refusal_detail(body: bytes) -> str | None:
    """The ``detail`` of a 401/403 body (``"Token Expired"``...), for the auth scheme to act on."""
    try:
        data = jsonlib.loads(body) if body else None
    except ValueError:
        return None
    detail = data.get("detail") if isinstance(data, dict) else None
    return detail if isinstance(detail, str) else None


@attrs.define(kw_only=True)
class ClientStats:
    """Counters a user can read after a run (``client.stats``).

    Attributes:
        requests: HTTP requests sent (every attempt, logins included).
        retries: Attempts that were retried after a failure.
        failures: Requests that ended in an error after all retries.
        reauths: Requests repeated after the auth scheme logged in again.
        bytes_sent: Request body bytes sent.
        bytes_received: Response body bytes received.
        budget_exhausted: Retries refused because the retry budget was empty.
    """

    requests: int = 0
    retries: int = 0
    failures: int = 0
    reauths: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    budget_exhausted: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return attrs.asdict(self)


def _not_written(exc: BaseException) -> bool:
    """Whether ``exc`` says the request could not be written to a connection that was closing.

    aiohttp raises ``ClientOSError("Can not write request body ...")`` caused by a
    ``ConnectionResetError("Cannot write to closing transport")``: the bytes were refused
    before they left, so the server never had the whole request and cannot have acted on it.
    """
    for err in (exc, exc.__cause__):
        if isinstance(err, ConnectionResetError) and "Cannot write to closing transport" in str(err):
            return True
    return False


def _decoder(
    status: int, headers: Mapping[str, str], body: bytes, method: str, url: URL
) -> Callable[[], Any]:
    """What an attempt returns for a whole answer: its decoded JSON, or its typed error raised."""
    return functools.partial(
        decode_response, status=status, headers=headers, body=body, method=method, url=url
    )


@attrs.define
class _RequestState:
    server_errors: int = 0
    decision: RetryDecision = attrs.field(factory=lambda: RetryDecision(retry=False))


class _MapErrors:
    """``with`` block turning what aiohttp raises while a request is sent or read into the
    library's errors (a class, not a generator: it runs once per request)."""

    __slots__ = ("method", "timeout", "url")

    def __init__(self, timeout: float | None, method: str, url: URL) -> None:
        self.timeout, self.method, self.url = timeout, method, url

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> Literal[False]:
        if exc is None or isinstance(exc, AirflowError) or not isinstance(exc, Exception):
            return False
        method, url = self.method, self.url
        if isinstance(exc, (TimeoutError, aiohttp.ServerTimeoutError)):
            raise RequestTimeout(
                f"no complete response within {self.timeout}s ({type(exc).__name__}); "
                "raise timeout= or lower max_concurrency if the server is overloaded",
                method=method,
                url=url,
            ) from None
        if isinstance(exc, aiohttp.ClientConnectorError):
            raise ConnectError(
                f"cannot connect to {url.host}:{url.port}: {exc.os_error or exc}; "
                "is the server running and is base_url right?",
                method=method,
                url=url,
            ) from None
        if isinstance(exc, (aiohttp.ClientError, OSError)):
            if _not_written(exc):
                # A kept-alive connection the server had closed: the request did not get out, so
                # even a write is safe to send again (the retry policy treats it as a ConnectError).
                raise ConnectError(
                    f"the connection was closed before the request was sent ({type(exc).__name__}: {exc})",
                    method=method,
                    url=url,
                ) from None
            raise TransportError(f"{type(exc).__name__}: {exc}", method=method, url=url) from None
        return False


class Transport:
    """Sends requests to one Airflow server. Created and owned by ``AirflowClient``.

    Args:
        base_url: The server root.
        api_prefix: ``/api/v1`` or ``/api/v2``.
        api_name: ``"v1"`` or ``"v2"``.
        auth: The authentication scheme.
        session: An open aiohttp session (owned by the client or borrowed).
        max_concurrency: Requests in flight at most.
        timeout: Per-attempt timeout.
        retry: The retry policy.
        max_response_bytes: Largest response body accepted (``None``: no limit).
    """

    def __init__(
        self,
        *,
        base_url: URL,
        api_prefix: str,
        api_name: str,
        auth: Auth,
        session: aiohttp.ClientSession,
        max_concurrency: int,
        timeout: aiohttp.ClientTimeout,
        retry: RetryPolicy,
        max_response_bytes: int | None,
    ) -> None:
        self.base_url = base_url
        self.api_prefix = api_prefix
        self.api_name = api_name
        self.auth = auth
        self.session = session
        self.max_concurrency = max_concurrency
        self.semaphore = asyncio.Semaphore(max_concurrency)
        self.timeout = timeout
        # The total is enforced with asyncio.timeout() around each attempt rather than by aiohttp:
        # aiohttp enters the same timer twice per request (request, then response start) and
        # both exits uncancel the task, so a cancellation that lands as the timeout expires is
        # turned into a TimeoutError and lost (a harvest closing at that moment never ended).
        self._attempt_timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout.connect,
            sock_read=timeout.sock_read,
            sock_connect=timeout.sock_connect,
            ceil_threshold=timeout.ceil_threshold,
        )
        self.retry = retry
        self.budget = RetryBudget(retry.budget) if retry.budget is not None else None
        self.max_response_bytes = max_response_bytes
        self.stats = ClientStats()
        #: How the transport waits between attempts (replaceable in tests).
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def set_max_concurrency(self, limit: int) -> None:
        """Change the bound on requests in flight (before any request of the client's own)."""
        self.max_concurrency = limit
        self.semaphore = asyncio.Semaphore(limit)

    @property
    def api_version(self) -> str:
        """The name of the API version spoken (``"v1"`` or ``"v2"``), for the auth scheme."""
        return self.api_name

    def url(self, segments: Sequence[str | int], params: Mapping[str, QueryValue] | None = None) -> URL:
        """The full URL of an API path given as segments."""
        url: URL = build_url(self.base_url, self.api_prefix, segments, params)
        return url

    async def request(
        self,
        method: str,
        segments: Sequence[str | int],
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        prefix: str | None = None,
        probe: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send an API request and return its decoded JSON body.

        Args:
            method: HTTP method.
            segments: Path segments after the API prefix, each encoded separately.
            params: Query parameters (see :func:`~airflow_async._http.encode_query`).
            json: A JSON body.
            idempotent: Whether the request is safe to repeat; by default GET, PUT and
                DELETE are, POST and PATCH are not. Read-only POST listings pass True.
            prefix: Another path prefix than the client's API version's (the version probe).
            probe: The version probe: sent without credentials, and an error answer (the 404
                of the version an older server lacks) is expected, not counted as a failure.
            headers: Extra request headers an operation takes (``Airflow-Connection-Test-Token``),
                sent with every attempt beside the auth scheme's. Never secrets of the auth.

        Raises:
            APIError: The server answered an error status (after retries).
            TransportError: No response (after retries).
            DecodeError: The body was not the JSON the API promises.
        """
        method = method.upper()
        url: URL = build_url(self.base_url, self.api_prefix if prefix is None else prefix, segments, params)
        body = None if json is None else jsonlib.dumps(json).encode()
        auth = _NO_AUTH if probe else self.auth

        extra = dict(headers or {})

        async def send(headers: dict[str, str]) -> tuple[int, bytes, Callable[[], Any]]:
            async with self.semaphore:
                status, resp_headers, data, _ = await self._send(method, url, {**extra, **headers}, body)
            return status, data, _decoder(status, resp_headers, data, method, url)

        return await self._run(
            method, url, idempotent, lambda: self._attempt(auth, body is not None, send), probe=probe
        )

    async def stream_lines(
        self,
        method: str,
        segments: Sequence[str | int],
        *,
        params: Mapping[str, QueryValue] | None = None,
    ) -> AsyncIterator[Any]:
        """Send a request whose answer streams JSON lines (NDJSON), and yield each line's data as it arrives.

        The request goes through the same auth, error decoding and semaphore as :meth:`request`
        (the semaphore is held while the stream is open). Opening the stream is retried as
        :meth:`request` retries a request (GET is safe to repeat); once the first line was
        delivered nothing is retried, and a broken stream raises ``TransportError``. The
        per-attempt timeout bounds the wait for the response and then the wait for each line.
        Blank lines are skipped. Close the iterator (``contextlib.aclosing``) to stop early.

        Raises:
            APIError: The server refused the request (after retries).
            TransportError: No response, or the stream broke off.
            DecodeError: A line was not JSON.
            ResponseTooLarge: One line was longer than ``max_response_bytes``.
        """
        method = method.upper()
        url: URL = build_url(self.base_url, self.api_prefix, segments, params)
        auth = self.auth

        async def send(headers: dict[str, str]) -> tuple[int, bytes, Callable[[], aiohttp.ClientResponse]]:
            await self.semaphore.acquire()
            try:
                with self._errors(method, url):
                    async with asyncio.timeout(self.timeout.total):
                        # Uncompressed: a gzip middleware (Airflow 3.1's api-server) holds the
                        # lines back until its buffer fills, so none would arrive while it waits.
                        resp = await self._open(method, url, {**headers, "Accept-Encoding": "identity"}, None)
                if resp.status < 400:
                    return resp.status, b"", lambda: resp  # the semaphore stays held for the stream
                async with resp:
                    with self._errors(method, url):
                        async with asyncio.timeout(self.timeout.total):
                            data = await self._read_body(method, url, resp)
            except BaseException:
                self.semaphore.release()
                raise
            self.semaphore.release()
            self.stats.bytes_received += len(data)
            return resp.status, data, _decoder(resp.status, resp.headers, data, method, url)

        resp = await self._run(method, url, None, lambda: self._attempt(auth, False, send))
        try:
            async with resp:
                async for line in self._lines(method, url, resp):
                    yield decode_response(
                        status=resp.status,
                        headers={"Content-Type": "application/json"},
                        body=line,
                        method=method,
                        url=url,
                    )
        finally:
            self.semaphore.release()

    async def _lines(self, method: str, url: URL, resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        """The non-blank lines of a streamed body, each as soon as its newline (or the end) arrives."""
        limit = self.max_response_bytes
        pending = b""
        while True:
            with self._errors(method, url):
                async with asyncio.timeout(self.timeout.total):
                    chunk = await resp.content.readany()
            self.stats.bytes_received += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if limit is not None and len(pending) > limit:
                raise ResponseTooLarge(
                    f"a line of the stream exceeded max_response_bytes={limit}; raise it to accept it",
                    method=method,
                    url=url,
                )
            for line in lines:
                if line.strip():
                    yield line
            if not chunk:  # the end of the body
                if pending.strip():
                    yield pending
                return

    async def _run(
        self,
        method: str,
        url: URL,
        idempotent: bool | None,
        attempt_once: Callable[[], Awaitable[T]],
        *,
        probe: bool = False,
    ) -> T:
        """Run ``attempt_once`` and retry it as the retry policy says; count the outcome."""
        failed: AirflowError | None = None
        try:
            try:
                result = await attempt_once()
            except AirflowError as first:
                if not self.retry.enabled:
                    raise
                failed = first
            else:
                self._succeeded()
                return result
            # The first attempt runs outside tenacity (it costs per call); after a failure,
            # tenacity sees that failure as attempt 1 and drives the retries from there.
            safe = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent

            async def attempt() -> T:
                nonlocal failed
                if failed is not None:
                    error, failed = failed, None
                    raise error
                return await attempt_once()

            result = await self._retrying(method, url, safe)(attempt)
        except AirflowError:
            if not probe:
                self.stats.failures += 1
            raise
        self._succeeded()
        return result

    def _succeeded(self) -> None:
        if self.budget is not None:
            self.budget.refund()

    def _retrying(self, method: str, url: URL, idempotent: bool) -> AsyncRetrying:
        policy, budget, stats = self.retry, self.budget, self.stats
        state = _RequestState()

        def should_retry(rs: RetryCallState) -> bool:
            exc = rs.outcome.exception() if rs.outcome is not None else None
            if not isinstance(exc, AirflowError):
                return False  # success, cancellation or a bug: never retried
            if isinstance(exc, APIError) and exc.status == 500:
                state.server_errors += 1
            decision = policy.decide(
                exc,
                attempt=rs.attempt_number,
                server_errors=state.server_errors,
                idempotent=idempotent,
            )
            if decision.retry and budget is not None and not budget.try_spend(exc):
                stats.budget_exhausted += 1
                log.warning(
                    "not retrying %s %s (%s): the retry budget is spent; the server looks down",
                    method,
                    url.raw_path,
                    decision.reason,
                )
                return False
            state.decision = decision
            return bool(decision.retry)

        def wait(rs: RetryCallState) -> float:
            return float(max(policy.backoff(rs.attempt_number), state.decision.min_wait))

        def before_sleep(rs: RetryCallState) -> None:
            stats.retries += 1
            exc = rs.outcome.exception() if rs.outcome is not None else None
            log.warning(
                "retrying %s %s after %s (attempt %d of %d, waiting %.2fs): %s",
                method,
                url.raw_path,
                state.decision.reason,
                rs.attempt_number,
                policy.max_attempts,
                rs.upcoming_sleep,
                exc,
            )

        return AsyncRetrying(
            retry=should_retry,
            wait=wait,
            stop=stop_never,
            before_sleep=before_sleep,
            reraise=True,
            sleep=self.sleep,
        )

    async def _attempt(
        self,
        auth: Auth,
        has_body: bool,
        send: Callable[[dict[str, str]], Awaitable[tuple[int, bytes, Callable[[], T]]]],
    ) -> T:
        """One attempt: ``send(headers)`` with the auth scheme's headers, once more after a re-login.

        ``send`` answers the status, the body of a refusal (for the auth scheme) and what to
        return (the decoded answer, or raise its typed error).
        """
        await auth.prepare(self)
        reauthed = False
        while True:
            generation = auth.generation
            headers = {"Accept": "application/json", **auth.headers()}
            if has_body:
                headers["Content-Type"] = "application/json"
            status, data, finish = await send(headers)
            if status in (401, 403) and not reauthed:
                if await auth.on_unauthorized(self, status, generation, refusal_detail(data)):
                    reauthed = True
                    self.stats.reauths += 1
                    continue
            if status not in (401, 403):
                auth.on_success()
            return finish()

    def _errors(self, method: str, url: URL) -> _MapErrors:
        """Turn what aiohttp raises while a request is sent or read into the library's errors."""
        return _MapErrors(self.timeout.total, method, url)

    async def _open(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        form: Mapping[str, str] | None = None,
        allow_redirects: bool = True,
    ) -> aiohttp.ClientResponse:
        """Send a request and return the response with its body unread (count it in the stats)."""
        self.stats.requests += 1
        if body is not None:
            self.stats.bytes_sent += len(body)
        return await self.session.request(
            method,
            url,
            headers=headers,
            data=body if form is None else form,
            timeout=self._attempt_timeout,
            allow_redirects=allow_redirects,
        )

    async def _send(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        form: Mapping[str, str] | None = None,
        allow_redirects: bool = True,
    ) -> tuple[int, Mapping[str, str], bytes, Mapping[str, Any]]:
        stats = self.stats
        started = time.monotonic()
        with self._errors(method, url):
            async with asyncio.timeout(self.timeout.total):
                resp = await self._open(
                    method, url, headers, body, form=form, allow_redirects=allow_redirects
                )
                async with resp:
                    data = await self._read_body(method, url, resp)
                    status, resp_headers, cookies = resp.status, resp.headers, resp.cookies
        stats.bytes_received += len(data)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %d (%d bytes, %.3fs)",
                method,
                url.raw_path_qs,
                status,
                len(data),
                time.monotonic() - started,
            )
        return status, resp_headers, data, cookies

    async def _read_body(self, method: str, url: URL, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.max_response_bytes
        length = resp.content_length
        if limit is None or (length is not None and length <= limit):
            return await resp.read()
        if length is not None:
            raise ResponseTooLarge(
                f"the response has {length} bytes, more than max_response_bytes="
                f"{limit}; raise max_response_bytes to accept it",
                method=method,
                url=url,
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(
                    f"the response exceeded max_response_bytes={limit}; raise it to accept it",
                    method=method,
                    url=url,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    # -- AuthContext -----------------------------------------------------------------------

    async def raw_request(
        self,
        method: str,
        url: URL,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> RawResponse:
        """Send one request for an auth scheme: no auth, no retries, no redirects."""
        sent = dict(headers or {})
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent["Content-Type"] = "application/json"
        async with self.semaphore:
            status, resp_headers, body_read, cookies = await self._send(
                method, url, sent, body, form=data, allow_redirects=False
            )
        return RawResponse(
            status=status,
            headers=dict(resp_headers),
            body=body_read,
            cookies={name: morsel.value for name, morsel in cookies.items()},
            url=url,
        )
