"""Authentication schemes.

An :class:`Auth` adds headers to each request, may make requests of its own
(a login) before the first one, and is asked once per request what to do when
the server answers 401 or 403. The transport knows nothing else about auth, so
a new scheme (Airflow 3's token endpoint) plugs in without touching it.

Secrets never appear in ``repr()``, logs or error messages.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import re
import time
import warnings
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any, Protocol

import attrs
from yarl import URL

from .errors import LoginFailed, SessionAuthUnsupported, UsageError

__all__ = [
    "Auth",
    "AuthContext",
    "BasicAuth",
    "BearerToken",
    "PasswordAuth",
    "RawResponse",
    "SessionAuth",
    "SessionAuthFallbackWarning",
    "find_csrf_token",
    "jwt_claims",
]

log = logging.getLogger("airflow_async")


@attrs.frozen(kw_only=True)
class RawResponse:
    """A response to a request an auth scheme made itself (not decoded, not retried)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    cookies: Mapping[str, str]
    url: URL


class AuthContext(Protocol):
    """What the transport offers an auth scheme that needs to make its own requests."""

    @property
    def base_url(self) -> URL:
        """The server root (``http://host:port``, with any path prefix)."""

    @property
    def api_version(self) -> str:
        """The API version the client speaks: ``"v1"`` (Airflow 2) or ``"v2"`` (Airflow 3)."""

    async def raw_request(
        self,
        method: str,
        url: URL,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> RawResponse:
        """Send one request without auth, retries or redirects and return it undecoded."""


class Auth:
    """Base class of authentication schemes.

    Subclasses override :meth:`headers`, and when they need a login,
    :meth:`prepare` and :meth:`on_unauthorized`.
    """

    #: Bumped each time the credentials change (a new login); lets concurrent
    #: requests that failed with old credentials retry without logging in again.
    generation: int = 0

    #: The API versions this scheme authenticates against (Airflow 3's API v2 takes only
    #: bearer tokens). The client refuses a scheme that does not list the server's version.
    api_versions: frozenset[str] = frozenset({"v1", "v2"})

    def unsupported(self, api_version: str) -> str | None:
        """Why this scheme cannot authenticate ``api_version``, or None when it can."""
        if api_version in self.api_versions:
            return None
        return (
            f"{type(self).__name__} does not work with API {api_version} (Airflow 3 takes only bearer "
            "tokens): use PasswordAuth(username, password), which logs in on Airflow 2 and 3, or "
            "BearerToken(token)"
        )

    async def prepare(self, ctx: AuthContext) -> None:
        """Get ready to authenticate requests (log in if needed). Cheap once ready."""

    def headers(self) -> Mapping[str, str]:
        """Headers to add to an API request."""
        return {}

    async def on_unauthorized(
        self, ctx: AuthContext, status: int, generation: int, detail: str | None = None
    ) -> bool:
        """React to a 401/403 answered to a request sent with ``generation``'s credentials.

        ``detail`` is the server's reason when it gave one (Airflow 3: ``"Token Expired"``,
        ``"Invalid JWT token"``, ``"Forbidden"``). Returns True when the request should be sent
        once more with new credentials. The transport asks at most once per request, so a
        scheme that cannot recover never loops.
        """
        return False

    def on_success(self) -> None:
        """Called after an API request that was not refused for auth reasons."""


def _check_text(name: str, value: str, scheme: str) -> None:
    if not isinstance(value, str) or not value:
        raise UsageError(f"{scheme} needs a non-empty {name} string")


class BasicAuth(Auth):
    """HTTP basic auth: the user name and password on every request.

    Simple, and accepted wherever ``airflow.api.auth.backend.basic_auth`` is
    enabled, but Airflow 2 hashes the password on every request (about 100 ms of
    server CPU each); prefer :class:`SessionAuth` for bulk work.
    """

    api_versions = frozenset({"v1"})

    def __init__(self, username: str, password: str) -> None:
        _check_text("username", username, "BasicAuth")
        _check_text("password", password, "BasicAuth")
        self.username = username
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._header = {"Authorization": f"Basic {token}"}

    def headers(self) -> Mapping[str, str]:
        """The ``Authorization: Basic ...`` header."""
        return self._header

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=<redacted>)"


class BearerToken(Auth):
    """A static bearer token (``Authorization: Bearer <token>``)."""

    def __init__(self, token: str) -> None:
        _check_text("token", token, "BearerToken")
        self._header = {"Authorization": f"Bearer {token}"}

    def headers(self) -> Mapping[str, str]:
        """The ``Authorization: Bearer ...`` header."""
        return self._header

    def __repr__(self) -> str:
        return "BearerToken(token=<redacted>)"


class SessionAuthFallbackWarning(UserWarning):
    """SessionAuth could not use a session cookie and fell back to basic auth."""


_CSRF_INPUT = re.compile(r"<input\b[^>]*\bname=[\"']csrf_token[\"'][^>]*>", re.IGNORECASE)
_VALUE_ATTR = re.compile(r"\bvalue=[\"']([^\"']*)[\"']", re.IGNORECASE)


def find_csrf_token(page: str) -> str | None:
    """Return the ``csrf_token`` hidden input's value from a login page, if any."""
    match = _CSRF_INPUT.search(page)
    if match is None:
        return None
    value = _VALUE_ATTR.search(match.group(0))
    return html.unescape(value.group(1)) if value else None


class SessionAuth(Auth):
    """Log in once through Airflow 2's login form and send the session cookie.

    Airflow 2 verifies the password hash on every basic-auth request; a session
    cookie skips that, which cuts the server's time per API request about
    five-fold. The cookie is kept by this object (not the session's cookie jar),
    so it works for servers addressed by IP address, such as ``127.0.0.1``.

    The API accepts the cookie only where ``airflow.api.auth.backend.session`` is
    among ``[api] auth_backends`` (the default). Where it is not, or the server
    has no such login form, SessionAuth falls back to basic auth with one
    :class:`SessionAuthFallbackWarning`, or with ``strict=True`` raises
    :class:`~airflow_async.errors.SessionAuthUnsupported`. When the session
    expires (or its row is deleted, or it is logged out elsewhere) it logs in
    again, once per expiry, whether the API says so with 401 or, as the stock
    ``basic_auth,session`` setup does, with 403; a 403 to a live session is a
    permission refusal and stays a :class:`~airflow_async.errors.Forbidden`. A login that fails
    (:class:`~airflow_async.errors.LoginFailed`) is not tried again: every later
    request raises the same error without contacting the server, so a bad password
    or a broken login form costs one attempt, not one per request.

    Args:
        username: The Airflow user.
        password: Its password.
        strict: Raise instead of falling back to basic auth.
        login_path: Path of the login form on the server.
    """

    api_versions = frozenset({"v1"})

    def __init__(
        self,
        username: str,
        password: str,
        *,
        strict: bool = False,
        login_path: str = "/login/",
    ) -> None:
        _check_text("username", username, "SessionAuth")
        _check_text("password", password, "SessionAuth")
        self.username = username
        self._password = password
        self.strict = strict
        self.login_path = login_path
        self._cookie_header: dict[str, str] | None = None
        self._fallback: BasicAuth | None = None
        self._proven = False
        self._lock = asyncio.Lock()
        self._login_failure: LoginFailed | None = None
        self._alive_checked_at = float("-inf")
        self.logins = 0

    def __repr__(self) -> str:
        mode = "basic-fallback" if self._fallback else ("logged-in" if self._cookie_header else "new")
        return f"SessionAuth(username={self.username!r}, password=<redacted>, state={mode!r})"

    @property
    def using_fallback(self) -> bool:
        """Whether this auth fell back to basic auth."""
        return self._fallback is not None

    async def prepare(self, ctx: AuthContext) -> None:
        """Log in if no request has done so yet."""
        if self._cookie_header is not None or self._fallback is not None:
            return
        async with self._lock:
            if self._cookie_header is None and self._fallback is None:
                await self._login_or_fallback(ctx)

    def headers(self) -> Mapping[str, str]:
        """The ``Cookie`` header (or basic auth, after a fallback)."""
        if self._fallback is not None:
            return self._fallback.headers()
        return self._cookie_header or {}

    def on_success(self) -> None:
        """Remember that the server accepts the cookie."""
        if self._cookie_header is not None:
            self._proven = True

    async def on_unauthorized(
        self, ctx: AuthContext, status: int, generation: int, detail: str | None = None
    ) -> bool:
        """Log in again after the session died; fall back if the API never took the cookie.

        Airflow 2 answers 401 to a dead session where the API's only other backend
        is basic auth, but **403** where ``AUTH_ROLE_PUBLIC`` lets anonymous
        requests in (the stock ``basic_auth,session`` setup): the same 403 a user
        without permission gets. A 403 is told apart by asking the login page with
        the cookie: a live session is redirected away from it (the 403 is a real
        permission refusal and stays final), a dead one gets the form, which is then
        filled in. Concurrent refusals share one check and one login.
        """
        if status not in (401, 403):
            return False
        if generation != self.generation:
            return True  # the credentials changed (a new login, or the fallback) since it was sent
        if self._fallback is not None:
            return False
        refused_at = time.monotonic()
        async with self._lock:
            if generation != self.generation:
                return True  # another request already logged in again
            if self._login_failure is not None:
                raise self._failed_before()  # the cookie was refused, and logging in again failed
            if status == 403:
                return await self._renew_if_dead(ctx, refused_at)
            if not self._proven:
                self._give_up_on_session(
                    ctx,
                    "the API answered 401 to a fresh session cookie: "
                    "'airflow.api.auth.backend.session' is not in [api] auth_backends",
                )
                return True
            log.info("session cookie for %s was refused; logging in again", ctx.base_url)
            self._proven = False
            self._cookie_header = None  # dead either way; if the login fails, later requests see why
            await self._login(ctx)
            return True

    async def _renew_if_dead(self, ctx: AuthContext, refused_at: float) -> bool:
        """After a 403: log in again if the session is gone, else leave the 403 final."""
        if self._alive_checked_at >= refused_at:
            return False  # checked after this request was refused: the session is alive
        started = time.monotonic()
        page = await ctx.raw_request("GET", self._login_url(ctx), headers=self._cookie_header or {})
        if page.status in (301, 302, 303):
            self._alive_checked_at = started  # logged in: the login form sends us home
            return False
        log.info("the session for %s is gone (the API answered 403); logging in again", ctx.base_url)
        self._proven = False
        self._cookie_header = None
        await self._login(ctx, page=page)
        return True

    async def _login_or_fallback(self, ctx: AuthContext) -> None:
        try:
            await self._login(ctx)
        except SessionAuthUnsupported as exc:
            self._give_up_on_session(ctx, str(exc))

    def _give_up_on_session(self, ctx: AuthContext, why: str) -> None:
        if self.strict:
            raise SessionAuthUnsupported(f"session auth is not available at {ctx.base_url}: {why}")
        warnings.warn(
            f"SessionAuth falls back to basic auth for {ctx.base_url}: {why}. "
            "Basic auth costs the server a password hash per request.",
            SessionAuthFallbackWarning,
            stacklevel=2,
        )
        log.warning("SessionAuth falls back to basic auth for %s: %s", ctx.base_url, why)
        self._fallback = BasicAuth(self.username, self._password)
        self._cookie_header = None
        self.generation += 1

    def _failed_before(self) -> LoginFailed:
        assert self._login_failure is not None
        return LoginFailed(
            f"{self._login_failure.reason} (an earlier login failed; it is not tried again: "
            "fix the cause and use a new SessionAuth)",
            url=self._login_failure.url,
        )

    async def _login(self, ctx: AuthContext, page: RawResponse | None = None) -> None:
        if self._login_failure is not None:
            raise self._failed_before()
        try:
            await self._submit_login(ctx, page)
        except LoginFailed as exc:
            self._login_failure = exc
            raise

    def _login_url(self, ctx: AuthContext) -> URL:
        return under_root(ctx.base_url, self.login_path)

    async def _submit_login(self, ctx: AuthContext, page: RawResponse | None = None) -> None:
        """Fill in the login form, from ``page`` when the form was fetched already."""
        login_url = self._login_url(ctx)
        if page is None:
            page = await ctx.raw_request("GET", login_url)
        if page.status == 404:
            raise SessionAuthUnsupported(f"no login form at {login_url} (404)")
        if page.status >= 400:
            raise LoginFailed(f"the login page answered {page.status}", url=login_url)
        token = find_csrf_token(page.body.decode("utf-8", "replace"))
        if token is None:
            raise SessionAuthUnsupported(f"{login_url} has no csrf_token field; not Airflow 2's form")
        cookies = dict(page.cookies)
        answer = await ctx.raw_request(
            "POST",
            login_url,
            headers=_cookie_header(cookies),
            data={"username": self.username, "password": self._password, "csrf_token": token},
        )
        cookies.update(answer.cookies)
        location = answer.headers.get("Location", "")
        if answer.status not in (301, 302, 303) or "login" in URL(location).path:
            raise LoginFailed(
                "wrong username or password (the form did not accept them)"
                if answer.status in (200, 301, 302, 303)
                else f"the login form answered {answer.status}",
                url=login_url,
            )
        if "session" not in cookies:
            raise LoginFailed("the server set no session cookie after login", url=login_url)
        self._cookie_header = _cookie_header({"session": cookies["session"]})
        self.generation += 1
        self.logins += 1
        log.debug("logged in to %s as %s", ctx.base_url, self.username)


def under_root(root: URL, path: str) -> URL:
    """``path`` under the server root, keeping a path prefix (``[api] base_url``) it may have."""
    return root.with_path(root.path.rstrip("/") + "/" + path.lstrip("/"))


def _cookie_header(cookies: Mapping[str, str]) -> dict[str, str]:
    if not cookies:
        return {}
    jar: SimpleCookie = SimpleCookie()
    for name, value in cookies.items():
        jar[name] = value
    return {"Cookie": "; ".join(f"{m.key}={m.coded_value}" for m in jar.values())}


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, read without verifying it (the client only needs ``exp``/``iat``).

    Returns ``{}`` for a token that is not a JWT (an opaque token from another source).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


#: Refusals that mean "this token is no longer good": get a new one and send again, once.
_STALE_TOKEN = frozenset({"Token Expired", "Invalid JWT token", "Not authenticated"})


class PasswordAuth(Auth):
    """Log in with a user name and password, on Airflow 2 and Airflow 3 alike.

    On Airflow 3 (API v2) it asks ``POST {root}/auth/token`` for a JWT and sends it as
    ``Authorization: Bearer``. It reads the token's ``exp`` (without verifying the token) and
    gets a new one shortly before it expires: ``refresh_margin`` of the token's lifetime before,
    at most a minute, so a token that lives seconds is not renewed on every request. A 401
    "Token Expired" or a 403 "Invalid JWT token" (revoked, or the server's secret changed) gets
    one new token and the request is sent again; a 403 "Forbidden" is a permission refusal and
    stays final. Concurrent requests that find the token stale share one refresh.

    On Airflow 2 (API v1) it logs in like :class:`SessionAuth` (one form login, then the session
    cookie, with its fallback to basic auth where the API does not take the cookie).

    A wrong password is one :class:`~airflow_async.errors.LoginFailed`, not tried again.

    Args:
        username: The Airflow user.
        password: Its password.
        token_path: Where the token endpoint is, under the server root.
        refresh_margin: Renew when this share of the token's lifetime is left (at most 60 s).
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        token_path: str = "/auth/token",
        refresh_margin: float = 0.1,
    ) -> None:
        _check_text("username", username, "PasswordAuth")
        _check_text("password", password, "PasswordAuth")
        if not isinstance(refresh_margin, int | float) or not 0 <= refresh_margin < 1:
            raise UsageError(
                f"refresh_margin must be a share of the lifetime in [0, 1), got {refresh_margin!r}"
            )
        self.username = username
        self._password = password
        self.token_path = token_path
        self.refresh_margin = float(refresh_margin)
        self._session = SessionAuth(username, password)
        self._header: dict[str, str] | None = None
        self._renew_at = float("inf")
        self._token_generation = 0
        self._lock = asyncio.Lock()
        self._login_failure: LoginFailed | None = None
        self._v1 = False
        #: Tokens fetched so far (Airflow 3).
        self.tokens = 0

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, password=<redacted>)"

    @property
    def generation(self) -> int:  # type: ignore[override]  # read-only here: it follows the login
        """Bumped with each new token (Airflow 3) or login (Airflow 2)."""
        return self._session.generation if self._v1 else self._token_generation

    def bearer_token(self) -> str | None:
        """The current token (Airflow 3), for a script that asked for it; never logged or shown."""
        if self._header is None:
            return None
        return self._header["Authorization"].removeprefix("Bearer ")

    @property
    def logins(self) -> int:
        """Logins so far: session logins on Airflow 2, tokens fetched on Airflow 3."""
        return self._session.logins if self._v1 else self.tokens

    async def prepare(self, ctx: AuthContext) -> None:
        """Log in on first use, and get a new token before the current one expires."""
        if ctx.api_version == "v1":
            self._v1 = True
            await self._session.prepare(ctx)
            return
        if self._header is not None and time.monotonic() < self._renew_at:
            return
        stale = self._token_generation
        async with self._lock:
            if self._token_generation == stale:  # nobody renewed it while this request waited
                await self._fetch_token(ctx)

    def headers(self) -> Mapping[str, str]:
        """The bearer token (Airflow 3) or the session cookie (Airflow 2)."""
        if self._v1:
            return self._session.headers()
        return self._header or {}

    def on_success(self) -> None:
        """Tell the session login (Airflow 2) that its cookie works."""
        if self._v1:
            self._session.on_success()

    async def on_unauthorized(
        self, ctx: AuthContext, status: int, generation: int, detail: str | None = None
    ) -> bool:
        """Get a new token once after "Token Expired" or "Invalid JWT token"; leave "Forbidden" final."""
        if self._v1:
            return await self._session.on_unauthorized(ctx, status, generation, detail)
        if generation != self._token_generation:
            return True  # a newer token exists already: send with it
        if detail not in _STALE_TOKEN:
            return False
        async with self._lock:
            if generation == self._token_generation:
                log.info("the token for %s was refused (%s); getting a new one", ctx.base_url, detail)
                await self._fetch_token(ctx)
        return True

    async def _fetch_token(self, ctx: AuthContext) -> None:
        if self._login_failure is not None:
            raise LoginFailed(
                f"{self._login_failure.reason} (an earlier login failed; it is not tried again: "
                "fix the cause and use a new PasswordAuth)",
                url=self._login_failure.url,
            )
        url = under_root(ctx.base_url, self.token_path)
        answer = await ctx.raw_request(
            "POST", url, json={"username": self.username, "password": self._password}
        )
        if answer.status not in (200, 201):
            failure = LoginFailed(
                "wrong username or password (the token endpoint said 401)"
                if answer.status == 401
                else f"the token endpoint answered {answer.status}",
                url=url,
            )
            if answer.status in (400, 401, 403, 404, 405, 422):
                self._login_failure = failure  # asking again gives the same answer
            raise failure
        try:
            token = json.loads(answer.body)["access_token"]
        except (ValueError, KeyError, TypeError):
            raise LoginFailed("the token endpoint answered without an access_token", url=url) from None
        if not isinstance(token, str) or not token:
            raise LoginFailed("the token endpoint answered an empty access_token", url=url)
        claims = jwt_claims(token)
        now = time.time()
        exp, iat = claims.get("exp"), claims.get("iat")
        if isinstance(exp, int | float):
            lifetime = float(exp - (iat if isinstance(iat, int | float) else now))
            margin = min(60.0, max(0.0, lifetime) * self.refresh_margin)
            self._renew_at = time.monotonic() + max(0.0, lifetime - margin)
        else:
            self._renew_at = float("inf")  # no expiry to read: renew only when it is refused
        self._header = {"Authorization": f"Bearer {token}"}
        self._token_generation += 1
        self.tokens += 1
        log.debug("got a token for %s as %s", ctx.base_url, self.username)
