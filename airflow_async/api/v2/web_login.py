"""API v2 login and logout pages: ``client.web_login`` (Airflow 3)."""

from __future__ import annotations

from collections.abc import Sequence

from yarl import URL

from ..._http import decode_response
from ...errors import DecodeError
from .._base import Resource


class WebLoginResource(Resource):
    """The browser login/logout redirects of API v2 (``/auth/login``, ``/auth/logout``).

    Both answer a redirect meant for a browser; these methods return where it points (an
    absolute URL, resolved against the server's) without following it. A script logs in with
    :class:`~airflow_async.PasswordAuth`, not through these pages.
    """

    async def login_url(self, next: str | None = None) -> str:
        """The URL of the auth manager's login page (``GET /auth/login``).

        Args:
            next: Where the page sends the browser after login: a path of the server (or a
                URL on its host); the server refuses other hosts.

        Raises:
            BadRequest: ``next`` points somewhere the server calls unsafe (another host).
        """
        return await self._location(("auth", "login"), {"next": next} if next is not None else {})

    async def logout_url(self) -> str:
        """Where ``GET /auth/logout`` sends a browser (the login page with the simple auth manager).

        Sent without the client's credentials: with a token, the server revokes it (and
        clears the ``_token`` cookie), which would log this client out. Revoking a token is
        not what this method is for.
        """
        return await self._location(("auth", "logout"), {})

    async def _location(self, segments: Sequence[str], params: dict[str, str]) -> str:
        transport = self._t
        url = transport.url(segments, params)
        # raw_request sends once, without credentials, and never follows redirects.
        resp = await transport.raw_request("GET", url, headers={"Accept": "application/json"})
        location = resp.headers.get("Location") or resp.headers.get("location")
        if 300 <= resp.status < 400 and location:
            return str(url.join(URL(location, encoded=True)))  # as sent, not re-encoded
        decode_response(status=resp.status, headers=resp.headers, body=resp.body, method="GET", url=url)
        raise DecodeError(
            "expected a redirect with a Location header",
            status=resp.status,
            method="GET",
            url=url,
            content_type=resp.headers.get("Content-Type", ""),
            snippet=resp.body[:200].decode(errors="replace"),
        )
