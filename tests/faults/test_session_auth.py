"""SessionAuth under an expiring session and a failing login: one login per expiry, never a loop."""

from __future__ import annotations

import asyncio

import pytest

from airflow_async import AirflowError, LoginFailed, SessionAuth
from tests.fakes.fault_server import DataSpec, FaultConfig, FaultRule
from tests.faults.helpers import Tally, all_xcoms, client, serve

pytestmark = pytest.mark.filterwarnings("error")  # a SessionAuthFallbackWarning would fail the test


async def test_an_expired_session_is_renewed_with_one_login_per_expiry() -> None:
    async with serve(data=DataSpec.for_entries(2_000)) as srv:
        srv.faults.set(FaultConfig(session_max_requests=150))
        srv.faults.add(FaultRule(kind="status", status=503, rate=0.1, times=1))
        auth = SessionAuth("admin", "admin")
        tally = Tally()
        async with client(srv, auth=auth) as af:
            async with af.xcom.harvest() as harvest:
                async for result in harvest:
                    tally.add(result)
            stats = af.stats
        expired = srv.stats.faults["session_expired"]
        expected = all_xcoms(srv.data)

    assert tally.values == expected and not tally.failures and harvest.stats.balanced
    assert expired >= 10  # ~2,100 API requests at 150 per session
    assert auth.logins == srv.stats.logins["success"] == expired + 1  # the first, then one per expiry
    assert srv.stats.logins["failure"] == 0 and not auth.using_fallback
    assert stats.reauths >= expired  # every request refused with a dead cookie was sent again
    assert stats.retries == srv.stats.faults["status_503"]  # re-sending after a re-login is not a retry


async def test_a_login_that_always_fails_is_tried_once() -> None:
    async with serve() as srv:
        srv.faults.set(FaultConfig(login_fail_always=True))
        auth = SessionAuth("admin", "admin")
        async with client(srv, auth=auth) as af:
            with pytest.raises(LoginFailed, match="wrong username or password"):
                async with af.xcom.harvest() as harvest:
                    async for _ in harvest:
                        pass
            # everything after it fails the same way, without asking the server again
            results = await asyncio.gather(
                *(af.dags.get("dag_0000") for _ in range(20)), return_exceptions=True
            )
        assert all(isinstance(r, LoginFailed) for r in results)
    assert srv.stats.logins == {"failure": 1}
    assert srv.stats.total_requests == 2  # the login page and the one POST of the form
    assert auth.logins == 0 and harvest.stats.listed == 0 and harvest.stats.balanced


async def test_a_failing_login_after_an_expiry_is_not_retried_and_does_not_fall_back() -> None:
    async with serve(data=DataSpec.for_entries(1_000)) as srv:
        auth = SessionAuth("admin", "admin")
        tally = Tally()
        async with client(srv, auth=auth) as af:
            with pytest.raises(AirflowError) as info:
                async with af.xcom.harvest() as harvest:
                    async for result in harvest:
                        tally.add(result)
                        if len(tally.values) == 200 and not srv.faults.config.login_fail_always:
                            srv.faults.config.session_max_requests = 1  # the session dies now...
                            srv.faults.config.login_fail_always = True  # ...and so does the login form
        assert isinstance(info.value, LoginFailed)
    assert srv.stats.logins == {"success": 1, "failure": 1}  # one login, one failed re-login, no more
    assert auth.logins == 1 and not auth.using_fallback
    assert tally.repeats == [] and len(tally.values) >= 200
    assert all(isinstance(e, LoginFailed) for e in tally.failures.values())
    assert harvest.stats.balanced


async def test_a_transient_login_error_is_reported_and_the_message_says_what_happened() -> None:
    async with serve() as srv:
        srv.faults.set(FaultConfig(login_fail_times=1, login_fail_mode="error"))
        async with client(srv, auth=SessionAuth("admin", "admin")) as af:
            with pytest.raises(LoginFailed) as info:
                await af.dags.get("dag_0000")
    assert "the login form answered 500" in str(info.value) and srv.url in str(info.value)
    assert srv.stats.logins == {"error": 1}
