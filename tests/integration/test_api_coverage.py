"""The client covers every operation of the v1 spec the real server ships; read-only calls against it.

Nothing here changes what other tests count: the seeded DAGs, runs, task instances and XComs are
only read, the clears and state changes are dry runs, and the one PATCH of a seeded DAG sets
``is_paused`` to the value it already has.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_async import (
    OPERATIONS,
    Action,
    AirflowClient,
    DAGDetail,
    DagStats,
    DagWarning,
    EventLog,
    Forbidden,
    ImportErrorInfo,
    NotFound,
    Plugin,
    Provider,
    SessionAuth,
    Task,
    TaskInstanceHistory,
    TaskLog,
    UsageError,
)
from airflow_async.models import TaskDependency
from airflow_async.versions import parse_release
from tests.harness.coverage import spec_operations

from .conftest import AirflowInfo
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration

EXAMPLE_RUN = "manual__2024-01-01T00:00:00+00:00"  # example_xcom, run for real by `airflow dags test`


def _client(af: AirflowInfo, **kwargs: Any) -> AirflowClient:
    return AirflowClient(af.url, auth=SessionAuth(*af.admin), **kwargs)


def _spec_operations(airflow2: AirflowInfo) -> dict[str, str]:
    """``{operationId: tag}`` of the v1.yaml inside the server's Airflow (read with its PyYAML)."""
    return {op_id: op.tag for op_id, op in spec_operations(airflow2.python, "v1").items()}


def _seeded_run(airflow2: AirflowInfo, dag_id: str = "harvest_demo") -> str:
    return next(str(e["dag_run_id"]) for e in airflow2.manifest if e["dag_id"] == dag_id)


# -- completeness ------------------------------------------------------------------------------


async def test_every_operation_of_the_spec_is_covered(airflow2: AirflowInfo) -> None:
    spec = _spec_operations(airflow2)
    async with _client(airflow2) as opened:
        release = opened.server_version
        current = at_least(opened, "2.10.0")
    assert release is not None
    client = _client(airflow2, api_version="v1")  # a forced version: groups exist before it opens
    gated = set()
    for operation, target in OPERATIONS.items():
        group_name, _, method_name = target.partition(".")
        group = getattr(client, group_name, None)
        assert group is not None, f"{operation}: client has no {group_name!r}"
        method = getattr(group, method_name, None)
        assert callable(method), f"{operation}: client.{target} does not exist"
        assert method.__doc__, f"client.{target} has no docstring"
        since = getattr(method, "since", None)
        if since is not None and release < parse_release(since):
            gated.add(operation)
    # 2.10 added 8 operations (and the DagStats tag); the client gates exactly those on 2.9.
    assert len(spec) == (89 if current else 81) and len(set(spec.values())) == (19 if current else 18)
    assert sorted(set(spec) - set(OPERATIONS)) == []  # an operation without a method
    # A mapping to an operation the server lacks: only those the client refuses there by release.
    assert sorted(set(OPERATIONS) - set(spec)) == sorted(gated)


# -- DAGs --------------------------------------------------------------------------------------


async def test_dag_details_tasks_and_source(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        details = await client.dags.details("harvest_demo")
        tasks = await client.dags.tasks("harvest_demo")
        square = await client.dags.task("harvest_demo", "square")
        source = await client.dags.source(details.file_token or "")
        with pytest.raises(NotFound):
            await client.dags.task("harvest_demo", "no_such_task")
        with pytest.raises(NotFound):
            await client.dags.source("not-a-token-the-server-signed")
        # Queued (201), then "Duplicate request" (201, text/html) while the first one waits: no
        # DAG processor runs in the harness, so the request stays queued and parses nothing.
        with needs_release(client, "2.10.0") as can_reparse:
            first = await client.dags.reparse(details.file_token or "")
            second = await client.dags.reparse(details.file_token or "")
            with pytest.raises(NotFound):
                await client.dags.reparse("not-a-token-the-server-signed")
    assert isinstance(details, DAGDetail) and details.dag_id == "harvest_demo"
    assert details.timezone == "UTC" and details.catchup is False and details.is_paused_upon_creation is True
    assert details.start_date is not None and details.start_date.year == 2024
    assert details.tag_names == ["airflow-async-harness"]
    assert {t.task_id for t in tasks} == {"extract", "transform", "load", "report", "weird", "square"}
    assert all(isinstance(t, Task) for t in tasks)
    by_id = {t.task_id: t for t in tasks}
    assert by_id["extract"].downstream_task_ids == ["transform"]
    assert square.is_mapped is True and by_id["extract"].is_mapped is False
    assert square.retry_delay == {"__type": "TimeDelta", "days": 0, "seconds": 300, "microseconds": 0}
    assert 'with DAG(\n    "harvest_demo"' in source
    if can_reparse:
        assert second is False and first in (True, False)  # False when an earlier run queued it


async def test_pause_flags_set_to_the_value_they_have(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        before = await client.dags.get("harvest_other")
        same = await client.dags.update("harvest_other", is_paused=bool(before.is_paused))
        updated, total = await client.dags.update_many("harvest_other", is_paused=bool(before.is_paused))
        none, zero = await client.dags.update_many("no_dag_has_this_in_its_id", is_paused=True)
        after = await client.dags.get("harvest_other")
    assert same.is_paused == before.is_paused == after.is_paused
    assert [d.dag_id for d in updated] == ["harvest_other"] and total == 1
    assert updated[0].is_paused == before.is_paused
    assert (none, zero) == ([], 0)


async def test_dry_run_clears_and_state_changes_touch_nothing(airflow2: AirflowInfo) -> None:
    run_id = _seeded_run(airflow2)
    async with _client(airflow2) as client:
        tis_before = await client.task_instances.list("harvest_demo", run_id).all()
        would_clear = await client.dags.clear_task_instances(
            "harvest_demo", dry_run=True, dag_run_id=run_id, only_failed=False
        )
        would_clear_run = await client.dag_runs.clear("harvest_demo", run_id, dry_run=True)
        would_fail = await client.dags.set_task_instances_state(
            "harvest_demo", "extract", "failed", dry_run=True, dag_run_id=run_id, include_downstream=True
        )
        would_set = await client.task_instances.set_state(
            "harvest_demo", run_id, "square", "failed", dry_run=True, map_index=3
        )
        tis_after = await client.task_instances.list("harvest_demo", run_id).all()
        run_after = await client.dag_runs.get("harvest_demo", run_id)
    assert tis_after == tis_before and run_after.state in ("success", "failed")
    every_task = {t.task_id for t in tis_before}
    assert {r.task_id for r in would_clear} == every_task
    assert {r.task_id for r in would_clear_run} == every_task
    assert {r.dag_run_id for r in would_clear + would_clear_run} == {run_id}
    assert {r.task_id for r in would_fail} <= {"extract", "transform", "load", "report"}
    assert "extract" in {r.task_id for r in would_fail}
    assert (would_set.task_id, would_set.dag_run_id) == ("square", run_id)


# -- DAG runs and task instances ---------------------------------------------------------------


async def test_task_instance_reads(airflow2: AirflowInfo) -> None:
    run_id = _seeded_run(airflow2)
    async with _client(airflow2) as client:
        mapped = await client.task_instances.list_mapped("harvest_demo", run_id, "square").all()
        third = await client.task_instances.get("harvest_demo", run_id, "square", map_index=3)
        deps: list[TaskDependency] = []
        unmapped_deps: list[TaskDependency] = []
        with needs_release(client, "2.10.0"):
            deps = await client.task_instances.dependencies("harvest_demo", run_id, "square", map_index=3)
        with needs_release(client, "2.10.0"):
            unmapped_deps = await client.task_instances.dependencies("harvest_demo", run_id, "extract")
        links = await client.task_instances.links("harvest_demo", run_id, "extract")
        upstream = await client.dag_runs.upstream_dataset_events("harvest_demo", run_id)
        batch = client.task_instances.list_batch(dag_ids=["harvest_other"], page_size=5)
        batched = await batch.all()
        listed = await client.task_instances.list("harvest_other", "~").all()
        filtered = client.task_instances.list_batch(
            dag_ids=["harvest_demo"], dag_run_ids=[run_id], task_ids=["square"]
        )
        mapped_batch = await filtered.all()
        paged_batches = at_least(client, "2.10.0")
    assert sorted(t.map_index for t in mapped) == list(range(8))
    assert third.map_index == 3 and third.task_id == "square"
    assert all(d.name for d in deps + unmapped_deps)
    assert links == {}  # @task operators have no extra links
    assert upstream == []  # not a dataset-triggered run
    assert batch.total_entries == len(listed) == len(batched)
    # Airflow 2.9's batch listing reads page_limit but answers every row at once: one page.
    assert batch.pages_fetched >= (len(listed) // 5 if paged_batches else 1)
    assert {(t.dag_run_id, t.task_id, t.map_index) for t in batched} == {
        (t.dag_run_id, t.task_id, t.map_index) for t in listed
    }
    assert filtered.total_entries == 8 and sorted(t.map_index for t in mapped_batch) == list(range(8))


async def test_log_and_tries_of_a_task_that_ran(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        log = await client.task_instances.log("example_xcom", EXAMPLE_RUN, "bash_push", 1)
        full = await client.task_instances.log("example_xcom", EXAMPLE_RUN, "bash_push", 1, full_content=True)
        with pytest.raises(NotFound):
            await client.task_instances.log("example_xcom", EXAMPLE_RUN, "no_such_task", 1)
        with needs_release(client, "2.10.0"):
            client.task_instances.tries("example_xcom", EXAMPLE_RUN, "bash_push")
        with needs_release(client, "2.10.0"):
            await client.task_instances.get_try("example_xcom", EXAMPLE_RUN, "bash_push", 1)
        with needs_release(client, "2.10.0") as has_tries:
            tries = await client.task_instances.tries("example_xcom", EXAMPLE_RUN, "bash_push").all()
            first = await client.task_instances.get_try("example_xcom", EXAMPLE_RUN, "bash_push", 1)
            mapped_tries = await client.task_instances.tries(
                "harvest_demo", _seeded_run(airflow2), "square", map_index=2
            ).all()
            with pytest.raises(NotFound):
                await client.task_instances.get_try("example_xcom", EXAMPLE_RUN, "bash_push", 7)
    for chunk in (log, full):
        assert isinstance(chunk, TaskLog) and chunk.continuation_token
        # `airflow dags test` ran the task in-process: the webserver has no log file to serve and
        # says so in the content; either way the content is the repr of (host, text) pairs.
        assert chunk.chunks and chunk.chunks[0][0] and "\n" in chunk.text
    if not has_tries:
        return
    assert [t.try_number for t in tries] == [1] and isinstance(tries[0], TaskInstanceHistory)
    assert first.try_number == 1 and first.state == "success" and first.task_id == "bash_push"
    assert [(t.task_id, t.map_index) for t in mapped_tries] == [("square", 2)]


async def test_dag_stats_match_the_runs_listed(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        with needs_release(client, "2.10.0") as has_stats:
            stats = await client.dag_stats.get(["harvest_demo", "harvest_other", "no_such_dag"])
        if not has_stats:
            return
        runs = {d: await client.dag_runs.list(d).all() for d in ("harvest_demo", "harvest_other")}
    assert all(isinstance(s, DagStats) for s in stats)
    by_dag = {s.dag_id: s.counts for s in stats}
    assert set(by_dag) == {"harvest_demo", "harvest_other"}  # unknown DAGs are left out
    for dag_id, listed in runs.items():
        assert sum(by_dag[dag_id].values()) == len(listed)
        for state, count in by_dag[dag_id].items():
            assert count == sum(r.state == state for r in listed)


# -- server-wide read-only endpoints -----------------------------------------------------------


async def test_event_logs(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        await client.dags.get("harvest_demo")  # not logged; a PATCH below is
        newest = await client.event_logs.list(order_by="-event_log_id", max_items=5).all()
        one = await client.event_logs.get(newest[0].event_log_id)
        webserver = await client.event_logs.list(event="cli_webserver").all()
        without = await client.event_logs.list(excluded_events=["cli_webserver"], max_items=50).all()
        with pytest.raises(NotFound):
            await client.event_logs.get(10**9)
    assert newest and all(isinstance(e, EventLog) for e in newest)
    ids = [e.event_log_id for e in newest]
    assert ids == sorted(ids, reverse=True)
    assert one == newest[0]
    assert webserver and {e.event for e in webserver} == {"cli_webserver"}
    assert "cli_webserver" not in {e.event for e in without}


async def test_server_inventory(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        providers = await client.providers.list()
        plugins = await client.plugins.list().all()
        actions = await client.permissions.list().all()
        warnings = await client.dag_warnings.list().all()
        errors = await client.import_errors.list().all()
        with pytest.raises(NotFound):
            await client.import_errors.get(10**9)
    assert providers and all(isinstance(p, Provider) for p in providers)
    assert all(p.package_name.startswith("apache-airflow-providers-") and p.version for p in providers)
    assert all(isinstance(p, Plugin) for p in plugins)
    assert {"can_read", "can_edit", "can_create", "can_delete"} <= {a.name for a in actions}
    assert all(isinstance(a, Action) for a in actions)
    assert all(isinstance(w, DagWarning) for w in warnings)
    assert all(isinstance(e, ImportErrorInfo) for e in errors)


async def test_unknown_datasets_are_not_found(airflow2: AirflowInfo) -> None:
    uri = "s3://no-such-bucket/key with spaces/x.csv"
    async with _client(airflow2) as client:
        assert await client.datasets.list(uri_pattern="no-such-bucket").all() == []
        assert await client.datasets.events(source_dag_id="no_such_dag").all() == []
        for call in (
            client.datasets.get(uri),
            client.datasets.create_event(uri),
            client.datasets.queued_events(uri),
            client.datasets.dag_queued_events("harvest_demo"),
            client.datasets.dag_queued_event("harvest_demo", uri),
            client.datasets.delete_queued_events(uri),
            client.datasets.delete_dag_queued_events("harvest_demo"),
            client.datasets.delete_dag_queued_event("harvest_demo", uri),
        ):
            with pytest.raises(NotFound) as info:
                await call
            assert info.value.status == 404


async def test_viewer_cannot_change_things(airflow2: AirflowInfo) -> None:
    async with AirflowClient(airflow2.url, auth=SessionAuth(*airflow2.viewer)) as viewer:
        assert await viewer.dags.details("harvest_demo")  # but may read
        with pytest.raises(Forbidden):
            await viewer.pools.create("afcov-viewer-pool", 1)
        with pytest.raises(Forbidden):
            await viewer.dags.clear_task_instances("harvest_demo", dry_run=True)
        with pytest.raises(Forbidden):
            await viewer.users.list().all()


async def test_bad_arguments_are_usage_errors_before_any_request(airflow2: AirflowInfo) -> None:
    async with _client(airflow2) as client:
        sent = client.stats.requests
        cases = [
            (client.dag_runs.set_state("d", "r", "running"), "state must be one of"),
            (client.dag_runs.clear("d", "r", dry_run="yes"), "dry_run must be True or False"),  # type: ignore[call-overload]
            (
                client.task_instances.set_state("d", "r", "t", "queued", dry_run=True),
                "new_state must be one of",
            ),
            (client.task_instances.log("d", "r", "t", 0), "try_number must be an int >= 1"),
            (client.task_instances.get("d", "r", "t", map_index=-2), "map_index must be an int >= -1"),
            (
                client.dags.set_task_instances_state("d", "t", "success", dry_run=True),
                "exactly one of dag_run_id= or execution_date=",
            ),
            (client.pools.update("p"), "nothing to update"),
            (client.variables.update("v"), "nothing to update"),
            (client.connections.create("c", "http", port=70000), "port must be an int"),
            (client.roles.create("r", ("can_read", "DAGs")), "list of (action, resource) pairs"),  # type: ignore[arg-type]
            # (dag_stats needs Airflow 2.10: refused by release before any argument check)
            *([(client.dag_stats.get([]), "dag_ids is an empty list")] if at_least(client, "2.10.0") else []),
            (client.users.create("u", password="", email="e", first_name="f", last_name="l"), "password"),
            (client.event_logs.get(0), "event_log_id must be an int >= 1"),
            (client.dags.get("~"), "cannot be '~'"),
        ]
        for coro, message in cases:
            with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
                await coro
        assert client.stats.requests == sent
