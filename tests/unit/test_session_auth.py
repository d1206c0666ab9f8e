"""SessionAuth: login through the form, cookie use, fallback, re-login, no loops (aioresponses)."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import aioresponses

from airflow_async import (
    AirflowClient,
    LoginFailed,
    SessionAuth,
    SessionAuthFallbackWarning,
    SessionAuthUnsupported,
    Unauthorized,
)
from airflow_async.auth import find_csrf_token

BASE = "http://127.0.0.1:8080"
LOGIN = f"{BASE}/login/"
DAG_A = f"{BASE}/api/v1/dags/a"
PAGE = (
    '<form method="post"><input id="csrf_token" name="csrf_token" type="hidden" '
    'value="IjQ1ZTc&amp;token"><input name="username"></form>'
)


@pytest.fixture
def mocked() -> AsyncIterator[aioresponses]:
    with aioresponses() as m:
        yield m


def _login_ok(m: aioresponses, cookie: str = "abc") -> None:
    m.get(LOGIN, body=PAGE, content_type="text/html", headers={"Set-Cookie": "session=pre; Path=/"})
    m.post(
        LOGIN, status=302, headers={"Location": "/home", "Set-Cookie": f"session={cookie}; Path=/; HttpOnly"}
    )


def _sent(m: aioresponses, method: str, url: str) -> list[Any]:
    return [
        call for (meth, u), calls in m.requests.items() if meth == method and str(u) == url for call in calls
    ]


def test_csrf_token_is_read_from_the_page() -> None:
    assert find_csrf_token(PAGE) == "IjQ1ZTc&token"
    assert find_csrf_token("<input value='x' name='csrf_token'>") == "x"
    assert find_csrf_token("<html>no form</html>") is None


async def test_logs_in_once_and_sends_the_cookie(mocked: aioresponses) -> None:
    _login_ok(mocked)
    mocked.get(DAG_A, payload={"dag_id": "a"}, repeat=True)
    auth = SessionAuth("admin", "pw-123")
    async with AirflowClient(BASE, auth=auth, api_version="v1") as af:
        for _ in range(3):
            await af.dags.get("a")
    (post,) = _sent(mocked, "POST", LOGIN)
    assert post.kwargs["data"] == {"username": "admin", "password": "pw-123", "csrf_token": "IjQ1ZTc&token"}
    assert post.kwargs["headers"]["Cookie"] == "session=pre"  # the CSRF token is bound to this session
    api_calls = _sent(mocked, "GET", DAG_A)
    assert len(api_calls) == 3
    for call in api_calls:
        assert call.kwargs["headers"]["Cookie"] == "session=abc"
        assert "Authorization" not in call.kwargs["headers"]
    assert auth.logins == 1 and not auth.using_fallback
    assert "pw-123" not in repr(auth)


async def test_wrong_password_is_a_login_error(mocked: aioresponses) -> None:
    mocked.get(LOGIN, body=PAGE, content_type="text/html")
    mocked.post(LOGIN, status=302, headers={"Location": "/login/"})
    async with AirflowClient(BASE, auth=SessionAuth("admin", "wrong"), api_version="v1") as af:
        with pytest.raises(LoginFailed, match="wrong username or password"):
            await af.dags.get("a")


async def test_falls_back_to_basic_auth_once_with_a_warning(mocked: aioresponses) -> None:
    _login_ok(mocked)
    mocked.get(DAG_A, status=401, payload={"title": "Unauthorized", "status": 401})
    mocked.get(DAG_A, payload={"dag_id": "a"}, repeat=True)
    auth = SessionAuth("admin", "pw")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with AirflowClient(BASE, auth=auth, api_version="v1") as af:
            await af.dags.get("a")
            await af.dags.get("a")
    assert [w.category for w in caught] == [SessionAuthFallbackWarning]
    assert auth.using_fallback
    calls = _sent(mocked, "GET", DAG_A)
    assert calls[-1].kwargs["headers"]["Authorization"].startswith("Basic ")
    assert af.stats.reauths == 1


async def test_strict_mode_raises_instead_of_falling_back(mocked: aioresponses) -> None:
    _login_ok(mocked)
    mocked.get(DAG_A, status=401, payload={"title": "Unauthorized", "status": 401})
    async with AirflowClient(BASE, auth=SessionAuth("admin", "pw", strict=True), api_version="v1") as af:
        with pytest.raises(SessionAuthUnsupported, match="auth_backends"):
            await af.dags.get("a")


async def test_server_without_login_form_falls_back(mocked: aioresponses) -> None:
    mocked.get(LOGIN, status=404)
    mocked.get(DAG_A, payload={"dag_id": "a"})
    auth = SessionAuth("admin", "pw")
    with pytest.warns(SessionAuthFallbackWarning):
        async with AirflowClient(BASE, auth=auth, api_version="v1") as af:
            await af.dags.get("a")
    assert auth.using_fallback


async def test_expired_cookie_logs_in_again_once(mocked: aioresponses) -> None:
    _login_ok(mocked, "first")
    mocked.get(DAG_A, payload={"dag_id": "a"})
    mocked.get(DAG_A, status=401, payload={"title": "Unauthorized", "status": 401})
    _login_ok(mocked, "second")
    mocked.get(DAG_A, payload={"dag_id": "a"})
    auth = SessionAuth("admin", "pw")
    async with AirflowClient(BASE, auth=auth, api_version="v1") as af:
        await af.dags.get("a")
        await af.dags.get("a")
    assert auth.logins == 2
    assert _sent(mocked, "GET", DAG_A)[-1].kwargs["headers"]["Cookie"] == "session=second"


async def test_failing_relogin_does_not_loop(mocked: aioresponses) -> None:
    _login_ok(mocked, "first")
    mocked.get(DAG_A, payload={"dag_id": "a"})
    mocked.get(DAG_A, status=401, payload={"title": "Unauthorized", "status": 401}, repeat=True)
    mocked.get(LOGIN, body=PAGE, content_type="text/html", repeat=True)
    mocked.post(LOGIN, status=302, headers={"Location": "/login/"}, repeat=True)
    async with AirflowClient(BASE, auth=SessionAuth("admin", "pw"), api_version="v1") as af:
        await af.dags.get("a")
        with pytest.raises(LoginFailed):
            await af.dags.get("a")
    assert len(_sent(mocked, "POST", LOGIN)) == 2


async def test_a_401_after_relogin_is_reported_not_retried(mocked: aioresponses) -> None:
    _login_ok(mocked, "first")
    mocked.get(DAG_A, payload={"dag_id": "a"})
    mocked.get(DAG_A, status=401, payload={"title": "Unauthorized", "status": 401}, repeat=True)
    _login_ok(mocked, "second")
    async with AirflowClient(BASE, auth=SessionAuth("admin", "pw"), api_version="v1") as af:
        await af.dags.get("a")
        with pytest.raises(Unauthorized):
            await af.dags.get("a")
    assert len(_sent(mocked, "GET", DAG_A)) == 3
