"""The resource groups whose operations are the same on API v1 and v2, on both real servers.

Each group here is one class attached for both versions in ``ResourceGroups``; these tests are
what says the paths, parameters and bodies really are the same on Airflow 2.11.2 and 3.3.2.
"""

from __future__ import annotations

import secrets

import pytest

from airflow_async import AirflowClient, Forbidden, NotFound
from airflow_async.models import TaskDependency, TaskInstanceHistory

from .releases import needs_release
from .servers import RealServer

pytestmark = pytest.mark.integration


def _client(server: RealServer) -> AirflowClient:
    return AirflowClient(server.url, auth=server.login_auth(*server.admin))


async def test_read_only_groups_answer_on_both_versions(server: RealServer) -> None:
    async with _client(server) as af:
        logs = await af.event_logs.list(max_items=5).all()
        assert logs and all(log.event_log_id >= 1 for log in logs)
        one = await af.event_logs.get(logs[0].event_log_id)
        assert one.event == logs[0].event
        assert await af.import_errors.list().all() == []  # the harness DAGs all import
        assert isinstance(await af.plugins.list().all(), list)
        providers = await af.providers.list()
        assert any(p.package_name.startswith("apache-airflow-providers-") for p in providers)
        with needs_release(af, "2.10.0") as has_stats:
            stats = await af.dag_stats.get(["harvest_demo"])
        if has_stats:
            assert [s.dag_id for s in stats] == ["harvest_demo"] and sum(stats[0].counts.values()) > 0
        assert isinstance(await af.dag_warnings.list().all(), list)
        pools = await af.pools.list().all()
        assert "default_pool" in {p.name for p in pools}
        try:  # both harnesses leave [api] expose_config (v1: [webserver]) at its default
            await af.config.get()
        except Forbidden as exc:
            assert "expose" in str(exc)


async def test_variables_pools_and_connections_round_trip_on_both_versions(server: RealServer) -> None:
    name = f"shared-{secrets.token_hex(4)}"
    async with _client(server) as af:
        created = await af.variables.create(name, "one", description="first")
        assert (created.key, created.value) == (name, "one")
        updated = await af.variables.update(name, value="two")
        assert (await af.variables.get(name)).value == "two" == updated.value
        await af.variables.delete(name)
        with pytest.raises(NotFound):
            await af.variables.get(name)

        pool = await af.pools.create(name, 3, description="shared", include_deferred=True)
        assert (pool.name, pool.slots, pool.include_deferred) == (name, 3, True)
        changed = await af.pools.update(name, slots=5)
        assert (changed.slots, changed.include_deferred, changed.description) == (5, True, "shared")
        # Two fields in one mask (v2 reads a comma-joined mask as one unknown field: no change).
        await af.pools.update(name, slots=6, description="both changed")
        again = await af.pools.get(name)
        assert (again.slots, again.description, again.include_deferred) == (6, "both changed", True)
        await af.pools.delete(name)
        with pytest.raises(NotFound):
            await af.pools.get(name)

        conn = await af.connections.create(name, "http", host="example.invalid", port=8080)
        assert (conn.connection_id, conn.host, conn.port) == (name, "example.invalid", 8080)
        assert (await af.connections.update(name, host="other.invalid")).host == "other.invalid"
        await af.connections.update(name, host="third.invalid", port=9090)
        both = await af.connections.get(name)
        assert (both.host, both.port, both.conn_type) == ("third.invalid", 9090, "http")
        assert name in {c.connection_id for c in await af.connections.list().all()}
        await af.connections.delete(name)
        with pytest.raises(NotFound):
            await af.connections.get(name)


async def test_config_is_not_exposed_by_default(server: RealServer) -> None:
    async with _client(server) as af:
        with pytest.raises(Forbidden) as whole:
            await af.config.get()
        with pytest.raises(Forbidden) as one:
            await af.config.get_value("core", "dags_folder")
    for info in (whole, one):
        assert info.value.status == 403 and "expose" in (info.value.detail or "")


async def test_testing_connections_is_disabled_by_default(server: RealServer) -> None:
    async with _client(server) as af:
        with pytest.raises(Forbidden) as info:
            await af.connections.test("http", host="127.0.0.1", port=9)
    assert "Testing connections is disabled" in (info.value.detail or "")


async def test_dags_tasks_and_mapped_task_instances_on_both_versions(server: RealServer) -> None:
    run_id = next(e["dag_run_id"] for e in server.manifest if e["dag_id"] == "harvest_demo")
    async with _client(server) as af:
        details = await af.dags.details("harvest_demo")
        tasks = await af.dags.tasks("harvest_demo")
        square = await af.dags.task("harvest_demo", "square")
        # v1 addresses a DAG's source by the file token of its details, v2 by the DAG id.
        source = await af.dags.source(details.file_token if af.api_version == "v1" else "harvest_demo")
        mapped = await af.task_instances.list_mapped("harvest_demo", run_id, "square").all()
        third = await af.task_instances.get("harvest_demo", run_id, "square", map_index=3)
        deps: list[TaskDependency] = []
        unmapped_deps: list[TaskDependency] = []
        tries: list[TaskInstanceHistory] = []
        with needs_release(af, "2.10.0"):  # (v1 has these three from Airflow 2.10 on)
            deps = await af.task_instances.dependencies("harvest_demo", run_id, "square", map_index=3)
        with needs_release(af, "2.10.0"):
            unmapped_deps = await af.task_instances.dependencies("harvest_demo", run_id, "extract")
        with needs_release(af, "2.10.0"):
            tries = await af.task_instances.tries("harvest_demo", run_id, "square", map_index=2).all()
        health = await af.monitoring.health()
        with pytest.raises(NotFound):
            await af.dags.task("harvest_demo", "no_such_task")
        with pytest.raises(NotFound):
            await af.import_errors.get(10**9)
        with pytest.raises(NotFound):
            await af.dags.delete(f"no_such_dag_{secrets.token_hex(3)}")
    assert details.dag_id == "harvest_demo" and details.tag_names == ["airflow-async-harness"]
    assert {t.task_id for t in tasks} == {"extract", "transform", "load", "report", "weird", "square"}
    assert square.is_mapped is True
    assert 'with DAG(\n    "harvest_demo"' in source
    assert sorted(t.map_index for t in mapped) == list(range(8))
    assert (third.task_id, third.map_index, third.dag_run_id) == ("square", 3, run_id)
    assert all(d.name for d in deps + unmapped_deps)
    assert all((t.task_id, t.map_index) == ("square", 2) for t in tries)
    assert health.metadatabase is not None


async def test_the_try_of_a_task_that_ran_for_real(server: RealServer) -> None:
    run_id = next(e["dag_run_id"] for e in server.manifest if e["dag_id"] == "example_xcom")
    real_run = next(e["dag_run_id"] for e in server.manifest if e["dag_id"] == "harvest_real")
    async with _client(server) as af:
        with needs_release(af, "2.10.0"):  # (v1 has tries from Airflow 2.10 on)
            await af.task_instances.get_try("harvest_real", real_run, "fan_out", 1, map_index=2)
        with needs_release(af, "2.10.0") as has_tries:
            tries = await af.task_instances.tries("example_xcom", run_id, "bash_push").all()
            first = await af.task_instances.get_try("example_xcom", run_id, "bash_push", 1)
            mapped = await af.task_instances.get_try("harvest_real", real_run, "fan_out", 1, map_index=2)
            with pytest.raises(NotFound):
                await af.task_instances.get_try("example_xcom", run_id, "bash_push", 7)
    if not has_tries:
        return
    assert [t.try_number for t in tries] == [1]
    assert (first.try_number, first.state, first.task_id) == (1, "success", "bash_push")
    assert (mapped.task_id, mapped.map_index, mapped.try_number, mapped.state) == ("fan_out", 2, 1, "success")


async def test_the_neutral_date_filters_work_on_both_versions(server: RealServer) -> None:
    async with _client(server) as af:
        runs = [r for r in await af.dag_runs.list("harvest_other").all() if r.logical_date is not None]
        dates = sorted(r.logical_date for r in runs if r.logical_date is not None)
        assert len(dates) >= 4
        low, high = dates[1], dates[-2]
        between = await af.dag_runs.list("harvest_other", logical_date_gte=low, logical_date_lte=high).all()
        assert sorted(r.dag_run_id for r in between) == sorted(
            r.dag_run_id for r in runs if r.logical_date is not None and low <= r.logical_date <= high
        )
        tis = await af.task_instances.list("harvest_other", "~", logical_date_lte=low).all()
        assert tis and all(t.logical_date is not None and t.logical_date <= low for t in tis)
        batch = await af.task_instances.list_batch(dag_ids=["harvest_other"], logical_date_gte=high).all()
        assert batch and all(t.logical_date is not None and t.logical_date >= high for t in batch)
