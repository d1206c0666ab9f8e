"""SessionAuth under an expiring session and a failing login: one login per expiry, never a loop."""

from __future__ import annotations

import asyncio

import pytest

from airflow_async import AirflowError, Forbidden, LoginFailed, SessionAuth
from tests.fakes.fault_server import DataSpec, FaultConfig, FaultRule, ServerConfig
from tests.faults.helpers import Tally, all_xcoms, client, serve

pytestmark = pytest.mark.filterwarnings("error")  # a SessionAuthFallbackWarning would fail the test


# 401: a server whose API takes basic auth and the cookie only; 403: the stock Airflow 2 setup
# (basic_auth,session with FAB's public role), which refuses a dead session like a permission.
@pytest.mark.parametrize("refusal", [401, 403])
async def test_an_expired_session_is_renewed_with_one_login_per_expiry(refusal: int) -> None:
    config = ServerConfig(unauthenticated_status=refusal)
    async with serve(config, data=DataSpec.for_entries(2_000)) as srv:
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


async def test_a_403_after_the_session_rows_are_gone_logs_in_once_and_the_call_succeeds() -> None:
    async with serve(ServerConfig(unauthenticated_status=403)) as srv:
        auth = SessionAuth("admin", "admin")
        async with client(srv, auth=auth) as af:
            await af.dags.get("dag_0000")
            srv.sessions.clear()  # what deleting the rows of Airflow's `session` table does
            results = await asyncio.gather(*(af.dags.get("dag_0000") for _ in range(16)))
            stats = af.stats
    assert all(r.dag_id == "dag_0000" for r in results)
    assert auth.logins == srv.stats.logins["success"] == 2  # the first login and one re-login
    # the first form, then one shared check that found the session dead and served the form again
    assert srv.stats.count("login_page") == 2
    assert stats.reauths == 16 and stats.failures == 0


async def test_a_403_from_a_live_session_is_a_real_forbidden_and_costs_no_login() -> None:
    async with serve(ServerConfig(unauthenticated_status=403)) as srv:
        auth = SessionAuth("viewer", "viewer")
        async with client(srv, auth=auth) as af:
            await af.dags.get("dag_0000")  # the viewer may read
            burst = await asyncio.gather(
                *(af.variables.create(f"v{i}", "x") for i in range(8)), return_exceptions=True
            )
            checks_after_burst = srv.stats.count("login_page")
            with pytest.raises(Forbidden) as info:
                await af.variables.create("later", "x")  # but not write
            stats = af.stats
    assert all(isinstance(e, Forbidden) for e in burst)
    assert "403 POST /api/v1/variables" in str(info.value)
    assert auth.logins == srv.stats.logins["success"] == 1  # no re-login: the session is alive
    # the eight refusals of the burst share checks of the login page (a refusal that arrives while
    # a check is under way waits for the next); a later refusal checks again
    assert 2 <= checks_after_burst <= 3
    assert srv.stats.count("login_page") == checks_after_burst + 1
    assert stats.reauths == 0
    assert srv.stats.count("variable_create") == 9  # each write was sent once, never repeated


async def test_a_403_that_survives_a_fresh_login_is_final() -> None:
    async with serve(ServerConfig(unauthenticated_status=403)) as srv:
        auth = SessionAuth("viewer", "viewer")
        async with client(srv, auth=auth) as af:
            await af.dags.get("dag_0000")
            srv.sessions.clear()
            with pytest.raises(Forbidden):
                await af.variables.create("v", "x")  # session dead and no permission either
            stats = af.stats
    assert auth.logins == 2 and stats.reauths == 1  # one re-login, one resend, then the 403 stands
    assert srv.stats.count("variable_create") == 2
