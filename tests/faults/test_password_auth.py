"""PasswordAuth on API v2 against a fake token server, and version detection.

The fake answers what the real Airflow 3.3.2 api-server answers (checked against it: see
tests/harness/airflow3.py): ``POST /auth/token`` 201 ``{"access_token"}``, 401
``{"detail": "Token Expired"}`` after ``exp``, 403 ``{"detail": "Invalid JWT token"}`` for a
token it did not sign (or revoked), 403 ``{"detail": "Forbidden"}`` for a permission, 401
``{"detail": "Invalid credentials"}`` for a wrong password. What the real server cannot do on
demand (revoke a token mid-harvest, refuse one path) is what this fake is for; the real-server
tests cover expiry with a 5-second token.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from airflow_async import (
    AirflowClient,
    BasicAuth,
    Forbidden,
    LoginFailed,
    NotSupportedByServer,
    PasswordAuth,
    ServerNotRecognized,
    SessionAuth,
    UsageError,
)
from airflow_async.auth import jwt_claims
from tests.faults.helpers import serve

pytestmark = pytest.mark.filterwarnings("error")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FakeAirflow3:
    """Just enough of an Airflow 3 api-server: version, token endpoint, a DAG listing."""

    def __init__(self, *, lifetime: float = 3600.0, prefix: str = "") -> None:
        self.lifetime = lifetime
        self.prefix = prefix
        self.valid: set[str] = set()
        self.forbidden_paths: set[str] = set()
        self.tokens_issued = 0
        self.refusals: dict[str, int] = {"Token Expired": 0, "Invalid JWT token": 0, "Forbidden": 0}
        self.api_requests = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    def token(self) -> str:
        now = time.time()
        payload = {"sub": "admin", "iat": int(now), "exp": now + self.lifetime, "jti": secrets.token_hex(4)}
        token = f"{_b64({'alg': 'HS512'})}.{_b64(payload)}.sig{secrets.token_hex(4)}"
        self.valid.add(token)
        return token

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"username": "admin", "password": "admin"}:
            return web.json_response({"detail": "Invalid credentials"}, status=401)
        self.tokens_issued += 1
        return web.json_response({"access_token": self.token()}, status=201)

    def _refuse(self, status: int, detail: str) -> web.Response:
        self.refusals[detail] = self.refusals.get(detail, 0) + 1
        return web.json_response({"detail": detail}, status=status)

    async def _api(self, request: web.Request) -> web.Response:
        self.api_requests += 1
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self._refuse(401, "Not authenticated")
        token = header.removeprefix("Bearer ")
        if token not in self.valid:
            return self._refuse(403, "Invalid JWT token")
        if jwt_claims(token)["exp"] < time.time():
            return self._refuse(401, "Token Expired")
        if request.path in self.forbidden_paths:
            return self._refuse(403, "Forbidden")
        await asyncio.sleep(0.002)
        dag_id = request.match_info.get("dag_id", "x")
        return web.json_response({"dag_id": dag_id, "is_paused": False})

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "3.1.8", "git_version": None})

    async def __aenter__(self) -> FakeAirflow3:
        app = web.Application()
        p = self.prefix
        app.router.add_get(f"{p}/api/v2/version", self._version)
        app.router.add_post(f"{p}/auth/token", self._token)
        app.router.add_get(f"{p}/api/v2/dags/{{dag_id}}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}{p}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def v3() -> AsyncIterator[FakeAirflow3]:
    async with FakeAirflow3() as server:
        yield server


async def test_detection_picks_v2_and_reads_the_release(v3: FakeAirflow3) -> None:
    async with AirflowClient(v3.url, auth=PasswordAuth("admin", "admin")) as af:
        assert (af.api_version, af.server_version, af.api_prefix) == ("v2", (3, 1, 8), "/api/v2")
        assert (await af.dags.get("etl")).dag_id == "etl"
    assert v3.tokens_issued == 1


async def test_detection_on_the_v1_fake_picks_v1() -> None:
    async with serve() as srv:
        async with AirflowClient(srv.url, auth=BasicAuth("admin", "admin")) as af:
            assert af.api_version == "v1" and af.server_version is not None
            assert (await af.dags.get("dag_0000")).dag_id == "dag_0000"
        assert srv.stats.count("version") == 1  # one probe; /api/v2/version is a 404 there


async def test_a_server_that_answers_neither_version_gets_a_clear_error() -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>It works!</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with pytest.raises(ServerNotRecognized) as info:
            async with AirflowClient(f"http://127.0.0.1:{port}", auth=PasswordAuth("a", "b"), retry=None):
                pass
    finally:
        await runner.cleanup()
    text = str(info.value)
    assert "/api/v2/version" in text and "/api/v1/version" in text and "HTML page" in text
    assert "api_version='v1' or 'v2'" in text


@pytest.mark.parametrize("auth", [BasicAuth("admin", "admin"), SessionAuth("admin", "admin")])
async def test_basic_and_session_auth_on_airflow_3_name_password_auth(v3: FakeAirflow3, auth: Any) -> None:
    with pytest.raises(
        UsageError, match=r"does not work with API v2 .* use PasswordAuth\(username, password\)"
    ):
        async with AirflowClient(v3.url, auth=auth):
            pass
    assert v3.api_requests == 0


async def test_a_group_airflow_3_does_not_have_names_the_version_that_has_it(v3: FakeAirflow3) -> None:
    async with AirflowClient(v3.url, auth=PasswordAuth("admin", "admin")) as af:
        with pytest.raises(
            NotSupportedByServer, match=r"client\.roles is not part of API v2 .*API v1 \(Airflow 2\)"
        ):
            af.roles  # noqa: B018
        with pytest.raises(
            NotSupportedByServer, match=r"needs Airflow 3\.2\.0 or newer; the server runs 3\.1\.8"
        ):
            await af.xcom.delete("d", "r", "t", "k")


async def test_a_short_token_is_renewed_before_it_expires_not_on_every_request() -> None:
    async with FakeAirflow3(lifetime=1.0) as v3:
        auth = PasswordAuth("admin", "admin")
        async with AirflowClient(v3.url, auth=auth, max_concurrency=4) as af:
            started = time.monotonic()
            done = 0
            while time.monotonic() - started < 3.5:
                await asyncio.gather(*(af.dags.get(f"d{i}") for i in range(4)))
                done += 4
            stats = af.stats
    # about one token per 0.9 s (renewed when a tenth of its life is left), never one per request
    assert 3 <= v3.tokens_issued <= 8 < done
    assert stats.failures == 0 and stats.reauths <= v3.refusals["Token Expired"]


async def test_a_revoked_token_is_replaced_once_and_concurrent_requests_share_the_refresh(
    v3: FakeAirflow3,
) -> None:
    auth = PasswordAuth("admin", "admin")
    async with AirflowClient(v3.url, auth=auth, max_concurrency=16) as af:
        await af.dags.get("first")
        v3.valid.clear()  # what a logout (3.2+) or a new jwt_secret does to every token out there
        results = await asyncio.gather(*(af.dags.get(f"d{i}") for i in range(32)))
        stats = af.stats
    assert [r.dag_id for r in results] == [f"d{i}" for i in range(32)]
    assert v3.tokens_issued == 2  # the first, and one shared refresh
    assert v3.refusals["Invalid JWT token"] >= 1 and stats.reauths == v3.refusals["Invalid JWT token"]


async def test_forbidden_is_final_and_costs_no_new_token(v3: FakeAirflow3) -> None:
    v3.forbidden_paths.add("/api/v2/dags/secret")
    auth = PasswordAuth("admin", "admin")
    async with AirflowClient(v3.url, auth=auth) as af:
        with pytest.raises(Forbidden, match="403 GET /api/v2/dags/secret: Forbidden"):
            await af.dags.get("secret")
        assert (await af.dags.get("open")).dag_id == "open"
        stats = af.stats
    assert v3.tokens_issued == 1 and stats.reauths == 0 and v3.refusals["Forbidden"] == 1


async def test_a_wrong_password_is_one_login_failed_not_one_per_request(v3: FakeAirflow3) -> None:
    auth = PasswordAuth("admin", "nope")
    async with AirflowClient(v3.url, auth=auth) as af:
        with pytest.raises(LoginFailed, match="wrong username or password"):
            await af.dags.get("a")
        errors = await asyncio.gather(*(af.dags.get("a") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(e, LoginFailed) and "not tried again" in str(e) for e in errors)
    assert v3.tokens_issued == 0 and v3.api_requests == 0


async def test_the_token_path_follows_a_base_url_prefix() -> None:
    async with FakeAirflow3(prefix="/airflow") as v3:
        async with AirflowClient(v3.url, auth=PasswordAuth("admin", "admin")) as af:
            assert (await af.dags.get("etl")).dag_id == "etl"
    assert v3.tokens_issued == 1


async def test_tokens_never_show_in_reprs_errors_or_debug_logs(
    v3: FakeAirflow3, caplog: pytest.LogCaptureFixture
) -> None:
    v3.forbidden_paths.add("/api/v2/dags/secret")
    auth = PasswordAuth("admin", "admin")
    caplog.set_level(logging.DEBUG, logger="airflow_async")
    async with AirflowClient(v3.url, auth=auth) as af:
        await af.dags.get("a")
        v3.valid.clear()
        await af.dags.get("b")
        with pytest.raises(Forbidden) as info:
            await af.dags.get("secret")
        token = auth.bearer_token()
        shown = [repr(auth), repr(af), str(info.value), repr(info.value), caplog.text]
    assert token and all(token not in text and 'admin"' not in text for text in shown)
    assert all(part not in caplog.text for part in token.split(".") if len(part) > 8)
    assert "password=<redacted>" in repr(auth)


async def test_the_probe_of_a_version_the_server_lacks_is_not_a_failure() -> None:
    async with serve() as srv:
        async with AirflowClient(srv.url, auth=BasicAuth("admin", "admin")) as af:
            await af.dags.get("dag_0000")
            stats = af.stats
    # /api/v2/version (404 on Airflow 2), /api/v1/version, and the call
    assert (stats.requests, stats.failures) == (3, 0)


async def test_the_default_concurrency_is_the_api_versions(v3: FakeAirflow3) -> None:
    async with AirflowClient(v3.url, auth=PasswordAuth("admin", "admin")) as af:
        assert af.max_concurrency == 8 and af.transport.semaphore._value == 8
    async with AirflowClient(v3.url, auth=PasswordAuth("admin", "admin"), max_concurrency=3) as af:
        assert af.max_concurrency == 3 and af.transport.semaphore._value == 3
    async with serve() as srv:
        async with AirflowClient(srv.url, auth=BasicAuth("admin", "admin")) as af:
            assert af.max_concurrency == 16
