"""The client: ``AirflowClient``, the entry point of the library."""

from __future__ import annotations

import logging
import weakref
from typing import Final

import aiohttp
from yarl import URL

from ._closing import AsyncClosing
from ._http import normalize_base_url
from .api import ResourceGroups
from .api._base import Closeable
from .auth import Auth
from .errors import APIError, ClientNotOpen, DecodeError, ServerNotRecognized, UsageError
from .retry import NO_RETRY, RetryPolicy
from .transport import ClientStats, Transport
from .versions import DETECTION_ORDER, ApiVersion, Release, parse_release
from .versions import api_version as find_api_version

__all__ = ["DEFAULT_MAX_CONCURRENCY", "DEFAULT_TIMEOUT", "AirflowClient", "detect_version"]

log = logging.getLogger("airflow_async")

#: Requests in flight at most before the API version is known (then the version's default).
DEFAULT_MAX_CONCURRENCY: Final = 16
#: Seconds per attempt, by default.
DEFAULT_TIMEOUT: Final = 30.0
#: Largest response accepted by default (bytes).
DEFAULT_MAX_RESPONSE_BYTES: Final = 256 * 1024 * 1024


async def detect_version(transport: Transport) -> tuple[ApiVersion, Release]:
    """Ask the server which API it speaks: the unauthenticated version endpoint of each version.

    Tries the versions in :data:`~airflow_async.versions.DETECTION_ORDER` (v2 first: Airflow 3
    answers 404 on ``/api/v1``) and returns the first that answers, with the server's release.

    Raises:
        ServerNotRecognized: None answered like Airflow; the message says what came back.
    """
    seen: list[str] = []
    for version in DETECTION_ORDER:
        try:
            data = await transport.request("GET", ["version"], prefix=version.prefix, probe=True)
        except (APIError, DecodeError) as exc:
            seen.append(f"{version.version_path}: {exc}")
            continue
        text = data.get("version") if isinstance(data, dict) else None
        try:
            release = parse_release(text) if isinstance(text, str) else None
        except ValueError:
            release = None
        if release is None:
            seen.append(f"{version.version_path}: no release number in {str(data)[:80]!r}")
            continue
        log.debug("%s speaks API %s (Airflow %s)", transport.base_url, version.name, text)
        return version, release
    raise ServerNotRecognized(
        f"{transport.base_url} does not answer like Airflow's REST API ({'; '.join(seen)}): is it the "
        "Airflow webserver (Airflow 2) or api-server (Airflow 3) root? Pass api_version='v1' or 'v2' "
        "to skip this check"
    )


class AirflowClient(ResourceGroups, AsyncClosing):
    """An asyncio client for one Airflow server's REST API (Airflow 2.x API v1, Airflow 3.x API v2).

    Use it as an async context manager::

        async with AirflowClient("http://127.0.0.1:8080", auth=PasswordAuth("admin", "admin")) as af:
            async for run in af.dag_runs.list("~"):
                print(run.dag_run_id)

    The resource groups (``dags``, ``dag_runs``, ``task_instances``, ``xcom``, ``variables``,
    ``pools``, ``connections``, ``monitoring``...) are attributes, declared once in
    :class:`~airflow_async.api.ResourceGroups`; together they cover every operation of both APIs
    (``airflow_async.OPERATIONS`` and ``airflow_async.api.v2.OPERATIONS``). A group the server's
    API lacks raises :class:`~airflow_async.errors.NotSupportedByServer`.

    Args:
        base_url: The server root, e.g. ``http://127.0.0.1:8080``; the client adds the API
            prefix (``/api/v1`` or ``/api/v2``). A URL that already ends in it is accepted.
        auth: How to authenticate: :class:`~airflow_async.auth.PasswordAuth` (both versions),
            :class:`~airflow_async.auth.SessionAuth` or :class:`~airflow_async.auth.BasicAuth`
            (Airflow 2), :class:`~airflow_async.auth.BearerToken`.
        max_concurrency: Requests in flight at most, across everything this client does. By
            default the API version's (16 on Airflow 2, 8 on Airflow 3: see
            :data:`~airflow_async.versions.API_VERSIONS`).
        timeout: Seconds per attempt (or an ``aiohttp.ClientTimeout``).
        retry: The retry policy; ``None`` disables retries.
        session: An aiohttp session to borrow; it is never closed by the client. By
            default the client creates its own on entry and closes it on exit.
        api_version: ``"auto"`` (ask the server on entry), ``"v1"`` (Airflow 2.x) or ``"v2"``
            (Airflow 3.x).
        max_response_bytes: Largest response body accepted; ``None`` for no limit.

    Attributes:
        api: The API version spoken, from :data:`~airflow_async.versions.API_VERSIONS`.
    """

    def __init__(
        self,
        base_url: str | URL,
        *,
        auth: Auth,
        max_concurrency: int | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = RetryPolicy(),  # noqa: B008 - frozen, shared safely
        session: aiohttp.ClientSession | None = None,
        api_version: str = "auto",
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        #: The API version spoken: chosen on entry when ``api_version="auto"``.
        self.api: ApiVersion | None = None if api_version == "auto" else find_api_version(api_version)
        #: The server's release, as the version endpoint told it on entry (``None`` when the
        #: version was forced and no probe was made).
        self.server_version: Release | None = None
        if not isinstance(auth, Auth):
            raise UsageError(
                f"auth must be an Auth such as BasicAuth('user', 'password'), got {type(auth).__name__}"
            )
        if max_concurrency is not None and (
            not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool) or max_concurrency < 1
        ):
            raise UsageError(f"max_concurrency must be an int >= 1, got {max_concurrency!r}")
        if isinstance(timeout, aiohttp.ClientTimeout):
            self._timeout = timeout
        elif isinstance(timeout, int | float) and timeout > 0:
            self._timeout = aiohttp.ClientTimeout(total=float(timeout))
        else:
            raise UsageError(f"timeout must be seconds > 0 or an aiohttp.ClientTimeout, got {timeout!r}")
        if max_response_bytes is not None and max_response_bytes < 1:
            raise UsageError(f"max_response_bytes must be None or >= 1, got {max_response_bytes!r}")
        self.base_url = normalize_base_url(base_url, api_version)
        self.auth = auth
        self._max_concurrency = max_concurrency
        self.retry = retry if retry is not None else NO_RETRY
        self.max_response_bytes = max_response_bytes
        self._borrowed = session
        self._transport: Transport | None = None
        self._stats = ClientStats()
        #: Harvests and the like not closed yet; closed on exit (a consumer that broke out of
        #: ``async for`` without ``async with`` leaves their workers waiting otherwise).
        self._closeables: weakref.WeakSet[Closeable] = weakref.WeakSet()

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at most: as given, or the API version's default once it is known."""
        if self._max_concurrency is not None:
            return self._max_concurrency
        return self.api.default_concurrency if self.api is not None else DEFAULT_MAX_CONCURRENCY

    @property
    def api_version(self) -> str:
        """``"v1"`` or ``"v2"``; ``"auto"`` until an auto-detecting client is open."""
        return self.api.name if self.api is not None else "auto"

    @property
    def api_prefix(self) -> str:
        """The path prefix of the client's API version (``/api/v1``)."""
        if self.api is None:
            raise ClientNotOpen(
                "the API version is chosen when the client opens (api_version='auto'): use the "
                "client inside 'async with', or pass api_version='v1' or 'v2'"
            )
        return self.api.prefix

    def close_on_exit(self, closeable: Closeable) -> None:
        """Close ``closeable`` (a harvest) when the client closes, if its user has not by then."""
        self._closeables.add(closeable)

    @property
    def transport(self) -> Transport:
        """The open transport; raises :class:`ClientNotOpen` outside ``async with``."""
        if self._transport is None:
            raise ClientNotOpen(
                "the client is not open: use it inside 'async with AirflowClient(...) as client:'"
            )
        return self._transport

    @property
    def stats(self) -> ClientStats:
        """Counters of requests sent, retries, failures and bytes (kept after the client closes)."""
        return self._transport.stats if self._transport is not None else self._stats

    async def __aenter__(self) -> AirflowClient:
        if self._transport is not None:
            raise UsageError("the client is already open; enter it once")
        session = self._borrowed
        if session is None:
            session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                connector=aiohttp.TCPConnector(limit=max(100, self.max_concurrency * 2)),
            )
        elif session.closed:
            raise UsageError("the session passed to AirflowClient is closed")
        transport = Transport(
            base_url=self.base_url,
            api_prefix=self.api.prefix if self.api is not None else "",
            api_name=self.api_version,
            auth=self.auth,
            session=session,
            max_concurrency=self.max_concurrency,
            timeout=self._timeout,
            retry=self.retry,
            max_response_bytes=self.max_response_bytes,
        )
        transport.stats = self._stats
        try:
            if self.api is None:
                self.api, self.server_version = await detect_version(transport)
                transport.api_prefix, transport.api_name = self.api.prefix, self.api.name
                transport.set_max_concurrency(self.max_concurrency)
            why = self.auth.unsupported(self.api.name)
            if why is not None:
                raise UsageError(f"{why} (the server at {self.base_url} speaks API {self.api.name})")
        except BaseException:
            if self._borrowed is None:
                await session.close()
            raise
        self._transport = transport
        return self

    async def aclose(self) -> None:
        """Close harvests still running, then the client's own session (a borrowed one stays open)."""
        for closeable in list(self._closeables):
            await closeable.aclose()
        transport, self._transport = self._transport, None
        if transport is not None and self._borrowed is None:
            await transport.session.close()

    def __repr__(self) -> str:
        state = "open" if self._transport is not None else "closed"
        return (
            f"AirflowClient({str(self.base_url)!r}, auth={self.auth!r}, api_version={self.api_version!r}, "
            f"max_concurrency={self.max_concurrency}, {state})"
        )
