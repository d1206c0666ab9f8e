"""Errors from the real server, each mapped to its typed error with the server's message."""

from __future__ import annotations

import uuid

import pytest

from airflow_async import (
    AirflowClient,
    BadRequest,
    BasicAuth,
    Forbidden,
    LoginFailed,
    NotFound,
    SessionAuth,
    Unauthorized,
)

from .conftest import AirflowInfo

pytestmark = pytest.mark.integration


async def test_wrong_password_is_unauthorized_where_only_basic_auth_is_enabled(airflow2: AirflowInfo) -> None:
    assert airflow2.second_url
    auth = BasicAuth(airflow2.admin[0], "not-the-password")
    async with AirflowClient(airflow2.second_url, auth=auth) as client:
        with pytest.raises(Unauthorized) as info:
            await client.dags.list().all()
    err = info.value
    assert err.status == 401 and err.method == "GET"
    assert "wrong username or password" in str(err)
    assert "not-the-password" not in str(err) + repr(err)


async def test_wrong_password_is_forbidden_where_the_session_backend_is_enabled(
    airflow2: AirflowInfo,
) -> None:
    # Airflow 2 tries the session backend after basic auth fails, finds no session, and answers 403.
    auth = BasicAuth(airflow2.admin[0], "not-the-password")
    async with AirflowClient(airflow2.url, auth=auth) as client:
        with pytest.raises(Forbidden) as info:
            await client.dags.list().all()
    assert info.value.status == 403
    assert "password is wrong" in str(info.value)
    assert "not-the-password" not in str(info.value) + repr(info.value)


async def test_wrong_password_with_session_auth_is_a_login_error(airflow2: AirflowInfo) -> None:
    async with AirflowClient(airflow2.url, auth=SessionAuth(airflow2.admin[0], "not-the-password")) as client:
        with pytest.raises(LoginFailed, match="wrong username or password"):
            await client.dags.list().all()


async def test_viewer_cannot_write(airflow2: AirflowInfo) -> None:
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.viewer)) as client:
        dags = await client.dags.list().all()  # reading is allowed
        assert dags
        with pytest.raises(Forbidden) as info:
            await client.variables.create(f"forbidden-{uuid.uuid4().hex}", "x")
    assert info.value.status == 403
    assert info.value.title  # the server's Problem JSON title


async def test_unknown_dag_is_not_found_with_the_servers_message(airflow2: AirflowInfo) -> None:
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.admin)) as client:
        with pytest.raises(NotFound) as info:
            await client.dags.get("no_such_dag")
    assert (
        str(info.value) == "404 GET /api/v1/dags/no_such_dag: The DAG with dag_id: no_such_dag was not found"
    )
    assert info.value.title == "DAG not found"


async def test_bad_filter_is_a_bad_request(airflow2: AirflowInfo) -> None:
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.admin)) as client:
        with pytest.raises(BadRequest) as info:
            await client.dag_runs.list("~", order_by="no_such_column").all()
    assert info.value.status == 400
    assert info.value.detail and "no_such_column" in info.value.detail


async def test_variables_round_trip_with_odd_keys(airflow2: AirflowInfo) -> None:
    key = f"odd key/{uuid.uuid4().hex} ✓+:"
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.admin)) as client:
        created = await client.variables.set(key, "v1", description="made by a test")
        assert created.key == key
        assert (await client.variables.get(key)).value == "v1"
        await client.variables.set(key, "v2")
        assert (await client.variables.get(key)).value == "v2"
        await client.variables.delete(key)
        with pytest.raises(NotFound):
            await client.variables.get(key)
