"""Create, read, update and delete pools, connections, variables, roles and users on the real server.

Every object has a unique name and is deleted by the test that made it, even when it fails.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from airflow_async import (
    AirflowClient,
    BadRequest,
    BasicAuth,
    Conflict,
    NotFound,
    Pool,
    Role,
    SessionAuth,
    User,
)

from .conftest import AirflowInfo

pytestmark = pytest.mark.integration


def _client(af: AirflowInfo, **kwargs: Any) -> AirflowClient:
    return AirflowClient(af.url, auth=SessionAuth(*af.admin), **kwargs)


def _name(kind: str) -> str:
    return f"afcov-{kind}-{secrets.token_hex(4)}"


@asynccontextmanager
async def _cleanup(delete: Callable[[str], Awaitable[None]], name: str) -> AsyncIterator[str]:
    """Delete ``name`` at the end, unless the test deleted it already."""
    try:
        yield name
    finally:
        try:
            await delete(name)
        except NotFound:
            pass


async def test_pool_lifecycle(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        async with _cleanup(client.pools.delete, _name("pool")) as name:
            created = await client.pools.create(name, 3, description="scratch")
            with pytest.raises(Conflict):
                await client.pools.create(name, 1)
            slots = await client.pools.update(name, slots=5)
            described = await client.pools.update(name, description=None, include_deferred=True)
            listed = {p.name: p for p in await client.pools.list().all()}
            await client.pools.delete(name)
            with pytest.raises(NotFound):
                await client.pools.get(name)
        with pytest.raises(BadRequest):
            await client.pools.delete("default_pool")
    assert isinstance(created, Pool) and (created.slots, created.description) == (3, "scratch")
    assert (slots.slots, slots.description, slots.include_deferred) == (5, "scratch", False)
    assert (described.slots, described.description, described.include_deferred) == (5, None, True)
    assert listed[name] == described and "default_pool" in listed


async def test_pool_rename(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        async with (
            _cleanup(client.pools.delete, _name("pool")) as old,
            _cleanup(client.pools.delete, _name("pool")) as new,
        ):
            await client.pools.create(old, 1)
            renamed = await client.pools.update(old, new_name=new)
            with pytest.raises(NotFound):
                await client.pools.get(old)
            assert (await client.pools.get(new)) == renamed
    assert renamed.name == new and renamed.slots == 1


async def test_connection_lifecycle(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        async with _cleanup(client.connections.delete, _name("conn")) as conn_id:
            created = await client.connections.create(
                conn_id, "http", host="example.invalid", login="me", password="secret", extra={"a": 1}
            )
            with pytest.raises(Conflict):
                await client.connections.create(conn_id, "http")
            moved = await client.connections.update(conn_id, host="other.invalid", port=8080)
            cleared = await client.connections.update(conn_id, login=None, description="d", extra='{"b": 2}')
            fetched = await client.connections.get(conn_id)
            listed = {c.connection_id for c in await client.connections.list().all()}
            await client.connections.delete(conn_id)
            with pytest.raises(NotFound):
                await client.connections.get(conn_id)
            with pytest.raises(NotFound):
                await client.connections.update(conn_id, host="x")
    assert (created.conn_type, created.host, created.login, created.extra) == (
        "http",
        "example.invalid",
        "me",
        '{"a": 1}',
    )
    assert (moved.host, moved.port, moved.login) == ("other.invalid", 8080, "me")
    assert (cleared.login, cleared.description, cleared.extra, cleared.host) == (
        None,
        "d",
        '{"b": 2}',
        moved.host,
    )
    assert fetched == cleared and conn_id in listed


async def test_variable_update_changes_only_what_is_given(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        async with _cleanup(client.variables.delete, _name("var")) as key:
            await client.variables.create(key, "v1", description="d1")
            value_only = await client.variables.update(key, value="v2")
            description_only = await client.variables.update(key, description="d2")
            both = await client.variables.update(key, value="v3", description="")
            fetched = await client.variables.get(key)
            with pytest.raises(NotFound):
                await client.variables.update(key + "-missing", value="x")
            listed = {v.key: v for v in await client.variables.list(order_by="key").all()}
    assert (value_only.value, value_only.description) == ("v2", "d1")
    assert (description_only.value, description_only.description) == ("v2", "d2")
    assert (both.value, both.description) == ("v3", "")
    assert fetched == both and listed[key] == both


async def test_role_lifecycle(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        async with (
            _cleanup(client.roles.delete, _name("role")) as name,
            _cleanup(client.roles.delete, _name("role")) as renamed_to,
            _cleanup(client.roles.delete, _name("role")) as refused,
        ):
            created = await client.roles.create(name, [("can_read", "DAGs")])
            with pytest.raises(Conflict):
                await client.roles.create(name)
            with pytest.raises(BadRequest):
                await client.roles.create(refused, [("can_fly", "DAGs")])
            added = await client.roles.update(name, add_permissions=[("can_read", "Pools")])
            renamed = await client.roles.update(name, new_name=renamed_to)
            with pytest.raises(NotFound):
                await client.roles.get(name)
            listed = {r.name for r in await client.roles.list().all()}
            await client.roles.delete(renamed_to)
            with pytest.raises(NotFound):
                await client.roles.get(renamed_to)
    assert isinstance(created, Role) and created.name == name
    assert created.permissions == [("can_read", "DAGs")]
    assert sorted(added.permissions) == [("can_read", "DAGs"), ("can_read", "Pools")]
    assert renamed.name == renamed_to and sorted(renamed.permissions) == sorted(added.permissions)
    assert {"Admin", "Viewer", renamed_to} <= listed


async def test_user_lifecycle(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        async with _cleanup(client.users.delete, _name("user")) as username:
            created = await client.users.create(
                username,
                password="first-pw",
                email=f"{username}@example.invalid",
                first_name="Ada",
                last_name="Lovelace",
                roles=["Viewer"],
            )
            with pytest.raises(Conflict):
                await client.users.create(
                    username, password="x", email="other@example.invalid", first_name="a", last_name="b"
                )
            renamed_first = await client.users.update(username, first_name="Augusta")
            promoted = await client.users.update(username, roles=["User"], password="second-pw")
            async with AirflowClient(airflow2.url, auth=BasicAuth(username, "second-pw")) as as_user:
                dags = await as_user.dags.list(max_items=1).all()
            listed = {u.username for u in await client.users.list().all()}
            await client.users.delete(username)
            with pytest.raises(NotFound):
                await client.users.get(username)
    assert isinstance(created, User) and created.role_names == ["Viewer"] and created.active is True
    assert (renamed_first.first_name, renamed_first.last_name, renamed_first.email) == (
        "Augusta",
        "Lovelace",
        created.email,
    )
    assert promoted.role_names == ["User"] and promoted.first_name == "Augusta"
    assert dags and username in listed and "admin" in listed
