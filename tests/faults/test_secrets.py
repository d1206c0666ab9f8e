"""No secret leaks: not into logs (DEBUG included), error messages, or reprs.

A harvest runs with the ``airflow_async`` logger at DEBUG through retries, permanent errors,
session expiries and re-logins; other clients fail with a wrong password and with a bearer
token the server refuses. Then the password, the basic-auth header value, the bearer token
and every session cookie the server issued are searched for in everything a user could print.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from airflow_async import AirflowError, BasicAuth, BearerToken, SessionAuth, Unauthorized
from tests.fakes.fault_server import DataSpec, FaultConfig, FaultRule, ServerConfig
from tests.faults.helpers import client, serve

pytestmark = pytest.mark.filterwarnings("error")

PASSWORD = "pw-S3cret-7d41e9"
TOKEN = "tok-B3arer-52c0aa"


class RecordingSessions(dict[str, Any]):
    """The server's session table, remembering every session token (cookie value) it held."""

    def __init__(self) -> None:
        super().__init__()
        self.issued: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.issued.add(key)
        super().__setitem__(key, value)


async def test_no_secret_in_logs_errors_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_async")
    basic_header = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    errors: list[BaseException] = []
    shown: list[object] = []

    config = ServerConfig(password=PASSWORD)
    async with serve(config, DataSpec.for_entries(600)) as srv:
        sessions = RecordingSessions()
        srv.sessions = sessions
        srv.faults.set(FaultConfig(session_max_requests=60))
        srv.faults.add(FaultRule(kind="status", status=404, path_contains="/key with spaces"))
        srv.faults.add(FaultRule(kind="status", status=503, rate=0.2, times=1))
        srv.faults.add(FaultRule(kind="drop_body", route="xcom_get", rate=0.05, seed=3, times=1))

        # a harvest with SessionAuth through expiries, re-logins, retries and permanent errors
        session_auth = SessionAuth("admin", PASSWORD)
        async with client(srv, auth=session_auth) as af:
            received = 0
            async with af.xcom.harvest() as harvest:
                async for result in harvest:
                    received += 1
                    if result.error is not None:
                        errors.append(result.error)
                        shown.append(result)
            shown += [af, session_auth, af.stats, harvest.stats]
        assert session_auth.logins >= 5 and harvest.stats.failed > 0 and af.stats.retries > 0
        assert harvest.stats.balanced and harvest.stats.listed == received == 600

        # basic auth with the right and the wrong password, bearer auth the server refuses
        for auth in (BasicAuth("admin", PASSWORD), BasicAuth("admin", PASSWORD + "x"), BearerToken(TOKEN)):
            async with client(srv, auth=auth) as af:
                shown += [af, auth]
                try:
                    await af.dags.get("dag_0000")
                    await af.xcom.get("dag_0000", "nope", "t00_extract", "key with spaces")
                except AirflowError as exc:
                    errors.append(exc)
        # SessionAuth whose login is refused
        async with client(srv, auth=SessionAuth("admin", PASSWORD + "x")) as af:
            try:
                await af.dags.get("dag_0000")
            except AirflowError as exc:
                errors.append(exc)
            shown.append(af.auth)
        cookies = set(sessions.issued)

    assert len(cookies) >= 5
    assert {type(e).__name__ for e in errors} >= {"NotFound", "Unauthorized", "LoginFailed"}
    assert any(isinstance(e, Unauthorized) for e in errors)
    # the logs were written, at DEBUG too
    messages = [r.getMessage() for r in caplog.records]
    assert any("-> 200" in m for m in messages) and any(m.startswith("retrying ") for m in messages)
    assert any("logging in again" in m for m in messages) and any("logged in to" in m for m in messages)

    texts = [caplog.text, *messages]
    texts += [t for e in errors for t in (str(e), repr(e), repr(e.args))]
    texts += [repr(o) for o in shown]
    secrets = {PASSWORD, basic_header, basic_header.split()[1], TOKEN, *cookies}
    for secret in secrets:
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"a secret appears in: {leaks[0][:300]!r}"
