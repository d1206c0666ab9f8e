"""The bulk PATCH helper against aioresponses: the body it sends, its retries, how it reads answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import aioresponses

from airflow_async import (
    AirflowClient,
    BearerToken,
    Conflict,
    NotSupportedByServer,
    RetryPolicy,
    ServerError,
    UsageError,
    ValidationError,
)
from airflow_async.models import BulkActionResult, BulkItemError, BulkResult

BASE = "http://127.0.0.1:8080"
API = f"{BASE}/api/v2"


@pytest.fixture
def mocked() -> AsyncIterator[aioresponses]:
    with aioresponses() as m:
        yield m


def _client() -> AirflowClient:
    retry = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.001, budget=None)
    return AirflowClient(BASE, auth=BearerToken("t"), retry=retry, api_version="v2")


def _sent(m: aioresponses, url: str) -> list[Any]:
    calls = [c for (meth, u), cs in m.requests.items() if meth == "PATCH" and str(u) == url for c in cs]
    return [json.loads(c.kwargs["data"]) for c in calls]


async def test_one_body_holds_the_actions_in_order(mocked: aioresponses) -> None:
    url = f"{API}/variables"
    mocked.patch(url, payload={"create": {"success": ["a"], "errors": []}, "delete": {"success": ["c"]}})
    async with _client() as af:
        result = await af.variables.bulk(
            create=[{"key": "a", "value": "1"}],
            update=[{"key": "b", "value": "2"}],
            delete=["c"],
            action_on_existence="overwrite",
            action_on_non_existence="skip",
            update_mask=["value"],
        )
    assert _sent(mocked, url) == [
        {
            "actions": [
                {
                    "action": "create",
                    "entities": [{"key": "a", "value": "1"}],
                    "action_on_existence": "overwrite",
                },
                {
                    "action": "update",
                    "entities": [{"key": "b", "value": "2"}],
                    "action_on_non_existence": "skip",
                    "update_mask": ["value"],
                },
                {"action": "delete", "entities": ["c"], "action_on_non_existence": "skip"},
            ]
        }
    ]
    assert result.create == BulkActionResult(success=("a",))
    assert result.update is None and result.delete == BulkActionResult(success=("c",))
    assert result.ok


async def test_a_body_that_creates_is_not_retried_and_one_that_deletes_is(mocked: aioresponses) -> None:
    url = f"{API}/pools"
    # A 502 may come after the server acted: a create is not sent again, a delete is.
    mocked.patch(url, status=502)
    async with _client() as af:
        with pytest.raises(ServerError, match="502"):
            await af.pools.bulk(create=[{"name": "p", "slots": 1}])
        assert len(_sent(mocked, url)) == 1
        mocked.patch(url, status=502)
        mocked.patch(url, payload={"delete": {"success": ["p"]}})
        result = await af.pools.bulk(delete=["p"])
    assert result.delete is not None and result.delete.success == ("p",)
    assert len(_sent(mocked, url)) == 3


async def test_connection_entities_get_their_extra_encoded(mocked: aioresponses) -> None:
    url = f"{API}/connections"
    mocked.patch(url, payload={"create": {"success": ["c"]}})
    async with _client() as af:
        await af.connections.bulk(create=[{"connection_id": "c", "conn_type": "http", "extra": {"k": 1}}])
        with pytest.raises(UsageError, match="port"):
            await af.connections.bulk(create=[{"connection_id": "c", "conn_type": "http", "port": 0}])
    [body] = _sent(mocked, url)
    assert body["actions"][0]["entities"] == [
        {"connection_id": "c", "conn_type": "http", "extra": '{"k": 1}'}
    ]


async def test_pool_updates_under_a_mask_get_placeholders_the_server_ignores(mocked: aioresponses) -> None:
    url = f"{API}/pools"
    mocked.patch(url, payload={"update": {"success": ["p"]}})
    async with _client() as af:
        await af.pools.bulk(update=[{"name": "p", "description": "d"}], update_mask=["description"])
    [body] = _sent(mocked, url)
    assert body["actions"][0]["entities"] == [
        {"slots": 0, "include_deferred": False, "name": "p", "description": "d"}
    ]


async def test_update_mask_needs_airflow_3_2() -> None:
    async with _client() as af:
        af.server_version = (3, 0, 6)
        with pytest.raises(NotSupportedByServer, match=r"update_mask.*3\.2\.0.*3\.0\.6"):
            await af.variables.bulk(update=[{"key": "k", "value": "v"}], update_mask=["value"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "at least one of"),
        ({"create": []}, "empty list"),
        ({"create": {"key": "k"}}, "takes a list"),
        ({"create": ["k"]}, "dict of the API's fields"),
        ({"delete": [""]}, "non-empty string"),
        ({"delete": ["k"], "action_on_non_existence": "overwrite"}, "action_on_non_existence"),
        ({"delete": ["k"], "update_mask": ["value"]}, "applies to update="),
        ({"update": [{"key": "k"}], "update_mask": []}, "empty list"),
    ],
)
async def test_bad_arguments_are_usage_errors(kwargs: dict[str, Any], match: str) -> None:
    async with _client() as af:
        with pytest.raises(UsageError, match=match):
            await af.variables.bulk(**kwargs)


def test_errors_are_readable_and_raise_as_typed_errors() -> None:
    result = BulkResult(
        create=BulkActionResult(errors=(BulkItemError(message="k exists", status_code=409),)),
        update=BulkActionResult(success=("u",), errors=(BulkItemError(message="bad field"),)),
        url=f"{API}/variables",
    )
    assert not result.ok and not result.create.ok  # type: ignore[union-attr]
    assert [(a, e.message) for a, e in result.errors] == [("create", "k exists"), ("update", "bad field")]
    with pytest.raises(Conflict, match="create: k exists; update: bad field"):
        result.raise_for_errors()
    no_status = BulkResult(update=BulkActionResult(errors=(BulkItemError(message="bad"),)))
    with pytest.raises(ValidationError):
        no_status.raise_for_errors()


async def test_error_items_are_read_from_the_answer(mocked: aioresponses) -> None:
    url = f"{API}/variables"
    mocked.patch(
        url,
        payload={
            "create": {"success": [], "errors": [{"error": "exists", "status_code": 409}]},
            "update": {"success": [], "errors": [{"error": "[{'type': 'missing'}]"}]},
        },
    )
    async with _client() as af:
        result = await af.variables.bulk(create=[{"key": "k", "value": "v"}], update=[{"key": "k"}])
    assert result.create is not None and result.create.errors == (
        BulkItemError(message="exists", status_code=409),
    )
    assert result.create.errors[0].raw == {"error": "exists", "status_code": 409}
    assert result.update is not None and result.update.errors[0].status_code is None
    assert result.url == url
