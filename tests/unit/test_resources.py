"""The resource groups against aioresponses: what each call sends, and how it reads the answers."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses

import airflow_async
from airflow_async import (
    NO_RETRY,
    OPERATIONS,
    UNSET,
    AirflowClient,
    BasicAuth,
    BearerToken,
    DAGRun,
    NotSupportedByServer,
    TaskInstanceReference,
    TaskLog,
    UsageError,
)
from airflow_async.api import ResourceGroups
from airflow_async.api._base import Group, Resource

BASE = "http://127.0.0.1:8080"
API = f"{BASE}/api/v1"


@pytest.fixture
def mocked() -> AsyncIterator[aioresponses]:
    with aioresponses() as m:
        yield m


def _client() -> AirflowClient:
    return AirflowClient(BASE, auth=BasicAuth("admin", "pw"), retry=NO_RETRY, api_version="v1")


def _sent(m: aioresponses, method: str, url: str) -> list[Any]:
    """The JSON bodies sent to ``method url``, in order (``url`` as aioresponses keeps it: decoded)."""
    calls = [c for (meth, u), cs in m.requests.items() if meth == method and str(u) == url for c in cs]
    return [json.loads(c.kwargs["data"]) if c.kwargs.get("data") else None for c in calls]


def _any(path: str) -> re.Pattern[str]:
    """Match ``path`` under the API, with any query (aioresponses compares decoded URLs)."""
    return re.compile(re.escape(API + path) + r"(\?.*)?$")


# -- completeness and documentation -------------------------------------------------------------


def test_operations_name_existing_documented_methods() -> None:
    client = _client()
    assert len(OPERATIONS) == 89
    for operation, target in OPERATIONS.items():
        group, _, name = target.partition(".")
        method = getattr(getattr(client, group), name)
        assert callable(method) and method.__doc__, (operation, target)


def test_every_public_name_is_documented() -> None:
    declared = {n: v for n, v in vars(ResourceGroups).items() if isinstance(v, Group)}
    groups: list[Resource] = []
    for version, count in (("v1", 19), ("v2", 23)):
        client = AirflowClient(BASE, auth=BearerToken("t"), retry=NO_RETRY, api_version=version)
        names = [n for n, g in declared.items() if version in g._classes]
        made = [getattr(client, n) for n in names]  # each created on first use
        assert len(made) == count and all(isinstance(g, Resource) for g in made)
        assert all(getattr(client, n) is g for n, g in zip(names, made, strict=True))  # and kept
        groups += made
    for group in groups:
        assert type(group).__doc__
        for name, member in inspect.getmembers(type(group), inspect.isfunction):
            if not name.startswith("_"):
                assert member.__doc__, f"{type(group).__name__}.{name}"
    for name in airflow_async.__all__:
        obj = getattr(airflow_async, name)
        if inspect.isclass(obj):
            assert obj.__doc__, name
            if attrs.has(obj):
                for prop, member in inspect.getmembers(obj, lambda m: isinstance(m, property)):
                    assert member.__doc__, f"{name}.{prop}"


# -- PATCH: only the fields given ---------------------------------------------------------------


async def test_pool_update_sends_only_the_fields_given(mocked: aioresponses) -> None:
    url = f"{API}/pools/p1?update_mask=slots,description"
    mocked.patch(_any("/pools/p1"), payload={"name": "p1", "slots": 4, "description": None})
    async with _client() as af:
        pool = await af.pools.update("p1", slots=4, description=None, include_deferred=UNSET)
    assert _sent(mocked, "PATCH", url) == [{"slots": 4, "description": None}]
    assert (pool.slots, pool.description) == (4, None)


async def test_connection_update_encodes_extra_and_keeps_nulls(mocked: aioresponses) -> None:
    url = f"{API}/connections/c%201?update_mask=login,extra"
    mocked.patch(re.compile(r".*/connections/.*"), payload={"connection_id": "c 1", "conn_type": "http"})
    async with _client() as af:
        await af.connections.update("c 1", login=None, extra={"k": [1]})
    assert _sent(mocked, "PATCH", url) == [{"connection_id": "c 1", "login": None, "extra": '{"k": [1]}'}]


async def test_variable_update_works_around_the_servers_mask_check(mocked: aioresponses) -> None:
    only_description = f"{API}/variables/k?update_mask=description"
    value = f"{API}/variables/k"
    mocked.patch(only_description, payload={"key": "k", "value": "v", "description": "d"})
    mocked.patch(value, payload={"key": "k", "value": "v2", "description": "d"})
    async with _client() as af:
        await af.variables.update("k", description="d")
        await af.variables.update("k", value="v2")
        with pytest.raises(UsageError, match="description=''"):
            await af.variables.update("k", description=None)  # type: ignore[arg-type]
    assert _sent(mocked, "PATCH", only_description) == [{"key": "k", "value": "", "description": "d"}]
    assert _sent(mocked, "PATCH", value) == [{"key": "k", "value": "v2"}]


async def test_user_update_reads_the_user_to_fill_required_fields(mocked: aioresponses) -> None:
    user = {
        "username": "u",
        "email": "u@x",
        "first_name": "F",
        "last_name": "L",
        "roles": [{"name": "Viewer"}],
    }
    mocked.get(f"{API}/users/u", payload=user)
    url = f"{API}/users/u?update_mask=password,roles"
    mocked.patch(_any("/users/u"), payload={**user, "roles": [{"name": "Op"}]})
    async with _client() as af:
        updated = await af.users.update("u", roles=["Op"], password="pw2")
    assert _sent(mocked, "PATCH", url) == [
        {
            "username": "u",
            "email": "u@x",
            "first_name": "F",
            "last_name": "L",
            "password": "pw2",
            "roles": [{"name": "Op"}],
        }
    ]
    assert updated.role_names == ["Op"]


async def test_role_update_masks_and_renames(mocked: aioresponses) -> None:
    url = f"{API}/roles/r?update_mask=name,actions"
    mocked.patch(_any("/roles/r"), payload={"name": "r2", "actions": []})
    async with _client() as af:
        await af.roles.update("r", new_name="r2", add_permissions=[("can_read", "DAGs")])
        with pytest.raises(UsageError, match="nothing to update"):
            await af.roles.update("r")
    assert _sent(mocked, "PATCH", url) == [
        {"name": "r2", "actions": [{"action": {"name": "can_read"}, "resource": {"name": "DAGs"}}]}
    ]


# -- answers that differ from the spec ----------------------------------------------------------


async def test_role_create_reads_the_role_back_after_an_empty_answer(mocked: aioresponses) -> None:
    mocked.post(f"{API}/roles", payload={})
    mocked.get(
        f"{API}/roles/r",
        payload={"name": "r", "actions": [{"action": {"name": "a"}, "resource": {"name": "b"}}]},
    )
    async with _client() as af:
        role = await af.roles.create("r", [("a", "b")])
    assert role.permissions == [("a", "b")]


async def test_task_instance_set_state_builds_a_reference_from_an_empty_answer(mocked: aioresponses) -> None:
    url = f"{API}/dags/d/dagRuns/r/taskInstances/t/2"
    mocked.patch(url, payload={})
    async with _client() as af:
        ref = await af.task_instances.set_state("d", "r", "t", "failed", dry_run=False, map_index=2)
    assert ref == TaskInstanceReference(dag_id="d", task_id="t", dag_run_id="r")
    assert _sent(mocked, "PATCH", url) == [{"new_state": "failed", "dry_run": False}]


async def test_clear_run_answers_by_dry_run(mocked: aioresponses) -> None:
    url = f"{API}/dags/d/dagRuns/r/clear"
    mocked.post(url, payload={"task_instances": [{"dag_id": "d", "task_id": "t", "dag_run_id": "r"}]})
    mocked.post(url, payload={"dag_id": "d", "dag_run_id": "r", "state": "queued"})
    async with _client() as af:
        preview = await af.dag_runs.clear("d", "r", dry_run=True)
        run = await af.dag_runs.clear("d", "r", dry_run=False)
    assert [x.task_id for x in preview] == ["t"]
    assert isinstance(run, DAGRun) and run.state == "queued"
    assert _sent(mocked, "POST", url) == [{"dry_run": True}, {"dry_run": False}]


@pytest.mark.parametrize("key", ["task_instances", "task_instances_history"])
async def test_tries_read_the_servers_key_and_the_specs(mocked: aioresponses, key: str) -> None:
    row = {"dag_id": "d", "task_id": "t", "dag_run_id": "r", "try_number": 1}
    mocked.get(
        re.compile(r".*/tries\?.*"), payload={key: [row, {**row, "state": "failed"}], "total_entries": 2}
    )
    async with _client() as af:
        tries = await af.task_instances.tries("d", "r", "t").all()
    assert len(tries) == 2


@pytest.mark.parametrize("key", ["queued_events", "datasets"])
async def test_queued_events_read_the_servers_key_and_the_specs(mocked: aioresponses, key: str) -> None:
    mocked.get(re.compile(r".*/datasets/queuedEvent/.*"), payload={key: [{"uri": "s3://b/k", "dag_id": "d"}]})
    async with _client() as af:
        events = await af.datasets.queued_events("s3://b/k")
    assert [(e.uri, e.dag_id) for e in events] == [("s3://b/k", "d")]


async def test_reparse_tells_a_duplicate_request(mocked: aioresponses) -> None:
    url = f"{API}/parseDagFile/tok"
    mocked.put(url, status=201, body=b"")
    mocked.put(url, status=201, body=b"Duplicate request", content_type="text/html")
    async with _client() as af:
        assert await af.dags.reparse("tok") is True
        assert await af.dags.reparse("tok") is False


def test_task_log_text_from_the_repr_the_server_sends() -> None:
    log = TaskLog(
        content=repr([("host-1", "line 1\nline 2\n"), ("host-2", "it's\n")]), continuation_token="t"
    )
    assert log.chunks == [("host-1", "line 1\nline 2\n"), ("host-2", "it's\n")]
    assert log.text == "line 1\nline 2\nit's\n"
    plain = TaskLog(content="just text")
    assert plain.chunks == [("", "just text")] and plain.text == "just text"
    assert TaskLog().text == ""


# -- usage errors -------------------------------------------------------------------------------


async def test_bulk_state_change_needs_exactly_one_run(mocked: aioresponses) -> None:
    async with _client() as af:
        with pytest.raises(UsageError, match="exactly one of"):
            await af.dags.set_task_instances_state("d", "t", "success", dry_run=True)
        with pytest.raises(UsageError, match="needs a timezone"):
            await af.dags.clear_task_instances("d", dry_run=True, start_date=datetime(2024, 1, 1))
        with pytest.raises(UsageError, match="dag_ids cannot contain ','"):
            await af.dag_stats.get(["a,b"])
        with pytest.raises(UsageError, match=r"list of \(action, resource\) pairs"):
            await af.roles.create("r", "can_read")  # type: ignore[arg-type]
    assert mocked.requests == {}


# -- filters: declared once, sent the same way everywhere ---------------------------------------

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _queries(m: aioresponses, method: str = "GET") -> list[list[tuple[str, str]]]:
    """The query of each request sent, as sorted (name, value) pairs."""
    return sorted(sorted(u.query.items()) for (meth, u) in m.requests if meth == method)


async def test_task_instance_filters_go_to_the_query_of_both_listings(mocked: aioresponses) -> None:
    empty = {"task_instances": [], "total_entries": 0}
    mocked.get(_any("/dags/~/dagRuns/~/taskInstances"), payload=empty)
    mocked.get(_any("/dags/d/dagRuns/r/taskInstances/t/listMapped"), payload=empty)
    filters: dict[str, Any] = {"state": ["failed", "retry"], "execution_date_gte": WHEN, "duration_gte": 1.5}
    async with _client() as af:
        await af.task_instances.list(**filters, page_size=10).all()
        await af.task_instances.list_mapped("d", "r", "t", **filters, order_by="-map_index").all()
    common = [
        ("duration_gte", "1.5"),
        ("execution_date_gte", "2024-01-02T03:04:05+00:00"),
        ("limit", "PAGE"),
        ("offset", "0"),
        ("state", "failed"),
        ("state", "retry"),
    ]
    plain = [(k, "10" if v == "PAGE" else v) for k, v in common]
    mapped = sorted([*((k, "100" if v == "PAGE" else v) for k, v in common), ("order_by", "-map_index")])
    assert _queries(mocked) == sorted([plain, mapped])


async def test_task_instance_batch_filters_go_to_the_body(mocked: aioresponses) -> None:
    url = f"{API}/dags/~/dagRuns/~/taskInstances/list"
    mocked.post(url, payload={"task_instances": [], "total_entries": 0})
    async with _client() as af:
        await af.task_instances.list_batch(
            dag_ids=["a"], state=["failed"], start_date_lte=WHEN, duration_lte=2.0, page_size=5
        ).all()
    assert _sent(mocked, "POST", url) == [
        {
            "dag_ids": ["a"],
            "state": ["failed"],
            "start_date_lte": "2024-01-02T03:04:05+00:00",
            "duration_lte": 2.0,
            "page_offset": 0,
            "page_limit": 5,
        }
    ]


async def test_a_keyword_a_listing_does_not_take_is_a_usage_error_not_a_silent_no_filter() -> None:
    af = _client()
    with pytest.raises(
        UsageError, match=r"task_instances\.list got unexpected keyword argument\(s\) execution_date_gt;"
    ):
        af.task_instances.list(execution_date_gt=WHEN)  # type: ignore[call-arg]
    with pytest.raises(
        UsageError, match=r"dag_runs\.list got unexpected keyword argument\(s\) duration_gte;"
    ):
        af.dag_runs.list(duration_gte=1.0)  # type: ignore[call-arg]
    with pytest.raises(UsageError, match=r"list_batch got unexpected keyword argument\(s\) updated_at_gte;"):
        af.task_instances.list_batch(updated_at_gte=WHEN)  # type: ignore[call-arg]
    with pytest.raises(
        UsageError, match=r"the listing of /pools got unexpected keyword argument\(s\) pagesize;"
    ):
        af.pools.list(pagesize=5)  # type: ignore[call-arg]
    with pytest.raises(UsageError, match="takes a list of strings"):
        af.task_instances.list(state="failed")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="needs a timezone"):
        await af.task_instances.list_batch(start_date_gte=datetime(2024, 1, 1))


# -- cursor paging: where the server has it -------------------------------------------------------


@pytest.mark.parametrize(
    ("release", "options", "by_cursor"),
    [
        ((3, 3, 2), {}, True),
        ((3, 2, 2), {}, True),
        ((3, 2, 1), {}, False),  # before 3.2.2: offsets
        ((3, 3, 2), {"concurrent": True}, False),  # concurrent pages need offsets
        ((3, 3, 2), {"offset": 5}, False),
        ((3, 3, 2), {"cursor": False}, False),
        (None, {"cursor": True}, True),  # a forced version lets the server answer
    ],
)
def test_dag_runs_and_task_instances_page_by_cursor_where_the_server_has_it(
    release: tuple[int, int, int] | None, options: dict[str, Any], by_cursor: bool
) -> None:
    af = AirflowClient(BASE, auth=BearerToken("t"), retry=NO_RETRY, api_version="v2")
    af.server_version = release
    assert af.dag_runs.list("~", **options).by_cursor is by_cursor
    assert af.task_instances.list(**options).by_cursor is by_cursor


def test_cursor_paging_asked_of_a_server_too_old_for_it_names_the_release() -> None:
    af = AirflowClient(BASE, auth=BearerToken("t"), retry=NO_RETRY, api_version="v2")
    af.server_version = (3, 1, 8)
    too_old = r"needs Airflow 3\.2\.2 or newer; the server runs 3\.1\.8"
    with pytest.raises(NotSupportedByServer, match=too_old):
        af.dag_runs.list("~", cursor=True)
    with pytest.raises(UsageError, match="has no cursor paging"):
        _client().dag_runs.list("~", cursor=True)  # v1 pages by offset only
