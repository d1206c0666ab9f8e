"""API v2 bulk endpoints, admin extras, DAG extras, DAG versions, jobs and login pages, on the real 3.3.2."""

from __future__ import annotations

import secrets
from datetime import datetime

import pytest
from yarl import URL

from airflow_async import (
    AirflowClient,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    NotSupportedByServer,
    PasswordAuth,
    UsageError,
)
from airflow_async.models import BulkResult
from tests.harness import airflow3 as harness3

from .conftest import Airflow3Info
from .releases import at_least, needs_release

pytestmark = pytest.mark.integration


def _client(af: Airflow3Info) -> AirflowClient:
    return AirflowClient(af.url, auth=PasswordAuth(*af.admin))


def _name(prefix: str) -> str:
    return f"test_{prefix}_{secrets.token_hex(4)}"


# -- bulk ------------------------------------------------------------------------------------------


async def test_variables_bulk_creates_updates_and_deletes_item_by_item(airflow3: Airflow3Info) -> None:
    keep, new, gone = _name("var_keep"), _name("var_new"), _name("var_gone")
    async with _client(airflow3) as af:
        await af.variables.create(keep, "v0", description="old")
        await af.variables.create(gone, "bye")
        masks = at_least(af, "3.2.0")  # a bulk update's update_mask is 3.2+
        try:
            with needs_release(af, "3.2.0"):
                await af.variables.bulk(update=[{"key": keep, "value": "v0"}], update_mask=["value"])
            result = await af.variables.bulk(
                create=[{"key": new, "value": "fresh", "description": "made in bulk"}],
                update=[{"key": keep, "value": "ignored" if masks else "v0", "description": "new"}],
                delete=[gone],
                update_mask=["description"] if masks else None,
            )
            assert result.ok and result.errors == []
            assert result.create is not None and result.create.success == (new,)
            assert result.update is not None and result.update.success == (keep,)
            assert result.delete is not None and result.delete.success == (gone,)
            assert result.raise_for_errors() is result
            made, kept = await af.variables.get(new), await af.variables.get(keep)
            assert (made.value, made.description) == ("fresh", "made in bulk")
            assert (kept.value, kept.description) == ("v0", "new")  # the mask kept the value
            with pytest.raises(NotFound):
                await af.variables.get(gone)

            # An existing key with action_on_existence="fail": 200, with the error in the result.
            failed = await af.variables.bulk(
                create=[{"key": keep, "value": "again"}], delete=[_name("never_there")]
            )
            assert not failed.ok
            assert failed.create is not None and failed.create.success == ()
            [(action, error)] = failed.errors[:1]
            assert action == "create" and error.status_code == 409 and keep in error.message
            assert failed.delete is not None and failed.delete.errors[0].status_code == 404
            with pytest.raises(Conflict) as raised:
                failed.raise_for_errors()
            assert keep in str(raised.value) and "delete:" in str(raised.value)
            assert (await af.variables.get(keep)).value == "v0"  # nothing of the failed action applied

            # "skip" leaves the existing one, "overwrite" replaces it.
            skipped = await af.variables.bulk(
                create=[{"key": keep, "value": "x"}], action_on_existence="skip"
            )
            assert skipped.ok and skipped.create is not None and skipped.create.success == ()
            over = await af.variables.bulk(
                create=[{"key": keep, "value": "over"}], action_on_existence="overwrite"
            )
            assert over.create is not None and over.create.success == (keep,)
            assert (await af.variables.get(keep)).value == "over"
        finally:
            cleanup = await af.variables.bulk(delete=[keep, new, gone], action_on_non_existence="skip")
            assert cleanup.ok
        with pytest.raises(NotFound):
            await af.variables.get(keep)


async def test_pools_bulk_and_its_error_items(airflow3: Airflow3Info) -> None:
    a, b = _name("pool_a"), _name("pool_b")
    async with _client(airflow3) as af:
        try:
            made = await af.pools.bulk(
                create=[{"name": a, "slots": 2}, {"name": b, "slots": 3, "description": "b"}]
            )
            assert made.create is not None and sorted(made.create.success) == sorted([a, b])
            masks = at_least(af, "3.2.0")  # a bulk update's update_mask is 3.2+
            with needs_release(af, "3.2.0"):
                await af.pools.bulk(update=[{"name": a, "slots": 2}], update_mask=["slots"])
            changed = await af.pools.bulk(
                update=[{"name": a, "description": "described", **({} if masks else {"slots": 2})}],
                delete=[b],
                update_mask=["description"] if masks else None,
            )
            assert changed.ok
            assert changed.update is not None and changed.update.success == (a,)
            assert changed.delete is not None and changed.delete.success == (b,)
            pool = await af.pools.get(a)
            assert (pool.slots, pool.description) == (2, "described")
            with pytest.raises(NotFound):
                await af.pools.get(b)
            missing = await af.pools.bulk(update=[{"name": b, "slots": 1, "include_deferred": False}])
            assert missing.update is not None and missing.update.success == ()
            assert [e.status_code for e in missing.update.errors] == [404]
            with pytest.raises(NotFound):
                missing.raise_for_errors()
        finally:
            await af.pools.bulk(delete=[a, b], action_on_non_existence="skip")
        assert a not in {p.name for p in await af.pools.list().all()}


async def test_connections_bulk_encodes_extra_and_deletes(airflow3: Airflow3Info) -> None:
    cid = _name("conn")
    async with _client(airflow3) as af:
        try:
            made = await af.connections.bulk(
                create=[{"connection_id": cid, "conn_type": "http", "host": "h", "extra": {"k": 1}}]
            )
            assert made.create is not None and made.create.success == (cid,)
            conn = await af.connections.get(cid)
            assert (conn.conn_type, conn.host, conn.extra) == ("http", "h", '{"k": 1}')
            again = await af.connections.bulk(create=[{"connection_id": cid, "conn_type": "http"}])
            assert again.create is not None and again.create.errors[0].status_code == 409
        finally:
            gone = await af.connections.bulk(delete=[cid])
        assert gone.delete is not None and gone.delete.success == (cid,)
        with pytest.raises(NotFound):
            await af.connections.get(cid)


async def test_bulk_checks_its_arguments_before_sending(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        with pytest.raises(UsageError, match="at least one of"):
            await af.variables.bulk()
        with pytest.raises(UsageError, match="action_on_existence"):
            await af.variables.bulk(create=[{"key": "k", "value": "v"}], action_on_existence="replace")
        with pytest.raises(UsageError, match="empty list"):
            await af.pools.bulk(delete=[])
        with pytest.raises(UsageError, match="update_mask= applies to update="):
            await af.variables.bulk(delete=["k"], update_mask=["value"])
        with pytest.raises(UsageError, match="takes a list"):
            await af.variables.bulk(delete="k")  # type: ignore[arg-type]
    assert isinstance(BulkResult(), BulkResult) and BulkResult().ok


# -- connections -----------------------------------------------------------------------------------


async def test_create_defaults_adds_the_default_connections(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        before = {c.connection_id for c in await af.connections.list().all()}
        added: set[str] = set()
        try:
            await af.connections.create_defaults()
            after = {c.connection_id for c in await af.connections.list().all()}
            added = after - before
            assert before <= after
            assert {"aws_default", "postgres_default", "http_default"} - before <= added
            assert len(added) > 20 or "aws_default" in before
            assert (await af.connections.get("aws_default")).conn_type == "aws"
        finally:
            if added:
                result = await af.connections.bulk(delete=sorted(added))
                assert result.ok
        assert {c.connection_id for c in await af.connections.list().all()} == before


async def test_connection_tests_on_a_worker_are_refused_when_disabled(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        # Connection tests on a worker (queue, then poll) are 3.3+. The stock [core]
        # test_connection is Disabled: the server refuses before queueing anything.
        with needs_release(af, "3.3.0"), pytest.raises(Forbidden, match="Testing connections is disabled"):
            await af.connections.enqueue_test(_name("conn"), "http", host="example.invalid")
        # The poll sends its token as a header: a made-up one is a 404 naming it (a missing
        # header would be a 422).
        with needs_release(af, "3.3.0"), pytest.raises(NotFound, match="no-such-token"):
            await af.connections.test_result("no-such-token")


# -- plugins ---------------------------------------------------------------------------------------


async def test_plugin_import_errors_is_an_empty_list_here(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        with needs_release(af, "3.1.0"):  # plugin import errors are 3.1+
            assert await af.plugins.import_errors() == []
        assert [p.name for p in await af.plugins.list().all()] == []  # the harness loads no plugin


# -- DAGs ------------------------------------------------------------------------------------------


async def test_update_many_pauses_every_match_and_returns_them(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        was = (await af.dags.get("harvest_empty")).is_paused
        try:
            dags, total = await af.dags.update_many("harvest_empty", is_paused=not was)
            assert total == 1 and [(d.dag_id, d.is_paused) for d in dags] == [("harvest_empty", not was)]
            assert (await af.dags.get("harvest_empty")).is_paused is (not was)
            none, total = await af.dags.update_many("harvest_empty", is_paused=not was, tags=["no-such-tag"])
            assert (none, total) == ([], 0)
        finally:
            dags, _ = await af.dags.update_many("harvest_empty", is_paused=bool(was))
        assert [d.is_paused for d in dags] == [bool(was)]
        with pytest.raises(UsageError, match="tags_match_mode"):
            await af.dags.update_many("x", is_paused=True, tags_match_mode="some")


async def test_favorite_and_unfavorite_show_in_the_listing(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        with needs_release(af, "3.1.0") as available, pytest.raises(NotFound):  # favorites: 3.1+
            await af.dags.favorite("no_such_dag")
        if not available:
            with needs_release(af, "3.1.0"):
                af.dags.list(is_favorite=True)
            return
        assert "harvest_other" not in {d.dag_id for d in await af.dags.list(is_favorite=True).all()}
        await af.dags.favorite("harvest_other")
        try:
            favorites = {d.dag_id for d in await af.dags.list(is_favorite=True).all()}
            assert "harvest_other" in favorites and "harvest_demo" not in favorites
            others = {d.dag_id for d in await af.dags.list(is_favorite=False).all()}
            assert "harvest_other" not in others and "harvest_demo" in others
            with pytest.raises(Conflict):
                await af.dags.favorite("harvest_other")
        finally:
            await af.dags.unfavorite("harvest_other")
        assert "harvest_other" not in {d.dag_id for d in await af.dags.list(is_favorite=True).all()}
        with pytest.raises(Conflict):
            await af.dags.unfavorite("harvest_other")
        with pytest.raises(NotFound):
            await af.dags.favorite("no_such_dag")


async def test_dag_reports_parse_the_dags_folder_on_3_0_only(airflow3: Airflow3Info) -> None:
    folder = str(harness3.DAGS_FOLDER)
    async with _client(airflow3) as af:
        if at_least(af, "3.1.0"):  # 3.1 removed GET /dagReports
            with pytest.raises(NotSupportedByServer, match=r"removed in Airflow 3\.1\.0"):
                await af.dags.reports(folder)
            return
        reports = await af.dags.reports(folder)
        demo = [r for r in reports if r.file.endswith("harvest_demo.py")]
        assert len(demo) == 1 and "harvest_demo" in demo[0].dags and demo[0].dag_num >= 4
        assert demo[0].task_num > 0 and demo[0].warning_num == 0
        with pytest.raises(BadRequest, match="subdir should be subpath of DAGS_FOLDER"):
            await af.dags.reports("/")


async def test_tags_lists_each_tag_name_once(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        used = sorted({t for d in await af.dags.list().all() for t in d.tag_names})
        tags = af.dags.tags(page_size=1)
        assert await tags.all() == used and tags.total_entries == len(used)
        assert await af.dags.tags(order_by="-name").all() == used[::-1]
        assert await af.dags.tags(tag_name_pattern="HARNESS").all() == [t for t in used if "harness" in t]


async def test_reparse_queues_a_request_once(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        token = (await af.dags.details("harvest_demo")).file_token
        assert token
        first = await af.dags.reparse(token)
        # No DAG processor runs: the request stays queued, and a second one is a duplicate.
        assert await af.dags.reparse(token) is False
        assert first in (True, False)  # another test may have queued it first
        with pytest.raises(NotFound, match="File not found"):
            await af.dags.reparse("not-a-signed-token")


async def test_clear_task_instances_dry_run_lists_a_runs_task_instances(airflow3: Airflow3Info) -> None:
    entry = next(e for e in airflow3.manifest if e["dag_id"] == "harvest_demo")
    run = entry["dag_run_id"]
    async with _client(airflow3) as af:
        listed = await af.task_instances.list("harvest_demo", run).all()
        would = await af.dags.clear_task_instances(
            "harvest_demo", dry_run=True, dag_run_id=run, only_failed=False
        )
        key = sorted((ti.task_id, ti.map_index) for ti in listed)
        assert sorted((ti.task_id, ti.map_index) for ti in would) == key and key
        assert {ti.dag_run_id for ti in would} == {run}
        one = await af.dags.clear_task_instances(
            "harvest_demo", dry_run=True, dag_run_id=run, only_failed=False, task_ids=[key[0][0]]
        )
        assert {ti.task_id for ti in one} == {key[0][0]}
        failed_only = await af.dags.clear_task_instances("harvest_demo", dry_run=True, dag_run_id=run)
        assert all(ti.state == "failed" for ti in failed_only)
        after = await af.task_instances.list("harvest_demo", run).all()
        assert sorted((ti.task_id, ti.state) for ti in after) == sorted(
            (ti.task_id, ti.state) for ti in listed
        )
        with pytest.raises(UsageError, match="only_failed=False"):
            await af.dags.clear_task_instances("harvest_demo", dry_run=True, only_running=True)


# -- DAG versions, jobs ----------------------------------------------------------------------------


async def test_dag_versions_list_and_get(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        versions = await af.dag_versions.list("harvest_demo").all()
        assert [v.version_number for v in versions] == list(range(1, len(versions) + 1))
        first = versions[0]
        assert (first.dag_id, first.bundle_name) == ("harvest_demo", "dags-folder")
        assert isinstance(first.created_at, datetime) and first.created_at.tzinfo is not None
        assert await af.dag_versions.get("harvest_demo", 1) == first
        across = await af.dag_versions.list("~").all()
        assert {"harvest_demo", "harvest_other", "asset_producer"} <= {v.dag_id for v in across}
        assert await af.dag_versions.list("harvest_demo", version_number=1).all() == [first]
        with pytest.raises(NotFound):
            await af.dag_versions.get("harvest_demo", 999)
        with pytest.raises(UsageError):
            await af.dag_versions.get("harvest_demo", 0)


async def test_jobs_list_the_scheduler_while_it_runs(airflow3: Airflow3Info) -> None:
    assert airflow3.airflow_home is not None
    async with _client(airflow3) as af:
        before = {j.id for j in await af.jobs.list(job_type="SchedulerJob").all()}
        with needs_release(af, "3.1.0"):  # several sort keys
            af.jobs.list(order_by=["-latest_heartbeat", "id"])
        order = ["-latest_heartbeat", "id"] if at_least(af, "3.1.0") else "-latest_heartbeat"
        with harness3.Scheduler(airflow3.airflow_home, airflow3.url):
            alive = await af.jobs.list(job_type="SchedulerJob", is_alive=True, order_by=order).all()
            new = [j for j in alive if j.id not in before]
            assert len(new) == 1 and (new[0].job_type, new[0].state) == ("SchedulerJob", "running")
            assert new[0].hostname and new[0].latest_heartbeat is not None
            by_host = await af.jobs.list(hostname=new[0].hostname, job_type="SchedulerJob").all()
            assert new[0].id in {j.id for j in by_host}
            assert await af.jobs.list(hostname="no-such-host.invalid").all() == []
        # order_by reaches the server, which refuses an attribute it cannot sort by.
        with pytest.raises(BadRequest, match=r"Ordering with 'no_such_column' is disallowed"):
            await af.jobs.list(order_by="no_such_column").all()
        with pytest.raises(UsageError, match="is_alive"):
            af.jobs.list(is_alive="yes")  # type: ignore[typeddict-item]
        with pytest.raises(UsageError, match="jobs_type"):
            af.jobs.list(jobs_type="SchedulerJob")  # type: ignore[typeddict-unknown-key]


# -- login pages -----------------------------------------------------------------------------------


async def test_login_and_logout_urls_are_the_redirect_targets(airflow3: Airflow3Info) -> None:
    async with _client(airflow3) as af:
        assert await af.web_login.login_url() == f"{airflow3.url}/auth/login"
        # 3.2+ percent-encodes the next page in the redirect, 3.0 and 3.1 send it as it is.
        target = URL(await af.web_login.login_url(next="/dags/harvest_demo"))
        assert (str(target.with_query(None)), target.query["next"]) == (
            f"{airflow3.url}/auth/login",
            "/dags/harvest_demo",
        )
        with pytest.raises(BadRequest, match="unsafe next"):
            await af.web_login.login_url(next="http://elsewhere.example/")
        assert (await af.dags.get("harvest_demo")).dag_id == "harvest_demo"  # logged in now
        assert await af.web_login.logout_url() == f"{airflow3.url}/auth/login"
        # The logout page was asked without the client's token, so the server did not revoke
        # it: the next request goes through without a new login.
        assert (await af.dags.get("harvest_demo")).dag_id == "harvest_demo"
        assert af.stats.reauths == 0
